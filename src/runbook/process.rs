//! Every child process the runbook starts (git, ttmscalr, extra steps): one argument
//! list, never a shell, in its own process group, with the environment minus every
//! secret the config names, watched until it ends, its time runs out (the group gets
//! SIGTERM, then SIGKILL after the grace period) or an interruption arrives (the
//! group gets the same signal, then SIGKILL after the grace period, at once on a
//! second one). After an interruption no child starts at all. What a child printed
//! is scrubbed of secrets before anyone reads it. A child ends when its own process
//! ends: what it left running (a log tailer, an ssh ControlPersist master) may hold
//! its output open, so the output is read for at most [`DRAIN`] more, then the run
//! goes on without it; the leftover is not killed. No child can prompt: git and ssh
//! get an environment that makes a missing credential an immediate error.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group};

use super::RunbookError;
use super::signals::{Interruption, Watch};
use crate::secrets::Redactor;

/// How often a running child is looked at.
const POLL: Duration = Duration::from_millis(20);

/// After a child's process ended, how long what it left behind may keep its output
/// open before the run goes on without the rest.
pub const DRAIN: Duration = Duration::from_secs(2);

/// Said in the output of a child whose leftovers kept its output open.
pub const NOT_SHOWN: &str = "output after the step ended is not shown: a process it \
     started still holds its output open, and was left running";

/// What git and ssh say when they would have to ask for a credential (prompts off).
pub fn needs_credentials(message: &str) -> bool {
    const SAID: [&str; 6] = [
        "terminal prompts disabled",
        "could not read Username",
        "could not read Password",
        "Authentication failed",
        "Permission denied (publickey",
        "Host key verification failed",
    ];
    SAID.iter().any(|s| message.contains(s))
}

/// Variables that make git and ssh ask on the terminal; no child gets them.
const PROMPTERS: [&str; 2] = ["GIT_ASKPASS", "SSH_ASKPASS"];

/// What every child gets so that git and ssh fail at once instead of prompting
/// (a prompt on the terminal of a background process group stops it, unanswerable).
const NO_PROMPT: [(&str, &str); 3] = [
    ("GIT_TERMINAL_PROMPT", "0"),
    ("GCM_INTERACTIVE", "never"),
    ("SSH_ASKPASS_REQUIRE", "never"),
];

/// ssh for git when the user set none: never asks for a passphrase or a host key.
const BATCH_SSH: &str = "ssh -o BatchMode=yes";

/// How children are started and watched: what they must not see, what must not
/// leave them, how long they get to stop.
#[derive(Clone, Default)]
pub struct Children {
    /// Environment variables removed from every child (the secrets' names).
    pub remove: Vec<String>,
    /// Scrubs the secrets' values from what children print.
    pub redactor: Redactor,
    /// The interruptions of this run.
    pub watch: Watch,
    /// From the polite signal to SIGKILL.
    pub grace: Duration,
}

impl std::fmt::Debug for Children {
    // Never the redactor: it holds the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Children")
            .field("remove", &self.remove)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

/// What a finished child process did.
#[derive(Debug, Clone)]
pub struct Output {
    pub success: bool,
    /// "exit status 1", "killed by a signal", …
    pub status: String,
    pub stdout: String,
    pub stderr: String,
    /// Something the child left running kept its output open past [`DRAIN`]: the
    /// rest is not read (and `stderr` ends with [`NOT_SHOWN`]).
    pub cut: bool,
}

/// Said after git's own message when git would have had to ask for a credential.
pub const NO_CREDENTIAL: &str = "the clone cannot authenticate to the remote without a \
     prompt, and prompts are off: set up a credential helper (https) or an ssh key the \
     agent holds (ssh), then run again";

impl Output {
    /// Whether git or ssh said it would have had to ask for a credential.
    pub fn needs_credentials(&self) -> bool {
        needs_credentials(&self.stderr)
    }

    /// The last lines the program wrote, to show why it failed.
    pub fn tail(&self, lines: usize) -> String {
        let text = format!("{}\n{}", self.stdout.trim_end(), self.stderr.trim_end());
        let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let start = all.len().saturating_sub(lines);
        all.get(start..).unwrap_or_default().join("\n")
    }
}

/// How a child ended.
#[derive(Debug, Clone)]
pub enum Ended {
    /// By itself, successfully or not.
    Exited(Output),
    /// Its time ran out and its group was stopped.
    TimedOut(Output),
    /// An interruption arrived and was passed on to its group.
    Interrupted(Interruption, Output),
}

impl Ended {
    pub fn output(&self) -> &Output {
        match self {
            Self::Exited(o) | Self::TimedOut(o) | Self::Interrupted(_, o) => o,
        }
    }
}

/// Why the group was signalled, and when it gets SIGKILL.
struct Stopping {
    why: Why,
    kill_at: Instant,
}

#[derive(Clone, Copy)]
enum Why {
    Deadline,
    Signal(Interruption),
}

impl Children {
    /// Runs `program args…` in `dir` until it ends, `deadline` passes or an
    /// interruption arrives. A program that cannot be started is an error.
    pub fn run(
        &self,
        program: &str,
        args: &[String],
        dir: &Path,
        deadline: Option<Instant>,
    ) -> Result<Ended, RunbookError> {
        // Once interrupted, nothing new starts (the push after a merge, say).
        if let Some(signal) = self.watch.received() {
            let output = Output {
                success: false,
                status: "not started".to_owned(),
                stdout: String::new(),
                stderr: String::new(),
                cut: false,
            };
            return Ok(Ended::Interrupted(signal, output));
        }
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group: a terminal's Ctrl-C reaches gatekeeper alone, which
            // passes it on to the whole group (the step and whatever it started).
            .process_group(0);
        for var in &self.remove {
            command.env_remove(var);
        }
        for var in PROMPTERS {
            command.env_remove(var);
        }
        command.envs(NO_PROMPT);
        if std::env::var_os("GIT_SSH_COMMAND").is_none() && std::env::var_os("GIT_SSH").is_none() {
            command.env("GIT_SSH_COMMAND", BATCH_SSH);
        }
        let mut child = command.spawn().map_err(|source| RunbookError::Spawn {
            program: program.to_owned(),
            dir: dir.to_owned(),
            source,
        })?;
        let group = Pid::from_child(&child);
        let (done, finished) = channel();
        let stdout = child.stdout.take().map(|p| Pipe::read(p, done.clone()));
        let stderr = child.stderr.take().map(|p| Pipe::read(p, done.clone()));
        drop(done);
        let mut stopping: Option<Stopping> = None;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) => {}
                Err(e) => break Err(e),
            }
            let now = Instant::now();
            match &stopping {
                None => {
                    let why = match self.watch.received() {
                        Some(signal) => Some((Why::Signal(signal), signal.signal())),
                        None if deadline.is_some_and(|d| now >= d) => {
                            Some((Why::Deadline, Signal::TERM))
                        }
                        None => None,
                    };
                    if let Some((why, signal)) = why {
                        let _ = kill_process_group(group, signal);
                        stopping = Some(Stopping {
                            why,
                            kill_at: now + self.grace,
                        });
                    }
                }
                Some(s) => {
                    let again = matches!(s.why, Why::Signal(_)) && self.watch.count() >= 2;
                    if again || now >= s.kill_at {
                        let _ = kill_process_group(group, Signal::KILL);
                    }
                }
            }
            std::thread::sleep(POLL);
        };
        if stopping.is_some() {
            // Whatever the step started and left behind goes with it.
            let _ = kill_process_group(group, Signal::KILL);
        }
        let status = status.map_err(|source| RunbookError::Spawn {
            program: program.to_owned(),
            dir: dir.to_owned(),
            source,
        })?;
        let whole = self.drain(&finished, Instant::now() + DRAIN);
        let mut stderr = text(stderr.as_ref());
        if !whole {
            stderr.push_str(if stderr.is_empty() || stderr.ends_with('\n') {
                ""
            } else {
                "\n"
            });
            stderr.push_str(&format!("({NOT_SHOWN})\n"));
        }
        let output = Output {
            success: status.success(),
            status: match status.code() {
                Some(code) => format!("exit status {code}"),
                None => "killed by a signal".to_owned(),
            },
            stdout: self.redactor.scrub(&text(stdout.as_ref())),
            stderr: self.redactor.scrub(&stderr),
            cut: !whole,
        };
        Ok(match stopping.map(|s| s.why) {
            None => Ended::Exited(output),
            Some(Why::Deadline) => Ended::TimedOut(output),
            Some(Why::Signal(signal)) => Ended::Interrupted(signal, output),
        })
    }
}

impl Children {
    /// Waits until both pipes are closed, `until` passes or an interruption arrives;
    /// true when every byte was read.
    fn drain(&self, finished: &Receiver<()>, until: Instant) -> bool {
        let mut open = 2;
        while open > 0 {
            let now = Instant::now();
            if now >= until || self.watch.received().is_some() {
                return false;
            }
            match finished.recv_timeout(POLL.min(until.saturating_duration_since(now))) {
                Ok(()) => open -= 1,
                Err(RecvTimeoutError::Timeout) => {}
                // Every reader is gone: nothing more can come.
                Err(RecvTimeoutError::Disconnected) => return true,
            }
        }
        true
    }
}

/// What a reader thread has read from one pipe so far.
struct Pipe(Arc<Mutex<Vec<u8>>>);

impl Pipe {
    /// Reads `pipe` on a thread of its own, in chunks, until it is closed, then says
    /// so on `done`. The thread outlives the child if a leftover keeps the pipe open.
    fn read(mut pipe: impl Read + Send + 'static, done: std::sync::mpsc::Sender<()>) -> Pipe {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&bytes);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                match pipe.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        if let (Ok(mut all), Some(read)) = (shared.lock(), chunk.get(..n)) {
                            all.extend_from_slice(read);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = done.send(());
        });
        Pipe(bytes)
    }
}

/// What was read from `pipe` until now.
fn text(pipe: Option<&Pipe>) -> String {
    pipe.and_then(|p| p.0.lock().ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["-c".to_owned(), script.to_owned()]
    }

    #[test]
    fn a_missing_program_is_a_spawn_error_naming_it() {
        let err = Children::default()
            .run("gatekeeper-no-such-program", &[], Path::new("."), None)
            .unwrap_err();
        assert!(err.to_string().contains("gatekeeper-no-such-program"));
    }

    #[test]
    fn tail_keeps_the_last_non_empty_lines() {
        let out = Output {
            success: false,
            status: "exit status 1".to_owned(),
            stdout: "one\ntwo\n".to_owned(),
            stderr: "\nthree\n".to_owned(),
            cut: false,
        };
        assert_eq!(out.tail(2), "two\nthree");
    }

    #[test]
    fn secrets_are_neither_inherited_nor_repeated() {
        let children = Children {
            remove: vec!["HOME".to_owned()],
            redactor: Redactor::new(["s3cr3t-value".to_owned()]),
            ..Children::default()
        };
        let ended = children
            .run(
                "sh",
                &sh("echo home=${HOME:-unset}; echo leaked s3cr3t-value >&2; exit 3"),
                Path::new("."),
                None,
            )
            .unwrap();
        let Ended::Exited(out) = ended else {
            panic!("{ended:?}")
        };
        assert!(!out.success);
        assert_eq!(out.stdout.trim(), "home=unset");
        assert_eq!(out.stderr.trim(), "leaked [REDACTED]");
    }

    #[test]
    fn nothing_starts_once_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let watch = Watch::never();
        watch.note_for_tests(rustix::process::Signal::TERM.as_raw());
        let children = Children {
            watch,
            ..Children::default()
        };
        let ended = children
            .run("touch", &[marker.display().to_string()], dir.path(), None)
            .unwrap();
        assert!(matches!(ended, Ended::Interrupted(Interruption::Term, _)));
        assert!(!marker.exists());
    }

    #[test]
    fn a_deadline_stops_the_whole_group() {
        let children = Children {
            grace: Duration::from_millis(200),
            ..Children::default()
        };
        // The shell ignores TERM; the grace period's SIGKILL ends it and its sleep.
        let ended = children
            .run(
                "sh",
                &sh("trap '' TERM; sleep 30; echo never"),
                Path::new("."),
                Some(Instant::now() + Duration::from_millis(100)),
            )
            .unwrap();
        assert!(matches!(ended, Ended::TimedOut(_)), "{ended:?}");
        assert!(!ended.output().stdout.contains("never"));
    }

    #[test]
    fn a_leftover_holding_the_output_does_not_hold_the_step() {
        let dir = tempfile::tempdir().unwrap();
        let gate = dir.path().join("gate");
        // The leftover keeps stdout open until the gate file appears (never here).
        let script = format!(
            "(while [ ! -e {gate} ]; do sleep 0.1; done) & echo started",
            gate = gate.display()
        );
        let ended = Children::default()
            .run("sh", &sh(&script), Path::new("."), None)
            .unwrap();
        std::fs::write(&gate, "").unwrap();
        let Ended::Exited(out) = ended else {
            panic!("{ended:?}")
        };
        assert!(out.success && out.cut);
        assert_eq!(out.stdout.trim(), "started");
        assert!(out.stderr.contains(NOT_SHOWN), "{out:?}");
    }

    #[test]
    fn children_cannot_prompt() {
        let ended = Children::default()
            .run(
                "sh",
                &sh("echo $GIT_TERMINAL_PROMPT ${GIT_ASKPASS:-none} ${SSH_ASKPASS:-none} $GCM_INTERACTIVE"),
                Path::new("."),
                None,
            )
            .unwrap();
        assert_eq!(ended.output().stdout.trim(), "0 none none never");
        assert!(!ended.output().stderr.contains(NOT_SHOWN));
    }
}
