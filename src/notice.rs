//! Drafts the downtime notice for `gatekeeper notice`: the e-mail to the field and the
//! issue body in exactly the format the notices source parses (docs/runbook.md, "A downtime
//! notice"). Pure: opening the issue is `sources::github::GitHub::create_issue`.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

pub use crate::sources::notices::LABEL;

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("--{field} is empty: give the {what}")]
    EmptyField {
        field: &'static str,
        what: &'static str,
    },
    #[error(
        "--{field} spans several lines: the notice carries one field a line, so give it on one line"
    )]
    MultiLine { field: &'static str },
}

/// What the release manager announces.
#[derive(Debug, Clone)]
pub struct Announcement<'a> {
    pub target: &'a str,
    pub start: DateTime<Utc>,
    pub minutes: u32,
    pub nature: &'a str,
    pub affected: &'a str,
    pub experience: &'a str,
}

/// Who gets the e-mail, and the rule it must meet.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    /// From the policies' `notice_lead_hours`.
    pub lead_hours: f64,
    pub to: &'a str,
    pub cc: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub to: String,
    pub cc: Vec<String>,
    pub subject: String,
    pub email: String,
    pub issue_title: String,
    pub issue_body: String,
    /// The latest time the notice may be sent.
    pub deadline: DateTime<Utc>,
    /// Sent now, it meets the lead.
    pub meets_deadline: bool,
}

/// The earliest start a notice sent at `now` can announce.
pub fn earliest_start(now: DateTime<Utc>, lead_hours: f64) -> DateTime<Utc> {
    now + lead(lead_hours)
}

fn lead(hours: f64) -> Duration {
    Duration::seconds((hours * 3600.0).round() as i64)
}

/// Drafts the e-mail and the issue; each field must be given, on one line.
pub fn draft(a: &Announcement<'_>, ctx: &Context<'_>) -> Result<Draft, NoticeError> {
    for (field, what, value) in [
        ("nature", "nature of the work", a.nature),
        ("affected", "users affected", a.affected),
        ("experience", "what users will see", a.experience),
    ] {
        if value.trim().is_empty() {
            return Err(NoticeError::EmptyField { field, what });
        }
        if value.contains(['\n', '\r']) {
            return Err(NoticeError::MultiLine { field });
        }
    }
    let (nature, affected, experience) = (a.nature.trim(), a.affected.trim(), a.experience.trim());
    let start = a.start.with_timezone(&ctx.tz);
    let end = (a.start + Duration::minutes(i64::from(a.minutes))).with_timezone(&ctx.tz);
    let deadline = a.start - lead(ctx.lead_hours);
    let meets_deadline = ctx.now <= deadline;
    let ahead_hours = (a.start - ctx.now).num_minutes() as f64 / 60.0;
    let when = start.format("%A %Y-%m-%d %H:%M %Z").to_string();

    let issue_title = format!("Downtime: {}, {when}, {} minutes", a.target, a.minutes);
    let issue_body = format!(
        "Target: {}\nStart: {}\nLength: {} minutes\nNature: {nature}\nAffected: {affected}\nExperience: {experience}\n",
        a.target,
        start.to_rfc3339(),
        a.minutes,
    );
    let subject = format!(
        "Scheduled downtime: {} on {when} for {} minutes",
        a.target, a.minutes
    );
    let lead_text = format_hours(ctx.lead_hours);
    let deadline_line = if meets_deadline {
        format!(
            "Sent now, {} h ahead, this notice meets the {lead_text} h notice deadline, {}.",
            format_hours(ahead_hours.floor()),
            both(deadline, ctx.tz)
        )
    } else {
        format!(
            "Sent now, {} h ahead, this notice MISSES the {lead_text} h notice deadline, {}: the downtime_notice check will fail for this window.",
            format_hours(ahead_hours.floor()),
            both(deadline, ctx.tz)
        )
    };
    let email = format!(
        "Hello,\n\n\
         {target} will be down for planned maintenance.\n\n\
         Start:       {start_local} ({start_utc})\n\
         Length:      {minutes} minutes, until {end_local} ({end_utc})\n\
         Nature:      {nature}\n\
         Affected:    {affected}\n\
         Experience:  {experience}\n\n\
         {deadline_line}\n\n\
         Please reply to this e-mail with any concern before the start.\n",
        target = a.target,
        start_local = start.format("%A %Y-%m-%d %H:%M %Z"),
        start_utc = a.start.format("%Y-%m-%d %H:%M UTC"),
        minutes = a.minutes,
        end_local = end.format("%A %Y-%m-%d %H:%M %Z"),
        end_utc = end.with_timezone(&Utc).format("%Y-%m-%d %H:%M UTC"),
    );
    Ok(Draft {
        to: ctx.to.to_owned(),
        cc: ctx.cc.to_vec(),
        subject,
        email,
        issue_title,
        issue_body,
        deadline,
        meets_deadline,
    })
}

/// "Tuesday 2026-11-24 02:00 EST (2026-11-24 07:00 UTC)".
pub fn both(t: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "{} ({})",
        t.with_timezone(&tz).format("%A %Y-%m-%d %H:%M %Z"),
        t.format("%Y-%m-%d %H:%M UTC")
    )
}

fn format_hours(h: f64) -> String {
    if h.fract() == 0.0 {
        format!("{h:.0}")
    } else {
        format!("{h:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn announcement() -> Announcement<'static> {
        Announcement {
            target: "production",
            start: at("2026-11-28T02:00:00-05:00"),
            minutes: 120,
            nature: "database migrations for the new gradebook",
            affected: "all users",
            experience: "maintenance page",
        }
    }

    fn ctx(now: &str) -> Context<'static> {
        Context {
            now: at(now),
            tz: chrono_tz::America::New_York,
            lead_hours: 72.0,
            to: "field-team@imaginelearning.com",
            cc: &[],
        }
    }

    #[test]
    fn issue_body_has_the_six_lines_the_notices_source_reads() {
        let d = draft(&announcement(), &ctx("2026-11-24T14:00:00-05:00")).unwrap();
        assert_eq!(
            d.issue_body,
            "Target: production\nStart: 2026-11-28T02:00:00-05:00\nLength: 120 minutes\n\
             Nature: database migrations for the new gradebook\nAffected: all users\nExperience: maintenance page\n"
        );
        assert!(d.meets_deadline);
        assert_eq!(d.deadline, at("2026-11-25T02:00:00-05:00"));
    }

    #[test]
    fn deadline_is_missed_one_minute_late() {
        let d = draft(&announcement(), &ctx("2026-11-25T02:01:00-05:00")).unwrap();
        assert!(!d.meets_deadline);
        assert!(d.email.contains("MISSES"), "{}", d.email);
    }

    #[test]
    fn summer_start_is_shown_in_edt() {
        let mut a = announcement();
        a.start = at("2026-07-18T06:00:00Z");
        let d = draft(&a, &ctx("2026-07-01T00:00:00Z")).unwrap();
        assert!(d.issue_body.contains("Start: 2026-07-18T02:00:00-04:00"));
        assert!(
            d.email.contains("02:00 EDT (2026-07-18 06:00 UTC)"),
            "{}",
            d.email
        );
    }

    #[test]
    fn a_field_on_two_lines_is_refused() {
        let mut a = announcement();
        a.affected = "all\nusers";
        let e = draft(&a, &ctx("2026-11-24T14:00:00-05:00")).unwrap_err();
        assert!(e.to_string().contains("--affected"), "{e}");
    }
}
