//! `gatekeeper history TARGET`: the last deploys and rollbacks of a target, from the
//! local audit log merged with the target's GitHub deployments (the runs of every
//! machine; one row per run id), as a table: how each ended (ok, failed, timed out,
//! aborted, denied, refused), by whom (the actor), where, the SHAs before and after.
//! A deployment not created by gatekeeper under the token's login with its payload
//! is shown as foreign and credits nobody; every field is escaped. Read-only.

use crate::audit::Event;
use crate::cli::HistoryArgs;
use crate::net::Network;
use crate::render::new_table;
use crate::rollout::shared;

use crate::audit::RunOutcome;

use super::record::audit_log;
use super::{CommandError, EXIT_OK, Outcome, print, stdout_style};

fn short(sha: Option<&str>) -> String {
    sha.map_or_else(|| "?".to_owned(), |s| s.chars().take(10).collect())
}

pub fn run(args: HistoryArgs) -> Result<Outcome, CommandError> {
    let config = super::load_config(&args.config.config)?;
    let target = config.target(&args.target)?;
    let log = audit_log(&config);
    let local = log.read()?;
    // Runs of other machines, from GitHub: those the local log lacks join it.
    // The token's login tells gatekeeper's deployments from foreign ones.
    let network = Network::start(config.limits()).map_err(CommandError::Runtime)?;
    let shared = shared::connect_or_warn(&network, &config, target, true, &mut std::io::stderr());
    let login = shared.as_ref().and_then(|s| s.actor.github.clone());
    let listed = match shared.as_ref().map(|s| s.list(&args.target)) {
        Some(Ok(listed)) => listed,
        Some(Err(e)) => {
            eprintln!(
                "warning: cannot read the deployments of {} on GitHub: {e}; showing the local audit log only",
                args.target
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    let known: Vec<&str> = local.iter().filter_map(|r| r.run.as_deref()).collect();
    let mut merged: Vec<_> = shared::as_history(&listed, &args.target, login.as_deref())
        .into_iter()
        .filter(|r| r.run.as_deref().is_none_or(|run| !known.contains(&run)))
        .collect();
    merged.extend(local.iter().cloned());
    merged.sort_by_key(|r| r.time);
    let records: Vec<_> = merged
        .into_iter()
        .filter(|r| r.target == args.target)
        .filter_map(|r| {
            let what = match &r.event {
                Event::Deploy(_) => "deploy",
                Event::Rollback(_) => "rollback",
                Event::Unlock(_) => "unlock",
                _ => return None,
            };
            let run = r.run_event()?.clone();
            // A run's "started" line is followed by its outcome.
            (run.outcome != RunOutcome::Started).then_some((r, what, run))
        })
        .collect();
    if records.is_empty() {
        print(&format!(
            "No deploys of {} recorded in {}.\n",
            args.target,
            log.path().display()
        ));
        return Ok(EXIT_OK);
    }
    let mut table = new_table(stdout_style());
    table.set_header(vec![
        "time (UTC)",
        "what",
        "by",
        "where",
        "outcome",
        "before",
        "after",
        "detail",
    ]);
    let start = records.len().saturating_sub(args.limit);
    for (r, what, run) in records.iter().skip(start).rev() {
        let failing = run.gate.as_ref().map(|g| g.failing_checks.clone());
        let detail = match (&run.step, &run.message) {
            (Some(step), Some(message)) => format!("{step}: {message}"),
            (None, Some(message)) => message.clone(),
            _ => match failing {
                Some(checks) if !checks.is_empty() => format!("failing: {}", checks.join(", ")),
                _ => String::new(),
            },
        };
        table.add_row(vec![
            r.time.format("%Y-%m-%d %H:%M:%S").to_string(),
            (*what).to_owned(),
            run.actor
                .as_ref()
                .map_or_else(|| format!("{}@{}", r.user, r.host), |a| a.name_or(&r.user)),
            r.host.clone(),
            run.outcome.as_str().to_owned(),
            short(run.before_sha.as_deref()),
            short(run.after_sha.as_deref()),
            detail,
        ]);
    }
    // Every field may come from a deployment anyone could write: escaped.
    print(&crate::render::sanitize(&format!("{table}\n")));
    Ok(EXIT_OK)
}
