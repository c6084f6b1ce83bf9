//! `gatekeeper window TARGET`: the next start times at which the time-dependent
//! checks would pass, in the configured zone and UTC. The search itself is
//! [`crate::planner`]; this file binds flags and prints.

use crate::render::calendar::{self, Calendar};
use crate::render::{gantt, new_table};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::cli::{WindowArgs, WindowFormat};
use crate::gate::Gate;
use crate::planner::{self, Query, SearchError, Span, Windows};

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
        CommandError::Usage(format!(
            "the facts' timezone {why}; record the facts again with `gatekeeper facts`"
        ))
    })?;
    // The windows are judged on what could be read: a source that failed (the
    // notices, say) is said, or "needs a notice" would read as "there is none".
    // One line per distinct failure (one cause met at many URLs is one), with the
    // repos it touched.
    let mut distinct: Vec<(String, String, Vec<String>)> = Vec::new();
    for e in &facts.errors {
        let message = crate::render::source_failures::without_urls(&e.message);
        let repo = e.repo.clone();
        match distinct
            .iter_mut()
            .find(|(s, m, _)| *s == e.source && *m == message)
        {
            Some((_, _, repos)) => repos.extend(repo),
            None => distinct.push((e.source.clone(), message, repo.into_iter().collect())),
        }
    }
    for (source, message, repos) in &distinct {
        let about = if repos.is_empty() {
            String::new()
        } else {
            format!(" ({})", repos.join(", "))
        };
        eprintln!(
            "gatekeeper: warning: {source}{about} could not be read: {message}; the windows below are judged without it"
        );
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
            let mut json = serde_json::to_string_pretty(plan)
                .map_err(|e| CommandError::Usage(format!("cannot encode the windows: {e}")))?;
            json.push('\n');
            json
        }
        WindowFormat::Table => text(plan, tz, count, notices_unread),
        WindowFormat::Markdown => format!(
            "```text\n{}```\n\n{}",
            text(plan, tz, count, notices_unread),
            gantt::mermaid(calendar.ok_or_else(missing)?)
        ),
        WindowFormat::Html => calendar::html(calendar.ok_or_else(missing)?),
    })
}

/// A policy that breaks is reported as such; a setting the search cannot use is a
/// usage error naming it.
pub(super) fn plan_error(e: SearchError) -> CommandError {
    match e {
        SearchError::Policy(e) => CommandError::Policy(e),
        e @ SearchError::Setting { .. } => CommandError::Usage(e.to_string()),
    }
}

fn text(plan: &Windows, tz: Tz, count: usize, notices_unread: bool) -> String {
    let kind = if plan.downtime {
        "downtime deploy"
    } else {
        "zero-downtime deploy"
    };
    let mut out = format!(
        "{}: {}-minute {kind}, searched from {} to {} ({})\n",
        plan.target,
        plan.minutes,
        local(plan.from, tz),
        local(plan.until, tz),
        plan.timezone
    );
    if !plan.downtime {
        out.push_str(
            "Not a downtime deploy: teaching hours and notices do not apply (pass --downtime to plan one).\n",
        );
    }
    out.push_str("\nOutside live teaching hours and freezes:\n");
    out.push_str(&table(&plan.outside_teaching, tz, count, false));
    out.push_str("\nAllowed by the notice rule too:\n");
    if plan.notice_allowed.is_empty() && notices_unread {
        // The cause is the unread notices, not the search's length.
        out.push_str(
            "  none known: the downtime notices could not be read (see the warning above), so no notice already sent can be counted; fix that source and run again (for a notice sent now, search longer with --days)\n",
        );
    } else {
        out.push_str(&table(&plan.notice_allowed, tz, count, true));
    }
    out
}

fn table(spans: &[Span], tz: Tz, count: usize, basis: bool) -> String {
    if spans.is_empty() {
        return "  none in the search: try --days, or a shorter --minutes\n".to_owned();
    }
    let mut t = new_table(stdout_style());
    let mut header = vec!["earliest start", "UTC", "latest start", "UTC"];
    if basis {
        header.push("notice");
    }
    t.set_header(header);
    for s in spans.iter().take(count) {
        let last = if s.open_end {
            format!("{} or later", local(s.last, tz))
        } else {
            local(s.last, tz)
        };
        let mut row = vec![local(s.first, tz), utc(s.first), last, utc(s.last)];
        if basis {
            row.push(s.basis.clone().unwrap_or_default());
        }
        t.add_row(row);
    }
    let mut out = format!("{t}\n");
    if spans.len() > count {
        out.push_str(&format!("  … and {} more (--count)\n", spans.len() - count));
    }
    out
}

/// "Tue 2026-11-24 21:00 EST (-05:00)": the zone's name and offset, so DST is plain.
pub(super) fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %Y-%m-%d %H:%M %Z (%:z)")
        .to_string()
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%MZ").to_string()
}
