//! How requests are timed, capped and retried: the per-request timeout, the one
//! deadline, the single retry of an idempotent request.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

use super::{Answer, BODY_CAP, HttpError};

/// Pause before the single retry when the answer names none.
const BACKOFF: Duration = Duration::from_millis(300);

/// A sink for one line about one request.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// How requests are timed, capped and retried.
#[derive(Clone)]
pub struct Policy {
    /// Per request (each try).
    pub timeout: Duration,
    /// For the whole run: what is unanswered then fails.
    pub deadline: Instant,
    /// The deadline as configured, for messages.
    pub deadline_seconds: u64,
    /// Pause before the retry when the answer names no `Retry-After`.
    pub backoff: Duration,
    /// Requests in flight at most, per service.
    pub max_in_flight: usize,
    /// The largest answer body read.
    pub body_cap: usize,
    /// Told every try's outcome (`--verbose`); secrets are scrubbed before it.
    pub log: Option<Log>,
    /// Same-origin redirects are followed; when false, a 3xx is the answer (the
    /// smoke checks: a URL that redirects is not a URL that answers 200).
    pub follow_redirects: bool,
}

impl Policy {
    /// The policy of a run starting now.
    pub fn new(timeout_seconds: u64, deadline_seconds: u64, max_in_flight: usize) -> Self {
        Self {
            timeout: Duration::from_secs(timeout_seconds),
            deadline: Instant::now() + Duration::from_secs(deadline_seconds),
            deadline_seconds,
            backoff: BACKOFF,
            max_in_flight: max_in_flight.max(1),
            body_cap: BODY_CAP,
            log: None,
            follow_redirects: true,
        }
    }

    fn tell(
        &self,
        method: &str,
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
            "{method} {url} (try {try_number}): {what} in {} ms",
            started.elapsed().as_millis()
        ));
    }

    /// Runs `attempt` within the timeout and the deadline. An idempotent request is
    /// tried once more when it timed out or answered 429/502/503/504, or a secondary
    /// rate limit (403/429 with `Retry-After` and requests left), after the
    /// `Retry-After` it names (else a short backoff), when that wait ends before the
    /// deadline.
    pub async fn run<F, Fut>(
        &self,
        method: &str,
        url: &str,
        idempotent: bool,
        mut attempt: F,
    ) -> Result<Answer, HttpError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Answer, HttpError>>,
    {
        let mut tries = 0;
        loop {
            tries += 1;
            let started = Instant::now();
            let until = (started + self.timeout).min(self.deadline);
            let outcome = match tokio::time::timeout_at(until, attempt()).await {
                Ok(result) => result,
                Err(_) if until >= self.deadline => Err(self.past_deadline(url)),
                Err(_) => Err(HttpError::Timeout {
                    url: url.to_owned(),
                    seconds: self.timeout.as_secs(),
                }),
            };
            self.tell(method, url, tries, started, &outcome);
            let wait = match &outcome {
                Err(HttpError::Timeout { .. }) => Some(self.backoff),
                Ok(answer) if retryable(answer) => {
                    Some(answer.retry_after(Utc::now()).unwrap_or(self.backoff))
                }
                _ => None,
            };
            match wait {
                // checked: a `Retry-After` of 10^19 seconds must not overflow the clock.
                Some(wait)
                    if idempotent
                        && tries < 2
                        && Instant::now()
                            .checked_add(wait)
                            .is_some_and(|until| until < self.deadline) =>
                {
                    tokio::time::sleep(wait).await;
                }
                _ => return outcome,
            }
        }
    }

    pub(super) fn past_deadline(&self, url: &str) -> HttpError {
        HttpError::Deadline {
            url: url.to_owned(),
            seconds: self.deadline_seconds,
        }
    }
}

/// Worth one more try: a server in trouble, or a secondary rate limit.
fn retryable(answer: &Answer) -> bool {
    match answer.status {
        502..=504 => true,
        429 => !answer.out_of_budget(),
        403 => answer.retry_after.is_some() && !answer.out_of_budget(),
        _ => false,
    }
}
