//! The deploy command's hooks for the guard: arming and watching are
//! [`crate::guard::hooks`]'s; here the outcome is picked and the one automatic
//! rollback run, after the lock is released. Never a rollback of a rollback: the
//! rollback runs without a guard, and whatever it ends with, nothing else is
//! started.

use std::io::Write;

use crate::audit::AuditLog;
use crate::cli::{ConfigArgs, RollbackArgs};
use crate::guard::WatchEnd;
use crate::guard::hooks::{self, Armed, GuardError};
use crate::policy::PolicySet;
use crate::rollout::RunReport;
use crate::runbook::signals::Watch;

use super::record::rollback_command;
use super::{CommandError, Outcome};

pub use crate::guard::hooks::{AutoRollback, arm, record_skipped};

impl From<GuardError> for CommandError {
    fn from(e: GuardError) -> Self {
        Self::Usage(e.to_string())
    }
}

/// Watches after a runbook that succeeded ([`hooks::watch`]); the outcome to exit
/// with when the guard did not pass (`None`: it passed), and the automatic
/// rollback to run once the lock is released.
#[allow(clippy::too_many_arguments)]
pub fn watch(
    armed: Armed,
    report: &mut RunReport,
    policies: &mut PolicySet,
    out: &mut dyn Write,
    signals: &Watch,
    log: &AuditLog,
    run: &str,
    config_path: &std::path::Path,
) -> (Option<Outcome>, Option<AutoRollback>) {
    let (ended, auto) = hooks::watch(
        armed,
        report,
        policies,
        out,
        signals,
        log,
        run,
        config_path,
        &super::print_commands,
    );
    let exit = ended.map(|ended| match ended {
        WatchEnd::Interrupted(signal) => Outcome::Interrupted(signal),
        WatchEnd::Passed | WatchEnd::Failed(_) => Outcome::Failure,
    });
    (exit, auto)
}

/// The one automatic rollback, after the deploy's lock is released: recorded (the
/// guard's figures and `rolled_back_automatically`), then `rollback --to` with
/// `--yes`. Whatever it ends with, the deploy exits 1 and nothing else is started.
pub fn roll_back(
    auto: AutoRollback,
    config: &ConfigArgs,
    target: &str,
    log: &AuditLog,
    run: &str,
) -> Outcome {
    let AutoRollback { to, note } = auto;
    hooks::record(log, target, run, note);
    let ended = super::rollback::run(RollbackArgs {
        target: target.to_owned(),
        config: config.clone(),
        to: Some(to.clone()),
        reason: Some("the guard after the deploy failed: automatic rollback".to_owned()),
        dry_run: false,
        yes: true,
        chatops_request: None,
    });
    let said = match &ended {
        Ok(Outcome::Success) => format!("✔ The automatic rollback put {target} back on {to}."),
        Ok(_) => format!(
            "✘ The automatic rollback of {target} to {to} did not succeed; no other is started: see `gatekeeper status {target}`."
        ),
        Err(e) => format!(
            "✘ The automatic rollback of {target} to {to} could not run: {e}; no other is started: {}",
            rollback_command(&config.config, target, &to)
        ),
    };
    super::print(&format!("{said}\n"));
    eprintln!("gatekeeper: {said}");
    Outcome::Failure
}
