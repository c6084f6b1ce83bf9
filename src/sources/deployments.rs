//! GitHub Deployments, the record of deploys and rollbacks every machine shares:
//! creating a deployment and its statuses (each POST sent once, never retried),
//! reading a target's deployments with their latest status, and the login of the
//! token (`GET /user`). Owns the Deployments routes, the `payload` gatekeeper
//! writes and how answers are read; never decides anything from them.

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::github::{GitHub, GithubError};
use crate::audit::Actor;
use crate::facts::OverrideRequest;

/// Deployments read at most for one target (newest first).
const LISTED: usize = 30;
/// Deployments asked for per page when every page is read (GitHub's most).
const PER_PAGE: usize = 100;
/// Pages read at most when every page is read: 5,000 deployments of one SHA.
pub const MAX_PAGES: usize = 50;
/// GitHub refuses a status description longer than this.
const DESCRIPTION_MAX: usize = 140;

/// What gatekeeper writes into a deployment's `payload`, under "gatekeeper".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// "deploy" or "rollback".
    #[serde(default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// The machine it ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// What production ran before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_sha: Option<String>,
    /// The digests of the facts and policies the decision was made on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideRequest>,
    /// The sha256 of the signed decision the deploy wrote (`--attest-out`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_sha256: Option<String>,
}

/// A deployment as read back, with its latest status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deployment {
    pub id: u64,
    pub sha: String,
    pub created_at: DateTime<Utc>,
    /// The login that created it.
    pub creator: Option<String>,
    /// gatekeeper's payload (its kind, "deploy" or "rollback", and its run id);
    /// `None` when another tool created the deployment.
    pub payload: Option<Payload>,
    /// The latest status: success, failure, error, in_progress…; `None` when none.
    pub state: Option<String>,
    pub description: Option<String>,
    pub log_url: Option<String>,
}

impl Deployment {
    pub fn succeeded(&self) -> bool {
        self.state.as_deref() == Some("success")
    }
}

/// A status to set on a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    InProgress,
    Success,
    Failure,
    Error,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Error => "error",
        }
    }
}

impl GitHub {
    /// The login the token belongs to.
    pub async fn login(&self) -> Result<String, GithubError> {
        let answer = self.get("/user").await?;
        parse_login(&answer.body).map_err(|message| GithubError::Parse {
            url: "/user".to_owned(),
            message,
        })
    }

    /// Creates a deployment of `sha` to `environment` in `repo`: its id.
    pub async fn create_deployment(
        &self,
        repo: &str,
        sha: &str,
        environment: &str,
        payload: &Payload,
    ) -> Result<u64, GithubError> {
        let route = format!("/repos/{repo}/deployments");
        let body = serde_json::json!({
            "ref": sha,
            "environment": environment,
            "auto_merge": false,
            "required_contexts": [],
            "payload": {"gatekeeper": payload},
            "description": clip(&format!("gatekeeper {} of {sha}", payload.kind)),
        });
        let created = self
            .post_once(&route, &body, &format!("create deployments in {repo}"))
            .await?;
        created
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| GithubError::Parse {
                url: route,
                message: "no deployment id in the answer".to_owned(),
            })
    }

    /// Sets the status of deployment `id` in `repo`.
    pub async fn set_deployment_state(
        &self,
        repo: &str,
        id: u64,
        state: State,
        description: &str,
        log_url: Option<&str>,
    ) -> Result<(), GithubError> {
        let route = format!("/repos/{repo}/deployments/{id}/statuses");
        let mut body = serde_json::json!({
            "state": state.as_str(),
            "description": clip(description),
        });
        if let (Some(url), Some(map)) = (log_url, body.as_object_mut()) {
            map.insert("log_url".to_owned(), Value::String(url.to_owned()));
        }
        self.post_once(
            &route,
            &body,
            &format!("write deployment statuses in {repo}"),
        )
        .await
        .map(|_| ())
    }

    /// The newest deployments of `repo` to `environment`, newest first, each with
    /// its latest status.
    pub async fn deployments(
        &self,
        repo: &str,
        environment: &str,
    ) -> Result<Vec<Deployment>, GithubError> {
        let route = format!(
            "/repos/{repo}/deployments?environment={}&per_page={LISTED}",
            encode(environment)
        );
        let answer = self.get(&route).await?;
        let mut listed = parse_deployments(&answer.body).map_err(|message| GithubError::Parse {
            url: format!("/repos/{repo}/deployments"),
            message,
        })?;
        // The statuses at once (the transport caps the requests in flight).
        let latest = join_all(listed.iter().map(|deployment| async move {
            let route = format!(
                "/repos/{repo}/deployments/{}/statuses?per_page=1",
                deployment.id
            );
            let answer = self.get(&route).await?;
            parse_latest_status(&answer.body).map_err(|message| GithubError::Parse {
                url: format!("/repos/{repo}/deployments/{}/statuses", deployment.id),
                message,
            })
        }))
        .await;
        for (deployment, latest) in listed.iter_mut().zip(latest) {
            if let Some((state, description, log_url)) = latest? {
                deployment.state = Some(state);
                deployment.description = description;
                deployment.log_url = log_url;
            }
        }
        Ok(listed)
    }
}

impl GitHub {
    /// Every deployment of `repo` to `environment` on `sha`, newest first, every
    /// page followed (`Link: rel="next"`), at most [`MAX_PAGES`] of them: a list cut
    /// short is an error, never read as the whole. Their statuses are not read.
    pub async fn deployments_of_sha(
        &self,
        repo: &str,
        environment: &str,
        sha: &str,
    ) -> Result<Vec<Deployment>, GithubError> {
        let first = format!(
            "/repos/{repo}/deployments?environment={}&sha={}&per_page={PER_PAGE}",
            encode(environment),
            encode(sha)
        );
        let mut all = Vec::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(route) = next.take() {
            pages += 1;
            let answer = self.get(&route).await?;
            let page = parse_deployments(&answer.body).map_err(|message| GithubError::Parse {
                url: format!("/repos/{repo}/deployments"),
                message,
            })?;
            all.extend(page);
            next = crate::net::next_link(answer.link.as_deref());
            if next.is_some() && pages >= MAX_PAGES {
                return Err(GithubError::TooManyPages {
                    url: format!("/repos/{repo}/deployments?sha={sha}"),
                    pages,
                });
            }
        }
        Ok(all)
    }
}

/// A description cut to what GitHub accepts.
fn clip(text: &str) -> String {
    text.chars().take(DESCRIPTION_MAX).collect()
}

/// A query value with everything but unreserved characters percent-encoded.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn parse_login(text: &str) -> Result<String, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    v.get("login")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| "no login in the answer".to_owned())
}

/// A list of deployments; an entry without id, 40-hex sha or creation time is an
/// error (a record half read could name the wrong SHA).
pub fn parse_deployments(text: &str) -> Result<Vec<Deployment>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let items = v.as_array().ok_or("expected a JSON list")?;
    items.iter().map(parse_deployment).collect()
}

fn parse_deployment(v: &Value) -> Result<Deployment, String> {
    let id = v
        .get("id")
        .and_then(Value::as_u64)
        .ok_or("a deployment without a numeric id")?;
    let sha = v
        .get("sha")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .filter(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("deployment {id} has no 40-hex sha"))?;
    let created_at = v
        .get("created_at")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("deployment {id} has no created_at time"))?;
    // GitHub answers the payload as sent (an object), or as a string of JSON.
    let payload = match v.get("payload") {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok(),
        Some(other) => Some(other.clone()),
        None => None,
    }
    .and_then(|p| p.get("gatekeeper").cloned())
    .and_then(|g| serde_json::from_value::<Payload>(g).ok())
    // gatekeeper's marker: the kind of run and its id; anything less is another tool's.
    .filter(|p| {
        matches!(p.kind.as_str(), "deploy" | "rollback")
            && p.run.as_deref().is_some_and(|r| !r.trim().is_empty())
    });
    Ok(Deployment {
        id,
        sha,
        created_at,
        creator: v
            .pointer("/creator/login")
            .and_then(Value::as_str)
            .map(str::to_owned),
        payload,
        state: None,
        description: None,
        log_url: None,
    })
}

type Latest = Option<(String, Option<String>, Option<String>)>;

/// The first (newest) status of a list: state, description, log_url.
pub fn parse_latest_status(text: &str) -> Result<Latest, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let items = v.as_array().ok_or("expected a JSON list")?;
    let Some(first) = items.first() else {
        return Ok(None);
    };
    let state = first
        .get("state")
        .and_then(Value::as_str)
        .ok_or("a deployment status without a state")?;
    let text_at = |key: &str| {
        first
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(Some((
        state.to_owned(),
        text_at("description"),
        text_at("log_url"),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn reads_a_deployment_with_gatekeepers_payload() {
        let text = format!(
            r#"[{{"id": 7, "sha": "{SHA}", "created_at": "2026-11-20T10:00:00Z",
                "creator": {{"login": "deploy-bot"}},
                "payload": {{"gatekeeper": {{"kind": "deploy", "run": "r1",
                  "actor": {{"github": "deploy-bot", "ci": "alice"}}}}}}}}]"#
        );
        let listed = parse_deployments(&text).unwrap();
        assert_eq!(listed[0].id, 7);
        let payload = listed[0].payload.as_ref().unwrap();
        assert_eq!(payload.run.as_deref(), Some("r1"));
        assert_eq!(payload.actor.as_ref().unwrap().ci.as_deref(), Some("alice"));
    }

    #[test]
    fn a_payload_sent_as_a_string_reads_too() {
        let text = format!(
            r#"[{{"id": 7, "sha": "{SHA}", "created_at": "2026-11-20T10:00:00Z",
                "payload": "{{\"gatekeeper\": {{\"kind\": \"rollback\", \"run\": \"r2\"}}}}"}}]"#
        );
        let listed = parse_deployments(&text).unwrap();
        assert_eq!(listed[0].payload.as_ref().unwrap().kind, "rollback");
    }

    #[test]
    fn a_payload_without_gatekeepers_kind_and_run_is_another_tools() {
        for payload in [
            r#"{}"#,
            r#"{"gatekeeper": {"kind": "deploy"}}"#,
            r#"{"gatekeeper": {"kind": "deploy", "run": " "}}"#,
            r#"{"gatekeeper": {"kind": "release", "run": "r1"}}"#,
            r#"{"gatekeeper": {"kind": "deploy", "run": 7}}"#,
        ] {
            let text = format!(
                r#"[{{"id": 7, "sha": "{SHA}", "created_at": "2026-11-20T10:00:00Z", "payload": {payload}}}]"#
            );
            let listed = parse_deployments(&text).unwrap();
            assert_eq!(listed[0].payload, None, "{payload}");
        }
    }

    #[test]
    fn a_deployment_without_a_full_sha_is_an_error() {
        let text = r#"[{"id": 7, "sha": "abc", "created_at": "2026-11-20T10:00:00Z"}]"#;
        assert!(parse_deployments(text).unwrap_err().contains("40-hex"));
    }

    #[test]
    fn the_newest_status_is_the_first() {
        let text = r#"[{"state": "success", "log_url": "https://ci/1"}, {"state": "in_progress"}]"#;
        let (state, _, log) = parse_latest_status(text).unwrap().unwrap();
        assert_eq!(state, "success");
        assert_eq!(log.as_deref(), Some("https://ci/1"));
        assert_eq!(parse_latest_status("[]").unwrap(), None);
    }

    #[test]
    fn the_environment_is_encoded() {
        assert_eq!(encode("prod us/1"), "prod%20us%2F1");
    }
}
