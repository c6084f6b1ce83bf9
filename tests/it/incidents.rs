//! `no_open_incident` live: New Relic's open issues read through NerdGraph from the
//! local stand-in, judged by the shipped policies, shown by `status`.

use wiremock::ResponseTemplate;

use crate::support::live::{Run, assert_denied, decide};
use crate::support::server::{self, json_fixture, json_fixture_status};
use crate::support::{assert_exit, check, failing};

#[tokio::test]
async fn an_open_critical_issue_denies_with_no_open_incident() {
    let services = server::start_green().await;
    services
        .answer_issues(json_fixture("newrelic/issues-critical.json"))
        .await;
    let run = decide(&services, &[]);
    assert_denied(
        &run,
        &["no_open_incident"],
        &[("no_open_incident", "Error percentage > 5%")],
    );
    let detail = &check(&run.decision, "no_open_incident")["detail"];
    assert!(
        detail
            .as_str()
            .unwrap()
            .starts_with("CRITICAL issue 5e0c8f1a"),
        "{detail}"
    );
}

#[tokio::test]
async fn an_open_low_issue_passes_and_none_passes() {
    let services = server::start_green().await;
    let Run {
        code, decision: d, ..
    } = decide(&services, &[]);
    assert_exit!(code, 0, "{d:#}");
    assert_eq!(check(&d, "no_open_incident")["status"], "pass");
    services
        .answer_issues(json_fixture("newrelic/issues-low.json"))
        .await;
    let Run {
        code, decision: d, ..
    } = decide(&services, &[]);
    assert_exit!(code, 0, "{d:#}");
    assert_eq!(
        check(&d, "no_open_incident")["detail"],
        "no open issue of priority CRITICAL or HIGH (1 open of lower priority)"
    );
}

#[tokio::test]
async fn nerdgraph_errors_fail_closed() {
    let services = server::start_green().await;
    services
        .answer_issues(json_fixture("newrelic/error-200.json"))
        .await;
    assert_denied(
        &decide(&services, &[]),
        &["no_open_incident"],
        &[
            ("no_open_incident", "open New Relic issues unknown"),
            ("no_open_incident", "GraphQL errors"),
        ],
    );
    // A 401 (bad key) on the issues query.
    let services = server::start_green().await;
    services
        .answer_issues(json_fixture_status(401, "newrelic/bad-key-401.json"))
        .await;
    assert_denied(&decide(&services, &[]), &["no_open_incident"], &[]);
    // An app with no entity in the account is no "no incident".
    let services = server::start_green().await;
    services
        .answer_entity(
            ResponseTemplate::new(200).set_body_string(
                r#"{"data":{"actor":{"entitySearch":{"results":{"entities":[]}}}}}"#,
            ),
        )
        .await;
    let Run {
        code, decision: d, ..
    } = decide(&services, &[]);
    assert_exit!(code, 1);
    assert!(
        failing(&d).contains(&"no_open_incident".to_owned()),
        "{d:#}"
    );
}

#[test]
fn recorded_open_critical_issue_denies_and_is_overridable() {
    let facts = crate::support::fixture("facts/incident-critical.json");
    let (code, d) = crate::support::decide(
        crate::support::gatekeeper()
            .args(["check", "production", "--format", "json", "--facts"])
            .arg(&facts),
    );
    assert_exit!(code, 1);
    assert_eq!(failing(&d), ["no_open_incident"]);
    let (code, d) = crate::support::decide(
        crate::support::gatekeeper()
            .args(["check", "production", "--format", "json", "--facts"])
            .arg(&facts)
            .args([
                "--override",
                "no_open_incident",
                "--reason",
                "this deploy is the fix",
            ]),
    );
    assert_exit!(code, 0, "{d:#}");
}
