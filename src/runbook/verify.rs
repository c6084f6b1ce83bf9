//! The last step of every run: each smoke URL answers 200 itself. A read-only HTTP
//! GET per URL through the sources' one transport (redirects not followed: a URL
//! that redirects, to a maintenance or login page say, has not answered 200),
//! within the configured timeout; it changes nothing. No URL is a failure, never a
//! pass: a run is verified by something answering, not by nothing being asked.

use std::time::Duration;

use super::execute::Observer;

/// Every URL answers 200, or an error naming each one that did not and why. No
/// URL at all is an error too.
pub(crate) fn verify(
    target: &str,
    urls: &[String],
    timeout: Duration,
    observer: &mut dyn Observer,
) -> Result<(), String> {
    if urls.is_empty() {
        return Err(no_urls(target));
    }
    use crate::sources::http::{Call, Policy, Service, Transport};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut bad = Vec::new();
    // The same transport as the sources' (proxies, body cap); its deadline leaves
    // each URL its timeout and one retry.
    let seconds = timeout.as_secs().max(1);
    let urls_count = u64::try_from(urls.len()).unwrap_or(u64::MAX);
    let mut policy = Policy::new(
        seconds,
        seconds.saturating_mul(3).saturating_mul(urls_count),
        4,
    );
    policy.follow_redirects = false;
    let transport = runtime
        .block_on(async { Transport::new(policy) })
        .map_err(|e| e.to_string())?;
    for url in urls {
        observer.command(&format!("GET {url}"));
        let parsed = match reqwest::Url::parse(url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => parsed,
            Ok(_) => {
                bad.push(format!(
                    "{url} is not an http:// or https:// URL: smoke_urls must be web addresses that answer 200"
                ));
                continue;
            }
            Err(e) => {
                bad.push(format!("{url} is no URL: {e}"));
                continue;
            }
        };
        let answer = runtime.block_on(transport.send(Call::get(Service::Smoke, parsed, None), url));
        match answer {
            Ok(a) if a.status == 200 => {}
            Ok(a) if (300..400).contains(&a.status) => bad.push(format!(
                "{url} answered HTTP {} (a redirect to {}), not 200: a smoke URL must answer 200 itself; put the address that does in smoke_urls",
                a.status,
                a.location.as_deref().unwrap_or("nowhere")
            )),
            Ok(a) => bad.push(format!("{url} answered HTTP {}, not 200", a.status)),
            Err(e) => bad.push(format!("{url} did not answer: {e}")),
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}

/// Why a run with no smoke URL is not verified, and what to write.
pub(crate) fn no_urls(target: &str) -> String {
    format!(
        "targets.{target}.smoke_urls is missing or empty: nothing would check the site after the run, and a run is never verified by checking nothing; list the URLs that must answer 200 under [targets.{target}], e.g. smoke_urls = [\"https://www.example.com/up\"]"
    )
}
