//! `gatekeeper window`'s table: the runs of allowed starts in the configured zone
//! and UTC, first those outside teaching hours and freezes, then those the notice
//! rule allows too.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::calendar::local;
use super::{TableStyle, new_table};
use crate::planner::{Span, Windows};

pub fn text(
    plan: &Windows,
    tz: Tz,
    count: usize,
    notices_unread: bool,
    style: TableStyle,
) -> String {
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
    out.push_str(&table(&plan.outside_teaching, tz, count, false, style));
    out.push_str("\nAllowed by the notice rule too:\n");
    if plan.notice_allowed.is_empty() && notices_unread {
        // The cause is the unread notices, not the search's length.
        out.push_str(
            "  none known: the downtime notices could not be read (see the warning above), so no notice already sent can be counted; fix that source and run again (for a notice sent now, search longer with --days)\n",
        );
    } else {
        out.push_str(&table(&plan.notice_allowed, tz, count, true, style));
    }
    out
}

fn table(spans: &[Span], tz: Tz, count: usize, basis: bool, style: TableStyle) -> String {
    if spans.is_empty() {
        return "  none in the search: try --days, or a shorter --minutes\n".to_owned();
    }
    let mut t = new_table(style);
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

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%MZ").to_string()
}
