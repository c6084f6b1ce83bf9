//! The one HTTP transport of every source (Jenkins, New Relic, GitHub through
//! octocrab, notice creation, the runbook's smoke checks), configured once per run:
//! proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, one rustls configuration
//! (system certificates loaded once per process), one connection pool, redirects
//! only within the same origin, a credential header only for its own origin, a cap
//! on every answer's body, a cap on requests in flight per service, the per-request
//! timeout, one deadline for the whole run, and one retry for idempotent requests
//! (honouring `Retry-After` when it fits the deadline). Also the [`Redactor`] that
//! scrubs secrets from every message. It never judges what an answer means for a
//! deploy, and never lets a secret out in an error.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Pause before the single retry when the answer names none.
const BACKOFF: Duration = Duration::from_millis(300);
/// The largest answer body read, per answer.
pub const BODY_CAP: usize = 8 * 1024 * 1024;
/// Same-origin redirects followed at most.
const MAX_REDIRECTS: usize = 5;

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
        "environment variable {var} ({key} in the config names it) holds a space, a line break or another character no token has: set it to the {what} alone"
    )]
    MalformedSecret {
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
    #[error(
        "{url} sent an answer larger than {mib} MiB: gatekeeper stops reading there; check that the config points at the right service"
    )]
    TooLarge { url: String, mib: usize },
    #[error(
        "{url}: no answer within {seconds} s (deadline_seconds), the deadline for the whole collection: the service is slow or down; raise deadline_seconds if it is only slow"
    )]
    Deadline { url: String, seconds: u64 },
    #[error(
        "{url} redirects to {location}, another origin: gatekeeper never follows a redirect (nor sends a credential) to another origin; put the final URL in the config"
    )]
    CrossOrigin { url: String, location: String },
    #[error("cannot set up the HTTP client: {message}")]
    Setup { message: String },
}

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
    // Scrubbed before it is cut: a cut secret would no longer be recognised.
    Some(scrub(&reason).chars().take(160).collect())
}

/// The services whose requests are capped and counted separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Jenkins,
    NewRelic,
    GitHub,
    /// The runbook's smoke checks.
    Smoke,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::Jenkins,
        Service::NewRelic,
        Service::GitHub,
        Service::Smoke,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Service::Jenkins => "jenkins",
            Service::NewRelic => "newrelic",
            Service::GitHub => "github",
            Service::Smoke => "smoke",
        }
    }
}

/// One `T` per service.
#[derive(Debug, Default)]
struct PerService<T> {
    jenkins: T,
    newrelic: T,
    github: T,
    smoke: T,
}

impl<T> PerService<T> {
    fn new(mut make: impl FnMut() -> T) -> Self {
        Self {
            jenkins: make(),
            newrelic: make(),
            github: make(),
            smoke: make(),
        }
    }

    fn of(&self, service: Service) -> &T {
        match service {
            Service::Jenkins => &self.jenkins,
            Service::NewRelic => &self.newrelic,
            Service::GitHub => &self.github,
            Service::Smoke => &self.smoke,
        }
    }
}

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

    /// The policy of a config, for a run starting now.
    pub fn of(config: &crate::config::Config) -> Self {
        Self::new(
            config.timeout_seconds,
            config.deadline_seconds,
            config.max_in_flight,
        )
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

    fn past_deadline(&self, url: &str) -> HttpError {
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

/// A credential header, only ever sent to its own origin.
#[derive(Clone)]
pub struct Credential {
    origin: reqwest::Url,
    name: HeaderName,
    value: HeaderValue,
}

impl Credential {
    /// `name: value` for requests to the origin of `url`.
    pub fn new(url: &str, name: &str, value: &str) -> Result<Self, HttpError> {
        let setup = |message: String| HttpError::Setup { message };
        let origin =
            reqwest::Url::parse(url).map_err(|e| setup(format!("{url:?} is no URL: {e}")))?;
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| setup(format!("header {name}: {e}")))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| setup(format!("the {name} value holds characters a header cannot")))?;
        value.set_sensitive(true);
        Ok(Self {
            origin,
            name,
            value,
        })
    }

    pub fn bearer(url: &str, token: &str) -> Result<Self, HttpError> {
        Self::new(url, "authorization", &format!("Bearer {token}"))
    }

    pub fn basic(url: &str, user: &str, token: &str) -> Result<Self, HttpError> {
        Self::new(
            url,
            "authorization",
            &format!("Basic {}", basic(user, token)),
        )
    }

    fn allows(&self, url: &reqwest::Url) -> bool {
        self.origin.origin() == url.origin()
    }
}

/// The base64 of `user:token`, as HTTP basic auth sends it.
pub fn basic(user: &str, token: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"))
}

/// One request.
pub struct Call<'a> {
    pub service: Service,
    pub method: reqwest::Method,
    pub url: reqwest::Url,
    pub credential: Option<&'a Credential>,
    pub headers: HeaderMap,
    pub body: Option<bytes::Bytes>,
    /// May be sent twice (a GET, a GraphQL query); never a POST that creates.
    pub idempotent: bool,
}

impl<'a> Call<'a> {
    pub fn get(service: Service, url: reqwest::Url, credential: Option<&'a Credential>) -> Self {
        Self {
            service,
            method: reqwest::Method::GET,
            url,
            credential,
            headers: HeaderMap::new(),
            body: None,
            idempotent: true,
        }
    }

    /// A JSON POST; `idempotent` when it only reads (a GraphQL query).
    pub fn post_json(
        service: Service,
        url: reqwest::Url,
        credential: Option<&'a Credential>,
        body: &serde_json::Value,
        idempotent: bool,
    ) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Self {
            service,
            method: reqwest::Method::POST,
            url,
            credential,
            headers,
            body: Some(bytes::Bytes::from(body.to_string())),
            idempotent,
        }
    }
}

/// Requests and in-flight peaks of one service, for `--verbose` and the benches.
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

/// What one service saw during a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub service: Service,
    pub requests: usize,
    pub peak_in_flight: usize,
}

struct Inner {
    client: reqwest::Client,
    policy: Policy,
    gates: PerService<Semaphore>,
    counters: PerService<Counters>,
}

/// The transport of one run: cheap to clone, shared by every source.
#[derive(Clone)]
pub struct Transport(Arc<Inner>);

impl Transport {
    pub fn new(policy: Policy) -> Result<Self, HttpError> {
        let client = client(&policy)?;
        Ok(Self(Arc::new(Inner {
            client,
            gates: PerService::new(|| Semaphore::new(policy.max_in_flight)),
            counters: Default::default(),
            policy,
        })))
    }

    pub fn policy(&self) -> &Policy {
        &self.0.policy
    }

    /// Requests made and peak in flight, per service.
    pub fn stats(&self) -> Vec<Stats> {
        Service::ALL
            .iter()
            .map(|&service| {
                let c = self.counters(service);
                Stats {
                    service,
                    requests: c.requests.load(Ordering::Relaxed),
                    peak_in_flight: c.peak.load(Ordering::Relaxed),
                }
            })
            .collect()
    }

    fn counters(&self, service: Service) -> &Counters {
        self.0.counters.of(service)
    }

    /// Sends `call` (retried as [`Policy::run`] says), the URL shown as `shown`.
    pub async fn send(&self, call: Call<'_>, shown: &str) -> Result<Answer, HttpError> {
        let policy = &self.0.policy;
        let gate = self.0.gates.of(call.service);
        let _permit = match tokio::time::timeout_at(policy.deadline, gate.acquire()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => {
                return Err(HttpError::Setup {
                    message: "the request gate closed".to_owned(),
                });
            }
            Err(_) => return Err(policy.past_deadline(shown)),
        };
        policy
            .run(call.method.as_str(), shown, call.idempotent, || {
                self.attempt(&call, shown)
            })
            .await
    }

    async fn attempt(&self, call: &Call<'_>, shown: &str) -> Result<Answer, HttpError> {
        let counters = self.counters(call.service);
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let now = counters.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        counters.peak.fetch_max(now, Ordering::Relaxed);
        let result = self.exchange(call, shown).await;
        counters.in_flight.fetch_sub(1, Ordering::Relaxed);
        result
    }

    async fn exchange(&self, call: &Call<'_>, shown: &str) -> Result<Answer, HttpError> {
        let mut request = self
            .0
            .client
            .request(call.method.clone(), call.url.clone())
            .headers(call.headers.clone());
        if let Some(credential) = call.credential {
            if !credential.allows(&call.url) {
                return Err(HttpError::CrossOrigin {
                    url: credential.origin.origin().ascii_serialization(),
                    location: call.url.origin().ascii_serialization(),
                });
            }
            request = request.header(credential.name.clone(), credential.value.clone());
        }
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        let mut response = request.send().await.map_err(|e| HttpError::Transport {
            url: shown.to_owned(),
            message: chain(&e.without_url()),
        })?;
        let mut answer = Answer::head(response.status().as_u16(), response.headers());
        let cap = self.0.policy.body_cap;
        let too_large = || HttpError::TooLarge {
            url: shown.to_owned(),
            mib: cap.div_ceil(1024 * 1024),
        };
        if response
            .content_length()
            .is_some_and(|n| usize::try_from(n).map_or(true, |n| n > cap))
        {
            return Err(too_large());
        }
        let mut body: Vec<u8> = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| HttpError::Body {
            url: shown.to_owned(),
            message: format!("the answer broke off: {}", chain(&e.without_url())),
        })? {
            if body.len() + chunk.len() > cap {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        answer.body = String::from_utf8_lossy(&body).into_owned();
        Ok(answer)
    }
}

/// The reqwest client of a run: proxies from the environment (reqwest's default),
/// the shared TLS configuration, same-origin redirects only.
fn client(policy: &Policy) -> Result<reqwest::Client, HttpError> {
    let follow = policy.follow_redirects;
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if follow && same_origin && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    reqwest::Client::builder()
        .user_agent(concat!("gatekeeper/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls()?)
        .redirect(redirects)
        .connect_timeout(policy.timeout)
        .build()
        .map_err(|e| HttpError::Setup { message: chain(&e) })
}

/// The rustls configuration, with the system's certificates read once per process.
fn tls() -> Result<rustls::ClientConfig, HttpError> {
    static TLS: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    TLS.get_or_init(|| {
        use rustls_platform_verifier::BuilderVerifierExt as _;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_platform_verifier()
            .map(|builder| builder.with_no_client_auth())
            .map_err(|e| format!("cannot read the system's certificates: {e}"))
    })
    .clone()
    .map_err(|message| HttpError::Setup { message })
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
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Self { secrets }
    }

    /// Every environment variable the config names as holding a secret, read
    /// trimmed as the sources send them (and untrimmed too, in case a service echoes
    /// what it was given).
    pub fn from_env(env: Env<'_>, vars: &[&str]) -> Self {
        Self::new(
            vars.iter()
                .filter_map(|v| env(v))
                .flat_map(|value| [value.trim().to_owned(), value]),
        )
    }

    /// Also scrubs `more` (e.g. each line of a PEM key).
    pub fn with_secrets(mut self, more: Vec<String>) -> Self {
        self.secrets
            .extend(more.into_iter().filter(|s| s.len() >= 4));
        self.secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self.secrets.dedup();
        self
    }

    /// Also scrubs the basic-auth form of `user:token` (base64), as a 401 page may
    /// echo the Authorization header.
    pub fn with_basic(mut self, user: &str, token: &str) -> Self {
        let form = basic(user, token.trim());
        // Without padding: an echo may drop or re-encode the `=`.
        let bare = form.trim_end_matches('=').to_owned();
        self.secrets.push(form);
        self.secrets.push(bare);
        self.secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self.secrets.dedup();
        self
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

/// The scrubber of the process: the secrets of the config it loaded.
static SCRUBBER: std::sync::RwLock<Option<Redactor>> = std::sync::RwLock::new(None);

/// Makes [`scrub`] hide `redactor`'s secrets from now on (set when a config loads).
pub fn install_scrubber(redactor: Redactor) {
    if let Ok(mut installed) = SCRUBBER.write() {
        *installed = Some(redactor);
    }
}

/// `text` without any secret of the loaded config: every text built from what a
/// service answered, every error printed and every audit record passes here.
pub fn scrub(text: &str) -> String {
    match SCRUBBER.read() {
        Ok(installed) => match installed.as_ref() {
            Some(redactor) => redactor.scrub(text),
            None => text.to_owned(),
        },
        // A writer panicked while installing: hide nothing rather than fail; the
        // sources' own redactor still scrubs what they report.
        Err(_) => text.to_owned(),
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
