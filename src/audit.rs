//! The audit log: JSON Lines, append-only, one record per check, deploy, step and
//! rollback, each flushed and fsynced before the next thing happens. Records hold
//! digests of the facts and policies, never the facts themselves, never command
//! output, never a secret. It is also where a rollback finds the SHA to restore.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::facts::OverrideRequest;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(
        "cannot write the audit log {}: {source}; fix the path or permissions (`audit_log` in config)",
        path.display()
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the audit log {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Check,
    Deploy,
    Step,
    Rollback,
    Unlock,
}

/// One line of the log. Fields that do not apply to a kind are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub kind: Kind,
    pub time: DateTime<Utc>,
    pub user: String,
    pub host: String,
    pub target: String,
    /// Ties a deploy's or rollback's records together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The command that wrote it: check, deploy, rollback.
    pub command: String,
    /// "allow" or "deny".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing_checks: Vec<String>,
    /// Failing checks a person overrode: which, why, and who.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies_sha256: Option<String>,
    /// "live" or "file".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts_source: Option<String>,
    /// What production ran before (the SHA a rollback restores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_sha: Option<String>,
    /// Release heads shipped, "owner/name@sha".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub release_shas: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The command line of a step, as run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// ok, failed, skipped, denied, aborted, dry-run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Record {
    /// A record of `kind` stamped now with this user and host.
    pub fn new(kind: Kind, command: &str, target: &str) -> Self {
        Self {
            kind,
            time: Utc::now(),
            user: user(),
            host: host(),
            target: target.to_owned(),
            run: None,
            command: command.to_owned(),
            decision: None,
            failing_checks: Vec::new(),
            overrides: Vec::new(),
            facts_sha256: None,
            policies_sha256: None,
            facts_source: None,
            before_sha: None,
            after_sha: None,
            release_shas: Vec::new(),
            step: None,
            step_command: None,
            duration_ms: None,
            outcome: None,
            message: None,
        }
    }
}

/// The login of whoever runs gatekeeper.
pub fn user() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

pub fn host() -> String {
    hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Hex SHA-256 of some bytes.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One digest over a set of policy files: each file's name and contents, in the
/// given (sorted) order, so that renaming or editing any of them changes it.
pub fn policies_digest(files: &[PathBuf]) -> Result<String, AuditError> {
    let mut hasher = Sha256::new();
    for file in files {
        let text = std::fs::read(file).map_err(|source| AuditError::Read {
            path: file.clone(),
            source,
        })?;
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        hasher.update(name.unwrap_or_default().as_bytes());
        hasher.update([0]);
        hasher.update(&text);
        hasher.update([0]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The log file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as one line, then flushes and fsyncs it.
    pub fn append(&self, record: &Record) -> Result<(), AuditError> {
        let err = |source| AuditError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut line =
            serde_json::to_string(record).map_err(|e| err(std::io::Error::other(e.to_string())))?;
        line.push('\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(err)?;
        // One write per record so that concurrent writers never interleave a line.
        file.write_all(line.as_bytes()).map_err(err)?;
        file.flush().map_err(err)?;
        file.sync_all().map_err(err)
    }

    /// Every record, oldest first; a missing log is empty, a line that does not
    /// parse (written by hand, or by a newer gatekeeper) is skipped.
    pub fn read(&self) -> Result<Vec<Record>, AuditError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(AuditError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }

    /// The production SHA recorded by the last deploy of `target`: what a rollback
    /// restores.
    pub fn last_deploy_before(&self, target: &str) -> Result<Option<Record>, AuditError> {
        Ok(self.read()?.into_iter().rev().find(|r| {
            r.target == target
                && r.command == "deploy"
                && matches!(r.kind, Kind::Deploy | Kind::Step)
                && r.before_sha.is_some()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_appended_one_per_line_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(&dir.path().join("sub/audit.jsonl"));
        let mut first = Record::new(Kind::Step, "deploy", "production");
        first.before_sha = Some("aaa1111".to_owned());
        log.append(&first).unwrap();
        let mut second = Record::new(Kind::Deploy, "deploy", "production");
        second.before_sha = Some("bbb2222".to_owned());
        log.append(&second).unwrap();
        log.append(&Record::new(Kind::Rollback, "rollback", "production"))
            .unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert_eq!(log.read().unwrap().len(), 3);
        let last = log.last_deploy_before("production").unwrap().unwrap();
        assert_eq!(last.before_sha.as_deref(), Some("bbb2222"));
        assert!(log.last_deploy_before("staging").unwrap().is_none());
    }

    #[test]
    fn empty_fields_are_left_out() {
        let line = serde_json::to_string(&Record::new(Kind::Check, "check", "p")).unwrap();
        assert!(
            !line.contains("before_sha") && !line.contains("null"),
            "{line}"
        );
    }

    #[test]
    fn sha256_is_hex_of_the_known_digest() {
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn policies_digest_changes_with_any_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.rego");
        std::fs::write(&a, "package x").unwrap();
        let before = policies_digest(std::slice::from_ref(&a)).unwrap();
        std::fs::write(&a, "package y").unwrap();
        assert_ne!(before, policies_digest(&[a]).unwrap());
    }
}
