//! The deploy calendar as a Mermaid `gantt` block, for `window --format markdown`:
//! GitHub renders it as a chart in a job summary or a pull-request comment. One
//! section per local day; each task is a run of hours in the same state, labelled
//! "allowed" or by the check that closes it. Times are local wall-clock times of the
//! calendar's zone.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::calendar::{Calendar, Cell, CellState};

/// The Mermaid block, fenced.
pub fn mermaid(cal: &Calendar) -> String {
    let tz = cal.tz;
    let kind = if cal.downtime {
        "downtime"
    } else {
        "zero-downtime"
    };
    let mut o = String::from("```mermaid\ngantt\n");
    let _ = writeln!(
        o,
        "    title {} {}-minute {kind} deploy starts ({})",
        clean(&cal.target),
        cal.minutes,
        clean(&cal.timezone)
    );
    o.push_str("    dateFormat YYYY-MM-DD HH:mm\n    axisFormat %a %d %H:%M\n");
    for day in &cal.days {
        let _ = writeln!(
            o,
            "    section {}{}",
            day.date.format("%a %d"),
            if day.holiday { " holiday" } else { "" }
        );
        let mut run: Option<(String, &'static str, &Cell, i64)> = None;
        for c in &day.cells {
            if c.state == CellState::Outside {
                flush(&mut o, run.take(), tz);
                continue;
            }
            let (label, tag) = label(&c.state);
            let minutes = (cell_end(c) - c.start).num_minutes();
            match &mut run {
                Some((l, _, _, m)) if *l == label => *m += minutes,
                _ => {
                    flush(&mut o, run.take(), tz);
                    run = Some((label, tag, c, minutes));
                }
            }
        }
        flush(&mut o, run, tz);
    }
    o.push_str("```\n");
    o
}

/// A cell lasts an hour (the calendar cuts hours at local midnights only).
fn cell_end(c: &Cell) -> DateTime<Utc> {
    c.start + chrono::Duration::hours(1)
}

fn flush(o: &mut String, run: Option<(String, &'static str, &Cell, i64)>, tz: Tz) {
    if let Some((label, tag, first, minutes)) = run {
        let _ = writeln!(
            o,
            "    {label} :{tag}{}, {}m",
            first.start.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
            minutes
        );
    }
}

/// The task's name and Mermaid tag: allowed runs are `active`, freezes `crit`.
fn label(state: &CellState) -> (String, &'static str) {
    match state {
        CellState::Allowed => ("allowed".to_owned(), "active, "),
        CellState::Partly { .. } => ("partly allowed".to_owned(), "active, "),
        CellState::Closed(c) => {
            let name = match c.kind {
                super::calendar::Kind::Freeze => format!("freeze {}", freeze_reason(&c.detail)),
                k => format!("closed by {}", k.words()),
            };
            let tag = if c.kind == super::calendar::Kind::Freeze {
                "crit, "
            } else {
                ""
            };
            (clean(&name), tag)
        }
        CellState::Outside => (String::new(), ""),
    }
}

/// The reason in the freeze check's detail (`… the freeze "REASON" …`), or the detail.
fn freeze_reason(detail: &str) -> &str {
    detail
        .split_once('"')
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or(detail, |(reason, _)| reason)
}

/// A task name Mermaid reads as one: no `:`, `#`, `;` or line breaks.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ':' | '#' | ';' | '\n' | '\r' | '`' => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}
