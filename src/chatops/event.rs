//! The `issue_comment` event GitHub Actions hands a job (`$GITHUB_EVENT_PATH`):
//! only the fields chatops reads, each required, so that a payload of another
//! event, or a truncated one, is an error rather than a command.

use serde_json::Value;

/// An `issue_comment` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentEvent {
    /// `created`, `edited` or `deleted`: only `created` runs a command.
    pub action: String,
    /// `owner/name` of the repository the comment is in.
    pub repo: String,
    /// The issue's (or pull request's) number.
    pub number: u64,
    /// The comment was made on a pull request.
    pub on_pull_request: bool,
    pub comment: Comment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: u64,
    /// The GraphQL node id, to read the comment again.
    pub node_id: String,
    pub body: String,
    pub url: String,
    pub login: String,
    /// The account is an app (`type: Bot`, or a login ending in `[bot]`).
    pub bot: bool,
}

/// Why a payload is no `issue_comment` event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}: give the issue_comment event GitHub Actions writes to $GITHUB_EVENT_PATH")]
pub struct EventError(String);

impl CommentEvent {
    pub fn parse(text: &str) -> Result<Self, EventError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| EventError(format!("not JSON ({e})")))?;
        let text_at = |p: &str| {
            v.pointer(p)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| EventError(format!("no {p} in the event")))
        };
        let number_at = |p: &str| {
            v.pointer(p)
                .and_then(Value::as_u64)
                .ok_or_else(|| EventError(format!("no {p} in the event")))
        };
        let login = text_at("/comment/user/login")?;
        let kind = v.pointer("/comment/user/type").and_then(Value::as_str);
        Ok(Self {
            action: text_at("/action")?,
            repo: text_at("/repository/full_name")?,
            number: number_at("/issue/number")?,
            on_pull_request: v
                .pointer("/issue/pull_request")
                .is_some_and(|p| !p.is_null()),
            comment: Comment {
                id: number_at("/comment/id")?,
                node_id: text_at("/comment/node_id")?,
                // A comment's body may be null (an empty comment): no command.
                body: v
                    .pointer("/comment/body")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                url: text_at("/comment/html_url")?,
                bot: kind == Some("Bot") || login.ends_with("[bot]"),
                login,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_event_is_read() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/events/issue-comment-deploy.json"
        ))
        .unwrap();
        let event = CommentEvent::parse(&text).unwrap();
        assert_eq!(event.action, "created");
        assert_eq!(event.repo, "thinkthroughmath/apangea");
        assert_eq!(event.number, 412);
        assert!(event.on_pull_request);
        assert_eq!(event.comment.login, "alice");
        assert!(!event.comment.bot);
        assert_eq!(event.comment.body, "/deploy production");
    }

    #[test]
    fn another_event_is_an_error() {
        let err = CommentEvent::parse(r#"{"action": "opened", "pull_request": {"number": 1}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("no /comment/user/login"), "{err}");
        assert!(CommentEvent::parse("[]").is_err());
    }
}
