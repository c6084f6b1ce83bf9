//! The runbook's fail-open leftovers, closed: a target without smoke URLs is never
//! deployed or rolled back (and verify never passes on nothing), a URL that
//! redirects, fails or is slow fails verify with the reason, a runbook that could
//! change production before recording it is refused, and every run that took the
//! lock leaves a record and no lock, whichever way it ends.

use std::path::Path;

use wiremock::ResponseTemplate;

use crate::deploy::{Setup, audit_records, last_of, offline, offline_cmd, run};
use crate::support::git::{git, ttmscalr_runs};

/// The refs under `refs/gatekeeper/` on the deploy remote (the lock).
fn locks(deploy_remote: &Path) -> String {
    git(deploy_remote, &["for-each-ref", "refs/gatekeeper/"])
}

fn without_smoke_urls(config: &Path, replacement: &str) {
    let text = std::fs::read_to_string(config).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("smoke_urls"))
        .unwrap()
        .to_owned();
    std::fs::write(config, text.replace(&line, replacement)).unwrap();
}

#[test]
fn without_smoke_urls_deploy_and_rollback_are_refused_before_the_lock() {
    for replacement in ["", "smoke_urls = []"] {
        let (_tmp, release, config, path_env, log, _services) = offline();
        without_smoke_urls(&config, replacement);
        let old = release.production_sha.clone();
        for args in [
            &["deploy", "production", "--yes"][..],
            &["deploy", "production", "--dry-run"][..],
            &["rollback", "production", "--to", &old, "--yes"][..],
            &["rollback", "production", "--to", &old, "--dry-run"][..],
        ] {
            let (code, stdout, stderr) =
                run(&mut offline_cmd(&release, &config, &path_env, &log, args));
            assert_eq!(
                code, 2,
                "{args:?} with {replacement:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
            );
            assert!(
                stderr.contains("targets.production.smoke_urls is missing or empty")
                    && stderr.contains("smoke_urls = [\"https://"),
                "{args:?}: {stderr}"
            );
        }
        // Refused before the lock and before anything else: no run record, no
        // lock, nothing run, production where it was.
        let records = audit_records(&release.work.join(".gatekeeper/audit.jsonl"));
        assert!(
            !records
                .iter()
                .any(|r| r["kind"] == "deploy" || r["kind"] == "rollback"),
            "{records:#?}"
        );
        assert_eq!(locks(&release.deploy_remote), "");
        assert!(ttmscalr_runs(&log).is_empty());
        assert_eq!(release.deploy_head(), old);
    }
}

#[tokio::test]
async fn verify_fails_on_a_redirect_an_error_status_a_slow_answer_and_says_why() {
    let s = Setup::with_config(false, |text| {
        let uri = text
            .lines()
            .find_map(|l| l.strip_prefix("smoke_urls = [\""))
            .and_then(|rest| rest.strip_suffix("/up\"]"))
            .unwrap()
            .to_owned();
        *text = text
            .replace(
                &format!("smoke_urls = [\"{uri}/up\"]"),
                &format!(
                    "smoke_urls = [\"{uri}/up\", \"{uri}/moved\", \"{uri}/broken\", \"{uri}/slow\"]"
                ),
            )
            .replace("timeout_seconds = 5", "timeout_seconds = 1");
    })
    .await;
    // The redirect lands on a page that answers 200 (a maintenance page, say):
    // followed, it would pass.
    s.services
        .answer(
            "/moved",
            ResponseTemplate::new(302).insert_header("location", "/maintenance"),
        )
        .await;
    s.services
        .answer("/maintenance", ResponseTemplate::new(200))
        .await;
    s.services
        .answer("/broken", ResponseTemplate::new(503))
        .await;
    s.services
        .answer(
            "/slow",
            ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(3)),
        )
        .await;
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("FAILED at step \"verify\""), "{stdout}");
    let deploy = last_of(&s.audit(), "deploy").clone();
    assert_eq!(deploy["outcome"], "failed");
    assert_eq!(deploy["step"], "verify");
    let message = deploy["message"].as_str().unwrap();
    assert!(
        message.contains("/moved answered HTTP 302 (a redirect to /maintenance), not 200"),
        "{message}"
    );
    assert!(
        message.contains("/broken answered HTTP 503, not 200"),
        "{message}"
    );
    assert!(
        message.contains("/slow did not answer") && message.contains("within 1 s"),
        "{message}"
    );
    assert!(
        !message.contains("/up "),
        "the good URL is no reason: {message}"
    );
}
