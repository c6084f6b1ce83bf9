//! The transport of one run: one reqwest client (proxies from the environment, one
//! rustls configuration, same-origin redirects), credentials bound to their origin,
//! a cap on requests in flight per service, bounded bodies, and counts per service.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::Semaphore;

use super::{Answer, HttpError, MAX_REDIRECTS, Policy, chain};
use crate::secrets::basic;

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

    pub(super) fn allows(&self, url: &reqwest::Url) -> bool {
        self.origin.origin() == url.origin()
    }
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
