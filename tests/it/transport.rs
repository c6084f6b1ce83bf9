//! The one HTTP transport, through the real binary: proxies from the environment for
//! every source, redirects never followed to another origin, the body cap, the
//! deadline, `Retry-After`, the GitHub rate-limit budget, honest attribution, and the
//! configuration mistakes (secrets written inline, numbers out of range, a facts
//! "file" that is a device or a FIFO) refused with exit 2 without showing a secret.

use std::path::Path;

use serde_json::Value;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::assert_exit;
use crate::support::server::{self, GREEN_AT, SECRETS, Services, json_fixture, paths};
use crate::support::{check, failing, gatekeeper_in, raw};

struct Run {
    code: i32,
    decision: Value,
    stdout: String,
    stderr: String,
}

/// Runs `check production` (with `args`) pinned at GREEN_AT with the test tokens and
/// `env`, asserting that no secret shows; parses the decision when stdout is JSON.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = gatekeeper_in(dir);
    cmd.args(["check", "production", "--config"])
        .arg(dir.join("gatekeeper.toml"))
        .args(["--at", GREEN_AT])
        .args(args)
        .envs(Services::env())
        .envs(env.iter().copied());
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for secret in SECRETS {
        assert!(!stdout.contains(secret), "secret in stdout:\n{stdout}");
        assert!(!stderr.contains(secret), "secret in stderr:\n{stderr}");
    }
    Run {
        code: out.status.code().unwrap_or(-1),
        decision: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stdout,
        stderr,
    }
}

fn json_run(dir: &Path, env: &[(&str, &str)]) -> Run {
    let run = run(dir, &["--format", "json"], env);
    assert!(
        run.decision.is_object(),
        "not a decision, exit {}\n{}\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    run
}

fn detail<'a>(run: &'a Run, id: &str) -> &'a str {
    check(&run.decision, id)["detail"].as_str().unwrap()
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_never_followed_nor_sent_a_credential() {
    let services = server::start_green().await;
    let other = MockServer::start().await;
    Mock::given(path_regex(".*"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&other)
        .await;
    let elsewhere = |at: &str| {
        ResponseTemplate::new(307).insert_header("location", format!("{}{at}", other.uri()))
    };
    services
        .answer(paths::NEWRELIC, elsewhere(paths::NEWRELIC))
        .await;
    services
        .answer(paths::JENKINS_APANGEA, elsewhere(paths::JENKINS_APANGEA))
        .await;
    services
        .answer_releases(elsewhere(paths::GITHUB_GRAPHQL))
        .await;
    // A redirect within the same origin is followed, credential and all.
    services
        .answer(
            paths::JENKINS_LESSON,
            ResponseTemplate::new(302).insert_header(
                "location",
                format!(
                    "{}/jenkins/moved/lastCompletedBuild/api/json",
                    services.uri()
                ),
            ),
        )
        .await;
    services
        .mount(
            Mock::given(path("/jenkins/moved/lastCompletedBuild/api/json"))
                .and(wiremock::matchers::basic_auth(
                    server::JENKINS_USER,
                    server::JENKINS_TOKEN,
                ))
                .respond_with(json_fixture("jenkins/lesson-content-rc.json")),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let run = json_run(dir.path(), &[]);

    assert_exit!(run.code, 1);
    // Without the release query, no head is known: nor are the migrations, so the
    // deploy counts as a downtime deploy on a Tuesday afternoon without a notice.
    assert_eq!(
        failing(&run.decision),
        [
            "tests",
            "release_dependencies",
            "approval",
            "throughput",
            "teaching_hours",
            "downtime_notice"
        ]
    );
    for id in ["tests", "approval", "throughput"] {
        assert!(
            detail(&run, id).contains("did not follow"),
            "{id}: {}",
            detail(&run, id)
        );
    }
    assert!(
        !detail(&run, "tests").contains("no Jenkins result for job lesson-content"),
        "the same-origin redirect was followed: {}",
        detail(&run, "tests")
    );
    let moved = services
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path() == "/jenkins/moved/lastCompletedBuild/api/json")
        .count();
    assert_eq!(moved, 1);
    let seen = other.received_requests().await.unwrap();
    assert!(seen.is_empty(), "the other origin was asked: {seen:?}");
}

#[tokio::test]
async fn every_source_goes_through_the_proxy_of_the_environment() {
    let services = server::start_green().await;
    // Plain http carries the credentials only to this machine (the config refuses
    // another host), so the unreachable origin is a closed port on localhost.
    let unreachable = "http://localhost:9";
    for var in ["HTTP_PROXY", "http_proxy"] {
        let dir = tempfile::tempdir().unwrap();
        let uri = services.uri();
        services.write_config_with(dir.path(), |text| *text = text.replace(&uri, unreachable));
        let before = services.requests().await.len();
        let run = json_run(dir.path(), &[(var, &uri)]);
        assert_exit!(run.code, 0, "{var}: {:#}\n{}", run.decision, run.stderr);
        let seen = services.requests().await;
        let seen = seen.get(before..).unwrap();
        for prefix in [paths::JENKINS, paths::NEWRELIC, paths::GITHUB] {
            assert!(
                seen.iter().any(|r| r.url.path().starts_with(prefix)),
                "{var}: no {prefix} request reached the proxy"
            );
        }
        for request in seen {
            assert_eq!(
                request.url.host_str(),
                Some("localhost"),
                "{var}: {}",
                request.url
            );
        }
    }
}

#[tokio::test]
async fn an_endless_answer_fails_its_source_at_the_cap() {
    let services = server::start_green().await;
    let endless = raw::endless_body();
    let dir = tempfile::tempdir().unwrap();
    let uri = services.uri();
    services.write_config_with(dir.path(), |text| {
        *text = text.replace(&format!("{uri}/jenkins"), &format!("{endless}/jenkins"));
    });
    let run = json_run(dir.path(), &[]);
    assert_exit!(run.code, 1);
    assert_eq!(failing(&run.decision), ["tests"]);
    assert!(
        detail(&run, "tests").contains("answer larger than 8 MiB"),
        "{}",
        detail(&run, "tests")
    );
}

#[tokio::test]
async fn a_service_that_never_answers_fails_by_the_deadline() {
    let services = server::start_green().await;
    let silent = raw::silent();
    let dir = tempfile::tempdir().unwrap();
    let uri = services.uri();
    services.write_config_with(dir.path(), |text| {
        *text = text
            .replace(&format!("{uri}/graphql"), &format!("{silent}/graphql"))
            .replace(
                "timeout_seconds = 5",
                "timeout_seconds = 30\ndeadline_seconds = 2",
            );
    });
    let run = json_run(dir.path(), &[]);
    assert_exit!(run.code, 1);
    assert_eq!(failing(&run.decision), ["throughput", "no_open_incident"]);
    assert!(
        detail(&run, "throughput").contains("no answer within 2 s (deadline_seconds)"),
        "{}",
        detail(&run, "throughput")
    );
}

#[tokio::test]
async fn a_retry_after_too_large_for_the_clock_fails_the_check_without_a_panic() {
    let services = server::start_green().await;
    services
        .answer(
            paths::LESSON_COMPARE,
            ResponseTemplate::new(503).insert_header("retry-after", "18446744073709551615"),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let run = json_run(dir.path(), &[]);
    assert_exit!(run.code, 1, "a deny, not a panic (101): {:#}", run.decision);
    assert!(detail(&run, "downtime_notice").contains("HTTP 503"));
}

#[tokio::test]
async fn retry_after_on_a_503_is_waited_out_once() {
    let services = server::start_green().await;
    services
        .mount(
            Mock::given(method("GET"))
                .and(path(paths::LESSON_COMPARE))
                .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "1"))
                .up_to_n_times(1),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let run = json_run(dir.path(), &[]);
    assert_exit!(run.code, 0, "{:#}", run.decision);
    let tries = services
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path() == paths::LESSON_COMPARE)
        .count();
    assert_eq!(tries, 2);

    // A Retry-After beyond the deadline is not waited for: one try, then the failure.
    let services = server::start_green().await;
    services
        .answer(
            paths::LESSON_COMPARE,
            ResponseTemplate::new(503).insert_header("retry-after", "3600"),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let run = json_run(dir.path(), &[]);
    assert_exit!(run.code, 1);
    assert!(
        detail(&run, "downtime_notice").contains("HTTP 503"),
        "{}",
        detail(&run, "downtime_notice")
    );
    let tries = services
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path() == paths::LESSON_COMPARE)
        .count();
    assert_eq!(tries, 1);
}

#[tokio::test]
async fn a_failed_production_sha_is_named_only_by_the_compare_that_needed_it() {
    let services = server::start_green().await;
    services
        .answer(paths::PRODUCTION_BRANCH, ResponseTemplate::new(500))
        .await;
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let run = json_run(dir.path(), &[]);
    assert_exit!(run.code, 1);
    // Migrations unknown: a downtime deploy on a Tuesday afternoon without a notice.
    assert_eq!(
        failing(&run.decision),
        ["teaching_hours", "downtime_notice"]
    );
    assert!(
        detail(&run, "downtime_notice").contains("production SHA unknown"),
        "{}",
        detail(&run, "downtime_notice")
    );
    for id in ["tests", "release_dependencies", "approval"] {
        assert!(
            !detail(&run, id).contains("production"),
            "{id}: {}",
            detail(&run, id)
        );
    }
}

#[tokio::test]
async fn a_rate_limit_budget_too_small_stops_github_early() {
    let services = server::start_green().await;
    let budget = |template: ResponseTemplate, left: &str, resource: &str| {
        template
            .insert_header("x-ratelimit-remaining", left)
            .insert_header("x-ratelimit-reset", "1795550400")
            .insert_header("x-ratelimit-resource", resource)
    };
    // The REST budget (3 left) cannot cover the production SHA and two compares
    // beyond the first answer; the GraphQL budget is ample.
    services
        .answer(
            paths::PRODUCTION_BRANCH,
            budget(
                json_fixture("github/branch-aws-production-master.json"),
                "2",
                "core",
            ),
        )
        .await;
    let releases = serde_json::json!({"data": {
        "r0": services.release(server::APANGEA),
        "r1": services.release(server::LESSON),
    }});
    services
        .answer_releases(budget(
            ResponseTemplate::new(200).set_body_json(releases),
            "4990",
            "graphql",
        ))
        .await;
    services
        .answer_notices(budget(
            json_fixture("github/graphql-notices-none.json"),
            "4990",
            "graphql",
        ))
        .await;
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let run = json_run(dir.path(), &[]);
    assert_exit!(run.code, 1);
    let reason = "GitHub rate limit: 2 left, resets at 20:00 UTC";
    // The release query is judged on its own budget: approval stands. The compares
    // the REST budget cannot cover are not sent, and the migrations they would
    // have shown fail closed.
    assert_eq!(check(&run.decision, "approval")["status"], "pass");
    assert!(failing(&run.decision).contains(&"downtime_notice".to_owned()));
    assert!(
        detail(&run, "downtime_notice").contains(reason),
        "{}",
        detail(&run, "downtime_notice")
    );
    let compares = services
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path().contains("/compare/"))
        .count();
    assert_eq!(compares, 0, "no request beyond the budget was sent");
}

#[tokio::test]
async fn verbose_logs_the_real_method_of_each_request() {
    let services = server::start_green().await;
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let run = run(dir.path(), &["--verbose"], &[]);
    assert_exit!(run.code, 0, "{}", run.stderr);
    let uri = services.uri();
    assert!(
        run.stderr
            .contains(&format!("POST {uri}/graphql (try 1): HTTP 200")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "GET {uri}{} (try 1): HTTP 200",
            paths::APANGEA_COMPARE
        )),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn escape_sequences_from_a_source_are_shown_escaped() {
    let services = server::start_green().await;
    let body = server::fixture_text("github/graphql-release-apangea-unmet.json").replace(
        "LAUNCH_GRADEBOOK flag created (off)",
        "\\u001b[2J\\u001b[HALLOW flag created",
    );
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    services.set_release(server::APANGEA, answer["data"]["r0"].clone());
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    for format in ["table", "markdown", "junit"] {
        let run = run(dir.path(), &["--format", format], &[]);
        assert_exit!(run.code, 1, "{format}");
        assert!(
            !run.stdout.contains('\u{1b}'),
            "{format}: raw escape:\n{}",
            run.stdout
        );
        // Markdown escapes the backslash and the bracket too (they render as text).
        let shown = if format == "markdown" {
            "\\\\u{1b}\\[2J"
        } else {
            "\\u{1b}[2J"
        };
        assert!(run.stdout.contains(shown), "{format}:\n{}", run.stdout);
    }
    let run = json_run(dir.path(), &[]);
    assert_eq!(failing(&run.decision), ["release_dependencies"]);
    assert!(run.stdout.contains("\\u001b[2J"), "{}", run.stdout);
}

/// Runs `check production` on a config edited by `edit`: exit 2, the message has
/// `wanted` and none of `hidden`.
fn refused(edit: impl FnOnce(&mut String), wanted: &str, hidden: &[&str]) {
    let services = Services::green_blocking();
    let dir = tempfile::tempdir().unwrap();
    services.write_config_with(dir.path(), edit);
    let run = run(dir.path(), &[], &[]);
    assert_exit!(run.code, 2, "{wanted}: {}", run.stderr);
    assert!(
        run.stderr.contains(wanted),
        "{wanted:?} not in:\n{}",
        run.stderr
    );
    for secret in hidden {
        assert!(
            !run.stderr.contains(secret),
            "{secret} shown:\n{}",
            run.stderr
        );
        assert!(
            !run.stdout.contains(secret),
            "{secret} shown:\n{}",
            run.stdout
        );
    }
    let requests = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(services.requests());
    assert!(requests.is_empty(), "{wanted}: a request was made");
}

#[test]
fn secrets_written_into_the_config_are_refused_by_key_never_by_value() {
    let secret = "ghp_inlineSecretValue0123456789abcd";
    refused(
        |t| {
            *t = t.replace(
                "token_env = \"GITHUB_TOKEN\"",
                &format!("token = \"{secret}\""),
            )
        },
        "github.token holds a secret",
        &[secret],
    );
    refused(
        |t| *t = t.replace("\"GITHUB_TOKEN\"", &format!("\"{secret}\"")),
        "github.token_env must be the NAME of an environment variable",
        &[secret],
    );
    let nrak = "NRAK-PASTED0SECRET0VALUE0ABC";
    refused(
        |t| *t = t.replace("\"NEW_RELIC_API_KEY\"", &format!("\"{nrak}\"")),
        "newrelic.api_key_env must be the NAME",
        &[nrak],
    );
    refused(
        |t| {
            *t = t.replace(
                "user = \"deploybot\"",
                "user = \"deploybot\"\npassword = \"hunter2-secret-pw\"",
            )
        },
        "jenkins.password holds a secret",
        &["hunter2-secret-pw"],
    );
    refused(
        |t| {
            *t = t.replace(
                "url = \"http://",
                "url = \"http://deploybot:hunter2-in-url@",
            )
        },
        "is a URL with a user or password",
        &["hunter2-in-url"],
    );
    // A TOML error on the secret's line never quotes the line.
    refused(
        |t| {
            *t = t.replace(
                "token_env = \"GITHUB_TOKEN\"",
                &format!("token = \"{secret}"),
            )
        },
        "is not valid TOML: line",
        &[secret],
    );
}

#[test]
fn numbers_out_of_range_are_refused_without_a_panic() {
    for (from, to, wanted) in [
        (
            "timeout_seconds = 5",
            "timeout_seconds = 18446744073709551615",
            "is not valid TOML",
        ),
        (
            "timeout_seconds = 5",
            "timeout_seconds = 601",
            "timeout_seconds = 601 is out of range",
        ),
        (
            "deploy_minutes = 60",
            "deploy_minutes = 10081",
            "deploy_minutes = 10081 is out of range",
        ),
        (
            "window_minutes = 5",
            "window_minutes = 61",
            "newrelic.window_minutes = 61 is out of range",
        ),
        (
            "timeout_seconds = 5",
            "timeout_seconds = 5\ndeadline_seconds = 0",
            "deadline_seconds = 0",
        ),
        (
            "timeout_seconds = 5",
            "timeout_seconds = 5\nmax_in_flight = 101",
            "max_in_flight = 101",
        ),
    ] {
        refused(|t| *t = t.replace(from, to), wanted, &[]);
    }
    let out = gatekeeper_in(&crate::support::root())
        .args([
            "check",
            "production",
            "--facts",
            "fixtures/facts/green.json",
            "--minutes",
            "20000",
        ])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
}

#[test]
fn a_facts_file_must_be_a_regular_file_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("facts.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for file in [Path::new("/dev/zero"), fifo.as_path(), dir.path()] {
        let out = gatekeeper_in(&crate::support::root())
            .args(["check", "production", "--facts"])
            .arg(file)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        crate::support::assert_exit!(out, 2);
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b' '; 17 * 1024 * 1024]).unwrap();
    let out = gatekeeper_in(&crate::support::root())
        .args(["check", "production", "--facts"])
        .arg(&big)
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 16 MiB"));
}

#[tokio::test]
async fn notice_create_needs_only_the_github_token_and_says_so_before_any_request() {
    let services = server::start_green().await;
    let dir = tempfile::tempdir().unwrap();
    let config = services.write_config(dir.path());
    let out = gatekeeper_in(dir.path())
        .args(["notice", "production", "--config"])
        .arg(&config)
        .args(["--at", GREEN_AT, "--start", "2026-11-28T02:00:00-05:00"])
        .args(["--minutes", "60", "--nature", "n", "--affected", "a"])
        .args(["--experience", "e", "--create"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(
        stderr.contains("environment variable GITHUB_TOKEN is not set"),
        "{stderr}"
    );
    for other in ["JENKINS_TOKEN", "NEW_RELIC_API_KEY"] {
        assert!(!stderr.contains(other), "{stderr}");
    }
    assert!(services.requests().await.is_empty());
}

#[tokio::test]
async fn deploy_without_its_secrets_stops_before_any_request() {
    let services = server::start_green().await;
    let dir = tempfile::tempdir().unwrap();
    let config = services.write_config(dir.path());
    let out = gatekeeper_in(dir.path())
        .args(["deploy", "production", "--yes", "--config"])
        .arg(&config)
        .env("GITHUB_TOKEN", server::GITHUB_TOKEN)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    for var in ["JENKINS_TOKEN", "NEW_RELIC_API_KEY"] {
        assert!(
            stderr.contains(&format!("environment variable {var} is not set")),
            "{stderr}"
        );
    }
    assert!(!stderr.contains(server::GITHUB_TOKEN));
    assert!(services.requests().await.is_empty());
}

#[tokio::test]
async fn every_echoed_form_of_a_secret_is_scrubbed() {
    use base64::Engine as _;
    let services = server::start_green().await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        server::JENKINS_USER,
        server::JENKINS_TOKEN
    ));
    services
        .answer(
            paths::JENKINS_APANGEA,
            ResponseTemplate::new(401).set_body_string(format!(
                "<html><head><title>Bad Authorization: Basic {basic} for {}</title></head></html>",
                server::JENKINS_TOKEN
            )),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let token = format!("{}\n", server::JENKINS_TOKEN);
    let run = json_run(dir.path(), &[("JENKINS_TOKEN", token.as_str())]);
    assert_exit!(run.code, 1);
    assert_eq!(failing(&run.decision), ["tests"]);
    assert!(
        detail(&run, "tests").contains("HTTP 401"),
        "{}",
        detail(&run, "tests")
    );
    for form in [basic.as_str(), basic.trim_end_matches('=')] {
        assert!(!run.stdout.contains(form), "{}", run.stdout);
        assert!(!run.stderr.contains(form), "{}", run.stderr);
    }
}
