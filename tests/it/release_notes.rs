//! Release notes read as GitHub renders them: through the binary, a release pull
//! request whose body hides an unchecked box from a line matcher still fails
//! `release_dependencies`, a plain bullet asks to be a task item, a bold label opens
//! the section, and task items with no Dependencies section fail.

use serde_json::Value;

use crate::support::assert_exit;
use crate::support::live::decide;
use crate::support::server::{self, Services};
use crate::support::{check, failing};

/// The green services with the app's release pull request carrying `body`.
async fn with_release_notes(body: &str) -> Services {
    let services = server::start_green().await;
    services.edit_release(server::APANGEA, |repo| {
        repo["pullRequests"]["nodes"][0]["body"] = Value::String(body.to_owned());
    });
    services
}

async fn dependencies_decision(body: &str) -> (i32, Value) {
    let services = with_release_notes(body).await;
    let run = decide(&services, &[]);
    (run.code, run.decision)
}

/// Each body shows an unchecked box on GitHub: each must deny on
/// `release_dependencies` alone, naming the item.
#[tokio::test]
async fn unchecked_boxes_as_github_renders_them_fail() {
    let cases = [
        (
            "ordered item",
            "## Dependencies\n\n1. [x] gradebook-service deployed\n2. [ ] flag created\n",
        ),
        (
            "setext heading",
            "Release\n=======\n\nDependencies\n------------\n\n- [ ] flag created\n",
        ),
        (
            "heading with a suffix",
            "## Dependencies (do these first)\n\n- [ ] flag created\n",
        ),
        (
            "tab after the bullet",
            "### Dependencies\n-\t[ ] flag created\n",
        ),
        (
            "tilde fence holding a backtick line",
            "## Notes\n~~~\n```\n~~~\n## Dependencies\n- [ ] flag created\n",
        ),
        (
            "nested list",
            "## Dependencies\n- [x] backend\n  - [x] service deployed\n    1. [ ] flag created\n",
        ),
        (
            "bold label",
            "Gradebook entries.\n\n**Dependencies:**\n- [x] service deployed\n- [ ] flag created\n\n**QA:**\n- [ ] smoke test\n",
        ),
        (
            "label alone on a line",
            "Dependencies:\n- [ ] flag created\n",
        ),
    ];
    for (case, body) in cases {
        let (code, decision) = dependencies_decision(body).await;
        assert_exit!(code, 1, "{case}: {decision:#}");
        assert_eq!(failing(&decision), ["release_dependencies"], "{case}");
        let detail = check(&decision, "release_dependencies")["detail"]
            .as_str()
            .unwrap();
        assert!(
            detail.contains("thinkthroughmath/apangea#412: dependency not met: flag created"),
            "{case}: {detail}"
        );
    }
}

#[tokio::test]
async fn checked_boxes_in_capitals_and_in_code_examples_pass() {
    let body = "## Dependencies (do these first)\n\n1. [X] flag created\n\n~~~\n- [ ] an example, not an item\n~~~\n";
    let (code, decision) = dependencies_decision(body).await;
    assert_exit!(code, 0, "{decision:#}");
    let deps = check(&decision, "release_dependencies");
    assert_eq!(deps["status"], "pass");
    assert_eq!(deps["detail"], "all 1 listed dependencies are met");
}

#[tokio::test]
async fn a_plain_bullet_in_the_section_asks_for_a_task_item() {
    let body = "## Dependencies\n- [x] gradebook-service deployed\n- flag created\n";
    let (code, decision) = dependencies_decision(body).await;
    assert_exit!(code, 1, "{decision:#}");
    assert_eq!(failing(&decision), ["release_dependencies"]);
    assert_eq!(
        check(&decision, "release_dependencies")["detail"],
        "thinkthroughmath/apangea#412: flag created: write it as a task item `- [ ]` so it can be ticked"
    );
}

/// Every unticked task item anywhere in the body blocks, whatever its section is
/// called, unless the settings name its section as not blocking (`QA`).
#[tokio::test]
async fn an_unticked_task_item_outside_the_dependencies_blocks() {
    for body in [
        "## Deps\n- [x] gradebook-service deployed\n- [ ] flag created\n",
        "## Dependencies\n- [x] gradebook-service deployed\n\n## Rollout\n- [ ] flag created\n",
        "- [ ] flag created\n\n## Dependencies\nnone\n",
    ] {
        let (code, decision) = dependencies_decision(body).await;
        assert_exit!(code, 1, "{body}: {decision:#}");
        assert_eq!(failing(&decision), ["release_dependencies"], "{body}");
        let detail = check(&decision, "release_dependencies")["detail"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            detail.starts_with("thinkthroughmath/apangea#412: task not done: flag created ("),
            "{body}: {detail}"
        );
        assert!(detail.contains("non_blocking_sections"), "{detail}");
    }
    // In a section the settings name as not blocking, in any form: it passes.
    for body in [
        "## Dependencies\nnone\n\n## QA\n- [ ] smoke test\n",
        "## Dependencies\n- [x] a\n\n## Notes\n\n<details><summary>qa</summary>\n\n- [ ] smoke test\n\n</details>\n",
        "**QA:**\n\n- [ ] smoke test\n",
    ] {
        let (code, decision) = dependencies_decision(body).await;
        assert_exit!(code, 0, "{body}: {decision:#}");
    }
}

/// A `<details>` Dependencies section ends at its own end as a browser parses it:
/// not at the `</details>` of a nested block in another case, nor at one inside
/// an attribute value. Each shows an unticked dependency.
#[tokio::test]
async fn a_dependencies_details_block_closes_where_a_browser_closes_it() {
    for inner in [
        "<DETAILS><summary>more</summary>\n\n- [x] cache cleared\n\n</details>",
        "<Details>\n<summary>more</summary>\n\n- [x] cache cleared\n\n</details>",
        "<p title=\"</details>\">See the runbook.</p>",
    ] {
        let body = format!(
            "<details>\n<summary>Dependencies</summary>\n\n- [x] service deployed\n\n{inner}\n\n- [ ] flag created\n\n</details>\n\n## QA\n- [ ] smoke test\n"
        );
        assert_denied_for_flag(&body).await;
    }
}

/// A second Dependencies section beside a real `## Dependencies`, in every form
/// GitHub shows as one, is read.
#[tokio::test]
async fn a_second_dependencies_section_in_any_form_is_read() {
    for second in [
        "<h2>Dependencies</h2>\n\n- [ ] flag created\n",
        "<details>\n<summary>\nDependencies\n</summary>\n\n- [ ] flag created\n\n</details>\n",
        "<details>\n<SUMMARY>Dependencies</SUMMARY>\n\n- [ ] flag created\n\n</details>\n",
        "<details>\n<summary>&nbsp;Dependencies</summary>\n\n- [ ] flag created\n\n</details>\n",
    ] {
        let body = format!(
            "## Dependencies\n\n- [x] service deployed\n\n## QA\n\n- [ ] smoke test\n\n{second}"
        );
        assert_denied_for_flag(&body).await;
    }
}

/// Denied on `release_dependencies` alone, for the unticked "flag created".
async fn assert_denied_for_flag(body: &str) {
    let (code, decision) = dependencies_decision(body).await;
    assert_exit!(code, 1, "{body}: {decision:#}");
    assert_eq!(failing(&decision), ["release_dependencies"], "{body}");
    let detail = check(&decision, "release_dependencies")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("thinkthroughmath/apangea#412: dependency not met: flag created"),
        "{body}: {detail}"
    );
}
