//! The one HTTP transport, on the ground floor: what every request of gatekeeper
//! goes through (the sources' Jenkins, New Relic and GitHub through octocrab, notice
//! creation, the deployments record, the runbook's smoke checks). Proxies from
//! `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, one rustls configuration (system
//! certificates loaded once per process), one connection pool, redirects only
//! within the same origin, a credential header only for its own origin, a cap on
//! every answer's body, a cap on requests in flight per service, the per-request
//! timeout, one deadline, and one retry for idempotent requests (honouring
//! `Retry-After` when it fits the deadline). [`Network`] is the runtime, the
//! limits and the deadline of one command run, made once and passed to whoever
//! asks the network. It never judges what an answer means for a deploy, never
//! lets a secret out in an error, and knows nothing of the config or the sources:
//! it takes plain values (timeouts, limits).

mod answer;
mod error;
mod policy;
mod run;
mod transport;

pub use answer::Answer;
pub use error::HttpError;
pub use policy::{Log, Policy};
pub use run::{Limits, Network};
pub use transport::{Call, Credential, Service, Stats, Transport};

use crate::secrets::Env;

/// The largest answer body read, per answer.
pub const BODY_CAP: usize = 8 * 1024 * 1024;
/// Same-origin redirects followed at most.
const MAX_REDIRECTS: usize = 5;

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

/// An error and its causes as people read it: on one line, each cause said once,
/// without any secret of the loaded config.
pub fn error_text(e: &dyn std::error::Error) -> String {
    crate::secrets::scrub(&chain(e))
}

/// Reads a secret from the environment variable the config names.
pub fn secret(env: Env<'_>, var: &str, key: &str, what: &str) -> Result<String, HttpError> {
    match env(var) {
        // Two tokens pasted one per line, or a token with a space inside, cannot be
        // sent: said as the variable's problem, before any request.
        Some(value)
            if value
                .trim()
                .chars()
                .any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Err(HttpError::MalformedSecret {
                var: var.to_owned(),
                key: key.to_owned(),
                what: what.to_owned(),
            })
        }
        Some(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
        _ => Err(HttpError::MissingSecret {
            var: var.to_owned(),
            key: key.to_owned(),
            what: what.to_owned(),
        }),
    }
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
    use super::answer::body_reason;
    use super::*;
    use crate::secrets::{Redactor, basic};
    use chrono::{DateTime, Utc};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::time::Instant;

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
        let mut policy = Policy::new(1, 60, 32);
        policy.backoff = Duration::from_millis(1);
        let answer = policy
            .run("GET", "u", true, || async {
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
            let policy = Policy::new(1, 60, 32);
            let _ = policy
                .run("GET", "u", true, || async {
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
        let mut policy = Policy::new(1, 60, 32);
        policy.timeout = Duration::from_millis(20);
        policy.backoff = Duration::from_millis(1);
        let err = policy
            .run("GET", "http://x/y", true, || async {
                tries.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(Answer::default())
            })
            .await
            .unwrap_err();
        assert_eq!(tries.load(Ordering::SeqCst), 2);
        assert!(err.to_string().contains("did not answer"), "{err}");
    }

    #[tokio::test]
    async fn a_post_that_creates_is_never_retried() {
        let tries = AtomicUsize::new(0);
        let mut policy = Policy::new(1, 60, 32);
        policy.backoff = Duration::from_millis(1);
        let _ = policy
            .run("POST", "u", false, || async {
                tries.fetch_add(1, Ordering::SeqCst);
                Ok(Answer {
                    status: 503,
                    ..Answer::default()
                })
            })
            .await;
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_retry_after_beyond_the_deadline_is_not_waited_for() {
        let tries = AtomicUsize::new(0);
        let policy = Policy::new(1, 2, 32);
        let answer = policy
            .run("GET", "u", true, || async {
                tries.fetch_add(1, Ordering::SeqCst);
                Ok(Answer {
                    status: 503,
                    retry_after: Some("30".into()),
                    ..Answer::default()
                })
            })
            .await
            .unwrap();
        assert_eq!(answer.status, 503);
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_deadline_ends_a_request_with_its_own_message() {
        let mut policy = Policy::new(5, 60, 32);
        policy.deadline = Instant::now() + Duration::from_millis(20);
        policy.deadline_seconds = 60;
        let err = policy
            .run("GET", "http://x/y", true, || async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(Answer::default())
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no answer within 60 s"), "{err}");
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now: DateTime<Utc> = "2026-11-24T20:00:00Z".parse().unwrap();
        let answer = |v: &str| Answer {
            retry_after: Some(v.to_owned()),
            ..Answer::default()
        };
        assert_eq!(answer("7").retry_after(now), Some(Duration::from_secs(7)));
        assert_eq!(
            answer("Tue, 24 Nov 2026 20:00:30 GMT").retry_after(now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(answer("soon").retry_after(now), None);
        // Said with a unit only when it is a number of seconds.
        assert_eq!(answer("7").reset_description(), "retry after 7 s");
        assert_eq!(
            answer("Wed, 21 Oct 2099 07:28:00 GMT").reset_description(),
            "retry after Wed, 21 Oct 2099 07:28:00 GMT"
        );
    }

    #[test]
    fn redactor_scrubs_the_basic_auth_form_and_an_untrimmed_token() {
        let env = |var: &str| (var == "T").then(|| "tok-123456\n".to_owned());
        let r = Redactor::from_env(&env, &["T"]).with_basic("bot", "tok-123456");
        let echoed = format!(
            "Authorization: Basic {} for tok-123456",
            basic("bot", "tok-123456")
        );
        let scrubbed = r.scrub(&echoed);
        assert!(!scrubbed.contains("tok-123456"), "{scrubbed}");
        assert!(
            !scrubbed.contains(&basic("bot", "tok-123456")),
            "{scrubbed}"
        );
    }

    #[test]
    fn a_credential_is_for_its_own_origin_only() {
        let c = Credential::bearer("https://api.github.com/", "t0ken").unwrap();
        assert!(c.allows(&"https://api.github.com/repos/o/r".parse().unwrap()));
        assert!(!c.allows(&"https://evil.example.com/repos/o/r".parse().unwrap()));
        assert!(!c.allows(&"http://api.github.com/repos/o/r".parse().unwrap()));
    }
}
