//! The CI examples deploy as written: one run at a time, a person's yes, only from the
//! release branch, secrets only where a deploy may run.

use crate::support::root;

fn example(name: &str) -> String {
    std::fs::read_to_string(root().join("examples").join(name)).unwrap()
}

#[test]
fn jenkinsfile_deploys_one_run_at_a_time_from_rc_after_a_person_confirms() {
    let text = example("Jenkinsfile");
    assert!(text.contains("disableConcurrentBuilds()"));
    let deploy = &text[text.find("stage('Deploy')").unwrap()..];
    assert!(deploy.contains("when { branch 'rc' }"), "{deploy}");
    let input = deploy.find("input message").unwrap();
    let run = deploy.find("gatekeeper deploy production").unwrap();
    assert!(input < run, "the person confirms before the deploy runs");
    assert!(text.contains("junit testResults: 'reports/gatekeeper.xml'"));
    // Clones inside the workspace, never beside it.
    assert!(text.contains("clones/$repo") && !text.contains("../"));
}

#[test]
fn actions_workflow_runs_by_hand_in_the_production_environment_one_at_a_time() {
    let text = example("gatekeeper-gate.yml");
    assert!(text.contains("workflow_dispatch:"));
    // Forks' pull requests get no secrets: the workflow must not run on them.
    assert!(!text.contains("pull_request"));
    assert!(text.contains("environment: production"));
    assert!(
        text.contains("group: deploy-production") && text.contains("cancel-in-progress: false")
    );
    assert!(
        text.contains("actions/cache@"),
        "the binary is cached, not rebuilt each run"
    );
    assert!(!text.contains("x-access-token"), "no token in a remote URL");
}
