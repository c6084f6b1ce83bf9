//! The one way gatekeeper runs git outside a step: [`Git`], a git program and the
//! clone it works in, run through [`super::process`] like any step (no secret in
//! its environment, no prompt, a deadline, scrubbed output), with one error type,
//! [`GitError`]: which git command failed, in which directory, what git said and
//! what to do. The lock, the facts archive ref, the clones, the integrity checks
//! and the preflight's questions all run git through it, and its few read-only
//! questions (a remote branch's head, what a pull merged, whether a clone is clean)
//! live here with the parsing of their answers. It never prints.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::RunbookError;
use super::process::{Children, Ended, NO_CREDENTIAL};

/// How long a git command may take before it is given up (unless told otherwise).
pub const TIMEOUT: Duration = Duration::from_secs(120);

pub use super::process::Output;

/// A git command that failed: which one (secrets and URL credentials hidden), in
/// which directory, what git said (scrubbed) and what to do.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(
        "cannot run `{command}` in {}: {source}; install git, or set `git = \"/full/path/to/git\"` under [programs] in the config",
        dir.display()
    )]
    Spawn {
        command: String,
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("`{command}` failed in {}: {said}{}", dir.display(), what_to_do(.said))]
    Failed {
        command: String,
        dir: PathBuf,
        /// The last lines git wrote (stdout, then stderr), scrubbed of secrets.
        said: String,
    },
    #[error(
        "`{command}` gave no answer within {seconds} s in {}: check the network and that the remote answers, then run again",
        dir.display()
    )]
    TimedOut {
        command: String,
        dir: PathBuf,
        seconds: u64,
    },
    #[error("`{command}` in {} was interrupted by {signal}", dir.display())]
    Interrupted {
        command: String,
        dir: PathBuf,
        signal: &'static str,
    },
}

/// What to do after git's own words: set up a credential when git wanted one.
fn what_to_do(said: &str) -> String {
    if super::process::needs_credentials(said) {
        format!("\n{NO_CREDENTIAL}")
    } else {
        String::new()
    }
}

impl GitError {
    /// What git said (a failure), or why it said nothing.
    pub fn said(&self) -> String {
        match self {
            Self::Failed { said, .. } => said.clone(),
            Self::Spawn { source, .. } => format!("cannot run git: {source}"),
            Self::TimedOut { seconds, .. } => format!("no answer within {seconds} s"),
            Self::Interrupted { signal, .. } => format!("interrupted by {signal}"),
        }
    }

    /// Whether git said it would have had to ask for a credential.
    pub fn needs_credentials(&self) -> bool {
        matches!(self, Self::Failed { said, .. } if super::process::needs_credentials(said))
    }

    /// The directory git ran in.
    pub fn dir(&self) -> &Path {
        match self {
            Self::Spawn { dir, .. }
            | Self::Failed { dir, .. }
            | Self::TimedOut { dir, .. }
            | Self::Interrupted { dir, .. } => dir,
        }
    }
}

impl From<GitError> for RunbookError {
    fn from(e: GitError) -> Self {
        Self::Git(Box::new(e))
    }
}

/// A git program and the clone it works in.
#[derive(Debug, Clone)]
pub struct Git {
    pub program: String,
    pub dir: PathBuf,
    children: Children,
    timeout: Duration,
}

impl Git {
    pub fn new(program: &str, dir: &Path, children: &Children) -> Self {
        Self {
            program: program.to_owned(),
            dir: dir.to_owned(),
            children: children.clone(),
            timeout: TIMEOUT,
        }
    }

    /// The same git with another time limit per command.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The command line as it may be shown: quoted, without credentials in URLs
    /// and without any secret's value.
    pub fn shown(&self, args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|a| without_userinfo(a)).collect();
        self.children
            .redactor
            .scrub(&super::plan::show(&self.program, &args))
    }

    /// The error for `args`, which exited with `out` unsuccessfully.
    pub fn failure(&self, args: &[&str], out: &Output) -> GitError {
        GitError::Failed {
            command: self.shown(args),
            dir: self.dir.clone(),
            said: out.tail(5),
        }
    }

    /// Runs `git args…` in the clone and returns what it did, whatever its exit
    /// status; an error when it could not start, ran out of time or was interrupted.
    pub fn output(&self, args: &[&str]) -> Result<Output, GitError> {
        let owned: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let deadline = Instant::now() + self.timeout;
        let ended = self
            .children
            .run(&self.program, &owned, &self.dir, Some(deadline))
            .map_err(|e| GitError::Spawn {
                command: self.shown(args),
                dir: self.dir.clone(),
                source: match e {
                    RunbookError::Spawn { source, .. } => source,
                    other => std::io::Error::other(other.to_string()),
                },
            })?;
        match ended {
            Ended::Exited(out) => Ok(out),
            Ended::TimedOut(_) => Err(GitError::TimedOut {
                command: self.shown(args),
                dir: self.dir.clone(),
                seconds: self.timeout.as_secs(),
            }),
            Ended::Interrupted(signal, _) => Err(GitError::Interrupted {
                command: self.shown(args),
                dir: self.dir.clone(),
                signal: signal.name(),
            }),
        }
    }

    /// Runs `git args…` in the clone; its stdout when it succeeded.
    pub fn run(&self, args: &[&str]) -> Result<String, GitError> {
        let out = self.output(args)?;
        if out.success {
            Ok(out.stdout)
        } else {
            Err(self.failure(args, &out))
        }
    }

    /// Local plumbing that reads `input` on stdin (`mktree`, `hash-object`): it
    /// never reaches a remote, so it runs directly, without the secrets, and waits.
    pub fn with_input(&self, args: &[&str], input: &[u8]) -> Result<Vec<u8>, GitError> {
        let spawn = |source: std::io::Error| GitError::Spawn {
            command: self.shown(args),
            dir: self.dir.clone(),
            source,
        };
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in &self.children.remove {
            command.env_remove(var);
        }
        let mut child = command.spawn().map_err(spawn)?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input).map_err(spawn)?;
        }
        let out = child.wait_with_output().map_err(spawn)?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            let said = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            Err(GitError::Failed {
                command: self.shown(args),
                dir: self.dir.clone(),
                said: self.children.redactor.scrub(&said),
            })
        }
    }

    /// The SHA `remote`'s `branch` points at (`git ls-remote REMOTE refs/heads/BRANCH`);
    /// `None` when the branch does not exist there.
    pub fn remote_head(&self, remote: &str, branch: &str) -> Result<Option<String>, GitError> {
        let refname = format!("refs/heads/{branch}");
        let out = self.run(&["ls-remote", remote, &refname])?;
        Ok(branch_head(&out, branch))
    }

    /// The commit the last fetch or pull brought in (`FETCH_HEAD`).
    pub fn fetch_head(&self) -> Result<String, GitError> {
        Ok(self.run(&["rev-parse", "FETCH_HEAD"])?.trim().to_owned())
    }

    /// Whether git has a committer identity here (user.name and user.email, from the
    /// config or the environment), as the merge commit needs: `git var
    /// GIT_COMMITTER_IDENT` fails exactly when the merge would.
    pub fn identity(&self) -> Result<(), GitError> {
        self.run(&["var", "GIT_COMMITTER_IDENT"]).map(|_| ())
    }

    /// Uncommitted changes, as `git status --porcelain` lists them (empty when clean).
    pub fn dirty(&self) -> Result<String, GitError> {
        Ok(self
            .run(&["status", "--porcelain", "--untracked-files=no"])?
            .trim()
            .to_owned())
    }
}

/// The SHA of `branch` in `git ls-remote` output (`SHA<TAB>refs/heads/BRANCH` lines).
pub fn branch_head(ls_remote: &str, branch: &str) -> Option<String> {
    let refname = format!("refs/heads/{branch}");
    ls_remote
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .find(|(_, r)| *r == refname)
        .map(|(sha, _)| sha.trim().to_owned())
}

/// True for a SHA as git prints it or a person abbreviates it (7 to 40 hex digits):
/// anything else (an option, a ref expression) is refused before it reaches git.
pub fn is_sha(text: &str) -> bool {
    (7..=40).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha_accepts_hex_and_refuses_options_and_refs() {
        assert!(is_sha("3f2a9c1"));
        assert!(is_sha(&"a".repeat(40)));
        assert!(!is_sha("--force"));
        assert!(!is_sha("HEAD~1"));
        assert!(!is_sha("abc"));
        assert!(!is_sha(&"a".repeat(41)));
    }

    use crate::secrets::Redactor;

    fn children_hiding(secret: &str) -> Children {
        Children {
            remove: vec!["HOME".to_owned()],
            redactor: Redactor::new([secret.to_owned()]),
            ..Children::default()
        }
    }

    #[test]
    fn a_failing_git_command_is_named_with_its_dir_and_words_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let git = Git::new("git", dir.path(), &children_hiding("s3cr3t"));
        let remote = "https://deploy:s3cr3t@127.0.0.1:9/o/s3cr3t-repo.git";
        let missing = dir.path().join("s3cr3t-nowhere");
        let missing = missing.display().to_string();
        let err = git.run(&["ls-remote", &missing]).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, GitError::Failed { .. }), "{err:?}");
        assert!(text.contains("`git ls-remote "), "{text}");
        assert!(
            text.contains(&format!("failed in {}", dir.path().display())),
            "{text}"
        );
        assert!(text.contains("[REDACTED]"), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
        assert_eq!(err.dir(), dir.path());
        // A URL's credentials never reach the command shown.
        let shown = git.shown(&["fetch", remote]);
        assert!(shown.contains("https://***@127.0.0.1:9/"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn git_that_cannot_start_says_where_to_name_it() {
        let dir = tempfile::tempdir().unwrap();
        let git = Git::new("gatekeeper-no-such-git", dir.path(), &Children::default());
        for err in [
            git.run(&["status"]).unwrap_err(),
            git.with_input(&["mktree"], b"").unwrap_err(),
        ] {
            let text = err.to_string();
            assert!(matches!(err, GitError::Spawn { .. }), "{err:?}");
            assert!(text.contains("`gatekeeper-no-such-git "), "{text}");
            assert!(text.contains(&dir.path().display().to_string()), "{text}");
            assert!(text.contains("under [programs]"), "{text}");
        }
    }

    #[test]
    fn plumbing_with_input_sees_no_secret_and_names_the_failing_command() {
        let dir = tempfile::tempdir().unwrap();
        let sh = Git::new("sh", dir.path(), &children_hiding("s3cr3t"));
        let out = sh
            .with_input(&["-c", "echo ${HOME:-unset}; cat"], b"in")
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out), "unset\nin");
        let err = sh
            .with_input(&["-c", "echo s3cr3t is wrong >&2; exit 1"], b"")
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`sh -c "), "{text}");
        assert!(text.contains("[REDACTED] is wrong"), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
    }

    #[test]
    fn a_git_that_wanted_a_credential_is_told_how_to_give_one() {
        let err = GitError::Failed {
            command: "git ls-remote origin".to_owned(),
            dir: PathBuf::from("/srv/apangea"),
            said:
                "fatal: could not read Username for 'https://github.com': terminal prompts disabled"
                    .to_owned(),
        };
        assert!(err.needs_credentials());
        let text = err.to_string();
        assert!(
            text.starts_with("`git ls-remote origin` failed in /srv/apangea: fatal:"),
            "{text}"
        );
        assert!(text.ends_with(NO_CREDENTIAL), "{text}");
    }

    #[test]
    fn branch_head_reads_only_the_asked_branch() {
        let out = "aaa1111\trefs/heads/master-old\nbbb2222\trefs/heads/master\n";
        assert_eq!(branch_head(out, "master").as_deref(), Some("bbb2222"));
        assert_eq!(branch_head(out, "rc"), None);
    }
}

/// A remote URL as it may be shown: any credentials before `@` in its authority
/// (`https://x-access-token:TOKEN@github.com/…`) replaced by `***`.
pub fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://***@{host}{path}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod userinfo_tests {
    use super::without_userinfo;

    #[test]
    fn credentials_in_a_remote_url_are_never_shown() {
        assert_eq!(
            without_userinfo("https://x-access-token:ghp_secret@github.com/o/r.git"),
            "https://***@github.com/o/r.git"
        );
        assert_eq!(
            without_userinfo("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
        assert_eq!(without_userinfo("/srv/git/r.git"), "/srv/git/r.git");
    }
}
