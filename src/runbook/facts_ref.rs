//! Shares the facts archive through a ref on the deploy remote, as the lock does:
//! `refs/gatekeeper/facts/<target>` points at a commit whose tree holds the archive's
//! `sha256-<digest>.json` files, flat. `push` adds the local files to what the remote
//! has (a union: nothing is removed), with a lease on the commit it read, so that two
//! pushes at once never lose each other's files; `pull` copies the files the archive
//! lacks, each only when its bytes hash to its name. Reached through the app's clone,
//! which knows the deploy remote.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::git::{Git, GitError};
use super::process::Children;
use crate::archive::{Archive, digest_of_name};
use crate::audit::sha256;

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error(
        "cannot {action} the facts archive ref {refname} on {remote}: {source}; check that the clone can reach {remote} (and push to it, for push), then run again"
    )]
    Git {
        action: &'static str,
        refname: String,
        remote: String,
        source: Box<GitError>,
    },
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
}

/// The ref that holds `target`'s shared archive.
pub fn refname(target: &str) -> String {
    format!("refs/gatekeeper/facts/{target}")
}

/// Where the archive is shared: the app's clone, its git and the deploy remote.
#[derive(Debug, Clone)]
pub struct Share {
    pub git: String,
    pub dir: PathBuf,
    pub remote: String,
    pub target: String,
    pub children: Children,
}

/// What a push or pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synced {
    /// Files the other side did not have.
    pub copied: usize,
    /// Files both sides had.
    pub already: usize,
    /// Remote files whose bytes do not hash to their name (pull skips them).
    pub refused: Vec<String>,
}

/// The remote's commit, when the ref exists, and its files as `(name, blob)`.
type RemoteFiles = (Option<String>, Vec<(String, String)>);

impl Share {
    fn error(&self, action: &'static str, source: GitError) -> ShareError {
        ShareError::Git {
            action,
            refname: refname(&self.target),
            remote: self.remote.clone(),
            source: Box::new(source),
        }
    }

    fn git(&self) -> Git {
        Git::new(&self.git, &self.dir, &self.children)
    }

    /// A git exchange with the remote (no stdin), through the runbook's children.
    fn remote_git(&self, action: &'static str, args: &[&str]) -> Result<String, ShareError> {
        self.git().run(args).map_err(|e| self.error(action, e))
    }

    /// Local plumbing (objects of the clone), with `input` on stdin.
    fn local_git(
        &self,
        action: &'static str,
        args: &[&str],
        input: &[u8],
    ) -> Result<Vec<u8>, ShareError> {
        self.git()
            .with_input(args, input)
            .map_err(|e| self.error(action, e))
    }

    /// The remote's commit and its files (`name → blob`), fetched into a private ref.
    fn remote_files(&self, action: &'static str) -> Result<RemoteFiles, ShareError> {
        let name = refname(&self.target);
        let listed = self.remote_git(action, &["ls-remote", &self.remote, &name])?;
        let Some(commit) = listed
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .find(|(_, r)| *r == name)
            .map(|(sha, _)| sha.trim().to_owned())
        else {
            return Ok((None, Vec::new()));
        };
        let seen = format!("refs/gatekeeper/seen/facts/{}", self.target);
        self.remote_git(
            action,
            &[
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                &self.remote,
                &format!("+{name}:{seen}"),
            ],
        )?;
        let tree = self.local_git(action, &["ls-tree", &commit], b"")?;
        let files = String::from_utf8_lossy(&tree)
            .lines()
            .filter_map(|line| {
                let (meta, file) = line.split_once('\t')?;
                let blob = meta.split_whitespace().nth(2)?;
                digest_of_name(file).map(|_| (file.to_owned(), blob.to_owned()))
            })
            .collect();
        Ok((Some(commit), files))
    }

    /// Adds the archive's files to the remote's.
    pub fn push(&self, archive: &Archive) -> Result<Synced, ShareError> {
        let (parent, remote) = self.remote_files("push")?;
        let mut entries: Vec<(String, String)> = remote.clone();
        let mut shared = Synced::default();
        for path in archive.documents()? {
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            if remote.iter().any(|(n, _)| *n == name) {
                shared.already += 1;
                continue;
            }
            let path_text = path.display().to_string();
            let blob = self.local_git("push", &["hash-object", "-w", "--", &path_text], b"")?;
            entries.push((name, String::from_utf8_lossy(&blob).trim().to_owned()));
            shared.copied += 1;
        }
        if shared.copied == 0 {
            return Ok(shared);
        }
        entries.sort();
        let listing: String = entries
            .iter()
            .map(|(name, blob)| format!("100644 blob {blob}\t{name}\n"))
            .collect();
        let tree = self.local_git("push", &["mktree"], listing.as_bytes())?;
        let tree = String::from_utf8_lossy(&tree).trim().to_owned();
        let message = format!(
            "gatekeeper facts archive of {}: {} documents",
            self.target,
            entries.len()
        );
        let mut args = vec![
            "-c",
            "user.name=gatekeeper",
            "-c",
            "user.email=gatekeeper@localhost",
            "commit-tree",
            &tree,
            "-m",
            &message,
        ];
        if let Some(parent) = &parent {
            args.push("-p");
            args.push(parent);
        }
        let commit = self.local_git("push", &args, b"")?;
        let commit = String::from_utf8_lossy(&commit).trim().to_owned();
        let name = refname(&self.target);
        let lease = format!(
            "--force-with-lease={name}:{}",
            parent.as_deref().unwrap_or("")
        );
        self.remote_git(
            "push",
            &[
                "push",
                "--quiet",
                &lease,
                &self.remote,
                &format!("{commit}:{name}"),
            ],
        )?;
        Ok(shared)
    }

    /// Copies into the archive the remote's files it lacks.
    pub fn pull(&self, archive: &Archive) -> Result<Synced, ShareError> {
        let (_, remote) = self.remote_files("pull")?;
        let mut shared = Synced::default();
        for (name, blob) in remote {
            if archive.dir().join(&name).is_file() {
                shared.already += 1;
                continue;
            }
            let bytes = self.local_git("pull", &["cat-file", "blob", &blob], b"")?;
            if digest_of_name(&name) != Some(sha256(&bytes).as_str()) {
                shared.refused.push(name);
                continue;
            }
            archive.store_bytes(&bytes, SystemTime::now())?;
            shared.copied += 1;
        }
        Ok(shared)
    }
}

/// The share of `target` through the app's clone.
pub fn share(git: &str, app_dir: &Path, remote: &str, target: &str, children: &Children) -> Share {
    Share {
        git: git.to_owned(),
        dir: app_dir.to_owned(),
        remote: remote.to_owned(),
        target: target.to_owned(),
        children: children.clone(),
    }
}
