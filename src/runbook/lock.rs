//! One deploy or rollback per target at a time, on every machine: the lock is a ref
//! `refs/gatekeeper/locks/<target>` on the deploy remote, which every agent and
//! laptop that can deploy must reach anyway. It is taken with a create-only push
//! (`--force-with-lease=<ref>:`, atomic on any git server) of a commit whose message
//! names the holder, and released by deleting the ref with a lease on that exact
//! commit, so a run never removes a lock it does not hold. A lock older than the
//! longest allowed run is reported as stale with its holder and age, never taken over:
//! `gatekeeper unlock TARGET --reason …` removes it, and that is recorded. A release
//! is tried a few times; one that fails is never silent: it is an error naming the
//! `unlock` command (and on stderr when a lock is only dropped).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use std::time::Duration;

use super::git;
use super::process::Children;
use super::signals::Watch;
use crate::audit::{AuditLog, Event, Record, Step, StepOutcome};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{target} is locked by {holder} for {age}: wait for it to finish \
         (the lock is {refname} on {remote})"
    )]
    Held {
        target: String,
        remote: String,
        refname: String,
        holder: Box<Holder>,
        age: String,
    },
    #[error(
        "{target} has a stale lock: {holder}, {age} old, longer than any run may take. \
         Make sure that run is over (and production is where you expect), then \
         `gatekeeper unlock {target} --reason \"…\"`"
    )]
    Stale {
        target: String,
        holder: Box<Holder>,
        age: String,
    },
    #[error(
        "{target} is locked ({refname} on {remote} is {sha}) but its holder cannot be read \
         ({message}): make sure no deploy is running, then `gatekeeper unlock {target} --reason \"…\"`"
    )]
    Unreadable {
        target: String,
        remote: String,
        refname: String,
        sha: String,
        message: String,
    },
    #[error(
        "cannot {action} the lock {refname} on {remote}: {source}; \
         check that the clone can push to {remote}"
    )]
    Git {
        action: &'static str,
        remote: String,
        refname: String,
        source: Box<git::GitError>,
    },
    #[error(
        "cannot authenticate to {remote} from {}: {}; set up a credential helper \
         (https) or an ssh key the agent holds (ssh) so that git needs no prompt, then run again",
        source.dir().display(), source.said()
    )]
    Auth {
        remote: String,
        source: Box<git::GitError>,
    },
    #[error(
        "LOCK NOT RELEASED: {} on {remote} could not be deleted after {attempts} tries \
         ({message}); {target} stays locked and the next deploy or rollback will be refused. \
         Once {remote} can be reached, run \
         `gatekeeper unlock {target} --reason \"run {run} ended but could not release its lock\"`",
        refname(.target)
    )]
    NotReleased {
        target: String,
        remote: String,
        run: String,
        attempts: u32,
        message: String,
    },
    #[error(
        "{} on {remote} was no longer this run's when it ended: someone removed it \
         (`gatekeeper unlock`) while the run went on, so another run may have deployed meanwhile",
        refname(.target)
    )]
    Lost { target: String, remote: String },
    #[error("{target} is not locked: there is no {refname} on {remote}")]
    NotLocked {
        target: String,
        remote: String,
        refname: String,
    },
}

/// Who holds a lock: written into the lock commit's message, one `key: value` a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// `deploy` or `rollback`.
    pub command: String,
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub started_at: DateTime<Utc>,
    /// Unique per run, so a record, a deployment and the lock can be matched.
    pub run_id: String,
    /// The holder's boot of its host (`/proc/sys/kernel/random/boot_id`), when known:
    /// with `pid_start`, what tells the run from a later process with its pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
    /// When the holder's process started, in clock ticks since boot, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_start: Option<u64>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} by {} on {} (pid {}, run {}) since {}",
            self.command,
            self.user,
            self.host,
            self.pid,
            self.run_id,
            self.started_at.format("%Y-%m-%d %H:%M:%SZ")
        )
    }
}

const MESSAGE_TITLE: &str = "gatekeeper lock";

impl Holder {
    /// The lock commit's message.
    pub fn message(&self, target: &str) -> String {
        let mut message = format!(
            "{MESSAGE_TITLE} for {target}\n\ncommand: {}\nuser: {}\nhost: {}\npid: {}\nstarted_at: {}\nrun_id: {}\n",
            one_line(&self.command),
            one_line(&self.user),
            one_line(&self.host),
            self.pid,
            self.started_at.to_rfc3339(),
            one_line(&self.run_id),
        );
        if let Some(boot) = &self.boot_id {
            message.push_str(&format!("boot_id: {}\n", one_line(boot)));
        }
        if let Some(start) = self.pid_start {
            message.push_str(&format!("pid_start: {start}\n"));
        }
        message
    }

    /// Reads a lock commit's message back; every field must be there.
    pub fn parse(message: &str) -> Result<Holder, HolderError> {
        let field = |key: &'static str| {
            message
                .lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(": "))
                .map(str::to_owned)
                .ok_or(HolderError::Missing(key))
        };
        let started = field("started_at")?;
        Ok(Holder {
            command: field("command")?,
            user: field("user")?,
            host: field("host")?,
            pid: number("pid", &field("pid")?)?,
            started_at: DateTime::parse_from_rfc3339(&started)
                .map_err(|_| HolderError::NotATime(started.clone()))?
                .with_timezone(&Utc),
            run_id: field("run_id")?,
            // Optional: locks of older versions name neither.
            boot_id: field("boot_id").ok(),
            pid_start: match field("pid_start") {
                Ok(start) => Some(number("pid_start", &start)?),
                Err(_) => None,
            },
        })
    }
}

fn number<N: std::str::FromStr>(key: &'static str, text: &str) -> Result<N, HolderError> {
    text.parse().map_err(|_| HolderError::NotANumber(key))
}

/// Why a lock commit's holder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HolderError {
    #[error("{0:?} is not a commit")]
    NotACommit(String),
    #[error("the lock commit names no `{0}`")]
    Missing(&'static str),
    #[error("the lock commit's {0} is not a number")]
    NotANumber(&'static str),
    #[error("the lock commit's started_at {0:?} is not a time")]
    NotATime(String),
    #[error(transparent)]
    Git(#[from] git::GitError),
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// The ref that locks `target`.
pub fn refname(target: &str) -> String {
    format!("refs/gatekeeper/locks/{target}")
}

/// Where the lock is kept: a clone that has the deploy remote configured, and git.
#[derive(Debug, Clone)]
pub struct Place {
    pub git: String,
    pub dir: PathBuf,
    pub remote: String,
    pub target: String,
    /// How git runs: without the secrets, and deaf to signals, so that a run
    /// interrupted by Ctrl-C still releases its lock.
    pub children: Children,
}

impl Place {
    /// Git in the lock's clone (a command may take [`git::TIMEOUT`]).
    fn git(&self) -> git::Git {
        git::Git::new(&self.git, &self.dir, &self.children)
    }

    fn ok(&self, action: &'static str, args: &[&str]) -> Result<String, LockError> {
        self.git().run(args).map_err(|e| self.git_error(action, e))
    }

    fn git_error(&self, action: &'static str, error: git::GitError) -> LockError {
        if error.needs_credentials() {
            return LockError::Auth {
                remote: self.remote.clone(),
                source: Box::new(error),
            };
        }
        LockError::Git {
            action,
            remote: self.remote.clone(),
            refname: refname(&self.target),
            source: Box::new(error),
        }
    }

    /// The commit the lock ref points at on the remote, if any.
    pub fn current(&self) -> Result<Option<String>, LockError> {
        let name = refname(&self.target);
        let out = self.ok("read", &["ls-remote", &self.remote, &name])?;
        Ok(out
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .find(|(_, r)| *r == name)
            .map(|(sha, _)| sha.trim().to_owned()))
    }

    /// Who holds the lock at `sha` (fetched into a private ref of the clone, so that
    /// neither `FETCH_HEAD` nor a branch of the clone changes).
    pub fn holder(&self, sha: &str) -> Result<Holder, HolderError> {
        if !git::is_sha(sha) || sha.len() != 40 {
            return Err(HolderError::NotACommit(sha.to_owned()));
        }
        let seen = format!("refs/gatekeeper/seen/locks/{}", self.target);
        let spec = format!("+{}:{seen}", refname(&self.target));
        let git = self.git();
        git.run(&[
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            &self.remote,
            &spec,
        ])?;
        let message = git.run(&["log", "-1", "--format=%B", sha])?;
        Holder::parse(&message)
    }

    /// The commit that records `holder`: on the empty tree, so it carries no files.
    fn lock_commit(&self, holder: &Holder) -> Result<String, LockError> {
        let tree = self.ok("create", &["hash-object", "-t", "tree", "-w", "/dev/null"])?;
        let message = holder.message(&self.target);
        // The lock commit's own identity: the holder is in the message, and a CI agent
        // may have no `user.name` configured.
        let out = self.ok(
            "create",
            &[
                "-c",
                "user.name=gatekeeper",
                "-c",
                "user.email=gatekeeper@localhost",
                "commit-tree",
                tree.trim(),
                "-m",
                &message,
            ],
        )?;
        Ok(out.trim().to_owned())
    }
}

/// How many times a release is tried before it is reported as failed.
const RELEASE_ATTEMPTS: u32 = 3;

/// The pause between two release attempts.
const RELEASE_PAUSE: Duration = Duration::from_secs(1);

/// A held lock. Released by [`Lock::release`] (which says when it could not be) or,
/// as a last resort, when dropped (which says so on stderr).
#[derive(Debug)]
pub struct Lock {
    place: Place,
    sha: String,
    /// The run holding it, for the `unlock` command a failed release prints.
    run: String,
    released: bool,
}

impl Lock {
    /// Takes the lock of `place.target`, or says who holds it. A lock older than
    /// `max_age` is reported as stale (with holder and age), never taken over.
    pub fn acquire(
        place: &Place,
        holder: &Holder,
        max_age: chrono::Duration,
    ) -> Result<Self, LockError> {
        let sha = place.lock_commit(holder)?;
        let name = refname(&place.target);
        let lease = format!("--force-with-lease={name}:");
        let spec = format!("{sha}:{name}");
        let push = [
            "push",
            "--quiet",
            "--porcelain",
            &lease,
            &place.remote,
            &spec,
        ];
        let pushed = place
            .git()
            .output(&push)
            .map_err(|e| place.git_error("take", e))?;
        if pushed.success {
            return Ok(Self {
                place: place.clone(),
                sha,
                run: holder.run_id.clone(),
                released: false,
            });
        }
        // Refused: someone holds it (or the remote cannot be written). Say who.
        match place.current()? {
            None => Err(place.git_error("take", place.git().failure(&push, &pushed))),
            Some(current) => Err(explain(place, &current, max_age, Utc::now())),
        }
    }

    /// The lock commit's SHA.
    pub fn sha(&self) -> &str {
        &self.sha
    }

    /// Deletes the lock ref, only if it still is this run's commit, trying a few
    /// times; when it stays, the error says so and names the `unlock` command.
    pub fn release(mut self) -> Result<(), LockError> {
        self.released = true;
        self.try_release()
    }

    /// Like [`Lock::release`], and a lock that stays is also recorded in `log` (a
    /// failed step "release the lock" of this run), so `history` shows it.
    pub fn release_recorded(self, log: &AuditLog, command: &str) -> Result<(), LockError> {
        let target = self.place.target.clone();
        let run = self.run.clone();
        let released = self.release();
        if let Err(e) = &released {
            let mut record = Record::new(
                command,
                &target,
                Event::Step(Step {
                    step: RELEASE_STEP.to_owned(),
                    step_command: None,
                    duration_ms: None,
                    outcome: StepOutcome::Failed,
                    message: Some(e.to_string()),
                    before_sha: None,
                }),
            );
            record.run = Some(run);
            if let Err(write) = log.append(&record) {
                eprintln!("gatekeeper: error: {write}");
            }
        }
        released
    }

    fn lost(&self) -> LockError {
        LockError::Lost {
            target: self.place.target.clone(),
            remote: self.place.remote.clone(),
        }
    }

    fn try_release(&self) -> Result<(), LockError> {
        let mut attempt = 1;
        loop {
            let message = match delete(&self.place, &self.sha) {
                Ok(()) => return Ok(()),
                Err(e) => e.to_string(),
            };
            // Gone, or someone else's by now: nothing of this run's is left to
            // release, but the run held no lock for a while, which is said.
            match self.place.current() {
                Ok(None) => return Err(self.lost()),
                Ok(Some(sha)) if sha != self.sha => return Err(self.lost()),
                Ok(Some(_)) | Err(_) => {}
            }
            if attempt >= RELEASE_ATTEMPTS {
                return Err(LockError::NotReleased {
                    target: self.place.target.clone(),
                    remote: self.place.remote.clone(),
                    run: self.run.clone(),
                    attempts: attempt,
                    message,
                });
            }
            attempt += 1;
            std::thread::sleep(RELEASE_PAUSE);
        }
    }
}

/// The step name a lock that could not be released is recorded under.
pub const RELEASE_STEP: &str = "release the lock";

impl Drop for Lock {
    /// A lock nobody released is released here; when that fails, stderr says so
    /// loudly with the `unlock` command (a drop cannot return the error).
    fn drop(&mut self) {
        if !self.released {
            self.released = true;
            if let Err(e) = self.try_release() {
                eprintln!("gatekeeper: error: {e}");
            }
        }
    }
}

/// Deletes the lock ref with a lease on `sha`: a lock someone else took meanwhile stays.
fn delete(place: &Place, sha: &str) -> Result<(), LockError> {
    let name = refname(&place.target);
    let lease = format!("--force-with-lease={name}:{sha}");
    let spec = format!(":{name}");
    place
        .ok(
            "release",
            &[
                "push",
                "--quiet",
                "--porcelain",
                &lease,
                &place.remote,
                &spec,
            ],
        )
        .map(|_| ())
}

/// Why the lock at `current` refuses this run: held, stale, or unreadable.
pub fn explain(
    place: &Place,
    current: &str,
    max_age: chrono::Duration,
    now: DateTime<Utc>,
) -> LockError {
    match place.holder(current) {
        Ok(holder) => {
            let age = now.signed_duration_since(holder.started_at);
            let shown = describe_age(age);
            if age > max_age {
                LockError::Stale {
                    target: place.target.clone(),
                    holder: Box::new(holder),
                    age: shown,
                }
            } else {
                LockError::Held {
                    target: place.target.clone(),
                    remote: place.remote.clone(),
                    refname: refname(&place.target),
                    holder: Box::new(holder),
                    age: shown,
                }
            }
        }
        Err(message) => LockError::Unreadable {
            target: place.target.clone(),
            remote: place.remote.clone(),
            refname: refname(&place.target),
            sha: current.to_owned(),
            message: message.to_string(),
        },
    }
}

/// What `unlock` removed.
#[derive(Debug)]
pub struct Removed {
    pub sha: String,
    /// `None` when the lock commit could not be read (it is removed all the same).
    pub holder: Option<Holder>,
}

/// Removes the lock of `place.target`, whoever holds it, with a lease on the commit
/// that was read: a lock taken again in between is left alone.
/// Removes the lock whose commit is `sha` (the one a person judged), with a lease
/// on it: a lock taken anew in between stays.
pub fn remove(place: &Place, sha: &str, holder: Option<Holder>) -> Result<Removed, LockError> {
    delete(place, sha)?;
    Ok(Removed {
        sha: sha.to_owned(),
        holder,
    })
}

/// "3 h 12 min", "45 s".
pub fn describe_age(age: chrono::Duration) -> String {
    let secs = age.num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// How long a run may hold the lock before it is called stale: longer than any
/// deploy takes, so a lock this old belongs to a run that died (`kill -9`, a lost
/// machine), which only a person may judge.
pub fn longest_run() -> chrono::Duration {
    chrono::Duration::hours(6)
}

/// The clone that keeps the lock: the app repo's, which knows the deploy remote.
pub fn place(git: &str, app_dir: &Path, remote: &str, target: &str, children: &Children) -> Place {
    let mut children = children.clone();
    children.watch = Watch::never();
    Place {
        git: git.to_owned(),
        dir: app_dir.to_owned(),
        remote: remote.to_owned(),
        target: target.to_owned(),
        children,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder() -> Holder {
        Holder {
            command: "deploy".to_owned(),
            user: "tim".to_owned(),
            host: "laptop\nevil: yes".to_owned(),
            pid: 42,
            started_at: DateTime::parse_from_rfc3339("2026-11-25T11:40:00Z")
                .unwrap()
                .with_timezone(&Utc),
            run_id: "20261125T114000-42".to_owned(),
            boot_id: Some("b1".to_owned()),
            pid_start: Some(7),
        }
    }

    #[test]
    fn holder_round_trips_through_the_commit_message_on_one_line_each() {
        let h = holder();
        let parsed = Holder::parse(&h.message("production")).unwrap();
        assert_eq!(parsed.host, "laptop evil: yes");
        assert_eq!(parsed.pid, 42);
        assert_eq!(parsed.started_at, h.started_at);
        assert_eq!(parsed.run_id, h.run_id);
        assert_eq!(parsed.boot_id.as_deref(), Some("b1"));
        assert_eq!(parsed.pid_start, Some(7));
    }

    #[test]
    fn a_message_missing_a_field_is_unreadable() {
        let err = Holder::parse("gatekeeper lock for production\n\ncommand: deploy\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("names no `started_at`"), "{err}");
    }

    #[test]
    fn ages_read_like_people_say_them() {
        assert_eq!(describe_age(chrono::Duration::seconds(45)), "45 s");
        assert_eq!(describe_age(chrono::Duration::seconds(125)), "2 min");
        assert_eq!(
            describe_age(chrono::Duration::seconds(3 * 3600 + 720)),
            "3 h 12 min"
        );
    }

    fn sh_git(dir: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn a_lock_that_cannot_be_released_is_an_error_naming_unlock_and_is_recorded() {
        let tmp = tempfile::tempdir().unwrap();
        let remote = tmp.path().join("remote.git");
        let clone = tmp.path().join("clone");
        std::fs::create_dir_all(&clone).unwrap();
        sh_git(
            tmp.path(),
            &["init", "-q", "--bare", remote.to_str().unwrap()],
        );
        sh_git(&clone, &["init", "-q"]);
        sh_git(&clone, &["remote", "add", "prod", remote.to_str().unwrap()]);
        let place = place("git", &clone, "prod", "production", &Children::default());
        let mut h = holder();
        h.started_at = Utc::now();
        let lock = Lock::acquire(&place, &h, longest_run()).unwrap();
        // The remote goes away before the run ends.
        let moved = tmp.path().join("moved.git");
        std::fs::rename(&remote, &moved).unwrap();
        let log = AuditLog::new(&tmp.path().join("audit.jsonl"));
        let err = lock.release_recorded(&log, "deploy").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("LOCK NOT RELEASED"), "{text}");
        assert!(text.contains("after 3 tries"), "{text}");
        assert!(
            text.contains(
                "`gatekeeper unlock production --reason \"run 20261125T114000-42 ended but could not release its lock\"`"
            ),
            "{text}"
        );
        let records = log.read().unwrap();
        let [record] = records.as_slice() else {
            panic!("{records:?}")
        };
        assert_eq!(record.run.as_deref(), Some("20261125T114000-42"));
        let Event::Step(step) = &record.event else {
            panic!("{record:?}")
        };
        assert_eq!(step.step, RELEASE_STEP);
        assert_eq!(step.outcome, StepOutcome::Failed);
        // Back in place, the lock is still there for `unlock` to remove.
        std::fs::rename(&moved, &remote).unwrap();
        assert!(place.current().unwrap().is_some());
    }
}
