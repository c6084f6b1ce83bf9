//! The deploy command's hooks for the guard (`crate::guard`): what the dry run and
//! the run say about it, the baseline before the first step, the watch after a
//! successful runbook, its record, and the one automatic rollback after the lock is
//! released. Never a rollback of a rollback: the rollback runs without a guard, and
//! whatever it ends with, nothing else is started.

use std::io::Write;

use crate::audit::{AuditLog, Event, GuardNote, Record};
use crate::cli::{ConfigArgs, RollbackArgs};
use crate::config::{Config, TargetConfig};
use crate::guard::{self, Ended, Off, Plan};
use crate::net::Network;
use crate::policy::PolicySet;
use crate::rollout::RunReport;
use crate::runbook::signals::Watch;
use crate::sources::newrelic::blocking::NewRelic;
use crate::sources::newrelic::metrics::Figures;

use super::record::{append_or_warn, rollback_command};
use super::{CommandError, Outcome};

/// A guard ready to watch: its plan, New Relic, and the baseline read before the
/// first step.
pub struct Armed {
    plan: Plan,
    nr: NewRelic,
    baseline: Figures,
}

/// What the deploy does after its lock is released.
pub struct AutoRollback {
    pub to: String,
    note: GuardNote,
}

/// The guard of this deploy, said on `out`: `None` when there is none (not
/// configured, `--no-guard`) or on a dry run. The baseline is read here, before the
/// first step: when it cannot be, nothing is deployed (exit 2: the deploy could not
/// be guarded), with `--no-guard` named as the way to go without it.
pub fn arm(
    network: &Network,
    config: &Config,
    target: &TargetConfig,
    policies: &PolicySet,
    no_guard: bool,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<Option<Armed>, CommandError> {
    let Some(settings) = policies.settings() else {
        return Ok(None);
    };
    let plan = match guard::plan(config, target, settings, no_guard) {
        Ok(plan) => plan,
        Err(Off::NotConfigured) => {
            let _ = writeln!(
                out,
                "\nGuard: off (no [guard] section with minutes > 0 in the config)."
            );
            return Ok(None);
        }
        Err(Off::Skipped) => {
            let _ = writeln!(
                out,
                "\nGuard: skipped (--no-guard): nobody watches the numbers after this deploy."
            );
            return Ok(None);
        }
    };
    let _ = writeln!(out, "\n{}", plan.describe());
    if dry_run {
        return Ok(None);
    }
    let env = |var: &str| std::env::var(var).ok();
    let redactor = crate::sources::redactor(config, &env);
    let nr = NewRelic::connect(network, config, &env)
        .map_err(|e| unguarded(&redactor.scrub(&e.to_string())))?;
    let baseline = plan
        .baseline(&nr)
        .map_err(|e| unguarded(&redactor.scrub(&e.to_string())))?;
    let _ = writeln!(
        out,
        "Guard baseline over the last {} minutes: error rate {:.2}%, apdex {:.2}.",
        plan.baseline_minutes,
        baseline.error_pct.unwrap_or_default(),
        baseline.apdex.unwrap_or_default()
    );
    Ok(Some(Armed { plan, nr, baseline }))
}

fn unguarded(why: &str) -> CommandError {
    CommandError::Usage(format!(
        "the guard's baseline could not be read before the deploy: {why}; nothing was deployed. Fix New Relic's access, or deploy without the guard with --no-guard (recorded)"
    ))
}

/// Records that `--no-guard` skipped the guard of a deploy that ran.
pub fn record_skipped(log: &AuditLog, target: &str, run: &str) {
    let note = GuardNote {
        outcome: "skipped".to_owned(),
        reasons: vec!["--no-guard".to_owned()],
        baseline: None,
        samples: Vec::new(),
        rolled_back_automatically: false,
        rollback_to: None,
        rollback_exit: None,
    };
    let mut record = Record::new("deploy", target, Event::Guard(note));
    record.run = Some(run.to_owned());
    append_or_warn(log, &record);
}

/// Watches after a runbook that succeeded; says what was judged and why, loudly,
/// and records it. Sets the report's guard failure (the GitHub deployment's
/// status says it). Returns the outcome to exit with when the guard did not pass
/// (`None`: it passed), and the automatic rollback to run once the lock is released.
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
    if report.outcome != crate::audit::RunOutcome::Ok {
        return (None, None);
    }
    let Armed { plan, nr, baseline } = armed;
    let _ = writeln!(
        out,
        "\nGuard: watching {} for {} sample(s), one every {} s.",
        plan.app,
        plan.minutes,
        plan.interval.as_secs()
    );
    let watched = guard::watch(&plan, &nr, baseline, policies, out, signals);
    let target = report.target.clone();
    let back_to = report.production_before.clone();
    let (outcome, reasons, exit) = match &watched.ended {
        Ended::Passed => {
            let _ = writeln!(
                out,
                "✔ Guard passed: {} sample(s) within the thresholds.",
                watched.samples.len()
            );
            ("passed", Vec::new(), None)
        }
        Ended::Failed(reasons) => ("failed", reasons.clone(), Some(Outcome::Failure)),
        Ended::Interrupted(signal) => (
            "aborted",
            vec![format!("interrupted by {}", signal.name())],
            Some(Outcome::Interrupted(*signal)),
        ),
    };
    let auto = outcome == "failed" && plan.auto_rollback && back_to.is_some();
    let note = GuardNote {
        outcome: outcome.to_owned(),
        reasons: reasons.clone(),
        baseline: Some(watched.baseline_json()),
        samples: watched.samples_json(),
        rolled_back_automatically: auto,
        rollback_to: back_to.clone().filter(|_| auto),
        rollback_exit: None,
    };
    if exit.is_none() {
        let mut record = Record::new("deploy", &target, Event::Guard(note));
        record.run = Some(run.to_owned());
        append_or_warn(log, &record);
        return (None, None);
    }
    report.guard_failure = Some(format!("guard {outcome}: {}", reasons.join("; ")));
    let banner = format!(
        "\n✘✘✘ GUARD {} for {target}: the deploy was judged by its numbers and {}:",
        outcome.to_uppercase(),
        if outcome == "failed" {
            "failed"
        } else {
            "not judged to the end"
        }
    );
    let _ = writeln!(out, "{banner}");
    eprintln!("{}", banner.trim_start());
    for r in &reasons {
        let _ = writeln!(out, "  - {r}");
        eprintln!("  - {r}");
    }
    // CI logs (GitHub Actions) show an error annotation.
    if std::env::var_os("GITHUB_ACTIONS").is_some() {
        // Escaped by the workflow commands' rules, printed as a command (never
        // through std's println!, which panics on a closed stdout).
        super::print_commands(&crate::render::github::command(
            "error",
            &format!("gatekeeper guard {outcome}"),
            &reasons.join(" / "),
        ));
    }
    match (&back_to, auto) {
        (Some(to), true) => {
            let _ = writeln!(
                out,
                "Rolling back automatically, once, to {to} (auto_rollback = true)."
            );
            (
                exit,
                Some(AutoRollback {
                    to: to.clone(),
                    note,
                }),
            )
        }
        (Some(to), false) => {
            let mut record = Record::new("deploy", &target, Event::Guard(note));
            record.run = Some(run.to_owned());
            append_or_warn(log, &record);
            let _ = writeln!(
                out,
                "Production runs the new release. To put it back: {}",
                rollback_command(config_path, &target, to)
            );
            (exit, None)
        }
        (None, _) => {
            let mut record = Record::new("deploy", &target, Event::Guard(note));
            record.run = Some(run.to_owned());
            append_or_warn(log, &record);
            let _ = writeln!(
                out,
                "What production ran before is unknown: see `gatekeeper status {target}`."
            );
            (exit, None)
        }
    }
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
    let mut record = Record::new("deploy", target, Event::Guard(note));
    record.run = Some(run.to_owned());
    append_or_warn(log, &record);
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
