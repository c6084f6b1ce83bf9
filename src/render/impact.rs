//! The `policy impact` report in each format: a plain table for the terminal, the
//! JSON document (`"schema": 1`), markdown for a pull request comment (its first line
//! is the marker `<!-- gatekeeper:policy-impact -->`, so CI keeps one comment), and
//! GitHub workflow commands (a `::warning` per loosened document); with `--windows`,
//! the base's and the candidate's calendars ([`calendar`]), the changed hours marked,
//! in markdown and in an html page. No I/O.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::cli::ImpactFormat;
use crate::facts::Facts;
use crate::impact::{Class, Flip, Report, WindowChange, WindowsError};
use crate::planner::{self, Query};
use crate::policy::PolicySet;

use super::calendar::{self, Calendar, Cell as CalCell, CellState};
use super::gantt;

use super::sanitize;

/// The first line of the markdown, by which CI finds its own comment again.
pub const MARKER: &str = "<!-- gatekeeper:policy-impact -->";

fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    format!(
        "{} replayed: {} loosened, {} tightened, {} check_changed, {} unchanged, {} undecided, {} not_replayable, {} drift",
        s.replayed,
        s.loosened,
        s.tightened,
        s.check_changed,
        s.unchanged,
        s.undecided,
        s.not_replayable,
        s.drift
    )
}

fn verdict(v: &Option<crate::impact::Finding>) -> String {
    match v {
        None => "none".to_owned(),
        Some(v) if v.allow => "allow".to_owned(),
        Some(v) => format!("deny ({})", v.failing.join(", ")),
    }
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

fn window_line(w: &WindowChange) -> String {
    let because = if w.details.is_empty() {
        w.because.join(", ")
    } else {
        w.details.join("; ")
    };
    format!(
        "{} to {}: {} becomes {} ({})",
        w.from_local,
        w.to_local,
        w.before,
        w.after,
        sanitize(&because)
    )
}

fn sides(report: &Report) -> String {
    format!(
        "base {} ({}), candidate {} ({})",
        report.base.git_ref.as_deref().unwrap_or(&report.base.dir),
        short(&report.base.policies_sha256),
        report.candidate.dir,
        short(&report.candidate.policies_sha256)
    )
}

/// Plain text: the sides, the summary, one block per document that moved.
pub fn table(report: &Report) -> String {
    let mut out = format!(
        "policy impact: {}\n{}\n",
        sides(report),
        summary_line(report)
    );
    for flip in &report.flips {
        out.push_str(&format!(
            "\n{:<15} {} {} at {}\n",
            flip.class.as_str(),
            short(&flip.facts_sha256),
            flip.source,
            flip.evaluated_at.as_deref().unwrap_or("?")
        ));
        details(flip, "  ", &mut out);
    }
    windows_text(report, "", &mut out);
    shadow_text(report, &mut out);
    out
}

fn details(flip: &Flip, indent: &str, out: &mut String) {
    if flip.before.is_some() || flip.after.is_some() {
        out.push_str(&format!(
            "{indent}before: {}; after: {}\n",
            verdict(&flip.before),
            verdict(&flip.after)
        ));
    }
    if let Some(r) = &flip.recorded
        && flip.class == Class::Drift
    {
        out.push_str(&format!(
            "{indent}recorded: {}\n",
            verdict(&Some(r.clone()))
        ));
    }
    for c in &flip.checks {
        out.push_str(&format!(
            "{indent}{}: {} -> {} ({})\n",
            c.id,
            c.before,
            c.after,
            sanitize(if c.after == "fail" {
                &c.detail_after
            } else {
                &c.detail_before
            })
        ));
    }
    if let Some(reason) = &flip.reason {
        out.push_str(&format!("{indent}{}\n", sanitize(reason)));
    }
}

fn windows_text(report: &Report, prefix: &str, out: &mut String) {
    if let Some(windows) = &report.windows {
        out.push_str(&format!("\n{prefix}Windows:\n"));
        if windows.is_empty() {
            out.push_str("- no window changes\n");
        }
        for w in windows {
            out.push_str(&format!("- {}\n", window_line(w)));
        }
    }
}

fn shadow_text(report: &Report, out: &mut String) {
    if let Some(s) = &report.shadow {
        out.push_str(&format!(
            "\nshadow policies {} agreed with the base on {} of {} documents; recorded shadow verdicts agreed with the decision {} of {} times\n",
            s.dir, s.agreed, s.compared, s.recorded_agreed, s.recorded
        ));
    }
}

/// The JSON document.
pub fn json(report: &Report) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(report).map(|s| s + "\n")
}

/// Markdown for a pull request comment: marker, summary, a table, the details.
pub fn markdown(report: &Report) -> String {
    let mut out = format!("{MARKER}\n");
    out.push_str(&format!(
        "**gatekeeper policy impact**: {}\n\n{}\n",
        summary_line(report),
        sides(report)
    ));
    if !report.flips.is_empty() {
        out.push_str("\n| class | facts | at | before | after |\n|---|---|---|---|---|\n");
        for f in &report.flips {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} | {} |\n",
                f.class.as_str(),
                short(&f.facts_sha256),
                f.evaluated_at.as_deref().unwrap_or("?"),
                cell(&verdict(&f.before)),
                cell(&verdict(&f.after))
            ));
        }
        out.push_str("\n<details><summary>Details</summary>\n\n");
        for f in &report.flips {
            out.push_str(&format!(
                "**{}** `{}` ({})\n\n",
                f.class.as_str(),
                short(&f.facts_sha256),
                cell(&f.source)
            ));
            let mut block = String::new();
            details(f, "- ", &mut block);
            out.push_str(&block);
            out.push('\n');
        }
        out.push_str("</details>\n");
    }
    windows_text(report, "", &mut out);
    shadow_text(report, &mut out);
    out
}

fn cell(text: &str) -> String {
    sanitize(text).replace('|', "\\|").replace('\n', " ")
}

/// GitHub workflow commands: a `::warning` per loosened document, then the table.
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for f in report.flips.iter().filter(|f| f.class == Class::Loosened) {
        let opened: Vec<&str> = f
            .checks
            .iter()
            .filter(|c| c.after == "pass")
            .map(|c| c.id.as_str())
            .collect();
        out.push_str(&super::github::command(
            "warning",
            "gatekeeper policy impact: loosened",
            &format!(
                "facts {} at {} ({}) would now be allowed: {}",
                short(&f.facts_sha256),
                f.evaluated_at.as_deref().unwrap_or("?"),
                f.source,
                opened.join(", ")
            ),
        ));
    }
    out.push_str(&table(report));
    out
}

/// For `--windows --format markdown`: when some hour's state differs, the base's and
/// the candidate's Mermaid charts one after the other, then the changed hours.
pub fn calendars_markdown(before: &Calendar, after: &Calendar) -> String {
    let changed = calendar::changed(before, after);
    if changed.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n#### Calendar under the base\n\n");
    out.push_str(&gantt::mermaid(before));
    out.push_str("\n#### Calendar under the candidate\n\n");
    out.push_str(&gantt::mermaid(after));
    out.push_str("\nChanged hours (base → candidate):\n");
    for (b, a) in changed_cells(before, after, &changed) {
        out.push_str(&format!(
            "- Δ {}: {} → {}\n",
            cell(&format!(
                "{} {}",
                a.start.with_timezone(&after.tz).format("%a %Y-%m-%d"),
                a.label
            )),
            cell(&state_words(b)),
            cell(&state_words(a))
        ));
    }
    out
}

/// For `--windows --format html`: one self-contained page, the base's and the
/// candidate's calendars side by side, the hours whose state differs outlined and
/// marked "Δ".
pub fn html(report: &Report, before: &Calendar, after: &Calendar) -> String {
    let changed = calendar::changed(before, after);
    let title = format!(
        "Policy impact on the deploy calendar: {}, {}-minute window",
        before.target, before.minutes
    );
    let mut o = calendar::page_head(&title);
    o.push_str(&format!(
        "<p id=\"sides\">{}</p>\n<p id=\"changed\">{} hours change state; they are outlined (dashed) and marked Δ on both sides.</p>\n<div class=\"pair\">\n",
        calendar::escape(&sanitize(&sides(report))),
        changed.len()
    ));
    for (id, name, cal) in [("base", "Base", before), ("candidate", "Candidate", after)] {
        o.push_str(&format!(
            "<section id=\"{id}\" aria-label=\"{name}\">\n<h2>{name}</h2>\n{}</section>\n",
            calendar::section(cal, &changed)
        ));
    }
    o.push_str("</div>\n</body>\n</html>\n");
    o
}

fn changed_cells<'a>(
    before: &'a Calendar,
    after: &'a Calendar,
    changed: &BTreeSet<DateTime<Utc>>,
) -> Vec<(&'a CalCell, &'a CalCell)> {
    let cells = |cal: &'a Calendar| -> BTreeMap<DateTime<Utc>, &'a CalCell> {
        cal.days
            .iter()
            .flat_map(|d| &d.cells)
            .map(|c| (c.start, c))
            .collect()
    };
    let (b, a) = (cells(before), cells(after));
    changed
        .iter()
        .filter_map(|t| Some((*b.get(t)?, *a.get(t)?)))
        .collect()
}

fn state_words(c: &CalCell) -> String {
    match &c.state {
        CellState::Closed(x) | CellState::Partly { rest: x, .. } if !x.check.is_empty() => {
            format!(
                "{} {} ({}: {})",
                c.state.letter(),
                c.state.name(),
                x.check,
                x.detail
            )
        }
        s => format!("{} {}", s.letter(), s.name()),
    }
}

/// Why the report cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot encode the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("--format html shows the calendars of the window search: add --windows")]
    NoCalendars,
}

/// The report in `format`; markdown and html with the calendars of `--windows`
/// (`calendars`: the base's, then the candidate's), which html needs.
pub fn report(
    report: &Report,
    format: ImpactFormat,
    calendars: Option<&(Calendar, Calendar)>,
) -> Result<String, ReportError> {
    Ok(match format {
        ImpactFormat::Table => table(report),
        ImpactFormat::Json => json(report)?,
        ImpactFormat::Markdown => {
            let mut text = markdown(report);
            if let Some((before, after)) = calendars {
                text.push_str(&calendars_markdown(before, after));
            }
            text
        }
        ImpactFormat::Github => github(report),
        ImpactFormat::Html => match calendars {
            Some((before, after)) => html(report, before, after),
            None => return Err(ReportError::NoCalendars),
        },
    })
}

/// The calendars of the window search from `facts` under each side (`base`, then
/// `candidate`), for the markdown and html reports of `--windows`, built as
/// `window` builds its own.
pub fn calendars(
    base: &mut PolicySet,
    candidate: &mut PolicySet,
    facts: &Facts,
    days: u32,
) -> Result<(Calendar, Calendar), WindowsError> {
    let tz = crate::config::zone(&facts.timezone).map_err(WindowsError::Zone)?;
    let one = |set: &mut PolicySet| -> Result<Calendar, WindowsError> {
        let query = Query {
            tz,
            minutes: facts.window.minutes,
            days,
            settings: planner::read_settings(set)?,
        };
        let plan = planner::search(set, facts, &query)?;
        Ok(calendar::build(set, facts, &query, &plan, None)?)
    };
    Ok((one(base)?, one(candidate)?))
}
