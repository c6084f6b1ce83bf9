//! The last step of every run: each smoke URL answers 200. A read-only HTTP GET per
//! URL through the sources' one transport, within the configured timeout; it changes
//! nothing.

use std::time::Duration;

use super::execute::Observer;

/// Every URL answers 200, or an error naming each one that did not.
pub(crate) fn verify(
    urls: &[String],
    timeout: Duration,
    observer: &mut dyn Observer,
) -> Result<(), String> {
    if urls.is_empty() {
        observer.note("no smoke_urls configured: nothing to verify");
        return Ok(());
    }
    use crate::sources::http::{Call, Policy, Service, Transport};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut bad = Vec::new();
    // The same transport as the sources' (proxies, same-origin redirects, body cap);
    // its deadline leaves each URL its timeout and one retry.
    let seconds = timeout.as_secs().max(1);
    let urls_count = u64::try_from(urls.len()).unwrap_or(u64::MAX);
    let policy = Policy::new(
        seconds,
        seconds.saturating_mul(3).saturating_mul(urls_count),
        4,
    );
    let transport = runtime
        .block_on(async { Transport::new(policy) })
        .map_err(|e| e.to_string())?;
    for url in urls {
        observer.command(&format!("GET {url}"));
        let parsed = match reqwest::Url::parse(url) {
            Ok(parsed) => parsed,
            Err(e) => {
                bad.push(format!("{url} is no URL: {e}"));
                continue;
            }
        };
        let answer = runtime.block_on(transport.send(Call::get(Service::Smoke, parsed, None), url));
        match answer {
            Ok(a) if a.status == 200 => {}
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
