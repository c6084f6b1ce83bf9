//! The release branch must hold every commit of the base branch (`behindBy` of the
//! GraphQL compare master...rc in the release query): through the binary, a
//! release behind its base fails `tests`, and so does one whose `behindBy` cannot
//! be read or was not about the head that was checked.

use serde_json::Value;

use crate::support::assert_exit;
use crate::support::live::{Run, decide};
use crate::support::server::{self, APANGEA, LESSON};
use crate::support::{check, failing};

#[tokio::test]
async fn a_release_branch_behind_its_base_fails_tests() {
    let services = server::start_green().await;
    services.edit_release(LESSON, |repo| {
        repo["base"]["compare"]["behindBy"] = 3.into()
    });
    let Run { code, decision, .. } = decide(&services, &[]);
    assert_exit!(code, 1, "{decision:#}");
    assert_eq!(failing(&decision), ["tests"]);
    assert_eq!(
        check(&decision, "tests")["detail"],
        "thinkthroughmath/lesson-content: rc lacks 3 commits of master: merge master into rc and rerun the tests"
    );
}

/// The app compares from the production SHA for migrations, a compare behind by
/// nothing; what rc lacks of master comes from the base branch's compare.
#[tokio::test]
async fn the_app_is_compared_with_its_base_branch_not_production() {
    let services = server::start_green().await;
    services.edit_release(APANGEA, |repo| {
        repo["base"]["compare"]["behindBy"] = 2.into()
    });
    let Run { code, decision, .. } = decide(&services, &[]);
    assert_exit!(code, 1, "{decision:#}");
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
    services.edit_release(APANGEA, |repo| repo["base"]["compare"] = Value::Null);
    let Run { code, decision, .. } = decide(&services, &[]);
    assert_exit!(code, 1, "{decision:#}");
    assert_eq!(failing(&decision), ["tests"]);
    let detail = check(&decision, "tests")["detail"].as_str().unwrap();
    assert!(
        detail.contains("thinkthroughmath/apangea: cannot tell whether rc has every commit of master (github: commits of master missing from rc unknown:"),
        "{detail}"
    );
    assert!(detail.contains("no compare of master...rc"), "{detail}");
}

/// A compare about another commit than the head read beside it (rc moved between
/// the two) proves nothing about what ships.
#[tokio::test]
async fn a_compare_of_another_head_than_the_one_checked_fails_tests() {
    let services = server::start_green().await;
    services.edit_release(LESSON, |repo| {
        repo["base"]["compare"]["headTarget"]["oid"] =
            "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c".into();
    });
    let Run { code, decision, .. } = decide(&services, &[]);
    assert_exit!(code, 1, "{decision:#}");
    assert_eq!(failing(&decision), ["tests"]);
    let detail = check(&decision, "tests")["detail"].as_str().unwrap();
    assert!(detail.contains("moved while it was read"), "{detail}");
}
