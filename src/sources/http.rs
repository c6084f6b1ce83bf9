//! HTTP for every source: the reqwest client (rustls with ring), the per-request
//! timeout, one retry with backoff on timeouts and 429/502/503/504, rate-limit
//! answers, and the [`Redactor`] that scrubs secrets from every message.
//! It never judges what an answer means for a deploy, and never lets a secret out
//! in an error.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Pause before the single retry.
const BACKOFF: Duration = Duration::from_millis(300);

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(
        "environment variable {var} is not set ({key} in the config names it): export the {what} in it"
    )]
    MissingSecret {
        var: String,
        key: String,
        what: String,
    },
    #[error(
        "{url} did not answer within {seconds} s (tried twice): the service is slow or down; raise timeout_seconds if it is only slow"
    )]
    Timeout { url: String, seconds: u64 },
    #[error("cannot reach {url}: {message}")]
    Transport { url: String, message: String },
    #[error("{url} answered HTTP {status}{reason}{hint}")]
    Status {
        url: String,
        status: u16,
        reason: String,
        hint: String,
    },
    #[error("{url} is rate-limited (HTTP {status}): {when}")]
    RateLimited {
        url: String,
        status: u16,
        when: String,
    },
    #[error("{url} answered something unreadable: {message}")]
    Body { url: String, message: String },
}

/// One answer, reduced to what the sources read.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub ratelimit_remaining: Option<String>,
    pub ratelimit_reset: Option<String>,
    pub link: Option<String>,
    pub body: String,
}

impl Answer {
    /// The status and the headers the sources read; the body comes after.
    pub fn head(status: u16, headers: &reqwest::header::HeaderMap) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Answer {
            status,
            retry_after: header("retry-after"),
            ratelimit_remaining: header("x-ratelimit-remaining"),
            ratelimit_reset: header("x-ratelimit-reset"),
            link: header("link"),
            body: String::new(),
        }
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A rate-limited answer (403/429 with no requests left, or a retry-after).
    pub fn rate_limited(&self) -> bool {
        (self.status == 403 || self.status == 429)
            && (self.ratelimit_remaining.as_deref().map(str::trim) == Some("0")
                || self.retry_after.is_some())
    }

    /// When a rate limit resets, in words.
    pub fn reset_description(&self) -> String {
        let reset = self
            .ratelimit_reset
            .as_deref()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0));
        match (reset, &self.retry_after) {
            (Some(at), _) => format!("the limit resets at {}; try again then", at.to_rfc3339()),
            (None, Some(after)) => format!("retry after {} s", after.trim()),
            (None, None) => "wait for the limit to reset and try again".to_owned(),
        }
    }

    /// The answer turned into an error unless it is a success.
    pub fn require_ok(self, url: &str, hint: &str) -> Result<Answer, HttpError> {
        if self.ok() {
            return Ok(self);
        }
        if self.rate_limited() {
            return Err(HttpError::RateLimited {
                url: url.to_owned(),
                status: self.status,
                when: self.reset_description(),
            });
        }
        let reason = body_reason(&self.body)
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let hint = match self.status {
            401 | 403 => format!(": {hint}"),
            404 => ": check the name in the config".to_owned(),
            500..=599 => ": the service is in trouble; try again later".to_owned(),
            _ => String::new(),
        };
        Err(HttpError::Status {
            url: url.to_owned(),
            status: self.status,
            reason,
            hint,
        })
    }
}

/// A short reason from an error body: a JSON `message`, an HTML `<title>`, or
/// nothing.
fn body_reason(body: &str) -> Option<String> {
    let reason = if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        v.get("message")
            .and_then(|m| m.as_str())
            .map(str::to_owned)
            .or_else(|| {
                v.get("errors")?
                    .as_array()?
                    .first()?
                    .get("message")?
                    .as_str()
                    .map(str::to_owned)
            })?
    } else {
        let lower = body.to_ascii_lowercase();
        let start = lower.find("<title>")? + "<title>".len();
        let end = start + lower.get(start..)?.find("</title>")?;
        body.get(start..end)?.trim().to_owned()
    };
    Some(reason.chars().take(160).collect())
}

/// How requests are timed and retried.
#[derive(Clone)]
pub struct Policy {
    pub timeout: Duration,
    pub backoff: Duration,
    /// Told every try's outcome (`--verbose`); secrets are scrubbed before it.
    pub log: Option<Log>,
}

/// A sink for one line about one request.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

impl Policy {
    pub fn new(timeout_seconds: u64) -> Self {
        Self {
            timeout: Duration::from_secs(timeout_seconds),
            backoff: BACKOFF,
            log: None,
        }
    }

    fn tell(
        &self,
        url: &str,
        try_number: u32,
        started: Instant,
        outcome: &Result<Answer, HttpError>,
    ) {
        let Some(log) = &self.log else { return };
        let what = match outcome {
            Ok(answer) => format!("HTTP {}", answer.status),
            Err(e) => e.to_string(),
        };
        log(&format!(
            "GET {url} (try {try_number}): {what} in {} ms",
            started.elapsed().as_millis()
        ));
    }

    /// Runs `attempt` with the timeout, and once more after a backoff when it timed
    /// out or answered 429 (not a rate limit), 502, 503 or 504.
    pub async fn run<F, Fut>(&self, url: &str, mut attempt: F) -> Result<Answer, HttpError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Answer, HttpError>>,
    {
        let mut tries = 0;
        loop {
            tries += 1;
            let started = Instant::now();
            let outcome = match tokio::time::timeout(self.timeout, attempt()).await {
                Ok(result) => result,
                Err(_) => Err(HttpError::Timeout {
                    url: url.to_owned(),
                    seconds: self.timeout.as_secs(),
                }),
            };
            self.tell(url, tries, started, &outcome);
            let again = match &outcome {
                Err(HttpError::Timeout { .. }) => true,
                Ok(answer) => {
                    matches!(answer.status, 429 | 502 | 503 | 504) && !answer.rate_limited()
                }
                Err(_) => false,
            };
            if !again || tries >= 2 {
                return outcome;
            }
            tokio::time::sleep(self.backoff).await;
        }
    }
}

/// The reqwest client every non-GitHub source uses.
/// The whole request, connect included, is timed by [`Policy::run`].
pub fn client() -> Result<reqwest::Client, HttpError> {
    install_crypto();
    reqwest::Client::builder()
        .user_agent(concat!("gatekeeper/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| HttpError::Transport {
            url: "(client)".to_owned(),
            message: chain(&e),
        })
}

/// reqwest is built without a default crypto provider: use ring, once per process.
pub fn install_crypto() {
    // Err means a provider is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// One reqwest request, read into an [`Answer`].
pub async fn send(request: reqwest::RequestBuilder, url: &str) -> Result<Answer, HttpError> {
    let response = request.send().await.map_err(|e| transport(url, &e))?;
    let mut answer = Answer::head(response.status().as_u16(), response.headers());
    answer.body = response.text().await.map_err(|e| HttpError::Body {
        url: url.to_owned(),
        message: format!("the answer broke off: {}", chain(&e)),
    })?;
    Ok(answer)
}

fn transport(url: &str, e: &reqwest::Error) -> HttpError {
    HttpError::Transport {
        url: url.to_owned(),
        message: chain(e),
    }
}

/// An error and its causes, on one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// Looks up an environment variable: `std::env` in the program, a map in benches.
pub type Env<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// The process environment.
pub fn process_env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

/// Reads a secret from the environment variable the config names.
pub fn secret(env: Env<'_>, var: &str, key: &str, what: &str) -> Result<String, HttpError> {
    match env(var) {
        Some(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
        _ => Err(HttpError::MissingSecret {
            var: var.to_owned(),
            key: key.to_owned(),
            what: what.to_owned(),
        }),
    }
}

/// Holds the secret values and scrubs them from any text that leaves a source.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets
            .into_iter()
            // A very short value would scrub ordinary words; it is no real token anyway.
            .filter(|s| s.len() >= 4)
            .collect();
        // Longest first, so that a secret containing another is scrubbed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self { secrets }
    }

    /// Every environment variable the config names as holding a secret.
    pub fn from_env(env: Env<'_>, vars: &[&str]) -> Self {
        Self::new(vars.iter().filter_map(|v| env(v)))
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            for form in [secret.clone(), percent_encode(secret)] {
                if out.contains(&form) {
                    out = out.replace(&form, "[REDACTED]");
                }
            }
        }
        out
    }
}

/// The secret as it would appear in a URL's query.
fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `rel="next"` URL of a Link header.
pub fn next_link(link: Option<&str>) -> Option<String> {
    link?.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| url.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn redactor_scrubs_plain_and_url_encoded_secrets() {
        let r = Redactor::new(["s3cr3t/tok+en".to_owned(), "ab".to_owned()]);
        assert_eq!(
            r.scrub("GET https://x/?t=s3cr3t%2Ftok%2Ben failed: s3cr3t/tok+en"),
            "GET https://x/?t=[REDACTED] failed: [REDACTED]"
        );
        // Too short to be a secret: left alone.
        assert_eq!(r.scrub("abc"), "abc");
    }

    #[test]
    fn next_link_finds_the_next_page_among_others() {
        let link = r#"<http://127.0.0.1:4000/api/v3/repos/o/r/pulls/1/reviews?page=2>; rel="next", <http://127.0.0.1:4000/api/v3/repos/o/r/pulls/1/reviews?page=3>; rel="last""#;
        assert_eq!(
            next_link(Some(link)).as_deref(),
            Some("http://127.0.0.1:4000/api/v3/repos/o/r/pulls/1/reviews?page=2")
        );
        assert_eq!(next_link(Some(r#"<http://x/?page=1>; rel="prev""#)), None);
        assert_eq!(next_link(None), None);
    }

    #[test]
    fn error_reason_comes_from_json_message_or_html_title() {
        assert_eq!(
            body_reason(r#"{"message":"Bad credentials","documentation_url":"x"}"#).as_deref(),
            Some("Bad credentials")
        );
        assert_eq!(
            body_reason("<html><head><title>Error 404 Not Found</title></head></html>").as_deref(),
            Some("Error 404 Not Found")
        );
        assert_eq!(body_reason("plain"), None);
    }

    #[test]
    fn rate_limit_reports_the_reset_time() {
        let answer = Answer {
            status: 403,
            ratelimit_remaining: Some("0".into()),
            ratelimit_reset: Some("1795550400".into()),
            ..Answer::default()
        };
        let message = answer.require_ok("GET /x", "").unwrap_err().to_string();
        assert!(message.contains("2026-11-24T20:00:00+00:00"), "{message}");
        assert!(message.contains("rate-limited"), "{message}");
    }

    #[tokio::test]
    async fn retries_once_on_503_then_gives_up() {
        let tries = AtomicUsize::new(0);
        let policy = Policy {
            timeout: Duration::from_secs(1),
            backoff: Duration::from_millis(1),
            log: None,
        };
        let answer = policy
            .run("u", || async {
                tries.fetch_add(1, Ordering::SeqCst);
                Ok(Answer {
                    status: 503,
                    ..Answer::default()
                })
            })
            .await
            .unwrap();
        assert_eq!(answer.status, 503);
        assert_eq!(tries.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn does_not_retry_a_rate_limit_or_a_404() {
        for (status, remaining) in [(429, Some("0".to_owned())), (404, None)] {
            let tries = AtomicUsize::new(0);
            let policy = Policy::new(1);
            let _ = policy
                .run("u", || async {
                    tries.fetch_add(1, Ordering::SeqCst);
                    Ok(Answer {
                        status,
                        ratelimit_remaining: remaining.clone(),
                        ..Answer::default()
                    })
                })
                .await;
            assert_eq!(tries.load(Ordering::SeqCst), 1, "status {status}");
        }
    }

    #[tokio::test]
    async fn a_timeout_is_retried_once_and_named() {
        let tries = AtomicUsize::new(0);
        let policy = Policy {
            timeout: Duration::from_millis(20),
            backoff: Duration::from_millis(1),
            log: None,
        };
        let err = policy
            .run("http://x/y", || async {
                tries.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(Answer::default())
            })
            .await
            .unwrap_err();
        assert_eq!(tries.load(Ordering::SeqCst), 2);
        assert!(err.to_string().contains("did not answer"), "{err}");
    }
}
