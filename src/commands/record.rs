//! What the commands share about the audit log and about runs on a terminal: where
//! the log is, the check record, the plan as people read it, asking a person, and
//! the rollback command line. Never a secret.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::audit::{AuditLog, Event, Gate, Record, Verdict, policies_digest, sha256};
use crate::config::Config;
use crate::decision::Decision;
use crate::facts::{Facts, OverrideRequest};
use crate::rollout::Prompt;
use crate::runbook::signals::Watch;
use crate::runbook::{Context, PlannedStep};

use super::CommandError;

/// The audit log of a config (relative to the config file).
pub(crate) fn audit_log(config: &Config) -> AuditLog {
    AuditLog::new(&config.resolve(&config.audit_log))
}

/// A check record: the decision, its failing checks and the digests of what it
/// was decided on.
pub(crate) fn check_record(
    command: &str,
    facts: &Facts,
    policy_files: &[PathBuf],
    decision: &Decision,
    live: bool,
) -> Record {
    Record::new(
        command,
        &decision.target,
        Event::Check(gate(facts, policy_files, decision, live)),
    )
}

/// The decision and the digests of what it was decided on.
pub(crate) fn gate(
    facts: &Facts,
    policy_files: &[PathBuf],
    decision: &Decision,
    live: bool,
) -> Gate {
    let failing_checks = decision
        .failing()
        .filter(|c| c.overridden.is_none() && !c.advisory)
        .map(|c| c.id.clone())
        .collect();
    let overrides = decision
        .failing()
        .filter_map(|c| {
            c.overridden.as_ref().map(|o| OverrideRequest {
                check: c.id.clone(),
                reason: o.reason.clone(),
                by: o.by.clone(),
            })
        })
        .collect();
    Gate {
        decision: if decision.allow {
            Verdict::Allow
        } else {
            Verdict::Deny
        },
        failing_checks,
        overrides,
        facts_sha256: serde_json::to_vec(facts).ok().map(|b| sha256(&b)),
        policies_sha256: policies_digest(policy_files).ok(),
        facts_source: Some(if live { "live" } else { "file" }.to_owned()),
        release_heads: facts
            .repos
            .iter()
            .filter_map(|r| Some(format!("{}@{}", r.name, r.release_sha.as_deref()?)))
            .collect(),
        policies_tree: policy_files
            .first()
            .and_then(|f| f.parent())
            .and_then(crate::archive::policies_tree),
        shadow: None,
    }
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

/// `gatekeeper rollback …` as a person types it, with `--config` when it is not the default.
pub(crate) fn rollback_command(config: &Path, target: &str, sha: &str) -> String {
    let mut cmd = format!("gatekeeper rollback {target} --to {sha}");
    if config != Path::new("gatekeeper.toml") {
        cmd.push_str(&format!(" --config {}", config.display()));
    }
    cmd
}

/// The end of a deploy or rollback that may hold the lock: an error after the lock
/// was taken is recorded (`aborted`, saying why), the lock is released, and a run
/// that succeeded but left its lock behind (it stops every later run) is a failure.
pub(crate) fn end_run(
    kind: crate::rollout::RunKind,
    target: &str,
    run: &str,
    log: &AuditLog,
    lock: Option<crate::runbook::lock::Lock>,
    actor: impl FnOnce() -> Option<crate::audit::Actor>,
    result: Result<super::Outcome, CommandError>,
) -> Result<super::Outcome, CommandError> {
    let Some(lock) = lock else {
        return result;
    };
    if let Err(e) = &result {
        let record = crate::rollout::abandoned(kind, target, run, actor(), &super::error_text(e));
        append_or_warn(log, &record);
    }
    if !crate::rollout::release_or_say(lock, target, log, kind.command())
        && matches!(result, Ok(super::Outcome::Success))
    {
        return Ok(super::Outcome::Failure);
    }
    result
}
