//! Downtime notices: open issues labelled `downtime-notice` in the notices repo,
//! their fields read from the body, and the `/proceed` / `/reschedule` commands in
//! their comments. Reports every command with its author: whether the author may
//! vet is the policy's call (its `vetters`), never decided here.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::github::{GitHub, GithubError};
use crate::facts::{Notice, NoticeCommand};

pub const LABEL: &str = "downtime-notice";
const COMMANDS: [&str; 2] = ["proceed", "reschedule"];

/// Every open notice of `repo` with its comments, fetched at once.
pub async fn fetch(github: &GitHub, repo: &str, tz: Tz) -> Result<Vec<Notice>, GithubError> {
    let issues = github.labelled_issues(repo, LABEL).await?;
    let comments = futures_util::future::try_join_all(issues.iter().map(|issue| async move {
        match issue.get("number").and_then(Value::as_u64) {
            Some(number) => github.comments(repo, number).await,
            None => Ok(Vec::new()),
        }
    }))
    .await?;
    issues
        .iter()
        .zip(&comments)
        .map(|(issue, comments)| parse_notice(issue, comments, tz))
        .collect::<Result<_, _>>()
        .map_err(|message| GithubError::Parse {
            url: format!("the issues of {repo}"),
            message,
        })
}

/// One issue and its comments as a [`Notice`]. A missing field stays absent (the
/// policy names it); a field that is present but unreadable is named in `problems`.
pub fn parse_notice(issue: &Value, comments: &[Value], tz: Tz) -> Result<Notice, String> {
    let number = issue
        .get("number")
        .and_then(Value::as_u64)
        .ok_or("an issue without a number")?;
    let sent_at = time(issue.get("created_at"))
        .ok_or_else(|| format!("issue #{number} has no created_at"))?;
    let text = |key: &str| issue.get(key).and_then(Value::as_str).unwrap_or("");
    let body = text("body");
    let mut notice = Notice {
        number,
        url: text("html_url").to_owned(),
        title: text("title").to_owned(),
        sent_at,
        sent_unix: sent_at.timestamp(),
        target: field(body, "Target"),
        start: None,
        start_unix: None,
        start_local: None,
        minutes: None,
        end_unix: None,
        nature: field(body, "Nature"),
        affected: field(body, "Affected"),
        experience: field(body, "Experience"),
        problems: Vec::new(),
        commands: commands(comments),
    };
    if let Some(raw) = field(body, "Start") {
        match DateTime::parse_from_rfc3339(&raw) {
            Ok(start) => {
                let start = start.with_timezone(&Utc);
                notice.start = Some(start);
                notice.start_unix = Some(start.timestamp());
                notice.start_local = Some(start.with_timezone(&tz).to_rfc3339());
            }
            Err(_) => notice.problems.push(format!(
                "Start {raw:?} is not an RFC 3339 time with offset (e.g. 2026-11-28T02:00:00-05:00)"
            )),
        }
    }
    if let Some(raw) = field(body, "Length") {
        match minutes(&raw) {
            Some(m) => notice.minutes = Some(m),
            None => notice
                .problems
                .push(format!("Length {raw:?} is not \"N minutes\"")),
        }
    }
    if let (Some(start), Some(m)) = (notice.start, notice.minutes) {
        notice.end_unix = Some((start + Duration::minutes(i64::from(m))).timestamp());
    }
    Ok(notice)
}

fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// The value of the first `Key: value` line (key case-insensitive, list markers
/// and bold allowed); absent when missing or empty.
fn field(body: &str, key: &str) -> Option<String> {
    body.lines().find_map(|line| {
        let line = line.trim().trim_start_matches(['-', '*', ' ']);
        let (k, v) = line.split_once(':')?;
        let k = k.trim().trim_matches('*').trim();
        let v = v.trim().trim_start_matches('*').trim();
        (k.eq_ignore_ascii_case(key) && !v.is_empty()).then(|| v.to_owned())
    })
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

/// Comments whose body starts with `/proceed` or `/reschedule`, oldest first.
pub fn commands(comments: &[Value]) -> Vec<NoticeCommand> {
    comments
        .iter()
        .filter_map(|c| {
            let body = c.get("body").and_then(Value::as_str)?.trim_start();
            let word = body.strip_prefix('/')?.split_whitespace().next()?;
            let command = COMMANDS
                .into_iter()
                .find(|k| word.eq_ignore_ascii_case(k))?;
            Some(NoticeCommand {
                user: c
                    .pointer("/user/login")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                command: command.to_owned(),
                at: time(c.get("created_at"))?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;

    fn fixture(rel: &str) -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(format!(
                "{}/fixtures/api/github/{rel}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn vetted_notice_reads_every_field_and_command() {
        let issues = fixture("issues-notices-vetted.json");
        let comments = fixture("comments-notice-7.json");
        let n = parse_notice(&issues[0], comments.as_array().unwrap(), New_York).unwrap();
        assert_eq!(n.number, 7);
        assert_eq!(n.target.as_deref(), Some("production"));
        assert_eq!(n.sent_at.to_rfc3339(), "2026-11-24T14:00:00+00:00");
        assert_eq!(n.start_unix, Some(1795849200));
        assert_eq!(n.start_local.as_deref(), Some("2026-11-28T02:00:00-05:00"));
        assert_eq!(n.minutes, Some(120));
        assert_eq!(n.end_unix, Some(1795856400));
        assert_eq!(n.experience.as_deref(), Some("maintenance page"));
        assert!(n.problems.is_empty(), "{:?}", n.problems);
        // "Looks right … /proceed" is not a command; dev's /proceed is reported
        // (the policy decides dev is no vetter).
        let cmds: Vec<_> = n
            .commands
            .iter()
            .map(|c| (c.user.as_deref().unwrap(), c.command.as_str()))
            .collect();
        assert_eq!(cmds, vec![("dev", "proceed"), ("jim", "proceed")]);
    }

    #[test]
    fn unreadable_start_and_length_are_problems() {
        let issues = fixture("issues-notices-vetted.json");
        let n = parse_notice(&issues[2], &[], New_York).unwrap();
        assert_eq!(n.start, None);
        assert_eq!(n.minutes, None);
        assert_eq!(n.end_unix, None);
        assert_eq!(n.problems.len(), 2, "{:?}", n.problems);
        assert!(n.problems[0].contains("next saturday"));
        assert_eq!(n.affected, None);
    }

    #[test]
    fn lengths() {
        assert_eq!(minutes("120 minutes"), Some(120));
        assert_eq!(minutes("45"), Some(45));
        assert_eq!(minutes("2 hours"), None);
        assert_eq!(minutes("0 minutes"), None);
    }

    #[test]
    fn reschedule_is_a_command_too() {
        let c = serde_json::json!([
            {"body": "/reschedule\nnot Saturday", "user": {"login": "tim"}, "created_at": "2026-11-25T10:00:00Z"},
            {"body": "/proceeding later", "user": {"login": "tim"}, "created_at": "2026-11-25T11:00:00Z"},
            {"body": "/proceed", "user": null, "created_at": "2026-11-25T12:00:00Z"}
        ]);
        let cmds = commands(c.as_array().unwrap());
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0].command, "reschedule");
        assert_eq!(cmds[1].user, None);
    }
}
