//! Live collection against a local stand-in of Jenkins, New Relic and GitHub
//! (`support::server`), through the real binary: each scenario decides every
//! check right, each fault fails the right check with its reason, exits 1, and
//! never shows a secret.

use std::time::Duration;

use serde_json::Value;
use wiremock::matchers::{path, query_param, query_param_is_missing};
use wiremock::{Mock, ResponseTemplate};

use crate::support::assert_exit;
use crate::support::live::{assert_denied, assert_no_secret, decide, decide_with};
use crate::support::server::{
    self, APANGEA, GREEN_AT, LESSON, Services, is_release_query, json_fixture, paths,
};
use crate::support::{check, failing, gatekeeper_in};

fn statuses(decision: &Value) -> Vec<(String, String)> {
    decision["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn html(status: u16, rel: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "text/html;charset=utf-8")
        .set_body_string(server::fixture_text(rel))
}

// --- scenarios ---

#[tokio::test]
async fn green_release_is_allowed_with_every_check_decided() {
    let services = server::start_green().await;
    let run = decide(&services, &[]);
    assert_exit!(run.code, 0, "{:#}\n{}", run.decision, run.stderr);
    assert_eq!(run.decision["allow"], true);
    assert_eq!(run.decision["downtime"], false);
    let expected = [
        ("tests", "pass"),
        ("release_dependencies", "pass"),
        ("approval", "pass"),
        ("throughput", "pass"),
        ("teaching_hours", "skip"),
        ("downtime_notice", "skip"),
        ("freeze", "pass"),
    ];
    let got = statuses(&run.decision);
    for (id, status) in expected {
        assert!(
            got.contains(&(id.to_owned(), status.to_owned())),
            "{id} not {status}: {got:?}"
        );
    }
    assert!(
        check(&run.decision, "throughput")["detail"]
            .as_str()
            .unwrap()
            .contains("9800 rpm")
    );
}

#[tokio::test]
async fn verbose_logs_every_request_without_a_secret() {
    let services = server::start_green().await;
    // decide() asserts that no secret is in stdout or stderr.
    let run = decide(&services, &["--verbose"]);
    assert_exit!(run.code, 0, "{}", run.stderr);
    for wanted in [
        "/job/apangea-rc/lastCompletedBuild/api/json",
        "/graphql (try 1): HTTP 200",
        "/repos/thinkthroughmath/apangea/compare/",
        "/api/graphql (try 1): HTTP 200",
    ] {
        assert!(
            run.stderr.contains(wanted),
            "{wanted} not logged:\n{}",
            run.stderr
        );
    }
    let quiet = decide(&services, &[]);
    assert!(!quiet.stderr.contains("(try 1)"), "{}", quiet.stderr);
}

/// A proxy that echoes what it was sent: every secret must still be scrubbed, from
/// the decision, the facts document and the verbose log.
#[tokio::test]
async fn a_secret_echoed_by_a_service_is_scrubbed_everywhere() {
    let services = server::start_green().await;
    let echo = format!(
        "<html><head><title>502 upstream refused token {} / key {}</title></head></html>",
        server::JENKINS_TOKEN,
        server::NEW_RELIC_API_KEY
    );
    for at in [paths::JENKINS_APANGEA, paths::NEWRELIC] {
        services
            .answer(at, ResponseTemplate::new(502).set_body_string(echo.clone()))
            .await;
    }
    let run = decide(&services, &["--verbose"]);
    assert_denied(
        &run,
        &["tests", "throughput"],
        &[("tests", "[REDACTED]"), ("throughput", "[REDACTED]")],
    );

    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let out = gatekeeper_in(dir.path())
        .args(["facts", "production", "--verbose", "--at", GREEN_AT])
        .envs(Services::env())
        .output()
        .unwrap();
    assert_no_secret(
        &String::from_utf8_lossy(&out.stdout),
        &String::from_utf8_lossy(&out.stderr),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("[REDACTED]"));
}

/// No part of a secret survives: a service that echoes it after a long preamble
/// (the reason is cut at 160 characters) shows none of it, not even its head.
#[tokio::test]
async fn a_secret_echoed_after_a_long_preamble_leaves_no_part_behind() {
    let services = server::start_green().await;
    for (at, secret) in [
        (paths::NEWRELIC, server::NEW_RELIC_API_KEY),
        (paths::APANGEA_COMPARE, server::GITHUB_TOKEN),
    ] {
        // The secret straddles the 160th character.
        let message = format!("{} key {secret}", "x".repeat(150));
        services
            .answer(
                at,
                ResponseTemplate::new(401).set_body_json(serde_json::json!({ "message": message })),
            )
            .await;
    }
    let run = decide(&services, &[]);
    assert_exit!(run.code, 1, "{:#}", run.decision);
    let shown = format!("{:#}{}", run.decision, run.stderr);
    for secret in [server::NEW_RELIC_API_KEY, server::GITHUB_TOKEN] {
        assert!(
            !shown.contains(&secret[..10]),
            "head of {secret} shown:\n{shown}"
        );
    }
}

/// A secret inside a good answer (a token pasted into a release note, a Jenkins
/// root URL that carries `user:token@`) is scrubbed from the facts, so from every
/// rendering and recorded document.
#[tokio::test]
async fn a_secret_inside_a_good_answer_is_scrubbed_from_the_facts() {
    let services = server::start_green().await;
    let pasted = format!(
        "## Dependencies\n\n- [x] ran `curl -H 'Authorization: token {}' https://api.github.com/x`\n",
        server::GITHUB_TOKEN
    );
    services.edit_release(APANGEA, |repo| {
        repo["pullRequests"]["nodes"][0]["body"] = pasted.clone().into();
    });
    let build = server::fixture_text("jenkins/apangea-rc.json").replace(
        "\"url\": \"https://",
        &format!(
            "\"url\": \"https://{}:{}@",
            server::JENKINS_USER,
            server::JENKINS_TOKEN
        ),
    );
    assert!(
        build.contains(server::JENKINS_TOKEN),
        "the fixture has a build url"
    );
    services
        .answer(
            paths::JENKINS_APANGEA,
            ResponseTemplate::new(200).set_body_string(build),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let reports: Vec<String> = ["table", "markdown", "junit", "github"]
        .iter()
        .map(|f| format!("{f}={}", dir.path().join(f).display()))
        .collect();
    let mut args = Vec::new();
    for report in &reports {
        args.extend(["--report", report.as_str()]);
    }
    let run = decide_with(&services, dir.path(), &args, &[]);
    assert_no_secret(&format!("{:#}", run.decision), &run.stderr);
    assert!(format!("{:#}", run.decision).contains("[REDACTED]"));
    for format in ["table", "markdown", "junit", "github"] {
        let text = std::fs::read_to_string(dir.path().join(format)).unwrap();
        assert_no_secret(&text, "");
    }
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let out = gatekeeper_in(dir.path())
        .args(["facts", "production", "--at", GREEN_AT])
        .envs(Services::env())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_no_secret(&stdout, &String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("[REDACTED]"), "{stdout}");
}

/// Commands other than `check` scrub what GitHub echoes too: `history` reading
/// deployments that answer with the token in an error.
#[tokio::test]
async fn history_never_shows_a_secret_github_echoes() {
    let services = server::start_green().await;
    services
        .mount(
            Mock::given(wiremock::matchers::path_regex("/deployments")).respond_with(
                ResponseTemplate::new(500).set_body_string(format!(
                    "<html><title>Unicorn! {}</title></html>",
                    server::GITHUB_TOKEN
                )),
            ),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let out = gatekeeper_in(dir.path())
        .args(["history", "production"])
        .envs(Services::env())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Unicorn!"), "the error is shown: {stderr}");
    assert_no_secret(&String::from_utf8_lossy(&out.stdout), &stderr);
}

/// A broken policy or a refused override is found before any source is asked.
#[tokio::test]
async fn a_broken_policy_or_override_stops_check_before_any_request() {
    let services = server::start_green().await;
    let dir = tempfile::tempdir().unwrap();
    services.write_config(dir.path());
    let root = crate::support::root();
    for (args, why) in [
        (
            vec!["--policies", "fixtures/policies/broken-syntax"],
            "does not parse",
        ),
        (
            vec!["--override", "tests", "--reason", "flaky"],
            "may not be overridden",
        ),
    ] {
        let mut cmd = gatekeeper_in(dir.path());
        cmd.args(["check", "production", "--config"])
            .arg(dir.path().join("gatekeeper.toml"))
            .envs(Services::env());
        for arg in args {
            // Relative fixture paths are the repository's.
            if arg.starts_with("fixtures/") {
                cmd.arg(root.join(arg));
            } else {
                cmd.arg(arg);
            }
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        crate::support::assert_exit!(out, 2);
        assert!(stderr.contains(why), "{stderr}");
    }
    assert!(services.requests().await.is_empty(), "a source was asked");
}

#[tokio::test]
async fn busy_app_fails_throughput() {
    let services = server::start_green().await;
    services
        .answer_fixture(paths::NEWRELIC, "newrelic/rpm-busy.json")
        .await;
    let run = decide(&services, &[]);
    assert_denied(&run, &["throughput"], &[("throughput", "17250 rpm")]);
}

#[tokio::test]
async fn red_ci_fails_tests_for_that_repo() {
    let services = server::start_green().await;
    services
        .answer_fixture(paths::JENKINS_APANGEA, "jenkins/apangea-rc-failure.json")
        .await;
    let run = decide(&services, &[]);
    assert_denied(
        &run,
        &["tests"],
        &[(
            "tests",
            "thinkthroughmath/apangea: Jenkins build #1187 of apangea-rc is FAILURE",
        )],
    );
}

#[tokio::test]
async fn running_build_and_old_sha_fail_tests() {
    let services = server::start_green().await;
    services
        .answer_fixture(
            paths::JENKINS_LESSON,
            "jenkins/lesson-content-rc-building.json",
        )
        .await;
    services
        .answer_fixture(paths::JENKINS_APANGEA, "jenkins/apangea-rc-old-sha.json")
        .await;
    let run = decide(&services, &[]);
    assert_denied(
        &run,
        &["tests"],
        &[
            ("tests", "#302 of lesson-content/job/rc is still running"),
            ("tests", "built 0b1c2d3, but the head of rc is 3f2a9c1"),
        ],
    );
}

#[tokio::test]
async fn approval_on_stale_commit_fails() {
    let services = server::start_green().await;
    services.release_fixture(APANGEA, "github/graphql-release-apangea-stale.json");
    let run = decide(&services, &[]);
    assert_denied(
        &run,
        &["approval"],
        &[(
            "approval",
            "tim approved 0b1c2d3, but the head is now 3f2a9c1",
        )],
    );
}

#[tokio::test]
async fn unmet_dependency_fails_release_dependencies() {
    let services = server::start_green().await;
    services.release_fixture(APANGEA, "github/graphql-release-apangea-unmet.json");
    let run = decide(&services, &[]);
    assert_denied(
        &run,
        &["release_dependencies"],
        &[(
            "release_dependencies",
            "#412: dependency not met: LAUNCH_GRADEBOOK flag created (off)",
        )],
    );
}

#[tokio::test]
async fn migrations_without_a_notice_need_downtime_and_fail() {
    let services = server::start_green().await;
    services
        .answer_fixture(
            paths::APANGEA_COMPARE,
            "github/compare-apangea-migrations.json",
        )
        .await;
    let run = decide(&services, &[]);
    assert_eq!(run.decision["downtime"], true);
    assert_denied(
        &run,
        &["teaching_hours", "downtime_notice"],
        &[("downtime_notice", "no downtime notice for production")],
    );
}

// --- faults: each fails its check with the reason, exit 1, no secret shown ---

#[tokio::test]
async fn jenkins_401_fails_tests_with_the_status() {
    let services = server::start_green().await;
    for at in [paths::JENKINS_APANGEA, paths::JENKINS_LESSON] {
        services.answer(at, html(401, "jenkins/401.html")).await;
    }
    let run = decide(&services, &[]);
    assert_denied(
        &run,
        &["tests"],
        &[
            ("tests", "HTTP 401"),
            ("tests", "Invalid password/token for user: deploybot"),
            ("tests", "token"),
        ],
    );
}

#[tokio::test]
async fn jenkins_404_html_page_blames_that_repo_only() {
    let services = server::start_green().await;
    services
        .answer(paths::JENKINS_APANGEA, html(404, "jenkins/404.html"))
        .await;
    let run = decide(&services, &[]);
    assert_denied(&run, &["tests"], &[("tests", "HTTP 404")]);
    let detail = check(&run.decision, "tests")["detail"].as_str().unwrap();
    assert!(
        detail.contains("thinkthroughmath/apangea: no Jenkins result for job apangea-rc"),
        "{detail}"
    );
    assert!(!detail.contains("lesson-content: no Jenkins"), "{detail}");
}

#[tokio::test]
async fn github_503_is_retried_once_then_fails_closed() {
    let services = server::start_green().await;
    services
        .answer_releases(html(503, "jenkins/503.html"))
        .await;
    let run = decide(&services, &[]);
    // The heads are unknown, so are the migrations: downtime, and the notice check
    // fails; no approval or release note can be matched to what ships.
    assert_denied(
        &run,
        &[
            "tests",
            "release_dependencies",
            "approval",
            "teaching_hours",
            "downtime_notice",
        ],
        &[
            ("tests", "head of rc unknown"),
            ("tests", "HTTP 503"),
            (
                "downtime_notice",
                "cannot tell whether migrations are pending",
            ),
        ],
    );
    let tries = services
        .requests()
        .await
        .iter()
        .filter(|r| is_release_query(r))
        .count();
    assert_eq!(tries, 2, "one retry on 503");
}

/// Both repos' heads, pull requests, labels and reviews come in one GraphQL
/// request; per repo only the compare for migrations is REST.
#[tokio::test]
async fn the_release_of_every_repo_is_one_graphql_request() {
    let services = server::start_green().await;
    let run = decide(&services, &[]);
    assert_exit!(run.code, 0, "{:#}", run.decision);
    let requests = services.requests().await;
    assert_eq!(requests.iter().filter(|r| is_release_query(r)).count(), 1);
    let rest: Vec<String> = requests
        .iter()
        .filter(|r| r.url.path().starts_with("/api/v3/"))
        .map(|r| r.url.path().to_owned())
        .collect();
    let mut expected = vec![
        paths::PRODUCTION_BRANCH.to_owned(),
        paths::APANGEA_COMPARE.to_owned(),
        paths::LESSON_COMPARE.to_owned(),
    ];
    let mut rest_sorted = rest.clone();
    rest_sorted.sort();
    expected.sort();
    assert_eq!(rest_sorted, expected, "{rest:?}");
}

/// An error GraphQL reports for one aliased repository fails that repo's checks
/// only; the other repo in the same answer is judged on its own.
#[tokio::test]
async fn a_repo_the_release_query_cannot_resolve_fails_alone() {
    let services = server::start_green().await;
    services.set_release(LESSON, Value::Null);
    let run = decide(&services, &[]);
    assert_exit!(run.code, 1, "{:#}", run.decision);
    let reason =
        "Could not resolve to a Repository with the name 'thinkthroughmath/lesson-content'";
    for id in ["tests", "release_dependencies", "approval"] {
        assert!(failing(&run.decision).contains(&id.to_owned()), "{id}");
        let detail = check(&run.decision, id)["detail"].as_str().unwrap();
        assert!(detail.contains(reason), "{id}: {detail}");
        assert!(
            !detail.contains("thinkthroughmath/apangea"),
            "{id}: {detail}"
        );
    }
}

/// GraphQL errors about two parts of one repository: each check names the error
/// behind the fact it lacks, not the other one.
#[tokio::test]
async fn each_check_names_only_the_error_behind_its_own_facts() {
    let services = server::start_green().await;
    let mut lesson = services.release(LESSON);
    lesson["release"] = Value::Null;
    lesson["pullRequests"] = Value::Null;
    let error = |part: &str, message: &str| {
        serde_json::json!({"path": ["r1", part], "message": message,
            "locations": [{"line": 3, "column": 5}]})
    };
    let answer = serde_json::json!({
        "data": {"r0": services.release(APANGEA), "r1": lesson},
        "errors": [
            error("release", "Timeout on ref lookup"),
            error("pullRequests", "Something went wrong with pull requests"),
        ],
    });
    services
        .answer_releases(ResponseTemplate::new(200).set_body_json(answer))
        .await;
    let run = decide(&services, &[]);
    assert_exit!(run.code, 1, "{:#}", run.decision);
    let detail = |id: &str| {
        check(&run.decision, id)["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        detail("tests").contains("Timeout on ref lookup"),
        "{}",
        detail("tests")
    );
    assert!(
        !detail("tests").contains("pull requests"),
        "{}",
        detail("tests")
    );
    let notes = detail("release_dependencies");
    assert!(
        notes.contains("Something went wrong with pull requests"),
        "{notes}"
    );
    assert!(!notes.contains("Timeout on ref lookup"), "{notes}");
}

/// A pull request from a fork's branch named like the release branch is not the
/// release: its approval and notes count for nothing.
#[tokio::test]
async fn a_pull_request_from_a_fork_is_not_the_release() {
    let services = server::start_green().await;
    services.edit_release(LESSON, |repo| {
        repo["pullRequests"]["nodes"][0]["isCrossRepository"] = true.into();
    });
    let run = decide(&services, &[]);
    let reason = "thinkthroughmath/lesson-content: no open pull request from rc into master";
    assert_denied(
        &run,
        &["release_dependencies", "approval"],
        &[("release_dependencies", reason), ("approval", reason)],
    );
}

#[tokio::test]
async fn newrelic_500_fails_throughput() {
    let services = server::start_green().await;
    services
        .answer(
            paths::NEWRELIC,
            ResponseTemplate::new(500).set_body_string("Internal Server Error"),
        )
        .await;
    let run = decide(&services, &[]);
    assert_denied(&run, &["throughput"], &[("throughput", "HTTP 500")]);
}

#[tokio::test]
async fn timeout_fails_the_source_after_one_retry() {
    let services = server::start_green().await;
    services
        .answer(
            paths::NEWRELIC,
            json_fixture("newrelic/rpm.json").set_delay(Duration::from_secs(3)),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    services.write_config_with(dir.path(), |toml| {
        *toml = toml.replace("timeout_seconds = 5", "timeout_seconds = 1");
    });
    let run = decide_with(&services, dir.path(), &[], &[]);
    assert_denied(
        &run,
        &["throughput"],
        &[("throughput", "did not answer within 1 s (tried twice)")],
    );
}

#[tokio::test]
async fn truncated_jenkins_json_fails_tests() {
    let services = server::start_green().await;
    let text = server::fixture_text("jenkins/apangea-rc.json");
    services
        .answer(
            paths::JENKINS_APANGEA,
            ResponseTemplate::new(200).set_body_string(&text[..text.len() / 3]),
        )
        .await;
    let run = decide(&services, &[]);
    assert_denied(
        &run,
        &["tests"],
        &[("tests", "did not answer a Jenkins build: not JSON")],
    );
}

#[tokio::test]
async fn graphql_error_with_status_200_fails_throughput() {
    let services = server::start_green().await;
    services
        .answer_fixture(paths::NEWRELIC, "newrelic/error-200.json")
        .await;
    let run = decide(&services, &[]);
    assert_denied(
        &run,
        &["throughput"],
        &[("throughput", "GraphQL errors: NRQL Syntax Error")],
    );
}

#[tokio::test]
async fn empty_nrql_result_is_no_data_not_quiet() {
    let services = server::start_green().await;
    services
        .answer_fixture(paths::NEWRELIC, "newrelic/empty.json")
        .await;
    let run = decide(&services, &[]);
    assert_denied(
        &run,
        &["throughput"],
        &[("throughput", "no data for app \"apangea\"")],
    );
}

#[tokio::test]
async fn no_release_pull_request_fails_dependencies_and_approval() {
    let services = server::start_green().await;
    services.release_fixture(LESSON, "github/graphql-release-lesson-content-no-pull.json");
    let run = decide(&services, &[]);
    let reason = "thinkthroughmath/lesson-content: no open pull request from rc into master";
    assert_denied(
        &run,
        &["release_dependencies", "approval"],
        &[("release_dependencies", reason), ("approval", reason)],
    );
}

#[tokio::test]
async fn reviews_beyond_the_release_query_are_read_on_every_rest_page() {
    let services = server::start_green().await;
    // The release query holds three of the four reviews.
    services.release_fixture(APANGEA, "github/graphql-release-apangea-many-reviews.json");
    let next = format!(
        "{}{}?per_page=100&page=2",
        services.uri(),
        paths::APANGEA_REVIEWS
    );
    services
        .mount(
            Mock::given(path(paths::APANGEA_REVIEWS))
                .and(query_param_is_missing("page"))
                .respond_with(
                    json_fixture("github/reviews-apangea-412-page1.json").insert_header(
                        "link",
                        format!(r#"<{next}>; rel="next", <{next}>; rel="last""#).as_str(),
                    ),
                ),
        )
        .await;
    services
        .mount(
            Mock::given(path(paths::APANGEA_REVIEWS))
                .and(query_param("page", "2"))
                .respond_with(json_fixture("github/reviews-apangea-412-page2.json")),
        )
        .await;
    let run = decide(&services, &[]);
    // The approval is on page 2 only.
    assert_exit!(run.code, 0, "{:#}", run.decision);
    assert_eq!(check(&run.decision, "approval")["status"], "pass");
    let pages = services
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path() == paths::APANGEA_REVIEWS)
        .count();
    assert_eq!(pages, 2);
    // Without the second page, the approval is not seen.
    let services = server::start_green().await;
    services.release_fixture(APANGEA, "github/graphql-release-apangea-many-reviews.json");
    services
        .answer(paths::APANGEA_REVIEWS, ResponseTemplate::new(502))
        .await;
    let run = decide(&services, &[]);
    assert_denied(
        &run,
        &["approval"],
        &[("approval", "reviews of #412 unknown")],
    );
}

/// A multi-database app's or an engine's migration is as pending as one in
/// `db/migrate/`: a downtime deploy.
#[tokio::test]
async fn migrations_of_another_database_or_an_engine_need_downtime() {
    for file in [
        "db/analytics_migrate/20261124000000_add_events.rb",
        "engines/gradebook/db/migrate/20261124000000_add_entries.rb",
    ] {
        let services = server::start_green().await;
        let mut compare: Value =
            serde_json::from_str(&server::fixture_text("github/compare-apangea.json")).unwrap();
        compare["files"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"filename": file, "status": "added", "additions": 9}));
        services
            .answer(
                paths::APANGEA_COMPARE,
                ResponseTemplate::new(200).set_body_json(compare),
            )
            .await;
        let run = decide(&services, &[]);
        assert_eq!(run.decision["downtime"], true, "{file}");
        assert_denied(
            &run,
            &["teaching_hours", "downtime_notice"],
            &[("downtime_notice", "no downtime notice for production")],
        );
    }
}

/// A list that comes back shorter than GitHub counts is part of a list: reviews
/// read over REST (a lost `Link` page) fail approval, and notice comments fewer
/// than their `totalCount` fail the notice check.
#[tokio::test]
async fn a_list_shorter_than_github_counts_is_not_judged() {
    let services = server::start_green().await;
    services.release_fixture(APANGEA, "github/graphql-release-apangea-many-reviews.json");
    services.edit_release(APANGEA, |repo| {
        repo["pullRequests"]["nodes"][0]["reviews"]["totalCount"] = 140.into();
    });
    // Every REST page (no Link header): four reviews.
    let mut all: Vec<Value> = Vec::new();
    for page in ["page1", "page2"] {
        let list: Vec<Value> = serde_json::from_str(&server::fixture_text(&format!(
            "github/reviews-apangea-412-{page}.json"
        )))
        .unwrap();
        all.extend(list);
    }
    services
        .answer(
            paths::APANGEA_REVIEWS,
            ResponseTemplate::new(200).set_body_json(Value::Array(all)),
        )
        .await;
    let run = decide(&services, &[]);
    assert_denied(
        &run,
        &["approval"],
        &[("approval", "GitHub counts 140 but listed 4")],
    );

    let services = server::start_green().await;
    services
        .answer_fixture(
            paths::APANGEA_COMPARE,
            "github/compare-apangea-migrations.json",
        )
        .await;
    let mut notices: Value =
        serde_json::from_str(&server::fixture_text("github/graphql-notices-vetted.json")).unwrap();
    notices["data"]["repository"]["issues"]["nodes"][0]["comments"]["totalCount"] = 9.into();
    services
        .answer_notices(ResponseTemplate::new(200).set_body_json(notices))
        .await;
    let run = decide(&services, &[]);
    assert!(failing(&run.decision).contains(&"downtime_notice".to_owned()));
    let detail = check(&run.decision, "downtime_notice")["detail"]
        .as_str()
        .unwrap();
    assert!(
        detail.contains("GitHub counts 9 comments of issue #7 but answered 3"),
        "{detail}"
    );
}

#[tokio::test]
async fn compare_over_the_file_cap_fails_closed() {
    let services = server::start_green().await;
    services
        .answer_fixture(paths::APANGEA_COMPARE, "github/compare-apangea-capped.json")
        .await;
    let run = decide(&services, &[]);
    assert_eq!(run.decision["downtime"], true);
    assert_denied(
        &run,
        &["teaching_hours", "downtime_notice"],
        &[("downtime_notice", "lists 300 files, GitHub's cap")],
    );
}

#[tokio::test]
async fn github_rate_limit_reports_when_it_resets() {
    let services = server::start_green().await;
    services
        .answer_releases(
            server::json_fixture_status(403, "github/rate-limited.json")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "1795550400"),
        )
        .await;
    let run = decide(&services, &[]);
    let reason = "rate-limited (HTTP 403): the limit resets at 2026-11-24T20:00:00+00:00";
    assert_exit!(run.code, 1, "{}", run.decision);
    for id in ["release_dependencies", "approval"] {
        assert!(failing(&run.decision).contains(&id.to_owned()), "{id}");
        let detail = check(&run.decision, id)["detail"].as_str().unwrap();
        assert!(detail.contains(reason), "{id}: {detail}");
    }
    let tries = services
        .requests()
        .await
        .iter()
        .filter(|r| is_release_query(r))
        .count();
    assert_eq!(tries, 1, "a rate limit is not retried");
}

#[tokio::test]
async fn github_401_names_the_token_variable() {
    let services = server::start_green().await;
    services
        .mount(
            Mock::given(wiremock::matchers::path_regex("^/api/"))
                .respond_with(server::json_fixture_status(401, "github/401.json")),
        )
        .await;
    let run = decide(&services, &[]);
    assert_exit!(run.code, 1);
    let detail = check(&run.decision, "approval")["detail"].as_str().unwrap();
    assert!(detail.contains("HTTP 401 (Bad credentials)"), "{detail}");
    assert!(detail.contains("GITHUB_TOKEN"), "{detail}");
}

#[tokio::test]
async fn missing_token_variables_are_exit_2_before_any_request() {
    let services = server::start_green().await;
    let dir = tempfile::tempdir().unwrap();
    let config = services.write_config(dir.path());
    for command in ["check", "facts"] {
        let out = gatekeeper_in(dir.path())
            .args([command, "production", "--config"])
            .arg(&config)
            .env("JENKINS_TOKEN", server::JENKINS_TOKEN)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        crate::support::assert_exit!(out, 2);
        assert!(out.stdout.is_empty(), "{command}: no decision is printed");
        for var in ["GITHUB_TOKEN", "NEW_RELIC_API_KEY"] {
            let lines = stderr
                .lines()
                .filter(|l| l.contains(&format!("environment variable {var} is not set")))
                .count();
            assert_eq!(lines, 1, "{command}: one line for {var}:\n{stderr}");
        }
        assert!(!stderr.contains("JENKINS_TOKEN is not set"), "{stderr}");
        assert_no_secret("", &stderr);
    }
    assert!(services.requests().await.is_empty(), "no request was made");
}

/// A token variable holding two tokens, one a line, is a bad secret like an unset
/// one: exit 2 before any request, naming the variable, never showing its value.
#[tokio::test]
async fn a_token_with_a_line_break_is_exit_2_naming_its_variable() {
    let services = server::start_green().await;
    let dir = tempfile::tempdir().unwrap();
    let config = services.write_config(dir.path());
    let two = format!(
        "{}\n{}",
        server::GITHUB_TOKEN,
        "ghp_secondPastedToken000000000000000000"
    );
    let out = gatekeeper_in(dir.path())
        .args(["check", "production", "--config"])
        .arg(&config)
        .envs(Services::env())
        .env("GITHUB_TOKEN", &two)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(
        stderr.contains("environment variable GITHUB_TOKEN (github.token_env in the config names it) holds a space, a line break"),
        "{stderr}"
    );
    assert!(!stderr.contains("ghp_second"), "{stderr}");
    assert_no_secret(&String::from_utf8_lossy(&out.stdout), &stderr);
    assert!(services.requests().await.is_empty(), "no request was made");
}

#[tokio::test]
async fn recorded_facts_give_the_same_decision() {
    let services = server::start_green().await;
    services.release_fixture(APANGEA, "github/graphql-release-apangea-stale.json");
    let dir = tempfile::tempdir().unwrap();
    let config = services.write_config(dir.path());
    let out = gatekeeper_in(dir.path())
        .args(["facts", "production", "--config"])
        .arg(&config)
        .args(["--at", GREEN_AT])
        .envs(Services::env())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_no_secret(&stdout, &stderr);
    let facts: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(facts["errors"], serde_json::json!([]));
    crate::support::assert_exit!(out, 0);
    std::fs::write(dir.path().join("facts.json"), stdout.as_bytes()).unwrap();

    let live = decide(&services, &[]);
    let recorded = decide_with(&services, dir.path(), &["--facts", "facts.json"], &[]);
    assert_exit!(live.code, 1);
    assert_exit!(recorded.code, live.code);
    assert_eq!(recorded.decision["checks"], live.decision["checks"]);
}

#[tokio::test]
async fn facts_of_a_failed_source_carry_the_error_but_no_secret() {
    let services = server::start_green().await;
    services
        .answer(paths::JENKINS_APANGEA, html(401, "jenkins/401.html"))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let config = services.write_config(dir.path());
    let out = gatekeeper_in(dir.path())
        .args(["facts", "production", "--config"])
        .arg(&config)
        .args(["--at", GREEN_AT])
        .envs(Services::env())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_no_secret(&stdout, &String::from_utf8_lossy(&out.stderr));
    let facts: Value = serde_json::from_str(&stdout).unwrap();
    crate::support::assert_exit!(out, 1);
    let errors = facts["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["source"], "jenkins");
    assert_eq!(errors[0]["repo"], "thinkthroughmath/apangea");
    assert!(facts["repos"][0].get("ci").is_none());
}
