//! One deploy or rollback per target at a time on a machine: a lock file created
//! exclusively next to the audit log, holding the holder's pid, user, host and start
//! time. Dropping the [`Lock`] removes it. A lock whose pid is dead is stale: it is
//! reported with how to clear it, never removed behind the person's back.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{target} is locked by {} (pid {}, user {}, host {}) since {}: wait for it to finish; lock file {}",
        holder.command, holder.pid, holder.user, holder.host, holder.started_at, path.display()
    )]
    Held {
        target: String,
        path: PathBuf,
        holder: Box<Holder>,
    },
    #[error(
        "{target} has a stale lock from {} (pid {} is not running, user {}, since {}): make sure no deploy is running, then remove {}",
        holder.command, holder.pid, holder.user, holder.started_at, path.display()
    )]
    Stale {
        target: String,
        path: PathBuf,
        holder: Box<Holder>,
    },
    #[error(
        "{target} is locked by {} but it cannot be read ({message}): make sure no deploy is running, then remove it",
        path.display()
    )]
    Unreadable {
        target: String,
        path: PathBuf,
        message: String,
    },
    #[error("cannot create lock file {}: {source}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub user: String,
    pub host: String,
    pub command: String,
    pub started_at: DateTime<Utc>,
}

/// A held lock; removed when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

/// The lock file of `target`, in the audit log's directory.
pub fn lock_path(audit_log: &Path, target: &str) -> PathBuf {
    let dir = audit_log.parent().unwrap_or_else(|| Path::new(""));
    dir.join(format!("{target}.lock"))
}

impl Lock {
    /// Takes the lock of `target` or says who holds it.
    pub fn acquire(audit_log: &Path, target: &str, holder: &Holder) -> Result<Self, LockError> {
        let path = lock_path(audit_log, target);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| LockError::Create {
                path: path.clone(),
                source,
            })?;
        }
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path);
        match created {
            Ok(mut file) => {
                let text = serde_json::to_string(holder).unwrap_or_default();
                // Constructed first, so that a failed write drops (removes) the file
                // rather than leave an unreadable lock behind.
                let lock = Self { path };
                file.write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|source| LockError::Create {
                        path: lock.path.clone(),
                        source,
                    })?;
                Ok(lock)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(Self::explain(&path, target))
            }
            Err(source) => Err(LockError::Create { path, source }),
        }
    }

    fn explain(path: &Path, target: &str) -> LockError {
        let read = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Holder>(&t).map_err(|e| e.to_string()));
        match read {
            Ok(holder) if pid_alive(holder.pid) => LockError::Held {
                target: target.to_owned(),
                path: path.to_owned(),
                holder: Box::new(holder),
            },
            Ok(holder) => LockError::Stale {
                target: target.to_owned(),
                path: path.to_owned(),
                holder: Box::new(holder),
            },
            Err(message) => LockError::Unreadable {
                target: target.to_owned(),
                path: path.to_owned(),
                message,
            },
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether a process with this pid runs on this machine. Uses /proc where it
/// exists, else `kill -0`; when neither can tell, the holder is assumed alive
/// (a lock is never called stale on a guess).
pub fn pid_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(pid: u32) -> Holder {
        Holder {
            pid,
            user: "tim".to_owned(),
            host: "laptop".to_owned(),
            command: "deploy".to_owned(),
            started_at: Utc::now(),
        }
    }

    #[test]
    fn second_acquire_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("audit.jsonl");
        let first = Lock::acquire(&log, "production", &holder(std::process::id())).unwrap();
        let err = Lock::acquire(&log, "production", &holder(1)).unwrap_err();
        assert!(matches!(err, LockError::Held { .. }), "{err}");
        // Another target is independent.
        Lock::acquire(&log, "staging", &holder(std::process::id())).unwrap();
        drop(first);
        Lock::acquire(&log, "production", &holder(std::process::id())).unwrap();
    }

    #[test]
    fn dead_pid_is_reported_stale_with_the_file_to_remove() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("audit.jsonl");
        let path = lock_path(&log, "production");
        std::fs::write(&path, serde_json::to_string(&holder(u32::MAX - 1)).unwrap()).unwrap();
        let err = Lock::acquire(&log, "production", &holder(std::process::id())).unwrap_err();
        assert!(matches!(err, LockError::Stale { .. }), "{err}");
        assert!(err.to_string().contains(&path.display().to_string()));
        assert!(path.exists(), "a stale lock is never removed silently");
    }
}
