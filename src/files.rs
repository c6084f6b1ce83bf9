//! The one way gatekeeper writes a file it is asked for (`--output`, `--report`,
//! an archive): never through a symbolic link at the path's last component, never
//! onto the audit log (by path or by the same file under another name), and all at
//! once: the text goes to a new temporary file beside it, then is renamed over the
//! path, so a reader never sees half a report and a planted link is never followed.
//! A device or pipe named on purpose (`/dev/full`, a FIFO) is written in place,
//! still without following a link. It never appends to the audit log: `audit` does.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(
        "{} is a symbolic link: gatekeeper never writes through one (it could point at the audit log or any file); remove the link or name another file",
        path.display()
    )]
    Link { path: PathBuf },
    #[error(
        "{} is the audit log {}: a report never replaces it; name another file",
        path.display(), audit.display()
    )]
    AuditLog { path: PathBuf, audit: PathBuf },
    #[error("{}", source)]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl FileError {
    /// The path that could not be written.
    pub fn path(&self) -> &Path {
        match self {
            Self::Link { path } | Self::AuditLog { path, .. } | Self::Io { path, .. } => path,
        }
    }
}

/// The absolute form of `path` with its directory resolved (links in directories
/// followed), its last component kept as written.
fn located(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.canonicalize().ok()?,
        None => std::env::current_dir().ok()?,
    };
    Some(dir.join(name))
}

/// Whether `path` names `audit`: the same place, or the same file.
pub fn is_audit_log(path: &Path, audit: &Path) -> bool {
    if let (Some(a), Some(b)) = (located(path), located(audit))
        && a == b
    {
        return true;
    }
    match (std::fs::metadata(path), std::fs::metadata(audit)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Writes `text` to `path` as described in the module header; `never` lists the
/// files it must not be (the audit log).
pub fn write_replacing(path: &Path, text: &str, never: &[&Path]) -> Result<(), FileError> {
    let io = |source: std::io::Error| FileError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let existing = std::fs::symlink_metadata(path).ok();
    if existing
        .as_ref()
        .is_some_and(|m| m.file_type().is_symlink())
    {
        return Err(FileError::Link {
            path: path.to_owned(),
        });
    }
    if let Some(audit) = never.iter().find(|audit| is_audit_log(path, audit)) {
        return Err(FileError::AuditLog {
            path: path.to_owned(),
            audit: audit.to_path_buf(),
        });
    }
    let nofollow = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
    if existing
        .as_ref()
        .is_some_and(|m| !m.file_type().is_file() && !m.is_dir())
    {
        // A device or a pipe: written in place.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(nofollow)
            .open(path)
            .map_err(io)?;
        return file
            .write_all(text.as_bytes())
            .and_then(|()| file.flush())
            .map_err(io);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".to_owned());
    // Created new (never an existing file or link), so a name taken is an error,
    // never a file overwritten.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temp = path.with_file_name(format!(".{name}.{}-{nanos}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(nofollow)
        .open(&temp)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_refused_and_its_target_kept() {
        let dir = tempfile::tempdir().unwrap();
        let precious = dir.path().join("precious");
        std::fs::write(&precious, "keep\n").unwrap();
        let link = dir.path().join("report.xml");
        std::os::unix::fs::symlink(&precious, &link).unwrap();
        let err = write_replacing(&link, "x", &[]).unwrap_err();
        assert!(matches!(err, FileError::Link { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep\n");
    }

    #[test]
    fn the_audit_log_is_never_written_by_any_name() {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit.jsonl");
        std::fs::write(&audit, "{}\n").unwrap();
        let hard = dir.path().join("hard.xml");
        std::fs::hard_link(&audit, &hard).unwrap();
        let dotted = dir.path().join(".").join("audit.jsonl");
        for path in [&audit, &hard, &dotted] {
            let err = write_replacing(path, "x", &[&audit]).unwrap_err();
            assert!(matches!(err, FileError::AuditLog { .. }), "{err}");
        }
        assert_eq!(std::fs::read_to_string(&audit).unwrap(), "{}\n");
    }

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/report.md");
        write_replacing(&path, "one\n", &[]).unwrap();
        write_replacing(&path, "two\n", &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
