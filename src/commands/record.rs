//! What the commands share about the audit log and about running a runbook on a
//! terminal: where the log is, the check record, the progress lines, and asking a
//! person. It shows command lines and results, never command output that succeeded
//! and never a secret.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use crate::audit::{AuditLog, Kind, Record, policies_digest, sha256};
use crate::config::Config;
use crate::decision::Decision;
use crate::facts::{Facts, OverrideRequest};
use crate::runbook::{Context, Observer, Outcome, PlannedStep, StepResult};

use super::{CommandError, narrate};

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
    let mut record = Record::new(Kind::Check, command, &decision.target);
    record.decision = Some(if decision.allow { "allow" } else { "deny" }.to_owned());
    record.failing_checks = decision
        .failing()
        .filter(|c| c.overridden.is_none())
        .map(|c| c.id.clone())
        .collect();
    record.overrides = decision
        .failing()
        .filter_map(|c| {
            c.overridden.as_ref().map(|o| OverrideRequest {
                check: c.id.clone(),
                reason: o.reason.clone(),
                by: o.by.clone(),
            })
        })
        .collect();
    record.facts_sha256 = serde_json::to_vec(facts).ok().map(|b| sha256(&b));
    record.policies_sha256 = policies_digest(policy_files).ok();
    record.facts_source = Some(if live { "live" } else { "file" }.to_owned());
    record
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

/// Asks a yes/no question on the terminal; anything but y/yes is no.
pub(crate) fn ask(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    narrate(&format!("{question} (y/N) "));
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Prints a plan, one numbered step with its commands.
pub(crate) fn print_plan(title: &str, plan: &[PlannedStep], ctx: &Context) {
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
    narrate(&text);
}

/// Prints progress lines and writes one audit record per step.
pub(crate) struct Progress<'a> {
    pub log: &'a AuditLog,
    pub command: &'a str,
    pub target: &'a str,
    pub run: String,
}

impl Observer for Progress<'_> {
    fn started(&mut self, index: usize, total: usize, step: &PlannedStep) {
        narrate(&format!("[{index}/{total}] {}\n", step.name));
    }

    fn command(&mut self, line: &str) {
        narrate(&format!("      $ {line}\n"));
    }

    fn note(&mut self, text: &str) {
        narrate(&format!("      ({text})\n"));
    }

    fn finished(&mut self, _step: &PlannedStep, result: &StepResult) {
        let secs = result.duration.as_secs_f64();
        let (outcome, line) = match &result.outcome {
            Outcome::Ok => ("ok", format!("      ✔ ok in {secs:.1}s\n")),
            Outcome::Skipped(reason) => ("skipped", format!("      – skipped: {reason}\n")),
            Outcome::Failed(message) => (
                "failed",
                format!(
                    "      ✘ FAILED after {secs:.1}s: {}\n",
                    message.replace('\n', "\n        ")
                ),
            ),
        };
        narrate(&line);
        let mut record = Record::new(Kind::Step, self.command, self.target);
        record.run = Some(self.run.clone());
        record.step = Some(result.name.clone());
        record.step_command = (!result.commands.is_empty()).then(|| result.commands.join(" && "));
        record.duration_ms = u64::try_from(result.duration.as_millis()).ok();
        record.outcome = Some(outcome.to_owned());
        if let Outcome::Failed(message) = &result.outcome {
            // The first line says what failed; the program's output stays out of the log.
            record.message = message.lines().next().map(str::to_owned);
        }
        record.before_sha = result.production_sha.clone();
        // The run goes on: its final record (what a rollback restores) is written
        // strictly, and a failure there ends the command with an error.
        if let Err(e) = self.log.append(&record) {
            eprintln!(
                "gatekeeper: error: the audit log misses step {:?}: {e}",
                result.name
            );
        }
    }

    fn confirm_manual(&mut self, step: &PlannedStep) -> bool {
        if !std::io::stdin().is_terminal() {
            narrate("      a manual step needs a person at a terminal\n");
            return false;
        }
        ask(&format!("      Manual step \"{}\": is it done?", step.name))
    }
}

/// An id for the records of one run.
pub(crate) fn run_id() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    )
}

/// `gatekeeper rollback …` as a person types it, with `--config` when it is not the default.
pub(crate) fn rollback_command(config: &Path, target: &str, sha: &str) -> String {
    let mut cmd = format!("gatekeeper rollback {target} --to {sha}");
    if config != Path::new("gatekeeper.toml") {
        cmd.push_str(&format!(" --config {}", config.display()));
    }
    cmd
}
