//! What the commands share about the audit log and about runs on a terminal: where
//! the log is, the check record, the plan as people read it, asking a person, and
//! the rollback command line. Never a secret.

use std::io::{BufRead, IsTerminal, Write};

use crate::audit::{AuditLog, Record};
use crate::config::Config;
use crate::rollout::{Prompt, Session};
use crate::runbook::signals::Watch;
use crate::runbook::{Context, PlannedStep};

use super::CommandError;

/// The audit log of a config (relative to the config file).
pub(crate) fn audit_log(config: &Config) -> AuditLog {
    AuditLog::of(config)
}

/// Appends a record where failing to do so must not change the outcome (a check):
/// a warning on stderr.
pub(crate) fn append_or_warn(log: &AuditLog, record: &Record) {
    if let Err(e) = log.append(record) {
        eprintln!("gatekeeper: warning: {e}");
    }
}

/// Refuses to go on when a confirmation would be needed but nobody can give it.
pub(crate) fn require_confirmable(
    command: &str,
    yes: bool,
    dry_run: bool,
) -> Result<(), CommandError> {
    if yes || dry_run || std::io::stdin().is_terminal() {
        Ok(())
    } else {
        Err(CommandError::Usage(format!(
            "{command} asks for confirmation and stdin is not a terminal: pass --yes to run unattended, or --dry-run to see the plan"
        )))
    }
}

/// Asks on the terminal (the question goes to `out`); with no terminal the answer is
/// no, and so it is when an interruption arrives while the question waits.
pub(crate) struct TerminalPrompt<'a> {
    pub out: &'a mut dyn Write,
    pub watch: Watch,
}

impl Prompt for TerminalPrompt<'_> {
    fn confirm(&mut self, question: &str) -> bool {
        if !std::io::stdin().is_terminal() {
            let _ = writeln!(self.out, "{question} (no terminal to answer: no)");
            return false;
        }
        let _ = write!(self.out, "{question} (y/N) ");
        let _ = self.out.flush();
        // The answer is read aside, so that Ctrl-C at the question ends it at once.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = std::io::stdin().lock().read_line(&mut line);
            let _ = tx.send(read.map(|_| line));
        });
        loop {
            match rx.recv_timeout(std::time::Duration::from_millis(100)) {
                Ok(Ok(line)) => {
                    return matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes");
                }
                Ok(Err(_)) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return false,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if self.watch.received().is_some() {
                        let _ = writeln!(self.out);
                        return false;
                    }
                }
            }
        }
    }
}

/// Writes a plan, one numbered step with its commands.
pub(crate) fn print_plan(out: &mut dyn Write, title: &str, plan: &[PlannedStep], ctx: &Context) {
    let mut text = format!("{title}\n");
    for (i, step) in plan.iter().enumerate() {
        match &step.skip {
            Some(reason) => text.push_str(&format!(
                "  {:>2}. {} — skipped ({reason})\n",
                i + 1,
                step.name
            )),
            None => {
                text.push_str(&format!("  {:>2}. {}\n", i + 1, step.name));
                for line in step.describe(ctx) {
                    text.push_str(&format!("        $ {line}\n"));
                }
            }
        }
    }
    let _ = out.write_all(text.as_bytes());
}

pub(crate) use crate::render::hint::rollback_command;

/// The end of a deploy or rollback [`Session`]: an error after the lock was taken
/// is recorded (`aborted`, saying why), the lock is released, and a run that
/// succeeded but left its lock behind (it stops every later run) is a failure.
pub(crate) fn end_run(
    session: Session,
    result: Result<super::Outcome, CommandError>,
) -> Result<super::Outcome, CommandError> {
    let failed = result.as_ref().err().map(|e| super::error_text(e));
    if !session.end(failed.as_deref()) && matches!(result, Ok(super::Outcome::Success)) {
        return Ok(super::Outcome::Failure);
    }
    result
}
