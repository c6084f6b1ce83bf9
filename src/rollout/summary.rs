//! The end of a deploy or rollback as people read it: what ran and what did not,
//! what was pushed where per repo, where production stands, whether maintenance is
//! still on, and the exact command back, offered only when production moved. It
//! reads a [`RunReport`], so it lives with the runs.

use std::path::Path;

use crate::audit::RunOutcome;
use crate::rollout::{RunKind, RunReport};
use crate::runbook::Stop;

use crate::render::hint::rollback_command;

fn short(sha: Option<&str>) -> String {
    sha.map_or_else(|| "?".to_owned(), |s| s.chars().take(10).collect())
}

/// The summary text.
pub fn text(report: &RunReport, config: &Path, ttmscalr: &str) -> String {
    let what = match report.kind {
        RunKind::Deploy => "Deploy",
        RunKind::Rollback => "Rollback",
    };
    let target = &report.target;
    // Where production stands, or why that could not be read back: never a bare "?".
    let now_shown = match &report.production_now {
        Ok(Some(sha)) => short(Some(sha)),
        Ok(None) => format!("no {} branch", report.deploy_remote),
        Err(e) => format!("(not read back: {e}; see `gatekeeper status {target}`)"),
    };
    if report.outcome == RunOutcome::Ok {
        let lost = if report.unrecorded.is_empty() {
            ""
        } else {
            "\n✘ But the audit log could not be written: the records printed on stderr are all that is left of this run; keep them.\n"
        };
        let done = match report.kind {
            RunKind::Deploy => format!(
                "\n✔ Deployed {target} to {}: {} → {}.\n",
                report.deploy_remote,
                short(report.production_before.as_deref()),
                now_shown
            ),
            RunKind::Rollback => format!(
                "\n✔ Rolled {target} back: {} → {}.\n",
                short(report.production_before.as_deref()),
                now_shown
            ),
        };
        return format!("{done}{lost}");
    }
    if let Some(reason) = &report.reason {
        return match reason.as_str() {
            "not confirmed" => "Not confirmed: nothing was changed.\n".to_owned(),
            _ if reason.starts_with("preflight failed: ") => format!(
                "\n✘ Preflight failed: {}\nNothing was changed.\n",
                reason.trim_start_matches("preflight failed: ")
            ),
            _ => format!("\n✘ {what} of {target} stopped: {reason}. Nothing was changed.\n"),
        };
    }

    let mut text = match &report.stop {
        Some(Stop::Failed { step, .. }) => {
            format!("\n✘ {what} of {target} FAILED at step \"{step}\".")
        }
        Some(Stop::TimedOut { step, .. }) => {
            format!("\n✘ {what} of {target} TIMED OUT at step \"{step}\".")
        }
        Some(Stop::Interrupted { step, signal }) => match step {
            Some(step) => format!(
                "\n✘ {what} of {target} INTERRUPTED by {} during step \"{step}\".",
                signal.name()
            ),
            None => format!(
                "\n✘ {what} of {target} INTERRUPTED by {} between steps.",
                signal.name()
            ),
        },
        Some(Stop::Unrecorded { step, unrecorded }) => format!(
            "\n✘ {what} of {target} STOPPED at step \"{step}\": the audit log cannot be written ({}), so no further step runs.",
            unrecorded.error
        ),
        None => format!("\n✘ {what} of {target} did not finish."),
    };
    if !report.steps.is_empty() {
        let ran: Vec<String> = report
            .steps
            .iter()
            .map(|(name, outcome)| format!("{name} ({outcome})"))
            .collect();
        text.push_str(&format!("\nRan: {}.", ran.join(", ")));
    }
    if !report.not_run.is_empty() {
        text.push_str(&format!(" Not run: {}.", report.not_run.join(", ")));
    }
    text.push('\n');

    text.push_str("\nPushed:\n");
    for repo in &report.repos {
        let pushes: Vec<String> = report
            .pushed
            .iter()
            .filter(|p| &p.repo == repo)
            .map(|p| format!("{} to {}", p.refspec, p.remote))
            .collect();
        if pushes.is_empty() {
            text.push_str(&format!("    {repo}: nothing\n"));
        } else {
            text.push_str(&format!("    {repo}: {}\n", pushes.join("; ")));
        }
    }
    let remote = &report.deploy_remote;
    match (&report.production_before, &report.production_now) {
        (_, Err(e)) => text.push_str(&format!(
            "Production: cannot read {remote} now ({e}); before the run it was on {}.\n",
            short(report.production_before.as_deref())
        )),
        (Some(before), Ok(now)) if now.as_deref() == Some(before.as_str()) => text.push_str(
            &format!("Production: {remote} did not move; it is still on {before}.\n"),
        ),
        (Some(before), Ok(now)) => text.push_str(&format!(
            "Production: {remote} moved from {before} to {}.\n",
            now.as_deref().unwrap_or("(no branch)")
        )),
        (None, Ok(now)) => text.push_str(&format!(
            "Production: {remote} is on {}.\n",
            now.as_deref().unwrap_or("(no branch)")
        )),
    }

    if report.maintenance_on {
        text.push_str(&format!(
            "\n!!! MAINTENANCE IS STILL ON for {target}: users see the maintenance page.\n!!! Turn it off when production is sound: {ttmscalr} maintenance off -f {target}\n"
        ));
    }
    match report.kind {
        RunKind::Rollback => {
            if let Some(sha) = &report.restoring {
                text.push_str(&format!(
                    "\nFix the cause and run the same rollback again:\n    {}\n",
                    rollback_command(config, target, sha)
                ));
            }
        }
        RunKind::Deploy => match (report.rollback_to(), &report.production_before) {
            (Some(sha), _) => text.push_str(&format!(
                "\nTo put production back on {sha}:\n    {}\n",
                rollback_command(config, target, sha)
            )),
            (None, Some(sha)) => text.push_str(&format!(
                "\n{remote} still runs {sha}: there is nothing to roll back.\n"
            )),
            (None, None) => text.push_str(&format!(
                "\nThe production SHA was not recorded yet, so {remote} was not pushed: there is nothing to roll back.\n"
            )),
        },
    }
    text
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn report(before: Option<&str>, now: Result<Option<&str>, &str>) -> RunReport {
        RunReport {
            kind: RunKind::Deploy,
            target: "production".to_owned(),
            deploy_remote: "aws-production".to_owned(),
            outcome: RunOutcome::Failed,
            stop: Some(Stop::Failed {
                step: "push to aws-production".to_owned(),
                message: "rejected".to_owned(),
            }),
            reason: None,
            signal: None,
            steps: Vec::new(),
            not_run: vec!["deploy".to_owned()],
            pushed: Vec::new(),
            repos: vec!["o/app".to_owned()],
            production_before: before.map(str::to_owned),
            production_now: now.map(|n| n.map(str::to_owned)).map_err(str::to_owned),
            maintenance_on: false,
            unrecorded: Vec::new(),
            restoring: None,
            guard_failure: None,
        }
    }

    fn say(report: &RunReport) -> String {
        text(report, Path::new("gatekeeper.toml"), "ttmscalr")
    }

    #[test]
    fn a_rollback_is_offered_only_when_production_moved_or_cannot_be_read() {
        let stayed = say(&report(Some("aaa1111"), Ok(Some("aaa1111"))));
        assert!(!stayed.contains("gatekeeper rollback"), "{stayed}");
        assert!(stayed.contains("o/app: nothing"), "{stayed}");
        let moved = say(&report(Some("aaa1111"), Ok(Some("bbb2222"))));
        assert!(
            moved.contains("gatekeeper rollback production --to aaa1111"),
            "{moved}"
        );
        let unknown = say(&report(Some("aaa1111"), Err("no network")));
        assert!(
            unknown.contains("cannot read aws-production now"),
            "{unknown}"
        );
        assert!(unknown.contains("--to aaa1111"), "{unknown}");
        let unrecorded = say(&report(None, Ok(Some("aaa1111"))));
        assert!(!unrecorded.contains("gatekeeper rollback"), "{unrecorded}");
    }
}
