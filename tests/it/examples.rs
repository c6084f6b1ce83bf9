//! The CI examples run as copied: they deploy one run at a time, after a person's
//! yes, with secrets only where a deploy may run; and they agree with the config
//! they use (this repository's gatekeeper.toml): its clones, its deploy remote, its
//! release branch, a git identity, the deploy tool, a pinned toolchain, an install
//! from a ref that exists.

use crate::support::root;

fn example(name: &str) -> String {
    std::fs::read_to_string(root().join("examples").join(name)).unwrap()
}

/// What the examples must agree with, read from the config they use.
struct Used {
    workdir: String,
    repos: Vec<(String, String)>,
    deploy_remote: String,
    release_branch: String,
}

fn used() -> Used {
    let text = std::fs::read_to_string(root().join("gatekeeper.toml")).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    let target = &doc["targets"]["production"];
    let repos = target["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(
                r.get("path").is_none(),
                "a repo path would put the clone outside workdir: {r:?}"
            );
            let github = r["github"].as_str().unwrap().to_owned();
            let name = github.rsplit('/').next().unwrap().to_owned();
            (github, name)
        })
        .collect();
    Used {
        workdir: doc["workdir"].as_str().unwrap().to_owned(),
        repos,
        deploy_remote: target["deploy_remote"].as_str().unwrap().to_owned(),
        release_branch: target
            .get("release_branch")
            .and_then(|b| b.as_str())
            .unwrap_or("rc")
            .to_owned(),
    }
}

/// Both examples: clones where the config looks, the deploy remote it pushes to, a
/// git identity, ttmscalr, Rust ≥ 1.95, gatekeeper built from the checkout.
fn agrees_with_the_config(name: &str, text: &str) {
    let u = used();
    for (github, repo) in &u.repos {
        let clone = format!("{}/{repo}", u.workdir);
        assert!(
            text.contains(&format!("\"{clone}\""))
                || text.contains(&format!("path: {clone}"))
                || text.contains(&format!("{}/$repo", u.workdir)),
            "{name}: no clone of {github} at {clone}"
        );
        assert!(
            text.contains(repo.as_str()),
            "{name}: {github} is not cloned"
        );
    }
    assert!(
        text.contains(&format!("remote add {}", u.deploy_remote)),
        "{name}: the deploy remote {} is not named",
        u.deploy_remote
    );
    assert!(
        text.contains("config user.name") && text.contains("config user.email"),
        "{name}: no git identity for the merge commits"
    );
    assert!(
        text.contains("command -v ttmscalr"),
        "{name}: ttmscalr is neither installed nor checked"
    );
    let pinned = ["@1.", "install 1.", "+1."]
        .iter()
        .filter_map(|p| text.find(p).map(|at| &text[at + p.len()..]))
        .filter_map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u32>()
                .ok()
        })
        .collect::<Vec<_>>();
    assert!(
        !pinned.is_empty() && pinned.iter().all(|minor| *minor >= 95),
        "{name}: the toolchain is not pinned to 1.95 or later: {pinned:?}"
    );
    assert!(
        text.contains("cargo install --locked --path .") || text.contains("--locked --path . "),
        "{name}: gatekeeper is not built from the checkout"
    );
    assert!(!text.contains("--tag"), "{name}: installs from a tag");
    assert!(
        !text.contains("../"),
        "{name}: a clone outside the workspace"
    );
}

#[test]
fn jenkinsfile_deploys_one_run_at_a_time_after_a_person_confirms_without_holding_an_executor() {
    let text = example("Jenkinsfile");
    agrees_with_the_config("Jenkinsfile", &text);
    assert!(text.contains("disableConcurrentBuilds()"));
    let pipeline = &text[text.find("pipeline {").unwrap()..];
    assert!(
        pipeline.contains("\n  agent none"),
        "the pipeline holds no executor"
    );
    let deploy = &pipeline[pipeline.find("stage('Deploy')").unwrap()..];
    // The stage-level `input` directive is asked before the stage's agent is taken;
    // an `input` step inside `steps` would hold an executor while it waits.
    assert!(deploy.contains("input {"), "{deploy}");
    assert!(
        !text.contains("input message:"),
        "an input step holds an executor"
    );
    assert!(deploy.contains("beforeInput true"), "{deploy}");
    let input = deploy.find("input {").unwrap();
    let run = deploy.find("gatekeeper deploy production").unwrap();
    assert!(input < run, "the person confirms before the deploy runs");
    // The branch condition tests the apps' release branch, not this repo's branch.
    assert!(
        !text.contains("branch 'rc'"),
        "tests the config repo's branch"
    );
    let u = used();
    assert!(
        text.contains(&format!("refs/heads/{}", u.release_branch)),
        "the apps' release branch {} is not tested",
        u.release_branch
    );
    assert!(text.contains("junit testResults: 'reports/gatekeeper.xml'"));
}

#[test]
fn actions_workflow_runs_by_hand_in_the_production_environment_one_at_a_time() {
    let text = example("gatekeeper-gate.yml");
    agrees_with_the_config("gatekeeper-gate.yml", &text);
    assert!(text.contains("workflow_dispatch:"));
    // Forks' pull requests get no secrets: the workflow must not run on them.
    assert!(!text.contains("pull_request"));
    assert!(text.contains("environment: production"));
    assert!(text.contains("\npermissions:\n  contents: read\n"));
    assert!(
        text.contains("group: deploy-production") && text.contains("cancel-in-progress: false")
    );
    assert!(
        text.contains("actions/cache@"),
        "the binary is cached, not rebuilt each run"
    );
    assert!(!text.contains("x-access-token"), "no token in a remote URL");
}

#[test]
fn the_examples_readme_describes_the_flags_the_binary_takes() {
    let text = example("README.md");
    assert!(!text.contains("--format junit --output"), "{text}");
    assert!(text.contains("--report junit=reports/gatekeeper.xml"));
    assert!(text.contains("<skipped type=\"overridden\">"));
}
