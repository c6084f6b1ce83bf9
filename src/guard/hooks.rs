//! The guard around a deploy run (its hooks): what the dry run and the run say
//! about it, the baseline before the first step, the watch after a successful
//! runbook and its record. It reads a [`RunReport`], so it sits on the rollout
//! layer (see `src/lib.rs`). Never a rollback of a rollback: the automatic
//! rollback it asks for runs without a guard (the command runs it).

use std::io::Write;

use crate::audit::{AuditLog, Event, GuardNote, Record};
use crate::config::{Config, TargetConfig};
use crate::net::Network;
use crate::policy::PolicySet;
use crate::render::hint::rollback_command;
use crate::rollout::RunReport;
use crate::runbook::signals::Watch;
use crate::sources::newrelic::blocking::NewRelic;
use crate::sources::newrelic::metrics::Figures;

use super::{Off, Terms, WatchEnd};

/// Why a deploy cannot be guarded: nothing is deployed.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(
        "the guard's baseline could not be read before the deploy: {0}; nothing was deployed. Fix New Relic's access, or deploy without the guard with --no-guard (recorded)"
    )]
    Unguarded(String),
}

/// A guard ready to watch: its plan, New Relic, and the baseline read before the
/// first step.
pub struct Armed {
    plan: Terms,
    nr: NewRelic,
    baseline: Figures,
}

/// What the deploy does after its lock is released.
pub struct AutoRollback {
    pub to: String,
    pub note: GuardNote,
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
) -> Result<Option<Armed>, GuardError> {
    let Some(settings) = policies.settings() else {
        // Thresholds come from the settings: a configured guard without them guards
        // nothing, and a deploy the config says is guarded must not run unguarded.
        if config.guard.as_ref().is_some_and(|g| g.on()) && !no_guard {
            return Err(GuardError::Unguarded(
                "the policies declare no settings (guard_error_rate_rise_points, guard_apdex_drop) to judge it by".to_owned(),
            ));
        }
        return Ok(None);
    };
    let plan = match super::terms(config, target, settings, no_guard) {
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
        .map_err(|e| GuardError::Unguarded(redactor.scrub(&e.to_string())))?;
    let baseline = plan
        .baseline(&nr)
        .map_err(|e| GuardError::Unguarded(redactor.scrub(&e.to_string())))?;
    let _ = writeln!(
        out,
        "Guard baseline over the last {} minutes: error rate {:.2}%, apdex {:.2}.",
        plan.baseline_minutes,
        baseline.error_pct.unwrap_or_default(),
        baseline.apdex.unwrap_or_default()
    );
    Ok(Some(Armed { plan, nr, baseline }))
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
    record(log, target, run, note);
}

/// The guard's note on the deploy `run`, appended to the log; a failure is only said.
pub fn record(log: &AuditLog, target: &str, run: &str, note: GuardNote) {
    let mut record = Record::new("deploy", target, Event::Guard(note));
    record.run = Some(run.to_owned());
    if let Err(e) = log.append(&record) {
        eprintln!("gatekeeper: warning: {e}");
    }
}

/// Watches after a runbook that succeeded; says what was judged and why, loudly,
/// and records it. Sets the report's guard failure (the GitHub deployment's
/// status says it). Returns how the guard ended when it did not pass (`None`:
/// it passed, or there was nothing to watch), and the automatic rollback to run once the lock is released.
/// In a CI log (GitHub Actions) an error annotation goes to `annotate`, which
/// prints workflow commands on stdout.
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
    annotate: &dyn Fn(&str),
) -> (Option<WatchEnd>, Option<AutoRollback>) {
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
    let watched = super::watch(&plan, &nr, baseline, policies, out, signals);
    let target = report.target.clone();
    let back_to = report.production_before.clone();
    let (outcome, reasons, exit) = match &watched.ended {
        WatchEnd::Passed => {
            let _ = writeln!(
                out,
                "✔ Guard passed: {} sample(s) within the thresholds.",
                watched.samples.len()
            );
            ("passed", Vec::new(), None)
        }
        WatchEnd::Failed(reasons) => ("failed", reasons.clone(), Some(watched.ended.clone())),
        WatchEnd::Interrupted(signal) => (
            "aborted",
            vec![format!("interrupted by {}", signal.name())],
            Some(watched.ended.clone()),
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
        record(log, &target, run, note);
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
        annotate(&crate::render::github::command(
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
            record(log, &target, run, note);
            let _ = writeln!(
                out,
                "Production runs the new release. To put it back: {}",
                rollback_command(config_path, &target, to)
            );
            (exit, None)
        }
        (None, _) => {
            record(log, &target, run, note);
            let _ = writeln!(
                out,
                "What production ran before is unknown: see `gatekeeper status {target}`."
            );
            (exit, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config whose guard is on, over policies that declare no settings (so no
    /// thresholds): the deploy is refused as unguarded, never run without its guard.
    #[test]
    fn a_configured_guard_without_settings_refuses_the_deploy() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        let mut text = std::fs::read_to_string(root.join("gatekeeper.toml")).unwrap();
        if !text.contains("\n[guard]") {
            text.push_str("\n[guard]\nminutes = 3\n");
        }
        let config_file = dir.path().join("gatekeeper.toml");
        std::fs::write(&config_file, text).unwrap();
        let config = Config::load(&config_file).unwrap();
        assert!(config.guard.as_ref().is_some_and(|g| g.on()));
        let policies_dir = dir.path().join("bare");
        std::fs::create_dir(&policies_dir).unwrap();
        std::fs::copy(
            root.join("policies/gatekeeper.rego"),
            policies_dir.join("gatekeeper.rego"),
        )
        .unwrap();
        let policies = PolicySet::parse(&policies_dir, false).unwrap();
        assert!(policies.settings().is_none());
        let network = Network::start(config.limits()).unwrap();
        let target = config.target("production").unwrap();
        let mut out = Vec::new();
        let armed = arm(&network, &config, target, &policies, false, false, &mut out);
        assert!(matches!(armed, Err(GuardError::Unguarded(_))));
        let unguarded = arm(&network, &config, target, &policies, true, false, &mut out);
        assert!(
            matches!(unguarded, Ok(None)),
            "--no-guard still goes without it"
        );
    }
}
