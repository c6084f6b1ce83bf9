//! One deploy or rollback run, from its start to its end, shared by both: its id,
//! the audit log, who runs it and the GitHub deployment it is shared on, and —
//! unless it is a dry run — the signals caught and the target's lock. Its end
//! records an error after the lock as `aborted` (saying why), releases the lock,
//! and says whether the lock was left behind (which stops every later run).

use crate::audit::{Actor, AuditLog, Ruling};
use crate::runbook::Context;
use crate::runbook::lock::Lock;
use crate::runbook::signals::{Interruption, Interrupts, Watch};

use super::shared::{self, Shared};
use super::{RolloutError, RunKind, RunReport};

pub struct Session {
    kind: RunKind,
    target: String,
    id: String,
    log: AuditLog,
    shared: Option<Shared>,
    /// Who runs it, as its records name them.
    actor: Option<Actor>,
    lock: Option<Lock>,
    /// Held for the run: signals are caught from before the lock is taken.
    _interrupts: Option<Interrupts>,
}

impl Session {
    /// Starts a run of `kind` on `ctx`'s target. A dry run takes nothing. Otherwise
    /// the log must take records (a regular file, no link), signals are caught
    /// (a Ctrl-C while the lock's push runs must not kill gatekeeper and leave the
    /// lock behind unrecorded), the lock is taken, and `ctx`'s children watch the
    /// signals from then on.
    pub fn start(
        kind: RunKind,
        ctx: &mut Context,
        log: AuditLog,
        shared: Option<Shared>,
        dry_run: bool,
    ) -> Result<Self, RolloutError> {
        let mut session = Self::new(kind, ctx, log, shared);
        if dry_run {
            return Ok(session);
        }
        session.log.ensure()?;
        let interrupts = Interrupts::catch().map_err(RolloutError::Signals)?;
        session.take_lock(ctx, interrupts)?;
        Ok(session)
    }

    /// [`start`](Self::start) for a run that may wait first (`deploy --wait`,
    /// `--wait-for-lock`): the signals may be caught already (`interrupts`), and
    /// `wait` runs before the lock is taken; a signal during it ends the run with
    /// nothing taken (`Ok(Err(signal))`).
    pub fn start_after(
        kind: RunKind,
        ctx: &mut Context,
        log: AuditLog,
        shared: Option<Shared>,
        interrupts: Option<Interrupts>,
        wait: impl FnOnce(&Context, &Watch) -> Option<Interruption>,
    ) -> Result<Result<Self, Interruption>, RolloutError> {
        let mut session = Self::new(kind, ctx, log, shared);
        session.log.ensure()?;
        let interrupts = match interrupts {
            Some(caught) => caught,
            None => Interrupts::catch().map_err(RolloutError::Signals)?,
        };
        if let Some(signal) = wait(ctx, &interrupts.watch()) {
            return Ok(Err(signal));
        }
        session.take_lock(ctx, interrupts)?;
        Ok(Ok(session))
    }

    fn new(kind: RunKind, ctx: &Context, log: AuditLog, shared: Option<Shared>) -> Self {
        Self {
            kind,
            target: ctx.target.clone(),
            id: super::run_id(),
            log,
            actor: shared::run_actor(shared.as_ref()),
            shared,
            lock: None,
            _interrupts: None,
        }
    }

    /// Takes the target's lock; `ctx`'s children watch the signals from then on.
    fn take_lock(&mut self, ctx: &mut Context, interrupts: Interrupts) -> Result<(), RolloutError> {
        self.lock = Some(super::lock(ctx, &self.log, self.kind, &self.id)?);
        ctx.children.watch = interrupts.watch();
        self._interrupts = Some(interrupts);
        Ok(())
    }

    /// Names who runs it anew (a run asked for in a comment is stamped with the
    /// request's asker and comment).
    pub fn restamp_actor(&mut self, stamp: impl FnOnce(Option<Actor>) -> Option<Actor>) {
        self.actor = stamp(self.actor.take());
    }

    /// The id of the run's records.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn log(&self) -> &AuditLog {
        &self.log
    }

    /// Where the run is shared on GitHub, when it could connect.
    pub fn shared(&self) -> Option<&Shared> {
        self.shared.as_ref()
    }

    /// Who runs it: the token's login and the person CI names, when known.
    pub fn actor(&self) -> Option<Actor> {
        self.actor.clone()
    }

    /// The report of the run interrupted by `signal` while it read what it runs on
    /// (`what`): recorded as `aborted`, nothing was run.
    pub fn interrupted_while_reading(
        &self,
        ctx: &Context,
        signal: Interruption,
        what: &str,
    ) -> RunReport {
        super::interrupted_while_reading(
            self.kind,
            ctx,
            &self.log,
            &self.id,
            self.actor(),
            signal,
            what,
        )
    }

    /// Shares the run's end on GitHub's deployments, when it is connected.
    pub fn share(&self, report: &RunReport, gate: Option<&Ruling>) {
        if let Some(shared) = &self.shared {
            shared.record(report, &self.id, gate, &self.log, &mut std::io::stderr());
        }
    }

    /// The end of the run. When it held the lock: an error (`failed`, its text) is
    /// recorded as `aborted`, and the lock is released. `false`: the lock was left
    /// behind (said on stderr and recorded), and a run that otherwise succeeded
    /// must fail.
    pub fn end(self, failed: Option<&str>) -> bool {
        let Some(lock) = self.lock else {
            return true;
        };
        if let Some(why) = failed {
            let record = super::abandoned(self.kind, &self.target, &self.id, self.actor, why);
            if let Err(e) = self.log.append(&record) {
                eprintln!("gatekeeper: warning: {e}");
            }
        }
        super::release_or_say(lock, &self.target, &self.log, self.kind.command())
    }
}
