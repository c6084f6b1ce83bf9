//! The audit log: JSON Lines, append-only, one record per check, deploy, step and
//! rollback, each a tagged [`Event`], flushed and fsynced before the next thing
//! happens. It is opened without following links and must be a regular file.
//! Records hold digests of the facts and policies, never the facts themselves,
//! never command output, never a secret. It is also where a rollback finds the SHA
//! to restore; records written by older versions still read.

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
    #[error(
        "the audit log {} is {what}: gatekeeper appends only to a regular file it does not follow a link to; remove it or point `audit_log` in config at a regular file",
        path.display()
    )]
    NotAFile { path: PathBuf, what: &'static str },
    #[error("cannot read the audit log {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The build of gatekeeper that writes a record: version, commit and build date.
pub const VERSION: &str = env!("GATEKEEPER_LONG_VERSION");

/// One line of the log: who, where, when, and what happened ([`Event`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub time: DateTime<Utc>,
    pub user: String,
    pub host: String,
    pub target: String,
    /// The gatekeeper that wrote it (empty in records written before it was kept).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gatekeeper: String,
    /// Ties a deploy's or rollback's records together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The command that wrote it: check, deploy, rollback.
    pub command: String,
    #[serde(flatten)]
    pub event: Event,
}

/// What a record is about, by its `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A decision.
    Check(Ruling),
    /// A deploy: refused, denied, started, or how it ended.
    Deploy(Run),
    /// A rollback: refused, started, or how it ended.
    Rollback(Run),
    /// A person removed a lock a dead run left behind.
    Unlock(Run),
    /// A step is about to start (written and fsynced before it does).
    StepStarted(StepStarted),
    /// How a step ended.
    Step(Step),
    /// The GitHub deployment of a run could not be written (the run went on).
    Deployment(DeploymentNote),
    /// The guard after a deploy: what it judged, and what followed.
    Guard(GuardNote),
}

/// The guard of a deploy (`crate::guard`): the baseline and each minute's figures
/// as JSON, how it ended (`passed`, `failed`, `aborted`, `skipped` with
/// `--no-guard`), why, and whether it rolled back on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardNote {
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<serde_json::Value>,
    /// The automatic rollback ran (once), restoring `rollback_to`.
    #[serde(default)]
    pub rolled_back_automatically: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_to: Option<String>,
    /// How the automatic rollback ended (its exit code), when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_exit: Option<i32>,
}

/// Who ran something: the GitHub login of the token and the person CI names
/// (`BUILD_USER_ID`, else `GITHUB_ACTOR`), each when known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<String>,
    /// How the run was asked for, when not at a terminal or by a CI job: `chatops`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The comment that asked for the run (`via: chatops`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_url: Option<String>,
}

impl Actor {
    /// The person CI names, from `BUILD_USER_ID` (Jenkins), else `GITHUB_ACTOR`.
    pub fn ci_from(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        ["BUILD_USER_ID", "GITHUB_ACTOR"].iter().find_map(|v| {
            env(v)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        })
    }

    /// The actor, when anything of it is known.
    pub fn known(self) -> Option<Self> {
        (self.github.is_some() || self.ci.is_some()).then_some(self)
    }

    /// How the actor is shown and what an override's `by` says: the person CI
    /// names, then the token's login, then `fallback`.
    pub fn name_or(&self, fallback: &str) -> String {
        match (&self.ci, &self.github) {
            (Some(ci), Some(gh)) if ci != gh => format!("{ci} (github: {gh})"),
            (Some(ci), _) => ci.clone(),
            (None, Some(gh)) => gh.clone(),
            (None, None) => fallback.to_owned(),
        }
    }
}

/// What went wrong writing a run's GitHub deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentNote {
    /// The deployment's id, when it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<u64>,
    pub error: String,
}

/// A decision and what it was made on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ruling {
    pub decision: Verdict,
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
    /// The release heads decided on, "owner/name@sha" (what `status` matches).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub release_heads: Vec<String>,
    /// The sha256 of the signed decision (`--attest-out`) a deploy wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_sha256: Option<String>,
    /// The policy directory's git tree id, when it is a clean git tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies_tree: Option<String>,
    /// What the shadow policies (config `shadow_policies`) decided on the same facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<ShadowVerdict>,
}

/// A shadow set's decision: recorded, never acted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowVerdict {
    pub allow: bool,
    #[serde(default)]
    pub failing: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies_sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Deny,
}

/// A deploy or rollback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub outcome: RunOutcome,
    /// The decision a deploy ran on.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<Ruling>,
    /// What production ran before (the SHA a rollback restores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_sha: Option<String>,
    /// What production runs after (read from the deploy remote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_sha: Option<String>,
    /// Release heads shipped, "owner/name@sha".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub release_shas: Vec<String>,
    /// The step it stopped at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The signal that interrupted it: SIGINT, SIGTERM, SIGHUP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// Pushes that went through, "owner/name: REFSPEC to REMOTE".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pushed: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Who ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
}

impl Run {
    /// The run moved production: it ended ok, or production's SHA after it differs
    /// from before it. When the after SHA could not be read, a push counts as a
    /// move (a rollback to `before_sha` then restores at worst what already runs).
    /// A run that failed after pushing only to origin moved nothing: undoing it
    /// would leave the deploy before it in place.
    pub fn moved_production(&self) -> bool {
        match (&self.after_sha, &self.before_sha) {
            _ if self.outcome == RunOutcome::Ok => true,
            (Some(after), Some(before)) => after != before,
            _ => !self.pushed.is_empty(),
        }
    }

    pub fn new(outcome: RunOutcome) -> Self {
        Self {
            outcome,
            gate: None,
            before_sha: None,
            after_sha: None,
            release_shas: Vec::new(),
            step: None,
            signal: None,
            pushed: Vec::new(),
            message: None,
            actor: None,
        }
    }
}

/// How a deploy or rollback ended (or that it started).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Written before the first step: what follows is the run.
    Started,
    Ok,
    /// A step failed, or a record could not be written.
    Failed,
    /// A step ran out of time.
    TimedOut,
    /// Stopped by a signal, a failed preflight or a person's no.
    Aborted,
    /// The gate said no: nothing was touched.
    Denied,
    /// Another run held the lock: nothing was touched.
    Refused,
    #[serde(rename = "dry-run")]
    DryRun,
    /// Written by a newer gatekeeper.
    #[serde(other)]
    Unknown,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::TimedOut => "timed out",
            Self::Aborted => "aborted",
            Self::Denied => "denied",
            Self::Refused => "refused",
            Self::DryRun => "dry-run",
            Self::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepStarted {
    pub step: String,
    /// The command lines it will run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_command: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub step: String,
    /// The command lines run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    pub outcome: StepOutcome,
    /// Why it failed (its first line: never the program's output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The production SHA, recorded by the record step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_sha: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Ok,
    Failed,
    Skipped,
    TimedOut,
    Interrupted,
    #[serde(other)]
    Unknown,
}

impl Record {
    /// A record of `event` stamped now with this user, host and gatekeeper.
    pub fn new(command: &str, target: &str, event: Event) -> Self {
        Self {
            time: Utc::now(),
            user: user(),
            host: host(),
            target: target.to_owned(),
            gatekeeper: VERSION.to_owned(),
            run: None,
            command: command.to_owned(),
            event,
        }
    }

    /// The record as its one line of JSON (without the newline).
    /// The record as one JSON line, without any secret of the loaded config: the
    /// log and the stderr copy of a record that could not be written both use it.
    pub fn line(&self) -> String {
        let line = serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialize the record: {e}\"}}"));
        crate::secrets::scrub(&line)
    }

    /// The run of a deploy, rollback or unlock record.
    pub fn run_event(&self) -> Option<&Run> {
        match &self.event {
            Event::Deploy(run) | Event::Rollback(run) | Event::Unlock(run) => Some(run),
            _ => None,
        }
    }
}

/// The login of whoever runs gatekeeper.
pub fn user() -> String {
    login().unwrap_or_else(|| "unknown".to_owned())
}

/// The login the environment names (`USER`, `USERNAME`, `LOGNAME`), if any.
pub fn login() -> Option<String> {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
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

/// Appends `bytes`, or none of them: when a write fails part-way (a full disk), the
/// part written is cut off again, unless another writer appended after it.
fn write_whole(file: &mut std::fs::File, bytes: &[u8]) -> std::io::Result<()> {
    let mut written = 0usize;
    while let Some(rest) = bytes.get(written..).filter(|r| !r.is_empty()) {
        match file.write(rest) {
            Ok(0) => {
                take_back(file, written);
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                take_back(file, written);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Cuts the last `written` bytes of `file` off when they still end it.
fn take_back(file: &mut std::fs::File, written: usize) {
    use std::io::Seek;
    let end = file.stream_position();
    let len = file.metadata().map(|m| m.len());
    if let (Ok(end), Ok(len)) = (end, len)
        && written > 0
        && end == len
        && let Some(start) = end.checked_sub(written as u64)
    {
        let _ = file.set_len(start);
    }
}

/// Whether `file` is empty or its last byte is a newline.
fn ends_with_newline(file: &std::fs::File) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata()?.len();
    let Some(last) = len.checked_sub(1) else {
        return Ok(true);
    };
    let mut byte = [0u8; 1];
    file.read_exact_at(&mut byte, last)?;
    Ok(byte == [b'\n'])
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

    /// The audit log `config` names, resolved against the config's directory.
    pub fn of(config: &crate::config::Config) -> Self {
        Self::new(&config.resolve(&config.audit_log))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the log for appending (creating it), refusing a symbolic link or
    /// anything but a regular file: a planted link never redirects the records.
    fn open(&self) -> Result<std::fs::File, AuditError> {
        let err = |source| AuditError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        use rustix::fs::{Mode, OFlags};
        let flags =
            OFlags::RDWR | OFlags::APPEND | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::open(&self.path, flags, Mode::from_raw_mode(0o644)).map_err(|e| {
            if e == rustix::io::Errno::LOOP {
                AuditError::NotAFile {
                    path: self.path.clone(),
                    what: "a symbolic link",
                }
            } else {
                err(e.into())
            }
        })?;
        let file = std::fs::File::from(fd);
        let meta = file.metadata().map_err(err)?;
        if !meta.is_file() {
            return Err(AuditError::NotAFile {
                path: self.path.clone(),
                what: "not a regular file",
            });
        }
        Ok(file)
    }

    /// Checks that the log can be appended to, before anything changes.
    pub fn ensure(&self) -> Result<(), AuditError> {
        self.open().map(drop)
    }

    /// Appends one record as one line, then flushes and fsyncs it: when this
    /// returns, the record is on disk.
    pub fn append(&self, record: &Record) -> Result<(), AuditError> {
        let err = |source| AuditError::Write {
            path: self.path.clone(),
            source,
        };
        let mut line = record.line();
        line.push('\n');
        let mut file = self.open()?;
        // A line torn earlier (a crash, another writer's full disk) is closed first,
        // so this record starts a line of its own.
        if !ends_with_newline(&file).map_err(err)? {
            line.insert(0, '\n');
        }
        // One write per record so that concurrent writers never interleave a line.
        write_whole(&mut file, line.as_bytes()).map_err(err)?;
        file.flush().map_err(err)?;
        file.sync_all().map_err(err)
    }

    /// Every record, oldest first; a missing log is empty, a line that does not
    /// parse (torn, written by hand) is skipped, with one warning on stderr.
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
        let mut records = Vec::new();
        let mut skipped = 0usize;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str(line) {
                Ok(record) => records.push(record),
                Err(_) => skipped += 1,
            }
        }
        // Once per process: a command may read the log more than once.
        static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if skipped > 0 && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!(
                "gatekeeper: warning: {} skips {skipped} line(s) that are not records \
                 (torn by a crash or a full disk, or edited by hand): what they held is \
                 not in this history",
                self.path.display()
            );
        }
        Ok(records)
    }

    /// The production SHA recorded by the last deploy of `target`: what a rollback
    /// restores.
    pub fn last_deploy_before(&self, target: &str) -> Result<Option<String>, AuditError> {
        Ok(self.read()?.into_iter().rev().find_map(|r| {
            if r.target != target || r.command != "deploy" {
                return None;
            }
            match r.event {
                Event::Deploy(run) => run.before_sha,
                Event::Step(step) => step.before_sha,
                _ => None,
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step_with(sha: &str) -> Event {
        Event::Step(Step {
            step: "record the production SHA".to_owned(),
            step_command: None,
            duration_ms: Some(3),
            outcome: StepOutcome::Ok,
            message: None,
            before_sha: Some(sha.to_owned()),
        })
    }

    #[test]
    fn records_are_appended_one_per_line_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(&dir.path().join("sub/audit.jsonl"));
        log.append(&Record::new("deploy", "production", step_with("aaa1111")))
            .unwrap();
        let mut run = Run::new(RunOutcome::Failed);
        run.before_sha = Some("bbb2222".to_owned());
        log.append(&Record::new("deploy", "production", Event::Deploy(run)))
            .unwrap();
        log.append(&Record::new(
            "rollback",
            "production",
            Event::Rollback(Run::new(RunOutcome::Ok)),
        ))
        .unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert_eq!(log.read().unwrap().len(), 3);
        assert_eq!(
            log.last_deploy_before("production").unwrap().as_deref(),
            Some("bbb2222")
        );
        assert!(log.last_deploy_before("staging").unwrap().is_none());
    }

    /// Every record loses the loaded config's secrets, whatever field holds them
    /// (here a step's message echoing a service's error).
    #[test]
    fn a_record_never_holds_a_secret_of_the_loaded_config() {
        let token = "ghp_auditTestSecretValue0987654321zyxw";
        crate::secrets::install_scrubber(crate::secrets::Redactor::new([token.to_owned()]));
        let Event::Step(mut step) = step_with("aaa1111") else {
            unreachable!()
        };
        step.message = Some(format!(
            "GitHub answered HTTP 422 (Validation Failed for {token})"
        ));
        let line = Record::new("deploy", "production", Event::Step(step)).line();
        assert!(!line.contains(token), "{line}");
        assert!(line.contains("[REDACTED]"), "{line}");
    }

    #[test]
    fn records_carry_their_kind_and_version_and_leave_out_empty_fields() {
        let mut run = Run::new(RunOutcome::Aborted);
        run.signal = Some("SIGTERM".to_owned());
        run.gate = Some(Ruling {
            decision: Verdict::Allow,
            failing_checks: Vec::new(),
            overrides: Vec::new(),
            facts_sha256: Some("f".repeat(64)),
            policies_sha256: None,
            facts_source: Some("live".to_owned()),
            release_heads: Vec::new(),
            attestation_sha256: None,
            policies_tree: None,
            shadow: None,
        });
        let record = Record::new("deploy", "p", Event::Deploy(run));
        let line = record.line();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["kind"], "deploy");
        assert_eq!(value["outcome"], "aborted");
        assert_eq!(value["decision"], "allow");
        assert_eq!(value["signal"], "SIGTERM");
        assert_eq!(value["gatekeeper"], VERSION);
        assert!(
            !line.contains("before_sha") && !line.contains("null"),
            "{line}"
        );
        let back: Record = serde_json::from_str(&line).unwrap();
        assert_eq!(back, record);
        let started = Record::new(
            "deploy",
            "p",
            Event::StepStarted(StepStarted {
                step: "deploy".to_owned(),
                step_command: None,
            }),
        );
        assert!(started.line().contains(r#""kind":"step_started""#));
    }

    #[test]
    fn records_of_older_versions_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(&dir.path().join("audit.jsonl"));
        std::fs::write(
            log.path(),
            concat!(
                r#"{"kind":"check","time":"2026-11-25T11:40:00Z","user":"tim","host":"ops1","target":"production","command":"check","decision":"deny","failing_checks":["tests"],"facts_source":"file"}"#,
                "\n",
                r#"{"kind":"step","time":"2026-11-25T11:40:01Z","user":"tim","host":"ops1","target":"production","run":"r1","command":"deploy","step":"record the production SHA","outcome":"ok","before_sha":"ad8e514101"}"#,
                "\n",
                r#"{"kind":"deploy","time":"2026-11-25T11:40:02Z","user":"tim","host":"ops1","target":"production","run":"r1","command":"deploy","decision":"allow","outcome":"ok","before_sha":"ad8e514101","after_sha":"eafb32ef7a"}"#,
                "\n",
                r#"{"kind":"rollback","time":"2026-11-25T11:40:03Z","user":"tim","host":"ops1","target":"production","command":"rollback","outcome":"started"}"#,
                "\n",
            ),
        )
        .unwrap();
        let records = log.read().unwrap();
        assert_eq!(records.len(), 4);
        let Event::Deploy(run) = &records[2].event else {
            panic!("{:?}", records[2])
        };
        assert_eq!(run.outcome, RunOutcome::Ok);
        assert_eq!(run.gate.as_ref().unwrap().decision, Verdict::Allow);
        assert_eq!(records[3].run_event().unwrap().outcome, RunOutcome::Started);
        assert!(records[3].run_event().unwrap().gate.is_none());
        assert_eq!(
            log.last_deploy_before("production").unwrap().as_deref(),
            Some("ad8e514101")
        );
    }

    #[test]
    fn a_symlinked_or_odd_log_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "precious\n").unwrap();
        let link = dir.path().join("audit.jsonl");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        let log = AuditLog::new(&link);
        let err = log.ensure().unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        let record = Record::new("check", "p", Event::Deploy(Run::new(RunOutcome::Ok)));
        assert!(log.append(&record).is_err());
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "precious\n");

        let as_dir = AuditLog::new(dir.path());
        assert!(as_dir.ensure().is_err());
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
