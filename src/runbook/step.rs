//! One step's parts that the step kinds share: how a step ended ([`StepStatus`],
//! [`StepResult`]), the [`Observer`] that shows and records it, and [`run_one`],
//! which runs one command of a step within its deadline. The plan's runner
//! ([`super::execute`]) and the built-in steps ([`super::builtin`],
//! [`super::verify`]) stand on it; it knows neither.

use std::path::Path;
use std::time::{Duration, Instant};

use super::Context;
use super::plan::{PlannedStep, show};
use super::process::{Ended, NO_CREDENTIAL, NOT_SHOWN, Output};
use super::signals::Interruption;

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepStatus {
    Ok,
    Skipped(String),
    Failed(String),
    /// Its time limit ran out and its process group was stopped.
    TimedOut(String),
    /// A signal arrived while it ran and was passed on to its process group.
    Interrupted(Interruption),
}

/// A push that went through: `branch` of `repo` is now on `remote`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub repo: String,
    pub remote: String,
    /// The refspec as given (`master`, `master:master`, `rollback:master`).
    pub refspec: String,
}

#[derive(Debug, Clone)]
pub struct StepResult {
    pub name: String,
    pub outcome: StepStatus,
    pub duration: Duration,
    /// The command lines run, as shown.
    pub commands: Vec<String>,
    /// Set by the record step.
    pub production_sha: Option<String>,
    /// The pushes that went through.
    pub pushed: Vec<Push>,
}

/// A record the observer could not write: the run stops before anything else
/// changes, and the record is shown instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrecorded {
    /// The record, as the one JSON line it would have been.
    pub record: String,
    /// Why it could not be written.
    pub error: String,
}

/// Shows progress, records steps and asks people.
pub trait Observer {
    /// Before a step starts (or is skipped). An error stops the run: the step does
    /// not start, since its record is not safely written.
    fn started(&mut self, index: usize, total: usize, step: &PlannedStep)
    -> Result<(), Unrecorded>;
    /// A command is about to run.
    fn command(&mut self, line: &str);
    /// Something worth a line that is not a command (which clone, nothing to do).
    fn note(&mut self, _text: &str) {}
    /// After a step ended. An error stops the run after this step.
    fn finished(&mut self, step: &PlannedStep, result: &StepResult) -> Result<(), Unrecorded>;
    /// A manual step: true when a person confirms it is done.
    fn confirm_manual(&mut self, step: &PlannedStep) -> bool;
}

/// Why a step did not succeed.
#[derive(Debug, Clone)]
pub(crate) enum StepError {
    Failed(String),
    TimedOut(String),
    Interrupted(Interruption),
}

impl From<String> for StepError {
    fn from(message: String) -> Self {
        Self::Failed(message)
    }
}

/// Runs one command within the step's deadline, showing it first; a non-zero exit
/// is an error with its last lines (scrubbed of secrets).
pub(crate) fn run_one(
    ctx: &Context,
    program: &str,
    args: &[String],
    dir: &Path,
    deadline: Instant,
    observer: &mut dyn Observer,
    result: &mut StepResult,
) -> Result<Output, StepError> {
    let line = show(program, args);
    observer.command(&line);
    result.commands.push(line.clone());
    let ended = ctx
        .children
        .run(program, args, dir, Some(deadline))
        .map_err(|e| StepError::Failed(e.to_string()))?;
    if ended.output().cut {
        observer.note(NOT_SHOWN);
    }
    match ended {
        Ended::Exited(out) if out.success => {
            if let Some(push) = push_of(ctx, program, args, dir) {
                result.pushed.push(push);
            }
            Ok(out)
        }
        Ended::Exited(out) => {
            let mut tail = out.tail(10);
            if out.needs_credentials() {
                tail = format!("{tail}\n{NO_CREDENTIAL}");
            }
            Err(StepError::Failed(if tail.is_empty() {
                format!("`{line}` failed ({})", out.status)
            } else {
                format!("`{line}` failed ({}):\n{tail}", out.status)
            }))
        }
        Ended::TimedOut(_) => Err(StepError::TimedOut(format!(
            "`{line}` timed out: still running after the step's limit, its process group was stopped; raise timeout_minutes for the step if it is only slow"
        ))),
        Ended::Interrupted(signal, _) => Err(StepError::Interrupted(signal)),
    }
}

/// `git push [--force] REMOTE REFSPEC` run in a repo's clone, as a [`Push`].
fn push_of(ctx: &Context, program: &str, args: &[String], dir: &Path) -> Option<Push> {
    if program != ctx.programs.git {
        return None;
    }
    let mut words = args.iter().filter(|a| !a.starts_with('-'));
    if words.next().map(String::as_str) != Some("push") {
        return None;
    }
    let remote = words.next()?.clone();
    let refspec = words.next().cloned().unwrap_or_default();
    let repo = ctx
        .repos
        .iter()
        .find(|r| r.dir == dir)
        .map_or_else(|| dir.display().to_string(), |r| r.name.clone());
    Some(Push {
        repo,
        remote,
        refspec,
    })
}
