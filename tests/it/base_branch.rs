//! The release branch must hold every commit of the base branch (GitHub compare
//! `behind_by`): through the binary, a release behind its base fails `tests`, and
//! so does one whose `behind_by` cannot be read.

use serde_json::Value;
use wiremock::ResponseTemplate;

use crate::release_notes::decide_live;
use crate::support::server::{self, paths};
use crate::support::{check, failing};

/// A compare answer of `rel` with `behind_by` set to `n`.
fn compare_behind(rel: &str, n: u64) -> ResponseTemplate {
    let mut compare: Value = serde_json::from_str(&server::fixture_text(rel)).unwrap();
    compare["behind_by"] = n.into();
    compare["status"] = if n > 0 { "diverged" } else { "ahead" }.into();
    ResponseTemplate::new(200).set_body_json(compare)
}

#[tokio::test]
async fn a_release_branch_behind_its_base_fails_tests() {
    let services = server::start_green().await;
    services
        .answer_fixture(
            paths::LESSON_COMPARE,
            "github/compare-lesson-content-behind.json",
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (code, decision) = decide_live(&services, dir.path(), &[]);
    assert_eq!(code, 1, "{decision:#}");
    assert_eq!(failing(&decision), ["tests"]);
    assert_eq!(
        check(&decision, "tests")["detail"],
        "thinkthroughmath/lesson-content: rc lacks 3 commits of master: merge master into rc and rerun the tests"
    );
}

/// The app compares from the production SHA for migrations: what rc lacks of
/// master is a compare of its own, and a production compare behind by nothing
/// does not hide it.
#[tokio::test]
async fn the_app_is_compared_with_its_base_branch_not_production() {
    let services = server::start_green().await;
    services
        .answer(
            paths::APANGEA_BASE_COMPARE,
            compare_behind("github/compare-apangea-master.json", 2),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (code, decision) = decide_live(&services, dir.path(), &[]);
    assert_eq!(code, 1, "{decision:#}");
    assert_eq!(failing(&decision), ["tests"]);
    let tests = check(&decision, "tests");
    assert_eq!(
        tests["detail"],
        "thinkthroughmath/apangea: rc lacks 2 commits of master: merge master into rc and rerun the tests"
    );
    assert_eq!(tests["evidence"][0]["behind_by"], 2);
    assert_eq!(tests["evidence"][1]["behind_by"], 0);
}

#[tokio::test]
async fn an_unknown_behind_by_fails_tests_with_the_reason() {
    let services = server::start_green().await;
    services
        .answer(
            paths::APANGEA_BASE_COMPARE,
            ResponseTemplate::new(404).set_body_string(
                r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest/commits/commits#compare-two-commits","status":"404"}"#,
            ),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (code, decision) = decide_live(&services, dir.path(), &[]);
    assert_eq!(code, 1, "{decision:#}");
    assert_eq!(failing(&decision), ["tests"]);
    let detail = check(&decision, "tests")["detail"].as_str().unwrap();
    assert!(
        detail.contains("thinkthroughmath/apangea: cannot tell whether rc has every commit of master (github: commits of master missing from rc unknown:"),
        "{detail}"
    );
    assert!(detail.contains("404"), "{detail}");
}
