//! The runbook's [`Observer`] for a real run: a line per step and command on the
//! writer it is given, a `step_started` record fsynced before each step starts and
//! a `step` record when it ends. A record that cannot be written stops the run
//! (the runbook starts no further step) and is kept to be shown instead. It shows
//! command lines and results, never successful command output, never a secret.

use std::io::Write;

use crate::audit::{AuditLog, Event, Record, Step, StepOutcome, StepStarted};
use crate::runbook::{Observer, PlannedStep, StepResult, StepStatus, Unrecorded};

use super::Prompt;

pub struct Recorder<'a> {
    log: &'a AuditLog,
    command: &'a str,
    target: &'a str,
    run: &'a str,
    out: &'a mut dyn Write,
    prompt: &'a mut dyn Prompt,
    unrecorded: Vec<Unrecorded>,
}

impl<'a> Recorder<'a> {
    pub fn new(
        log: &'a AuditLog,
        command: &'a str,
        target: &'a str,
        run: &'a str,
        out: &'a mut dyn Write,
        prompt: &'a mut dyn Prompt,
    ) -> Self {
        Self {
            log,
            command,
            target,
            run,
            out,
            prompt,
            unrecorded: Vec::new(),
        }
    }

    /// The records that could not be written.
    pub fn into_unrecorded(self) -> Vec<Unrecorded> {
        self.unrecorded
    }

    fn say(&mut self, text: &str) {
        // A closed terminal must not stop a deploy half-way: narration is best effort.
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    fn record(&mut self, event: Event) -> Result<(), Unrecorded> {
        let mut record = Record::new(self.command, self.target, event);
        record.run = Some(self.run.to_owned());
        self.log.append(&record).map_err(|e| {
            let unrecorded = Unrecorded {
                record: record.line(),
                error: e.to_string(),
            };
            self.unrecorded.push(unrecorded.clone());
            unrecorded
        })
    }
}

impl Observer for Recorder<'_> {
    fn started(
        &mut self,
        index: usize,
        total: usize,
        step: &PlannedStep,
    ) -> Result<(), Unrecorded> {
        self.say(&format!("[{index}/{total}] {}\n", step.name));
        if step.skip.is_some() {
            return Ok(());
        }
        self.record(Event::StepStarted(StepStarted {
            step: step.name.clone(),
            step_command: None,
        }))
    }

    fn command(&mut self, line: &str) {
        self.say(&format!("      $ {line}\n"));
    }

    fn note(&mut self, text: &str) {
        self.say(&format!("      ({text})\n"));
    }

    fn finished(&mut self, _step: &PlannedStep, result: &StepResult) -> Result<(), Unrecorded> {
        let secs = result.duration.as_secs_f64();
        let indent = |m: &str| m.replace('\n', "\n        ");
        let (outcome, line) = match &result.outcome {
            StepStatus::Ok => (StepOutcome::Ok, format!("      ✔ ok in {secs:.1}s\n")),
            StepStatus::Skipped(reason) => {
                (StepOutcome::Skipped, format!("      – skipped: {reason}\n"))
            }
            StepStatus::Failed(message) => (
                StepOutcome::Failed,
                format!("      ✘ FAILED after {secs:.1}s: {}\n", indent(message)),
            ),
            StepStatus::TimedOut(message) => (
                StepOutcome::TimedOut,
                format!("      ✘ TIMED OUT after {secs:.1}s: {}\n", indent(message)),
            ),
            StepStatus::Interrupted(signal) => (
                StepOutcome::Interrupted,
                format!(
                    "      ✘ INTERRUPTED by {} after {secs:.1}s: its process group was stopped\n",
                    signal.name()
                ),
            ),
        };
        self.say(&line);
        let message = match &result.outcome {
            // The first line says what failed; the program's output stays out of the log.
            StepStatus::Failed(m) | StepStatus::TimedOut(m) => m.lines().next().map(str::to_owned),
            StepStatus::Interrupted(signal) => Some(format!("interrupted by {}", signal.name())),
            StepStatus::Ok | StepStatus::Skipped(_) => None,
        };
        self.record(Event::Step(Step {
            step: result.name.clone(),
            step_command: (!result.commands.is_empty()).then(|| result.commands.join(" && ")),
            duration_ms: u64::try_from(result.duration.as_millis()).ok(),
            outcome,
            message,
            before_sha: result.production_sha.clone(),
        }))
    }

    fn confirm_manual(&mut self, step: &PlannedStep) -> bool {
        self.prompt
            .confirm(&format!("      Manual step \"{}\": is it done?", step.name))
    }
}
