//! The last step of every run: each smoke URL answers 200. A read-only HTTP GET per
//! URL within the configured timeout; it changes nothing.

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
    crate::sources::http::install_crypto();
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut bad = Vec::new();
    for url in urls {
        observer.command(&format!("GET {url}"));
        let status = runtime.block_on(async { client.get(url).send().await.map(|r| r.status()) });
        match status {
            Ok(s) if s == reqwest::StatusCode::OK => {}
            Ok(s) => bad.push(format!("{url} answered {s}, not 200")),
            Err(e) => bad.push(format!("{url} did not answer: {}", e.without_url())),
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}
