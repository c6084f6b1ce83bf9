//! Deploys and rollbacks as whole runs: taking the lock (a refusal is recorded),
//! the records that announce and close a run, running the runbook with progress
//! written to the writer it is given, and afterwards finding out where production
//! stands. Each run returns a typed [`RunReport`] that the command only prints. It
//! never decides (the gate did), never reads the terminal itself (a [`Prompt`]
//! asks) and never picks an exit code.

pub mod deploy;
mod judged;
pub mod lock_wait;
mod recorder;
pub mod rollback;
mod session;
pub mod shared;
pub mod summary;
pub mod target;

use std::io::Write;
use std::time::Duration;

use chrono::Utc;

use crate::audit::{AuditError, AuditLog, Event, Record, Run, RunOutcome};
use crate::config::Config;
use crate::runbook::execute::Push;
use crate::runbook::git::Git;
use crate::runbook::lock::{self, Holder, Lock, LockError};
use crate::runbook::process::Children;
use crate::runbook::signals::{Interruption, Watch};
use crate::runbook::{Context, Execution, PlannedStep, RunbookError, Stop, Unrecorded};

pub use judged::{Judged, Recheck};
pub use recorder::Recorder;
pub use session::Session;

#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Runbook(#[from] RunbookError),
    #[error("cannot catch SIGINT, SIGTERM and SIGHUP: {0}")]
    Signals(std::io::Error),
}

/// Asks a person a yes/no question; anything but a clear yes is no.
pub trait Prompt {
    fn confirm(&mut self, question: &str) -> bool;
}

/// Deploy or rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Deploy,
    Rollback,
}

impl RunKind {
    pub fn command(self) -> &'static str {
        match self {
            Self::Deploy => "deploy",
            Self::Rollback => "rollback",
        }
    }

    fn event(self, run: Run) -> Event {
        match self {
            Self::Deploy => Event::Deploy(run),
            Self::Rollback => Event::Rollback(run),
        }
    }
}

/// How child processes run for `config`: without the secrets' variables, their
/// output scrubbed of the secrets' values, `step_grace_seconds` to stop.
pub fn children(config: &Config, watch: Watch) -> Children {
    let env = |var: &str| std::env::var(var).ok();
    Children {
        remove: config.secret_vars(),
        redactor: crate::sources::redactor(config, &env),
        watch,
        grace: Duration::from_secs(config.step_grace_seconds),
    }
}

/// An id for the records of one run.
pub fn run_id() -> String {
    format!(
        "{}-{}",
        Utc::now().format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    )
}

/// Runs `read` (something that only reads: facts, GitHub's deployments) on a thread
/// of its own and gives up on it as soon as `watch` sees a signal: nothing is left
/// half done, and the abandoned requests end with the process. `Ok(None)`: the
/// reader ended without an answer.
pub fn until_interrupted<T: Send + 'static>(
    watch: &Watch,
    read: impl FnOnce() -> T + Send + 'static,
) -> Result<Option<T>, Interruption> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(read());
    });
    loop {
        if let Some(signal) = watch.received() {
            return Err(signal);
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(value) => return Ok(Some(value)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(None),
        }
    }
}

/// The report of a run interrupted by `signal` while it read what it runs on
/// (`what`): recorded as `aborted`, nothing was run.
pub fn interrupted_while_reading(
    kind: RunKind,
    ctx: &Context,
    log: &AuditLog,
    run: &str,
    actor: Option<crate::audit::Actor>,
    signal: Interruption,
    what: &str,
) -> RunReport {
    let mut template = Run::new(RunOutcome::Started);
    template.actor = actor;
    let on = On {
        kind,
        ctx,
        log,
        run,
    };
    ended_early(
        on,
        template,
        RunOutcome::Aborted,
        format!(
            "interrupted by {} while {what}, before any step",
            signal.name()
        ),
    )
}

/// Releases a run's lock at its end. A lock that stays (the deploy remote cannot
/// be reached) is said on stderr with the `unlock` command, recorded, and `false`
/// makes a run that otherwise succeeded exit 1: it stops every later deploy. A lock
/// someone removed while the run went on (`unlock`) leaves nothing behind: it is
/// said and recorded, and the run's own outcome stands.
pub fn release_or_say(lock: Lock, target: &str, log: &AuditLog, command: &str) -> bool {
    match lock.release_recorded(log, command) {
        Ok(()) => true,
        // Nothing of this run's is left behind; the run still says what happened.
        Err(e @ LockError::Lost { .. }) => {
            eprintln!(
                "gatekeeper: warning: this run's lock of {target} could not be released, it was gone at its end: {e}: compare `gatekeeper history {target}` with what production runs (`gatekeeper status {target}`)"
            );
            true
        }
        Err(e) => {
            eprintln!("gatekeeper: error: this run's lock of {target} could not be released: {e}");
            false
        }
    }
}

/// Takes the target's lock (a ref on the deploy remote) for one run; a refusal
/// (held, stale, unreadable) is recorded as a `refused` run before it is returned.
pub fn lock(ctx: &Context, log: &AuditLog, kind: RunKind, run: &str) -> Result<Lock, RolloutError> {
    let me = crate::runbook::liveness::this_process();
    let holder = Holder {
        boot_id: me.boot_id,
        pid_start: me.start,
        pid: std::process::id(),
        user: crate::audit::user(),
        host: crate::audit::host(),
        command: kind.command().to_owned(),
        started_at: Utc::now(),
        run_id: run.to_owned(),
    };
    let place = lock::place(
        &ctx.programs.git,
        &ctx.app_dir(),
        &ctx.config.deploy_remote,
        &ctx.target,
        &ctx.children,
    );
    match Lock::acquire(&place, &holder, lock::longest_run()) {
        Ok(lock) => Ok(lock),
        // Not a refusal: the lock could not be asked for at all.
        Err(e @ (LockError::Git { .. } | LockError::NotLocked { .. } | LockError::Auth { .. })) => {
            Err(e.into())
        }
        Err(e) => {
            let mut refused = Run::new(RunOutcome::Refused);
            refused.message = Some(e.to_string());
            let mut record = Record::new(kind.command(), &ctx.target, kind.event(refused));
            record.run = Some(run.to_owned());
            log.append(&record)?;
            Err(e.into())
        }
    }
}

/// The record of a run that took the lock and then ended on an error before its
/// first step (history unreadable, no SHA to restore, no decision): `aborted`,
/// saying why, so that no exit after the lock goes unrecorded. Nothing was run.
pub fn abandoned(
    kind: RunKind,
    target: &str,
    run: &str,
    actor: Option<crate::audit::Actor>,
    reason: &str,
) -> Record {
    let mut aborted = Run::new(RunOutcome::Aborted);
    aborted.actor = actor;
    aborted.message = Some(format!("nothing was run: {reason}"));
    let mut record = Record::new(kind.command(), target, kind.event(aborted));
    record.run = Some(run.to_owned());
    record
}

/// What a deploy or rollback did, for the command to print.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub kind: RunKind,
    pub target: String,
    pub deploy_remote: String,
    pub outcome: RunOutcome,
    /// Why it stopped early, when a step or a record stopped it.
    pub stop: Option<Stop>,
    /// Why it ended before any step (preflight, a person's no).
    pub reason: Option<String>,
    /// The signal that ended it.
    pub signal: Option<Interruption>,
    /// The steps that ran (or were skipped), in order, and how.
    pub steps: Vec<(String, String)>,
    /// Steps that would have run but did not.
    pub not_run: Vec<String>,
    /// Every push that went through.
    pub pushed: Vec<Push>,
    /// The release repos, the app first.
    pub repos: Vec<String>,
    /// What production ran before this run changed it (from the record step).
    pub production_before: Option<String>,
    /// The deploy remote's head when the run ended, or why it could not be read.
    pub production_now: Result<Option<String>, String>,
    /// Maintenance was (or may have been) turned on and not off again.
    pub maintenance_on: bool,
    /// Records that could not be written, to show instead.
    pub unrecorded: Vec<Unrecorded>,
    /// The SHA a rollback restores (rollback only).
    pub restoring: Option<String>,
    /// Why the guard after the deploy did not pass (its GitHub deployment fails).
    pub guard_failure: Option<String>,
}

impl RunReport {
    fn new(kind: RunKind, ctx: &Context) -> Self {
        Self {
            kind,
            target: ctx.target.clone(),
            deploy_remote: ctx.config.deploy_remote.clone(),
            outcome: RunOutcome::Started,
            stop: None,
            reason: None,
            signal: ctx.children.watch.received(),
            steps: Vec::new(),
            not_run: Vec::new(),
            pushed: Vec::new(),
            repos: ctx.repos.iter().map(|r| r.name.clone()).collect(),
            production_before: None,
            production_now: Ok(None),
            maintenance_on: false,
            unrecorded: Vec::new(),
            restoring: None,
            guard_failure: None,
        }
    }

    /// Whether production (the deploy remote) moved during the run: unknown counts
    /// as moved, so that the way back is always offered when in doubt.
    pub fn production_moved(&self) -> bool {
        match (&self.production_before, &self.production_now) {
            (None, _) => false,
            (Some(before), Ok(now)) => now.as_deref() != Some(before.as_str()),
            (Some(_), Err(_)) => true,
        }
    }

    /// The SHA to roll back to: only when production moved.
    pub fn rollback_to(&self) -> Option<&str> {
        self.production_before
            .as_deref()
            .filter(|_| self.production_moved())
    }

    /// Whether the deploy remote was pushed to in this run.
    pub fn pushed_to_production(&self) -> bool {
        self.pushed.iter().any(|p| p.remote == self.deploy_remote)
    }

    /// Takes in what the runbook did.
    fn absorb(&mut self, plan: &[PlannedStep], report: &Execution) {
        self.steps = report
            .results
            .iter()
            .map(|r| (r.name.clone(), outcome_word(&r.outcome).to_owned()))
            .collect();
        self.not_run = report
            .not_run(plan)
            .into_iter()
            .map(str::to_owned)
            .collect();
        self.pushed = report.pushed().cloned().collect();
        self.production_before = report.production_before.clone();
        self.maintenance_on = report.maintenance_on;
        self.stop = report.stop.clone();
        if let Some(Stop::Interrupted { signal, .. }) = &report.stop {
            self.signal = Some(*signal);
        }
        self.outcome = match &report.stop {
            None => RunOutcome::Ok,
            Some(Stop::Failed { .. } | Stop::Unrecorded { .. }) => RunOutcome::Failed,
            Some(Stop::TimedOut { .. }) => RunOutcome::TimedOut,
            Some(Stop::Interrupted { .. }) => RunOutcome::Aborted,
        };
    }

    /// The closing record of the run.
    fn closing(&self, mut run: Run) -> Run {
        run.outcome = self.outcome;
        run.before_sha = self.production_before.clone();
        run.after_sha = self.production_now.clone().ok().flatten();
        run.step = self.stop.as_ref().and_then(|s| s.step().map(str::to_owned));
        run.signal = self.signal.map(|s| s.name().to_owned());
        run.pushed = self
            .pushed
            .iter()
            .map(|p| format!("{}: {} to {}", p.repo, p.refspec, p.remote))
            .collect();
        run.message = match &self.stop {
            Some(Stop::Failed { message, .. } | Stop::TimedOut { message, .. }) => {
                message.lines().next().map(str::to_owned)
            }
            Some(Stop::Unrecorded { unrecorded, .. }) => Some(format!(
                "stopped: a record could not be written: {}",
                unrecorded.error
            )),
            Some(Stop::Interrupted { signal, .. }) => {
                Some(format!("interrupted by {}", signal.name()))
            }
            None => run.message.take(),
        };
        run
    }
}

fn outcome_word(outcome: &crate::runbook::StepStatus) -> &'static str {
    use crate::runbook::StepStatus;
    match outcome {
        StepStatus::Ok => "ok",
        StepStatus::Skipped(_) => "skipped",
        StepStatus::Failed(_) => "failed",
        StepStatus::TimedOut(_) => "timed out",
        StepStatus::Interrupted(_) => "interrupted",
    }
}

/// The run a record or report is about.
#[derive(Clone, Copy)]
struct On<'a> {
    kind: RunKind,
    ctx: &'a Context,
    log: &'a AuditLog,
    run: &'a str,
}

/// Appends `record`, or keeps it in `unrecorded` (with why) when it cannot be written.
fn append_or_keep(log: &AuditLog, record: &Record, unrecorded: &mut Vec<Unrecorded>) {
    if let Err(e) = log.append(record) {
        unrecorded.push(Unrecorded {
            record: record.line(),
            error: e.to_string(),
        });
    }
}

/// Runs `plan` with progress on `out`, then reads where production stands and
/// writes the closing record (`template` gives its gate, release SHAs and message).
fn execute(
    on: On<'_>,
    plan: &[PlannedStep],
    template: Run,
    out: &mut dyn Write,
    prompt: &mut dyn Prompt,
) -> RunReport {
    let On {
        kind,
        ctx,
        log,
        run,
    } = on;
    let mut report = RunReport::new(kind, ctx);
    let mut progress = Recorder::new(log, kind.command(), &ctx.target, run, out, prompt);
    let result = crate::runbook::run(plan, ctx, &mut progress);
    let mut unrecorded = progress.into_unrecorded();
    report.absorb(plan, &result);
    // Where production stands is asked even after an interruption: it is what the
    // person needs to know next.
    let mut asking = ctx.children.clone();
    asking.watch = Watch::never();
    report.production_now = Git::new(&ctx.programs.git, &ctx.app_dir(), &asking)
        .remote_head(&ctx.config.deploy_remote, &ctx.config.base_branch)
        .map_err(|e| e.to_string());
    let mut record = Record::new(
        kind.command(),
        &ctx.target,
        kind.event(report.closing(template)),
    );
    record.run = Some(run.to_owned());
    append_or_keep(log, &record, &mut unrecorded);
    report.unrecorded = unrecorded;
    report
}

/// A run that ended before any step: recorded as `outcome` with `reason`.
fn ended_early(on: On<'_>, mut template: Run, outcome: RunOutcome, reason: String) -> RunReport {
    let On {
        kind,
        ctx,
        log,
        run,
    } = on;
    let mut report = RunReport::new(kind, ctx);
    report.outcome = outcome;
    template.outcome = outcome;
    template.signal = report.signal.map(|s| s.name().to_owned());
    template.message = Some(reason.clone());
    report.reason = Some(reason);
    let mut record = Record::new(kind.command(), &ctx.target, kind.event(template));
    record.run = Some(run.to_owned());
    append_or_keep(log, &record, &mut report.unrecorded);
    report
}
