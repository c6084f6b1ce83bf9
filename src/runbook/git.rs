//! The few read-only git questions the runbook asks (a remote branch's head, what a
//! pull merged, whether a clone is clean), asked through [`super::process`] like any
//! step, and the parsing of their answers. It never changes a repo and never prints.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::RunbookError;
use super::process::{Children, Ended, NO_CREDENTIAL};

/// How long a read-only git question may take before it is given up.
const QUESTION_TIMEOUT: Duration = Duration::from_secs(120);

pub use super::process::Output;

/// A git program and the clone it works in.
#[derive(Debug, Clone)]
pub struct Git {
    pub program: String,
    pub dir: PathBuf,
    children: Children,
}

impl Git {
    pub fn new(program: &str, dir: &Path, children: &Children) -> Self {
        Self {
            program: program.to_owned(),
            dir: dir.to_owned(),
            children: children.clone(),
        }
    }

    fn ask(&self, args: &[&str]) -> Result<String, RunbookError> {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let deadline = Instant::now() + QUESTION_TIMEOUT;
        let ended = self
            .children
            .run(&self.program, &args, &self.dir, Some(deadline))?;
        let command = format!("{} {}", self.program, args.join(" "));
        match ended {
            Ended::Exited(out) if out.success => Ok(out.stdout),
            Ended::Exited(out) => Err(RunbookError::Git {
                command,
                dir: self.dir.clone(),
                message: with_hint(&out),
            }),
            Ended::TimedOut(_) => Err(RunbookError::Git {
                command,
                dir: self.dir.clone(),
                message: format!(
                    "no answer within {} s; check the network and the remote",
                    QUESTION_TIMEOUT.as_secs()
                ),
            }),
            Ended::Interrupted(signal, _) => Err(RunbookError::Git {
                command,
                dir: self.dir.clone(),
                message: format!("interrupted by {}", signal.name()),
            }),
        }
    }

    /// The SHA `remote`'s `branch` points at (`git ls-remote REMOTE refs/heads/BRANCH`);
    /// `None` when the branch does not exist there.
    pub fn remote_head(&self, remote: &str, branch: &str) -> Result<Option<String>, RunbookError> {
        let refname = format!("refs/heads/{branch}");
        let out = self.ask(&["ls-remote", remote, &refname])?;
        Ok(branch_head(&out, branch))
    }

    /// The commit the last fetch or pull brought in (`FETCH_HEAD`).
    pub fn fetch_head(&self) -> Result<String, RunbookError> {
        Ok(self.ask(&["rev-parse", "FETCH_HEAD"])?.trim().to_owned())
    }

    /// Whether git has a committer identity here (user.name and user.email, from the
    /// config or the environment), as the merge commit needs: `git var
    /// GIT_COMMITTER_IDENT` fails exactly when the merge would.
    pub fn identity(&self) -> Result<(), RunbookError> {
        self.ask(&["var", "GIT_COMMITTER_IDENT"]).map(|_| ())
    }

    /// Uncommitted changes, as `git status --porcelain` lists them (empty when clean).
    pub fn dirty(&self) -> Result<String, RunbookError> {
        Ok(self
            .ask(&["status", "--porcelain", "--untracked-files=no"])?
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

/// The last lines git wrote, and what to do when it wanted a credential.
fn with_hint(out: &Output) -> String {
    if out.needs_credentials() {
        format!("{}\n{NO_CREDENTIAL}", out.tail(5))
    } else {
        out.tail(5)
    }
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
