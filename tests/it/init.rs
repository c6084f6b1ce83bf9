//! `gatekeeper init`: a new team's repository in one command, whose policy tests
//! pass, whose demo facts decide as documented, and whose settings the team edits
//! without breaking the rules' tests.

use std::path::Path;

use crate::support::assert_exit;
use crate::support::{decide, failing, gatekeeper_in};

const ACME: &[&str] = &[
    "--repo",
    "acme/web",
    "--repo",
    "acme/worker",
    "--deploy-repo",
    "acme/web-deploy",
    "--notices-repo",
    "acme/notices",
    "--approver",
    "ada",
    "--vetter",
    "ada,grace",
    "--timezone",
    "Europe/Berlin",
    "--jenkins-url",
    "https://ci.acme.example",
    "--newrelic-account",
    "42",
    "--smoke-url",
    "https://acme.example/up",
    "--notice-to",
    "ops@acme.example",
];

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = gatekeeper_in(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn edit(file: &Path, edits: &[(&str, &str)]) {
    let mut text = std::fs::read_to_string(file).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{} has no {from:?}", file.display());
        text = text.replace(from, to);
    }
    std::fs::write(file, text).unwrap();
}

fn acme() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let mut args = vec!["init", "gate"];
    args.extend_from_slice(ACME);
    let (code, stdout, stderr) = run(root.path(), &args);
    assert_exit!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("gatekeeper policy test"), "{stdout}");
    root
}

#[test]
fn a_new_team_adopts_it_and_edits_its_settings_without_breaking_the_tests() {
    let root = acme();
    let dir = root.path().join("gate");
    let config = std::fs::read_to_string(dir.join("gatekeeper.toml")).unwrap();
    assert!(config.contains("github = \"acme/worker\""), "{config}");
    assert!(!config.contains("thinkthroughmath"), "{config}");
    let settings = dir.join("policies/settings.rego");
    let text = std::fs::read_to_string(&settings).unwrap();
    assert!(text.contains("approvers := [\"ada\"]"), "{text}");
    assert!(!text.contains("\"tim\""), "{text}");

    let (code, stdout, _) = run(&dir, &["policy", "test"]);
    assert_exit!(code, 0, "{stdout}");
    let (code, green) = decide(gatekeeper_in(&dir).args([
        "check",
        "production",
        "--facts",
        "fixtures/facts/green.json",
        "--format",
        "json",
    ]));
    assert_exit!(code, 0, "{green}");
    let (code, busy) = decide(gatekeeper_in(&dir).args([
        "check",
        "production",
        "--facts",
        "fixtures/facts/too-busy.json",
        "--format",
        "json",
    ]));
    assert_exit!(code, 1, "{busy}");
    assert_eq!(failing(&busy), ["throughput"]);
    let (code, stdout, stderr) = run(
        &dir,
        &[
            "deploy",
            "production",
            "--dry-run",
            "--facts",
            "fixtures/facts/green.json",
        ],
    );
    assert_exit!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("ttmscalr deploy production"), "{stdout}");
    assert!(!stdout.contains("lesson"), "{stdout}");

    // The team's own edit: a higher limit, other approvers and vetters; the test
    // that pins them is edited with them, and every rule's test stays green.
    let values = [
        (
            "throughput_limit_rpm := 15000",
            "throughput_limit_rpm := 20000",
        ),
        ("approvers := [\"ada\"]", "approvers := [\"carol\"]"),
        (
            "vetters := [\"ada\", \"grace\"]",
            "vetters := [\"carol\", \"dave\"]",
        ),
    ];
    edit(&settings, &values);
    let (code, stdout, _) = run(&dir, &["policy", "test"]);
    assert_exit!(code, 1, "{stdout}");
    assert!(
        stdout
            .lines()
            .filter(|l| l.starts_with("FAIL "))
            .all(|l| l.contains("gatekeeper_settings_test")),
        "{stdout}"
    );
    edit(
        &dir.join("policies/settings_test.rego"),
        &[
            (
                "throughput_limit_rpm == 15000",
                "throughput_limit_rpm == 20000",
            ),
            ("approvers == [\"ada\"]", "approvers == [\"carol\"]"),
            (
                "vetters == [\"ada\", \"grace\"]",
                "vetters == [\"carol\", \"dave\"]",
            ),
        ],
    );
    let (code, stdout, _) = run(&dir, &["policy", "test"]);
    assert_exit!(code, 0, "{stdout}");

    // check reflects the edit: 17250 rpm is under the new limit, and ada no longer
    // approves.
    let (code, busy) = decide(gatekeeper_in(&dir).args([
        "check",
        "production",
        "--facts",
        "fixtures/facts/too-busy.json",
        "--format",
        "json",
    ]));
    assert_exit!(code, 1, "{busy}");
    assert_eq!(failing(&busy), ["approval"]);
    let detail = busy["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "approval")
        .unwrap()["detail"]
        .to_string();
    assert!(detail.contains("carol"), "{detail}");
}

#[test]
fn without_a_terminal_every_missing_answer_is_named_by_its_flag() {
    let root = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(
        root.path(),
        &["init", "gate", "--repo", "acme/web", "--approver", "ada"],
    );
    assert_exit!(code, 2, "{stdout}");
    for flag in ["--deploy-repo", "--vetter", "--timezone", "--notice-to"] {
        assert!(stderr.contains(flag), "{flag}: {stderr}");
    }
    assert!(!stderr.contains("--repo OWNER"), "{stderr}");
    assert!(!root.path().join("gate").exists());
}

#[test]
fn every_bad_answer_is_named_at_once() {
    let root = tempfile::tempdir().unwrap();
    let mut args = vec!["init", "gate"];
    args.extend_from_slice(ACME);
    let args: Vec<&str> = args
        .into_iter()
        .map(|a| match a {
            "Europe/Berlin" => "Berlin",
            "acme/worker" => "acme worker",
            other => other,
        })
        .collect();
    let (code, _, stderr) = run(root.path(), &args);
    assert_exit!(code, 2);
    assert!(stderr.contains("--timezone"), "{stderr}");
    assert!(stderr.contains("--repo \"acme worker\""), "{stderr}");
}

#[test]
fn init_never_overwrites() {
    let root = acme();
    let dir = root.path().join("gate");
    let settings = dir.join("policies/settings.rego");
    std::fs::write(&settings, "# mine\n").unwrap();
    let mut args = vec!["init", "gate"];
    args.extend_from_slice(ACME);
    let (code, _, stderr) = run(root.path(), &args);
    assert_exit!(code, 2);
    assert!(stderr.contains("never overwrites"), "{stderr}");
    assert!(stderr.contains("settings.rego"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), "# mine\n");
}

#[test]
fn policy_test_and_check_use_the_configs_policy_directory() {
    let root = acme();
    let dir = root.path().join("gate");
    std::fs::rename(dir.join("policies"), dir.join("rego")).unwrap();
    edit(
        &dir.join("gatekeeper.toml"),
        &[("policies = \"policies\"", "policies = \"rego\"")],
    );
    let (code, stdout, stderr) = run(&dir, &["policy", "test"]);
    assert_exit!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("passed, 0 failed"), "{stdout}");
    let (code, stdout, stderr) = run(&dir, &["policy", "check"]);
    assert_exit!(code, 0, "{stdout}{stderr}");
    // And from elsewhere, through --config.
    let (code, stdout, _) = run(
        root.path(),
        &["policy", "test", "--config", "gate/gatekeeper.toml"],
    );
    assert_exit!(code, 0, "{stdout}");
}

#[test]
fn a_document_about_another_target_names_the_way_to_evaluate_it_anyway() {
    let root = acme();
    let dir = root.path().join("gate");
    let theirs = crate::support::fixture("facts/green.json");
    let theirs = theirs.to_str().unwrap();
    let (code, stdout, stderr) = run(&dir, &["check", "production", "--facts", theirs]);
    assert_exit!(code, 2, "{stdout}");
    assert!(
        stderr.contains("is not about target production"),
        "{stderr}"
    );
    assert!(stderr.contains("--no-config"), "{stderr}");
    // Anyway: judged by acme's policies (ada approves, not tim).
    let (code, decision) = decide(gatekeeper_in(&dir).args([
        "check",
        "production",
        "--facts",
        theirs,
        "--no-config",
        "--format",
        "json",
    ]));
    assert_exit!(code, 1, "{decision}");
    assert_eq!(failing(&decision), ["approval"]);
    // It is only for recorded facts.
    let (code, _, stderr) = run(&dir, &["check", "production", "--no-config"]);
    assert_exit!(code, 2);
    assert!(stderr.contains("--facts"), "{stderr}");
}

#[test]
fn status_of_a_missing_clone_gives_the_git_clone_to_run_as_deploy_does() {
    let root = acme();
    let dir = root.path().join("gate");
    let (code, stdout, stderr) = run(&dir, &["status", "production"]);
    assert_exit!(code, 2, "{stdout}");
    let both = format!("{stdout}{stderr}");
    assert!(
        both.contains("git clone https://github.com/acme/web.git clones/web"),
        "{both}"
    );
    assert!(!both.contains("cannot run git"), "{both}");
}
