//! `gatekeeper window TARGET`: the next start times at which the time-dependent
//! checks would pass, in the configured zone and UTC. The search itself is
//! [`crate::planner`]; this file binds flags and prints.

use crate::render::calendar::{self, Calendar};
use crate::render::gantt;
use chrono_tz::Tz;

use crate::cli::{WindowArgs, WindowFormat};
use crate::gate::Gate;
use crate::planner::{self, Query, SearchError, Windows};

use super::{CommandError, EXIT_OK, facts, gate_request, print, stdout_style};

pub fn run(args: WindowArgs) -> Result<super::Outcome, CommandError> {
    let mut gate = Gate::resolve(&gate_request(
        &args.target,
        &args.config,
        &args.plan,
        args.facts.as_deref(),
        args.no_config,
    ))?;
    let facts = facts(&gate, args.config.verbose)?;
    // The same zone names as the config's `timezone`: a place or UTC, never a
    // fixed offset that is wrong half the year.
    let tz: Tz = crate::config::zone(&facts.timezone).map_err(|why| {
        CommandError::Unread(format!(
            "the facts' timezone {why}; record the facts again with `gatekeeper facts`"
        ))
    })?;
    // The windows are judged on what could be read: a source that failed (the
    // notices, say) is said, or "needs a notice" would read as "there is none".
    for warning in crate::render::source_failures::unread(&facts.errors) {
        eprintln!("gatekeeper: warning: {warning}; the windows below are judged without it");
    }
    let notices_unread = facts
        .errors
        .iter()
        .any(|e| e.source == crate::sources::NOTICES);
    let settings = planner::read_settings(gate.policies_mut()).map_err(plan_error)?;
    let query = Query {
        tz,
        minutes: facts.window.minutes,
        days: args.days,
        settings,
    };
    let plan = planner::search(gate.policies_mut(), &facts, &query).map_err(plan_error)?;
    let formats = args.reports.iter().map(|(f, _)| *f).chain([args.format]);
    let calendar = formats
        .into_iter()
        .any(|f| matches!(f, WindowFormat::Html | WindowFormat::Markdown))
        .then(|| calendar::build(gate.policies_mut(), &facts, &query, &plan, None))
        .transpose()
        .map_err(plan_error)?;
    let show = |format| {
        render(
            format,
            &plan,
            tz,
            args.count,
            calendar.as_ref(),
            notices_unread,
        )
    };
    // Never written onto the audit log.
    let audit = gate
        .config()
        .map(|c| super::record::audit_log(c).path().to_owned());
    for (format, path) in &args.reports {
        super::write_file(path, &show(*format)?, audit.as_deref())?;
    }
    match &args.output {
        Some(path) => {
            super::write_file(path, &show(args.format)?, audit.as_deref())?;
            print(&show(WindowFormat::Table)?);
        }
        None => print(&show(args.format)?),
    }
    Ok(EXIT_OK)
}

/// A policy that breaks is reported as such; a setting the search cannot use is a
/// usage error naming it.
pub(super) fn plan_error(e: SearchError) -> CommandError {
    match e {
        SearchError::Policy(e) => CommandError::Policy(e),
        e @ SearchError::Setting { .. } => CommandError::Usage(e.to_string()),
    }
}

/// The plan in `format`; html and markdown need the calendar built from it.
pub(super) fn render(
    format: WindowFormat,
    plan: &Windows,
    tz: Tz,
    count: usize,
    calendar: Option<&Calendar>,
    notices_unread: bool,
) -> Result<String, CommandError> {
    let missing = || CommandError::Usage("the calendar was not built for this format".to_owned());
    Ok(match format {
        WindowFormat::Json => {
            let mut json =
                serde_json::to_string_pretty(plan).map_err(|source| CommandError::Encode {
                    what: "the windows",
                    source,
                })?;
            json.push('\n');
            json
        }
        WindowFormat::Table => {
            crate::render::windows::text(plan, tz, count, notices_unread, stdout_style())
        }
        WindowFormat::Markdown => format!(
            "```text\n{}```\n\n{}",
            crate::render::windows::text(plan, tz, count, notices_unread, stdout_style()),
            gantt::mermaid(calendar.ok_or_else(missing)?)
        ),
        WindowFormat::Html => calendar::html(calendar.ok_or_else(missing)?),
    })
}
