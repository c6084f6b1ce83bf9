//! The downtime notice's format, both ways: drafts it for `gatekeeper notice` (the
//! e-mail to the field and the issue body) and parses an issue body back into its
//! fields for the notices source ([`parse_body`]), so that the two never drift.
//! Pure but for [`issue`], which opens the issue (through
//! `sources::github::GitHub::create_issue`); reading it is `sources::notices`.

pub mod issue;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// The label every downtime notice issue carries: how the gate finds them.
pub const LABEL: &str = "downtime-notice";

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
pub struct Mailing<'a> {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    /// From the policies' `notice_lead_hours`.
    pub lead_hours: f64,
    pub to: &'a str,
    pub cc: &'a [String],
    /// Who vets a notice (the policies' `vetters`), named in the issue.
    pub vetters: &'a [String],
    /// Set when the gate would deny the window and `--force` drafted it anyway.
    pub gate_warning: Option<&'a GateWarning>,
}

/// The gate's reasons to deny a window drafted anyway (`notice --force`).
#[derive(Debug, Clone)]
pub struct GateWarning {
    /// One line each, "check_id: why".
    pub reasons: Vec<String>,
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
pub fn draft(a: &Announcement<'_>, ctx: &Mailing<'_>) -> Result<Draft, NoticeError> {
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
    let warning = ctx.gate_warning.map(|w| {
        let mut text = "WARNING, drafted with --force: on the day the gate will deny this window \
             even with this notice vetted, for these reasons\n"
            .to_owned();
        for reason in &w.reasons {
            text.push_str(&format!("- {reason}\n"));
        }
        text
    });
    let who = if ctx.vetters.is_empty() {
        "a vetter".to_owned()
    } else {
        format!("a vetter ({})", ctx.vetters.join(", "))
    };
    let mut issue_body = format!(
        "Target: {}\nStart: {}\nLength: {} minutes\nNature: {nature}\nAffected: {affected}\nExperience: {experience}\n\n\
         To vet this notice, {who} comments with a line /proceed on its own to let the deploy go ahead, \
         or a line /reschedule on its own to withdraw it.\n",
        a.target,
        start.to_rfc3339(),
        a.minutes,
    );
    if let Some(w) = &warning {
        issue_body.push('\n');
        issue_body.push_str(w);
    }
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
         {warning}\
         Please reply to this e-mail with any concern before the start.\n",
        target = a.target,
        start_local = start.format("%A %Y-%m-%d %H:%M %Z"),
        start_utc = a.start.format("%Y-%m-%d %H:%M UTC"),
        minutes = a.minutes,
        end_local = end.format("%A %Y-%m-%d %H:%M %Z"),
        end_utc = end.with_timezone(&Utc).format("%Y-%m-%d %H:%M UTC"),
        warning = warning.map(|w| format!("{w}\n")).unwrap_or_default(),
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

/// The fields of a notice body. A field that is missing is absent; one that is
/// unreadable or given more than once is absent too, and named in `problems` (each
/// problem starts with the field's name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    pub target: Option<String>,
    pub start: Option<DateTime<Utc>>,
    /// `start` in the zone, RFC 3339.
    pub start_local: Option<String>,
    pub minutes: Option<u32>,
    pub end: Option<DateTime<Utc>>,
    pub nature: Option<String>,
    pub affected: Option<String>,
    pub experience: Option<String>,
    pub problems: Vec<String>,
}

/// Reads the `Key: value` lines of a notice body (key in any case; list markers and
/// bold allowed), as [`draft`] writes them, from what GitHub shows of it only
/// (`sources::rendered`): never a link reference definition, an attribute or a
/// comment, and a line as a reader sees it (HTML that runs lines together
/// shows them as one).
pub fn parse_body(body: &str, tz: Tz) -> Body {
    let visible = crate::sources::rendered::visible_lines(body).join("\n");
    let body = visible.as_str();
    let mut parsed = Body::default();
    let mut once = |key: &str| field_once(body, key, &mut parsed.problems);
    let target = once("Target");
    let start = once("Start");
    let length = once("Length");
    let nature = once("Nature");
    let affected = once("Affected");
    let experience = once("Experience");
    parsed.target = target;
    parsed.nature = nature;
    parsed.affected = affected;
    parsed.experience = experience;
    if let Some(raw) = start {
        match DateTime::parse_from_rfc3339(&raw) {
            Ok(start) => {
                let start = start.with_timezone(&Utc);
                parsed.start = Some(start);
                parsed.start_local = Some(start.with_timezone(&tz).to_rfc3339());
            }
            Err(_) => parsed.problems.push(format!(
                "Start {raw:?} is not an RFC 3339 time with offset (e.g. 2026-11-28T02:00:00-05:00)"
            )),
        }
    }
    if let Some(raw) = length {
        match minutes(&raw) {
            Some(m) => parsed.minutes = Some(m),
            None => parsed
                .problems
                .push(format!("Length {raw:?} is not \"N minutes\"")),
        }
    }
    if let (Some(start), Some(m)) = (parsed.start, parsed.minutes) {
        parsed.end = Some(start + Duration::minutes(i64::from(m)));
    }
    parsed
}

/// The value of the one `Key: value` line; absent when missing or empty, and when
/// given more than once (a problem: which one was meant is not ours to guess).
fn field_once(body: &str, key: &str, problems: &mut Vec<String>) -> Option<String> {
    let values: Vec<String> = body
        .lines()
        .filter_map(|line| {
            let line = line.trim().trim_start_matches(['-', '*', ' ']);
            let (k, v) = line.split_once(':')?;
            let k = k.trim().trim_matches('*').trim();
            let v = v.trim().trim_start_matches('*').trim();
            k.eq_ignore_ascii_case(key).then(|| v.to_owned())
        })
        .collect();
    match values.as_slice() {
        [one] => (!one.is_empty()).then(|| one.clone()),
        [] => None,
        many => {
            problems.push(format!(
                "{key} is given {} times ({}): give it once",
                many.len(),
                many.iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            None
        }
    }
}

/// `text` without its HTML comments (`<!-- … -->`), which GitHub does not show; one
/// left open runs to the end. `in_comment` carries an open comment from one piece
/// of a document to the next (pass `&mut false` for a whole document).
pub fn strip_html_comments(text: &str, in_comment: &mut bool) -> String {
    let mut shown = String::new();
    let mut rest = text;
    loop {
        if *in_comment {
            match rest.split_once("-->") {
                Some((_, after)) => {
                    rest = after;
                    *in_comment = false;
                }
                None => break,
            }
        } else {
            match rest.split_once("<!--") {
                Some((before, after)) => {
                    shown.push_str(before);
                    rest = after;
                    *in_comment = true;
                }
                None => {
                    shown.push_str(rest);
                    break;
                }
            }
        }
    }
    shown
}

/// "120 minutes", "120 min", "120".
fn minutes(raw: &str) -> Option<u32> {
    let mut words = raw.split_whitespace();
    let n: u32 = words.next()?.parse().ok()?;
    match words.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("minutes" | "minute" | "min" | "mins") if words.next().is_none() && n > 0 => {
            Some(n)
        }
        _ => None,
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

    fn ctx(now: &str) -> Mailing<'static> {
        Mailing {
            now: at(now),
            tz: chrono_tz::America::New_York,
            lead_hours: 72.0,
            to: "field-team@imaginelearning.com",
            cc: &[],
            vetters: &[],
            gate_warning: None,
        }
    }

    #[test]
    fn a_field_in_an_html_comment_is_not_read() {
        let body = "Target: production\nStart: 2026-11-28T02:00:00-05:00\nLength: 120 minutes\n\
                    Nature: migrations\nAffected: all users\n<!--\nExperience: maintenance page\n-->\n\
                    <!-- Target: staging -->";
        let parsed = parse_body(body, chrono_tz::America::New_York);
        assert_eq!(parsed.experience, None);
        assert_eq!(parsed.target.as_deref(), Some("production"));
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        // An unclosed comment hides the rest, as on GitHub.
        let parsed = parse_body(
            "Nature: x\n<!-- Affected: all",
            chrono_tz::America::New_York,
        );
        assert_eq!(
            (parsed.nature.as_deref(), parsed.affected),
            (Some("x"), None)
        );
    }

    /// What GitHub does not show is not read: a link reference definition's title
    /// or an attribute, even over several lines; HTML that runs two lines together
    /// shows them as one.
    #[test]
    fn only_the_fields_a_reader_sees_are_read() {
        let tz = chrono_tz::America::New_York;
        let body = "Target: production\n<p>Start: 2026-12-05T02:00:00-05:00</p>\n\n\
                    [ref]: https://example.com\n'\nStart: 2026-11-28T02:00:00-05:00\n'\n\n\
                    <p title=\"\nLength: 60 minutes\n\">**Length:** 120 minutes</p>\n";
        let parsed = parse_body(body, tz);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(
            parsed.start_local.as_deref(),
            Some("2026-12-05T02:00:00-05:00")
        );
        // Shown with its asterisks (Markdown in an HTML block is not rendered),
        // it still reads as the one Length a reader sees.
        assert_eq!(parsed.minutes, Some(120));
        let parsed = parse_body(
            "<div>Nature: a\nAffected: b</div>\n\n**Length:** 120 minutes",
            tz,
        );
        assert_eq!(parsed.nature.as_deref(), Some("a Affected: b"));
        assert_eq!((parsed.affected, parsed.minutes), (None, Some(120)));
    }

    #[test]
    fn html_comments_are_stripped_across_pieces() {
        let mut open = false;
        assert_eq!(strip_html_comments("a<!-- b -->c<!--d", &mut open), "ac");
        assert!(open);
        assert_eq!(strip_html_comments("e-->f", &mut open), "f");
        assert!(!open);
    }

    #[test]
    fn issue_body_has_the_six_lines_the_notices_source_reads() {
        let d = draft(&announcement(), &ctx("2026-11-24T14:00:00-05:00")).unwrap();
        assert_starts_with(
            &d.issue_body,
            "Target: production\nStart: 2026-11-28T02:00:00-05:00\nLength: 120 minutes\n\
             Nature: database migrations for the new gradebook\nAffected: all users\nExperience: maintenance page\n",
        );
        assert!(d.meets_deadline);
        assert_eq!(d.deadline, at("2026-11-25T02:00:00-05:00"));
    }

    fn assert_starts_with(text: &str, start: &str) {
        assert!(
            text.starts_with(start),
            "{text:?} does not start with {start:?}"
        );
    }

    #[test]
    fn the_issue_tells_vetters_to_answer_with_a_command_on_its_own_line() {
        let vetters = ["tim".to_owned(), "jim".to_owned()];
        let mut c = ctx("2026-11-24T14:00:00-05:00");
        c.vetters = &vetters;
        let d = draft(&announcement(), &c).unwrap();
        assert!(
            d.issue_body.ends_with(
                "\n\nTo vet this notice, a vetter (tim, jim) comments with a line /proceed on its own \
                 to let the deploy go ahead, or a line /reschedule on its own to withdraw it.\n"
            ),
            "{}",
            d.issue_body
        );
        assert!(!d.email.contains("WARNING"));
    }

    #[test]
    fn a_forced_draft_says_the_gate_will_deny_it_in_the_email_and_the_issue() {
        let warning = GateWarning {
            reasons: vec!["teaching_hours: overlaps live teaching hours".to_owned()],
        };
        let mut c = ctx("2026-11-24T14:00:00-05:00");
        c.gate_warning = Some(&warning);
        let d = draft(&announcement(), &c).unwrap();
        for text in [&d.email, &d.issue_body] {
            assert!(
                text.contains(
                    "WARNING, drafted with --force: on the day the gate will deny this window"
                ),
                "{text}"
            );
            assert!(
                text.contains("- teaching_hours: overlaps live teaching hours\n"),
                "{text}"
            );
        }
    }

    #[test]
    fn the_notices_source_reads_back_every_field_of_a_forced_draft() {
        let warning = GateWarning {
            reasons: vec![
                "teaching_hours: the window on Tuesday 2026-12-08, 14:00 to 15:30 EST".to_owned(),
            ],
        };
        let vetters = ["tim".to_owned()];
        let mut c = ctx("2026-11-24T14:00:00-05:00");
        c.gate_warning = Some(&warning);
        c.vetters = &vetters;
        let d = draft(&announcement(), &c).unwrap();
        let n = parse_body(&d.issue_body, c.tz);
        assert_eq!(n.problems, Vec::<String>::new());
        assert_eq!(n.target.as_deref(), Some("production"));
        assert_eq!(n.start, Some(at("2026-11-28T02:00:00-05:00")));
        assert_eq!(n.minutes, Some(120));
        assert_eq!(n.experience.as_deref(), Some("maintenance page"));
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

    #[test]
    fn the_drafted_body_parses_back_to_its_fields() {
        let a = announcement();
        let d = draft(&a, &ctx("2026-11-24T14:00:00-05:00")).unwrap();
        let b = parse_body(&d.issue_body, chrono_tz::America::New_York);
        assert!(b.problems.is_empty(), "{:?}", b.problems);
        assert_eq!(b.target.as_deref(), Some(a.target));
        assert_eq!(b.start, Some(a.start));
        assert_eq!(b.start_local.as_deref(), Some("2026-11-28T02:00:00-05:00"));
        assert_eq!(b.minutes, Some(a.minutes));
        assert_eq!(b.end, Some(at("2026-11-28T04:00:00-05:00")));
        assert_eq!(b.nature.as_deref(), Some(a.nature));
        assert_eq!(b.affected.as_deref(), Some(a.affected));
        assert_eq!(b.experience.as_deref(), Some(a.experience));
    }

    #[test]
    fn a_field_given_twice_is_a_problem_not_the_first() {
        let body = "Target: production\nStart: 2026-11-28T02:00:00-05:00\nLength: 120 minutes\n\
                    Start: 2026-11-28T08:00:00-05:00\nNature: n\nAffected: a\nExperience: e\n";
        let b = parse_body(body, chrono_tz::America::New_York);
        assert_eq!(b.start, None);
        assert_eq!(b.end, None);
        assert_eq!(
            b.problems,
            [
                "Start is given 2 times (\"2026-11-28T02:00:00-05:00\", \"2026-11-28T08:00:00-05:00\"): give it once"
            ]
        );
    }

    #[test]
    fn unreadable_start_and_length_are_problems() {
        let b = parse_body(
            "Target: production\nStart: next saturday\nLength: two hours\nNature: ?\n",
            chrono_tz::America::New_York,
        );
        assert_eq!((b.start, b.minutes, b.end), (None, None, None));
        assert_eq!(b.problems.len(), 2, "{:?}", b.problems);
        assert!(b.problems[0].starts_with("Start \"next saturday\""));
        assert!(b.problems[1].starts_with("Length \"two hours\""));
        assert_eq!(b.affected, None);
        assert!(
            parse_body("- **Nature:** bold\n", chrono_tz::UTC)
                .nature
                .is_some()
        );
    }

    #[test]
    fn lengths() {
        assert_eq!(minutes("120 minutes"), Some(120));
        assert_eq!(minutes("45"), Some(45));
        assert_eq!(minutes("2 hours"), None);
        assert_eq!(minutes("0 minutes"), None);
    }
}
