//! One answer, reduced to what the sources read, and how an answer that is no
//! success becomes an [`HttpError`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

use super::{HttpError, MAX_REDIRECTS};
use crate::secrets::scrub;

/// One answer, reduced to what the sources read.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub ratelimit_remaining: Option<String>,
    pub ratelimit_reset: Option<String>,
    pub link: Option<String>,
    pub location: Option<String>,
    /// Every header of the answer (octocrab reads them back).
    pub headers: HeaderMap,
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
            location: header("location"),
            headers: headers.clone(),
            body: String::new(),
        }
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A primary rate limit: no requests left until the reset.
    pub fn out_of_budget(&self) -> bool {
        self.ratelimit_remaining.as_deref().map(str::trim) == Some("0")
    }

    /// How long the answer asks to wait (`Retry-After`: seconds or an HTTP date).
    pub fn retry_after(&self, now: DateTime<Utc>) -> Option<Duration> {
        let value = self.retry_after.as_deref()?.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        let at = DateTime::parse_from_rfc2822(value)
            .ok()?
            .with_timezone(&Utc);
        Some((at - now).to_std().unwrap_or(Duration::ZERO))
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
            (None, Some(after)) => match after.trim().parse::<u64>() {
                Ok(seconds) => format!("retry after {seconds} s"),
                // An HTTP date.
                Err(_) => format!("retry after {}", after.trim()),
            },
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
            300..=399 => format!(
                ", a redirect to {} that gatekeeper did not follow (another origin, or more than {MAX_REDIRECTS}): put the final URL in the config",
                self.location.as_deref().unwrap_or("nowhere")
            ),
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
pub(super) fn body_reason(body: &str) -> Option<String> {
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
    // Scrubbed before it is cut: a cut secret would no longer be recognised.
    Some(scrub(&reason).chars().take(160).collect())
}
