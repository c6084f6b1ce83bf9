//! One deploy or rollback run, from its start to its end, shared by both: its id,
//! the audit log, who runs it and the GitHub deployment it is shared on, and —
//! unless it is a dry run — the signals caught and the target's lock. Its end
//! records an error after the lock as `aborted` (saying why), releases the lock,
//! and says whether the lock was left behind (which stops every later run).

use crate::audit::{Actor, AuditLog, Gate};
use crate::runbook::Context;
use crate::runbook::lock::Lock;
use crate::runbook::signals::{Interruption, Interrupts};

use super::deployments::{self, Shared};
use super::{RolloutError, RunKind, RunReport};

pub struct Session {
    kind: RunKind,
    target: String,
    id: String,
    log: AuditLog,
    shared: Option<Shared>,
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
        let id = super::run_id();
        let mut session = Self {
            kind,
            target: ctx.target.clone(),
            id,
            log,
            shared,
            lock: None,
            _interrupts: None,
        };
        if dry_run {
            return Ok(session);
        }
        session.log.ensure()?;
        let interrupts = Interrupts::catch().map_err(RolloutError::Signals)?;
        session.lock = Some(super::lock(ctx, &session.log, kind, &session.id)?);
        ctx.children.watch = interrupts.watch();
        session._interrupts = Some(interrupts);
        Ok(session)
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
        deployments::run_actor(self.shared.as_ref())
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
    pub fn share(&self, report: &RunReport, gate: Option<&Gate>) {
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
            let record = super::abandoned(
                self.kind,
                &self.target,
                &self.id,
                deployments::run_actor(self.shared.as_ref()),
                why,
            );
            if let Err(e) = self.log.append(&record) {
                eprintln!("gatekeeper: warning: {e}");
            }
        }
        super::release_or_say(lock, &self.target, &self.log, self.kind.command())
    }
}
