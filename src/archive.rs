//! The facts archive: the exact bytes of every facts document a command judged
//! (already scrubbed, as the audit record digests them), one file per document,
//! `sha256-<digest>.json`, so that `sha256sum` of the file equals the audit record's
//! `facts_sha256` and identical facts are stored once. Files older than the
//! retention are pruned on write. It never judges, never prints, and never holds
//! anything a facts document does not (so never a secret).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::audit::sha256;
use crate::config::Config;
use crate::facts::Facts;

/// Days an archived document is kept when the config does not say (`archive_days`).
pub fn default_days() -> u32 {
    90
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(
        "cannot write the facts archive {}: {source}; fix the path or permissions (`archive` in config)",
        path.display()
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the facts archive {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot encode the facts document for the archive: {0}")]
    Encode(String),
}

/// Where the judged facts documents are kept, and for how long.
#[derive(Debug, Clone)]
pub struct Archive {
    dir: PathBuf,
    days: u32,
}

/// What [`Archive::store`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub path: PathBuf,
    pub facts_sha256: String,
    /// False when the same document was already archived.
    pub written: bool,
    /// How many expired documents were removed.
    pub pruned: usize,
}

/// The bytes of a facts document as judged, archived and digested (the audit
/// record's `facts_sha256` is their SHA-256).
pub fn facts_bytes(facts: &Facts) -> Result<Vec<u8>, ArchiveError> {
    serde_json::to_vec(facts).map_err(|e| ArchiveError::Encode(e.to_string()))
}

/// The file name of the document with this digest.
pub fn file_name(facts_sha256: &str) -> String {
    format!("sha256-{facts_sha256}.json")
}

/// The digest a file name stands for, when it is an archive file's name.
pub fn digest_of_name(name: &str) -> Option<&str> {
    let digest = name.strip_prefix("sha256-")?.strip_suffix(".json")?;
    (digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit())).then_some(digest)
}

impl Archive {
    pub fn new(dir: PathBuf, days: u32) -> Self {
        Self { dir, days }
    }

    /// The config's archive: `archive` (relative to the config file), else `facts`
    /// beside the audit log; kept `archive_days`.
    pub fn of_config(config: &Config) -> Self {
        let dir = match &config.archive {
            Some(dir) => config.resolve(dir),
            None => config
                .resolve(&config.audit_log)
                .parent()
                .map(|p| p.join("facts"))
                .unwrap_or_else(|| PathBuf::from("facts")),
        };
        Self::new(dir, config.archive_days)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Archives the document judged (once per digest), then prunes expired ones.
    pub fn store(&self, facts: &Facts, now: SystemTime) -> Result<Stored, ArchiveError> {
        let bytes = facts_bytes(facts)?;
        self.store_bytes(&bytes, now)
    }

    /// Archives these exact bytes under their digest.
    pub fn store_bytes(&self, bytes: &[u8], now: SystemTime) -> Result<Stored, ArchiveError> {
        let digest = sha256(bytes);
        let path = self.dir.join(file_name(&digest));
        let write_err = |source| ArchiveError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(|source| ArchiveError::Write {
            path: self.dir.clone(),
            source,
        })?;
        let written = if path.is_file() {
            // Kept: used again now, so its retention starts again.
            let file = std::fs::File::options()
                .append(true)
                .open(&path)
                .map_err(write_err)?;
            file.set_modified(now).map_err(write_err)?;
            false
        } else {
            // Written aside and renamed, so a reader never sees half a document.
            let tmp = self.dir.join(format!(
                ".{}.tmp-{}",
                file_name(&digest),
                std::process::id()
            ));
            let tmp_err = |source| ArchiveError::Write {
                path: tmp.clone(),
                source,
            };
            let mut file = std::fs::File::create(&tmp).map_err(tmp_err)?;
            std::io::Write::write_all(&mut file, bytes).map_err(tmp_err)?;
            file.set_modified(now).map_err(tmp_err)?;
            drop(file);
            std::fs::rename(&tmp, &path).map_err(write_err)?;
            true
        };
        let pruned = self.prune(now)?;
        Ok(Stored {
            path,
            facts_sha256: digest,
            written,
            pruned,
        })
    }

    /// Removes the documents not used for `days`.
    pub fn prune(&self, now: SystemTime) -> Result<usize, ArchiveError> {
        let keep = Duration::from_secs(u64::from(self.days) * 86_400);
        let mut removed = 0;
        for path in self.documents()? {
            let modified = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .map_err(|source| ArchiveError::Read {
                    path: path.clone(),
                    source,
                })?;
            let age = now.duration_since(modified).unwrap_or_default();
            if age > keep {
                std::fs::remove_file(&path).map_err(|source| ArchiveError::Write {
                    path: path.clone(),
                    source,
                })?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Every archived document, sorted by name; none when the archive does not exist.
    pub fn documents(&self) -> Result<Vec<PathBuf>, ArchiveError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(ArchiveError::Read {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .and_then(digest_of_name)
                        .is_some()
            })
            .collect();
        files.sort();
        Ok(files)
    }
}

/// The git tree id of the policy directory, when it is in a git work tree with
/// nothing changed or untracked under it (so the id names exactly what was judged).
/// Asked with `git` (the config's program), which sees none of `secret_vars`.
pub fn policies_tree(dir: &Path, git: &str, secret_vars: &[String]) -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out =
            crate::secrets::without_secrets(&mut std::process::Command::new(git), secret_vars)
                .arg("-C")
                .arg(dir)
                .args(args)
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .output()
                .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let status = git(&["status", "--porcelain", "--untracked-files=all", "--", "."])?;
    if !status.trim().is_empty() {
        return None;
    }
    let tree = git(&["rev-parse", "--verify", "--quiet", "HEAD:./"])?;
    let tree = tree.trim();
    (tree.len() >= 40 && tree.bytes().all(|b| b.is_ascii_hexdigit())).then(|| tree.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_stored_once_under_its_digest_and_pruned_when_expired() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::new(dir.path().join("facts"), 90);
        let now = SystemTime::now();
        let first = archive.store_bytes(b"{\"a\":1}", now).unwrap();
        assert!(first.written);
        assert_eq!(first.facts_sha256, sha256(b"{\"a\":1}"));
        assert_eq!(std::fs::read(&first.path).unwrap(), b"{\"a\":1}");
        let again = archive.store_bytes(b"{\"a\":1}", now).unwrap();
        assert!(!again.written);
        assert_eq!(archive.documents().unwrap().len(), 1);
        // 91 days later, the old one goes when another is written.
        let later = now + Duration::from_secs(91 * 86_400);
        let other = archive.store_bytes(b"{\"b\":2}", later).unwrap();
        assert_eq!(other.pruned, 1);
        assert_eq!(archive.documents().unwrap(), vec![other.path]);
    }

    #[test]
    fn the_policies_tree_is_named_only_when_clean() {
        let repo = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .arg("-C")
                .arg(repo.path())
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}: {out:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        git(&["init", "-q"]);
        let policies = repo.path().join("policies");
        std::fs::create_dir(&policies).unwrap();
        std::fs::write(policies.join("a.rego"), "package a\n").unwrap();
        git(&["add", "."]);
        git(&["commit", "-qm", "policies"]);
        let tree = git(&["rev-parse", "HEAD:policies"]);
        assert_eq!(
            policies_tree(&policies, "git", &[]).as_deref(),
            Some(tree.trim())
        );
        std::fs::write(policies.join("b.rego"), "package b\n").unwrap();
        assert_eq!(
            policies_tree(&policies, "git", &[]),
            None,
            "an untracked file"
        );
        let plain = tempfile::tempdir().unwrap();
        assert_eq!(policies_tree(plain.path(), "git", &[]), None, "no git tree");
    }

    #[test]
    fn only_digest_names_are_archive_files() {
        assert!(digest_of_name(&file_name(&"a".repeat(64))).is_some());
        assert!(digest_of_name("sha256-abc.json").is_none());
        assert!(digest_of_name("notes.json").is_none());
    }
}
