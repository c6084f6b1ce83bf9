//! `gatekeeper notice`'s text: the drafted e-mail and issue, and the refusal of a
//! window the gate would deny.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::decision::Check;
use crate::facts::Facts;
use crate::notice::{self, Draft, LABEL};
use crate::planner::{self, Query, SearchError, TimeSettings, Windows};
use crate::policy::PolicySet;

use super::calendar::local;

/// How far ahead the refusal looks for allowed starts, as `window` does by default.
pub const SEARCH_DAYS: u32 = 14;
/// How many runs of allowed starts a refusal lists.
const SHOWN_RUNS: usize = 3;

/// The calendar (an html page) of the allowed starts around the announced window
/// (`start`, `minutes` long), which it marks.
pub fn calendar(
    policies: &mut PolicySet,
    facts: &Facts,
    tz: Tz,
    (start, minutes): (DateTime<Utc>, u32),
    settings: TimeSettings,
) -> Result<String, SearchError> {
    let query = Query {
        tz,
        minutes,
        days: SEARCH_DAYS,
        settings,
    };
    let plan = planner::search(policies, facts, &query)?;
    let end = start + chrono::Duration::minutes(i64::from(minutes));
    let calendar = super::calendar::build(policies, facts, &query, &plan, Some((start, end)))?;
    Ok(super::calendar::html(&calendar))
}

/// The e-mail (with its headers) and the issue to open in `notices_repo`.
pub fn draft(draft: &Draft, notices_repo: &str) -> String {
    let mut out = format!("To: {}\n", draft.to);
    if !draft.cc.is_empty() {
        out.push_str(&format!("Cc: {}\n", draft.cc.join(", ")));
    }
    out.push_str(&format!("Subject: {}\n\n{}", draft.subject, draft.email));
    out.push_str(&format!(
        "\n---- issue in {} (label {LABEL}) ----\nTitle: {}\n\n{}",
        notices_repo, draft.issue_title, draft.issue_body
    ));
    out
}

/// Why the gate would deny the announced window, and the next starts it would allow.
pub fn refusal(
    target: &str,
    start: DateTime<Utc>,
    minutes: u32,
    tz: Tz,
    failing: &[Check],
    plan: &Windows,
) -> String {
    let mut out = format!(
        "REFUSED: the gate would deny a {minutes}-minute downtime deploy of {target} from {}, \
         even with this notice sent now and vetted:\n",
        notice::both(start, tz)
    );
    for check in failing {
        for line in check.detail.lines() {
            out.push_str(&format!("  \u{2718} {}: {line}\n", check.id));
        }
    }
    out.push_str(&format!(
        "\nNext allowed starts for a {minutes}-minute downtime deploy with a notice sent now:\n"
    ));
    if plan.notice_allowed.is_empty() {
        out.push_str(&format!(
            "  none in the next {SEARCH_DAYS} days: try a shorter --minutes, or `gatekeeper window {target} --downtime --days N`\n"
        ));
    }
    for span in plan.notice_allowed.iter().take(SHOWN_RUNS) {
        let last = if span.open_end { " or later" } else { "" };
        out.push_str(&format!(
            "  from {} to {}{last}\n",
            local(span.first, tz),
            local(span.last, tz)
        ));
    }
    out.push_str(&format!(
        "\nPick a --start among them (`gatekeeper window {target} --downtime --minutes {minutes}` lists more), \
         or pass --force to draft this window anyway.\n"
    ));
    out
}
