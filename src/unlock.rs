//! Removing a deploy lock that a dead run left on the deploy remote, after a person
//! has judged that no run holds it (`gatekeeper unlock`). Owns the judgement of
//! whether a lock may go: never the lock of a run alive on this machine (its host,
//! boot, pid and the pid's start time all match: a pid reused after a reboot is not
//! the run), and a lock younger than the stale age held from another machine, one
//! whose holder cannot be read, or one that names no start time while its pid runs
//! here, only with `force`. The removal is recorded in the audit log with who
//! removed whose lock and why.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::audit::{AuditError, AuditLog, Event, Record, Run, RunOutcome};
use crate::config::{Config, TargetConfig};
use crate::runbook::liveness::{self, Liveness};
use crate::runbook::lock::{self, Holder, LockError, describe_age, longest_run};
use crate::runbook::{Context, RunbookError};

/// Why a lock was not removed.
#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    /// The judgement says the lock must stay.
    #[error("the lock of {target} stays: {why}")]
    Stays { target: String, why: String },
    #[error(transparent)]
    Runbook(#[from] RunbookError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// What an unlock did.
pub enum Unlocked {
    /// The target was not locked: nothing was removed.
    NotLocked,
    /// The lock of `whose` was removed and the removal recorded in `log`.
    Removed { whose: String, log: PathBuf },
}

/// Removes the lock of `name` (whose runbook view is `ctx`) when the judgement
/// allows it, recording why (`reason`) in the audit log first made sure writable.
pub fn unlock(
    config: &Config,
    name: &str,
    target: &TargetConfig,
    ctx: &Context,
    reason: &str,
    force: bool,
) -> Result<Unlocked, UnlockError> {
    // The lock is reached through the app's clone: one in `workdir` is made.
    crate::runbook::clones::ensure(config, target, ctx, false)?;
    let log = AuditLog::of(config);
    let place = lock::place(
        &ctx.programs.git,
        &ctx.app_dir(),
        &target.deploy_remote,
        name,
        &ctx.children,
    );
    // The removal must be recordable before anything is removed.
    log.ensure()?;
    // Who holds it is judged before anything is removed, and exactly the lock
    // judged is removed (a lease on its commit).
    let Some(sha) = place.current()? else {
        return Ok(Unlocked::NotLocked);
    };
    let holder = place.holder(&sha).map_err(|e| e.to_string());
    let here = crate::audit::host();
    if let Err(why) = may_remove(
        holder.as_ref().map_err(String::as_str),
        &here,
        Utc::now(),
        force,
        &|h: &Holder| {
            liveness::judge(
                h.pid,
                &liveness::Identity {
                    boot_id: h.boot_id.clone(),
                    start: h.pid_start,
                },
                liveness::boot_id().as_deref(),
                &liveness::start_time,
                &pid_alive,
            )
        },
    ) {
        return Err(UnlockError::Stays {
            target: name.to_owned(),
            why,
        });
    }
    let removed = lock::remove(&place, &sha, holder.ok())?;
    let whose = match &removed.holder {
        Some(h) => format!(
            "{h}, {} old",
            describe_age(Utc::now().signed_duration_since(h.started_at))
        ),
        None => format!("an unreadable lock ({})", removed.sha),
    };
    let mut unlock = Run::new(RunOutcome::Ok);
    unlock.message = Some(format!("removed the lock of {whose}: {reason}"));
    let mut record = Record::new("unlock", name, Event::Unlock(unlock));
    record.run = removed.holder.as_ref().map(|h| h.run_id.clone());
    log.append(&record)?;
    Ok(Unlocked::Removed {
        whose,
        log: log.path().to_owned(),
    })
}

/// True when a process `pid` exists on this machine (whoever owns it).
fn pid_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        // It exists, but belongs to someone else.
        Err(e) => e == rustix::io::Errno::PERM,
    }
}

/// Whether the lock of `holder` may be removed from machine `here` at `now`, or
/// why not. `alive` judges whether a holder's process runs on this machine.
fn may_remove(
    holder: Result<&Holder, &str>,
    here: &str,
    now: DateTime<Utc>,
    force: bool,
    alive: &dyn Fn(&Holder) -> Liveness,
) -> Result<(), String> {
    let holder = match holder {
        Ok(h) => h,
        Err(_) if force => return Ok(()),
        Err(why) => {
            return Err(format!(
                "its holder cannot be read ({why}), so nothing says the run is dead; if you know no run holds it, run again with --force"
            ));
        }
    };
    let age = now.signed_duration_since(holder.started_at);
    let liveness = if holder.host == here {
        alive(holder)
    } else {
        Liveness::Dead("another machine".to_owned())
    };
    if holder.host == here && liveness == Liveness::PidOnly && !force {
        return Err(format!(
            "{holder} may be alive on this machine: pid {} runs, but the lock names no boot or start time to tell whether it is the run (for {}); if it is not (the machine rebooted, the pid was reused), run again with --force; else stop it (`kill {}`)",
            holder.pid,
            describe_age(age),
            holder.pid
        ));
    }
    if holder.host == here && liveness == Liveness::Alive {
        return Err(format!(
            "{holder} is alive on this machine (pid {} runs, for {}); let it finish, or stop it (`kill {}`: it records its end and releases the lock), then run unlock again if the lock is left",
            holder.pid,
            describe_age(age),
            holder.pid
        ));
    }
    if holder.host != here && age < longest_run() && !force {
        return Err(format!(
            "it is held by {holder}, for {}, younger than the {} h after which a lock is stale, and from another machine ({}), where the run may still be going; make sure it is dead there, then run again with --force",
            describe_age(age),
            longest_run().num_hours(),
            holder.host
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(host: &str, pid: u32, age_min: i64, now: DateTime<Utc>) -> Holder {
        Holder {
            command: "deploy".to_owned(),
            user: "jenkins".to_owned(),
            host: host.to_owned(),
            pid,
            started_at: now - chrono::Duration::minutes(age_min),
            run_id: "r-1".to_owned(),
            boot_id: None,
            pid_start: None,
        }
    }

    #[test]
    fn a_lock_alive_here_stays_even_with_force() {
        let now = Utc::now();
        let alive = |h: &Holder| {
            if h.pid == 42 {
                Liveness::Alive
            } else {
                Liveness::Dead("gone".to_owned())
            }
        };
        let h = holder("vm", 42, 600, now);
        let why = may_remove(Ok(&h), "vm", now, true, &alive).unwrap_err();
        assert!(why.contains("pid 42") && why.contains("kill 42"), "{why}");
        // Dead here: removable at any age, without --force.
        let h = holder("vm", 43, 1, now);
        assert!(may_remove(Ok(&h), "vm", now, false, &alive).is_ok());
        // A pid that runs, with nothing to tell whether it is the run: --force.
        let unsure = |_: &Holder| Liveness::PidOnly;
        let h = holder("vm", 42, 1, now);
        let why = may_remove(Ok(&h), "vm", now, false, &unsure).unwrap_err();
        assert!(why.contains("--force"), "{why}");
        assert!(may_remove(Ok(&h), "vm", now, true, &unsure).is_ok());
    }

    #[test]
    fn a_young_lock_from_another_machine_needs_force() {
        let now = Utc::now();
        let alive = |_: &Holder| Liveness::Alive;
        let h = holder("agent-7", 42, 30, now);
        let why = may_remove(Ok(&h), "laptop", now, false, &alive).unwrap_err();
        assert!(
            why.contains("--force") && why.contains("agent-7") && why.contains("30 min"),
            "{why}"
        );
        assert!(may_remove(Ok(&h), "laptop", now, true, &alive).is_ok());
        let old = holder("agent-7", 42, 7 * 60, now);
        assert!(may_remove(Ok(&old), "laptop", now, false, &alive).is_ok());
        // An unreadable holder: only with --force.
        assert!(may_remove(Err("garbled"), "laptop", now, false, &alive).is_err());
        assert!(may_remove(Err("garbled"), "laptop", now, true, &alive).is_ok());
    }

    #[test]
    fn this_process_is_alive_and_an_unused_pid_is_not() {
        assert!(pid_alive(std::process::id()));
        assert!(!pid_alive(u32::MAX));
    }
}
