//! The last step of every run: each smoke URL answers 200 itself. A read-only HTTP
//! GET per URL through the sources' one transport (redirects not followed: a URL
//! that redirects, to a maintenance or login page say, has not answered 200),
//! within the configured timeout; it changes nothing. No URL is a failure, never a
//! pass: a run is verified by something answering, not by nothing being asked.

use std::time::Duration;

use super::step::Observer;
use crate::net::Network;

/// Every URL answers 200, or an error naming each one that did not and why. No
/// URL at all is an error too.
pub(crate) fn verify(
    target: &str,
    urls: &[String],
    timeout: Duration,
    network: Option<&Network>,
    observer: &mut dyn Observer,
) -> Result<(), String> {
    if urls.is_empty() {
        return Err(no_urls(target));
    }
    let bad: Vec<String> = probe(urls, timeout, network, Some(observer))?
        .into_iter()
        .filter_map(|(_, problem)| problem.map(|p| p.to_string()))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}

/// The smoke URLs that redirect, asked before anything changes: a redirect is the
/// config's mistake (the final address belongs in `smoke_urls`), and found only by
/// verify it would cost a whole deploy and a rollback. Other answers are not judged
/// here: the site may rightly be down before a deploy that fixes it.
/// When the URLs cannot be asked at all (no HTTP client), that is the answer:
/// nothing asked is no pass.
pub(crate) fn redirecting(
    urls: &[String],
    timeout: Duration,
    network: Option<&Network>,
) -> Vec<String> {
    match probe(urls, timeout, network, None) {
        Ok(asked) => asked
            .into_iter()
            .filter_map(|(_, problem)| match problem {
                Some(p @ Problem::Redirect { .. }) => Some(p.to_string()),
                _ => None,
            })
            .collect(),
        Err(e) => vec![format!("the smoke URLs could not be asked: {e}")],
    }
}

/// Why a smoke URL did not answer 200.
enum Problem {
    NotWeb(String),
    NoUrl(String, String),
    Redirect {
        url: String,
        status: u16,
        location: Option<String>,
    },
    Status(String, u16),
    NoAnswer(String, String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NotWeb(url) => write!(
                f,
                "{url} is not an http:// or https:// URL: smoke_urls must be web addresses that answer 200"
            ),
            Problem::NoUrl(url, e) => write!(f, "{url} is no URL: {e}"),
            Problem::Redirect {
                url,
                status,
                location,
            } => write!(
                f,
                "{url} answered HTTP {status} (a redirect to {}), not 200: a smoke URL must answer 200 itself; put the address that does in smoke_urls",
                location.as_deref().unwrap_or("nowhere")
            ),
            Problem::Status(url, status) => write!(f, "{url} answered HTTP {status}, not 200"),
            Problem::NoAnswer(url, e) => write!(f, "{url} did not answer: {e}"),
        }
    }
}

/// Each URL asked once (redirects not followed), with what was wrong, if anything.
fn probe(
    urls: &[String],
    timeout: Duration,
    network: Option<&Network>,
    mut observer: Option<&mut dyn Observer>,
) -> Result<Vec<(String, Option<Problem>)>, String> {
    use crate::net::{Call, Limits, Service};
    let mut asked = Vec::new();
    // The same transport as the sources' (proxies, body cap). A deadline of its
    // own, not the run's: the step comes after the deploy's steps, long past the
    // collection's deadline; it leaves each URL its timeout and one retry.
    let seconds = timeout.as_secs().max(1);
    let urls_count = u64::try_from(urls.len()).unwrap_or(u64::MAX);
    let limits = Limits {
        timeout_seconds: seconds,
        deadline_seconds: seconds.saturating_mul(3).saturating_mul(urls_count),
        max_in_flight: 4,
    };
    let network = match network {
        Some(network) => network.with_limits(limits),
        None => {
            Network::start(limits).map_err(|e| format!("cannot start the async runtime: {e}"))?
        }
    };
    let mut policy = network.policy();
    policy.follow_redirects = false;
    let transport = network.transport_with(policy).map_err(|e| e.to_string())?;
    for url in urls {
        if let Some(observer) = observer.as_deref_mut() {
            observer.command(&format!("GET {url}"));
        }
        let parsed = match reqwest::Url::parse(url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => parsed,
            Ok(_) => {
                asked.push((url.clone(), Some(Problem::NotWeb(url.clone()))));
                continue;
            }
            Err(e) => {
                asked.push((
                    url.clone(),
                    Some(Problem::NoUrl(url.clone(), e.to_string())),
                ));
                continue;
            }
        };
        let answer = network.block_on(transport.send(Call::get(Service::Smoke, parsed, None), url));
        let problem = match answer {
            Ok(a) if a.status == 200 => None,
            Ok(a) if (300..400).contains(&a.status) => Some(Problem::Redirect {
                url: url.clone(),
                status: a.status,
                location: a.location.clone(),
            }),
            Ok(a) => Some(Problem::Status(url.clone(), a.status)),
            Err(e) => Some(Problem::NoAnswer(url.clone(), e.to_string())),
        };
        asked.push((url.clone(), problem));
    }
    Ok(asked)
}

/// Why a run with no smoke URL is not verified, and what to write.
pub(crate) fn no_urls(target: &str) -> String {
    format!(
        "targets.{target}.smoke_urls is missing or empty: nothing would check the site after the run, and a run is never verified by checking nothing; list the URLs that must answer 200 under [targets.{target}], e.g. smoke_urls = [\"https://www.example.com/up\"]"
    )
}
