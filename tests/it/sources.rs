//! Live collection against a local stand-in of Jenkins, New Relic and GitHub
//! (`support::server`), through the real binary.

use crate::support::gatekeeper_in;
use crate::support::server::{self, Services};

#[tokio::test]
async fn green_server_serves_the_recorded_answers_with_auth() {
    let services = server::start_green().await;
    let dir = tempfile::tempdir().unwrap();
    let config = services.write_config(dir.path());
    let out = gatekeeper_in(dir.path())
        .args(["facts", "production", "--config"])
        .arg(&config)
        .args(["--at", server::GREEN_AT])
        .envs(Services::env())
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "{out:?}");
}

#[tokio::test]
async fn debug_facts_dump() {
    let services = server::start_green().await;
    let dir = tempfile::tempdir().unwrap();
    let config = services.write_config(dir.path());
    let out = gatekeeper_in(dir.path())
        .args(["facts", "production", "--config"])
        .arg(&config)
        .args(["--at", server::GREEN_AT])
        .envs(Services::env())
        .output()
        .unwrap();
    println!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
