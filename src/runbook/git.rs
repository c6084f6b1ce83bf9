//! Child processes: running one argument list in a directory and capturing what it
//! said, plus the few read-only git questions the runbook asks (a remote branch's
//! head, what a pull merged, whether a clone is clean). It never uses a shell and
//! never prints: the caller decides what the person sees.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::RunbookError;

/// What a finished child process did.
#[derive(Debug, Clone)]
pub struct Output {
    pub success: bool,
    /// "exit status 1", "killed by a signal", …
    pub status: String,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The last lines the program wrote, to show why it failed.
    pub fn tail(&self, lines: usize) -> String {
        let text = format!("{}\n{}", self.stdout.trim_end(), self.stderr.trim_end());
        let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let start = all.len().saturating_sub(lines);
        all.get(start..).unwrap_or_default().join("\n")
    }
}

/// Runs `program args…` in `dir`, capturing its output. A program that cannot be
/// started is an error; one that exits non-zero is an [`Output`] with `success` false.
pub fn run(program: &str, args: &[String], dir: &Path) -> Result<Output, RunbookError> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| RunbookError::Spawn {
            program: program.to_owned(),
            dir: dir.to_owned(),
            source,
        })?;
    Ok(Output {
        success: out.status.success(),
        status: match out.status.code() {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_owned(),
        },
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// A git program and the clone it works in.
#[derive(Debug, Clone)]
pub struct Git {
    pub program: String,
    pub dir: PathBuf,
}

impl Git {
    pub fn new(program: &str, dir: &Path) -> Self {
        Self {
            program: program.to_owned(),
            dir: dir.to_owned(),
        }
    }

    fn ask(&self, args: &[&str]) -> Result<String, RunbookError> {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let out = run(&self.program, &args, &self.dir)?;
        if out.success {
            Ok(out.stdout)
        } else {
            Err(RunbookError::Git {
                command: format!("{} {}", self.program, args.join(" ")),
                dir: self.dir.clone(),
                message: out.tail(5),
            })
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

    #[test]
    fn tail_keeps_the_last_non_empty_lines() {
        let out = Output {
            success: false,
            status: "exit status 1".to_owned(),
            stdout: "one\ntwo\n".to_owned(),
            stderr: "\nthree\n".to_owned(),
        };
        assert_eq!(out.tail(2), "two\nthree");
    }

    #[test]
    fn a_missing_program_is_a_spawn_error_naming_it() {
        let err = run("gatekeeper-no-such-program", &[], Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("gatekeeper-no-such-program"));
    }
}
