//! The REST calls `gatekeeper chatops` makes on the repository a comment was made
//! in: the pull request it was made on, the commenter's repository role, the
//! comment again, the issue's comments, and the reply and reactions it writes.
//! Shapes: GitHub's REST reference (pulls, collaborators, issue comments,
//! reactions). Writes are sent once, never retried.

use serde_json::{Value, json};

use super::{GitHub, GithubError, str_at};

/// A pull request's branches and where they live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullBranches {
    pub state: String,
    pub head_ref: String,
    /// `owner/name` of the head's repository; `None` when it was deleted.
    pub head_repo: Option<String>,
    pub base_ref: String,
    pub base_repo: Option<String>,
}

/// A collaborator's standing: GitHub's `role_name` (custom roles by their name)
/// and the base `permission` it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub role_name: Option<String>,
    pub permission: Option<String>,
}

/// One issue comment as GitHub answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueComment {
    pub id: u64,
    pub body: String,
    pub author: Option<String>,
    /// The author's account `type` is `Bot` (an app such as `github-actions[bot]`).
    pub author_is_bot: bool,
    pub url: String,
}

/// The reactions gatekeeper leaves on a command's comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// 👀 seen, working on it.
    Eyes,
    /// 👍 done (GitHub has no ✅ reaction).
    Done,
    /// 👎 refused or failed (GitHub has no ❌ reaction).
    Refused,
}

impl Reaction {
    fn content(self) -> &'static str {
        match self {
            Self::Eyes => "eyes",
            Self::Done => "+1",
            Self::Refused => "-1",
        }
    }
}

pub fn parse_pull(text: &str) -> Result<PullBranches, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let need = |p: &str| {
        str_at(&v, p)
            .map(str::to_owned)
            .ok_or_else(|| format!("no {p} in the pull request"))
    };
    Ok(PullBranches {
        state: need("/state")?,
        head_ref: need("/head/ref")?,
        head_repo: str_at(&v, "/head/repo/full_name").map(str::to_owned),
        base_ref: need("/base/ref")?,
        base_repo: str_at(&v, "/base/repo/full_name").map(str::to_owned),
    })
}

pub fn parse_permission(text: &str) -> Result<Permission, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let permission = Permission {
        role_name: str_at(&v, "/role_name").map(str::to_owned),
        permission: str_at(&v, "/permission").map(str::to_owned),
    };
    if permission.role_name.is_none() && permission.permission.is_none() {
        return Err("neither role_name nor permission in the answer".to_owned());
    }
    Ok(permission)
}

pub fn parse_comment(v: &Value) -> Result<IssueComment, String> {
    let id = v
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| "a comment without an id".to_owned())?;
    Ok(IssueComment {
        id,
        // A comment's body may be null (an empty comment).
        body: str_at(v, "/body").unwrap_or_default().to_owned(),
        author: str_at(v, "/user/login").map(str::to_owned),
        author_is_bot: str_at(v, "/user/type") == Some("Bot"),
        url: str_at(v, "/html_url").unwrap_or_default().to_owned(),
    })
}

/// A comment as it is now, by GraphQL (REST shows neither minimizing nor edits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentNow {
    pub body: String,
    pub minimized: bool,
    pub edited: bool,
}

/// Reads a comment again by its node id.
pub const COMMENT_QUERY: &str = "query ChatopsComment($id: ID!) {
  node(id: $id) {
    ... on IssueComment { body isMinimized lastEditedAt }
  }
}";

pub fn parse_comment_now(data: &Value) -> Result<CommentNow, String> {
    let node = data
        .get("node")
        .filter(|n| n.is_object())
        .ok_or_else(|| "no comment with that id (deleted?)".to_owned())?;
    let body = str_at(node, "/body").ok_or_else(|| "the node is no issue comment".to_owned())?;
    let minimized = node
        .get("isMinimized")
        .and_then(Value::as_bool)
        .ok_or_else(|| "no isMinimized in the answer".to_owned())?;
    Ok(CommentNow {
        body: body.to_owned(),
        minimized,
        edited: node.get("lastEditedAt").is_some_and(|v| !v.is_null()),
    })
}

impl GitHub {
    /// The comment with GraphQL node `id` as it is now.
    pub async fn comment_now(&self, id: &str) -> Result<CommentNow, GithubError> {
        let data = self.graphql(COMMENT_QUERY, json!({ "id": id })).await?;
        parse_comment_now(&data).map_err(|message| GithubError::Parse {
            url: self.graphql_url(),
            message,
        })
    }

    /// Pull request `number` of `repo`: its branches and their repositories.
    pub async fn pull_branches(
        &self,
        repo: &str,
        number: u64,
    ) -> Result<PullBranches, GithubError> {
        let route = format!("/repos/{repo}/pulls/{number}");
        let answer = self.get(&route).await?;
        self.parsed(&route, parse_pull(&answer.body))
    }

    /// `login`'s permission on `repo` (`GET …/collaborators/{login}/permission`).
    pub async fn permission(&self, repo: &str, login: &str) -> Result<Permission, GithubError> {
        let route = format!("/repos/{repo}/collaborators/{login}/permission");
        let answer = self.get(&route).await?;
        self.parsed(&route, parse_permission(&answer.body))
    }

    /// Comment `id` of `repo` as it is now.
    pub async fn issue_comment(&self, repo: &str, id: u64) -> Result<IssueComment, GithubError> {
        let route = format!("/repos/{repo}/issues/comments/{id}");
        let answer = self.get(&route).await?;
        let v: Result<Value, String> =
            serde_json::from_str(&answer.body).map_err(|e| format!("not JSON ({e})"));
        self.parsed(&route, v.and_then(|v| parse_comment(&v)))
    }

    /// Every comment of issue (or pull request) `number`, oldest first.
    pub async fn issue_comments(
        &self,
        repo: &str,
        number: u64,
    ) -> Result<Vec<IssueComment>, GithubError> {
        let route = format!("/repos/{repo}/issues/{number}/comments?per_page=100");
        let list = self.get_all(&route).await?;
        self.parsed(&route, list.iter().map(parse_comment).collect())
    }

    /// Writes a new comment on issue `number`: the comment.
    pub async fn create_comment(
        &self,
        repo: &str,
        number: u64,
        body: &str,
    ) -> Result<IssueComment, GithubError> {
        let route = format!("/repos/{repo}/issues/{number}/comments");
        let created = self
            .post_once(&route, &json!({ "body": body }), "comment on issues")
            .await?;
        self.parsed(&route, parse_comment(&created))
    }

    /// Replaces the body of comment `id`.
    pub async fn edit_comment(&self, repo: &str, id: u64, body: &str) -> Result<(), GithubError> {
        let route = format!("/repos/{repo}/issues/comments/{id}");
        let shown = self.shown(&route);
        let response = self
            .client
            ._patch(route.as_str(), Some(&json!({ "body": body })))
            .await;
        let answer = self.read(response, &shown).await?;
        let hint = format!(
            "check the token in {} (github.token_env) and that it may edit comments",
            self.token_env
        );
        answer.require_ok(&shown, &hint)?;
        Ok(())
    }

    /// Leaves `reaction` on comment `id` (GitHub answers 200 when it is there already).
    pub async fn react(&self, repo: &str, id: u64, reaction: Reaction) -> Result<(), GithubError> {
        let route = format!("/repos/{repo}/issues/comments/{id}/reactions");
        self.post_once(
            &route,
            &json!({ "content": reaction.content() }),
            "react to comments",
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pull_from_a_deleted_fork_has_no_head_repo() {
        let pull = parse_pull(
            r#"{"number": 412, "state": "open", "title": "Release", "user": {"login": "tim"},
                "head": {"ref": "rc", "sha": "3f2a", "repo": null},
                "base": {"ref": "master", "sha": "aa11", "repo": {"full_name": "o/apangea", "fork": false}}}"#,
        )
        .unwrap();
        assert_eq!(pull.head_repo, None);
        assert_eq!(pull.base_repo.as_deref(), Some("o/apangea"));
        assert_eq!(pull.head_ref, "rc");
    }

    #[test]
    fn a_permission_without_either_field_is_unreadable() {
        let p = parse_permission(
            r#"{"permission": "write", "role_name": "maintain", "user": {"login": "bob"}}"#,
        )
        .unwrap();
        assert_eq!(p.role_name.as_deref(), Some("maintain"));
        assert!(parse_permission(r#"{"message": "Not Found"}"#).is_err());
        assert!(parse_permission("<html>").is_err());
    }

    #[test]
    fn a_comment_read_again_says_whether_it_was_minimized_or_edited() {
        let now = parse_comment_now(&serde_json::json!({"node": {
            "body": "/deploy production", "isMinimized": true, "lastEditedAt": null}}))
        .unwrap();
        assert!(now.minimized && !now.edited);
        let edited = parse_comment_now(&serde_json::json!({"node": {
            "body": "x", "isMinimized": false, "lastEditedAt": "2026-11-24T19:01:00Z"}}))
        .unwrap();
        assert!(edited.edited);
        assert!(parse_comment_now(&serde_json::json!({"node": null})).is_err());
        assert!(parse_comment_now(&serde_json::json!({"node": {}})).is_err());
    }

    #[test]
    fn a_comment_by_an_app_is_a_bot() {
        let c = parse_comment(&serde_json::json!({
            "id": 7, "body": null, "html_url": "https://github.com/o/r/pull/1#issuecomment-7",
            "user": {"login": "github-actions[bot]", "type": "Bot"}
        }))
        .unwrap();
        assert!(c.author_is_bot);
        assert_eq!(c.body, "");
    }
}
