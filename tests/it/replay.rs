//! Every decision can be replayed: one verdict under any Rego engine (`policy check`
//! finds `not f(x)` over a possibly undefined `x`), the facts archive, `policy
//! impact`, and shadow policies.

use crate::support::assert_exit;
use crate::support::{edited_policies, gatekeeper};

#[test]
fn no_shipped_policy_negates_a_builtin_over_a_maybe_missing_field() {
    let out = gatekeeper()
        .args(["policy", "check", "--strict"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("OPA evaluates"), "{stdout}");
    assert_exit!(out, 0, "{stdout}");
}

#[test]
fn policy_check_warns_about_an_engine_dependent_not_and_strict_fails() {
    let dir = edited_policies(
        "gatekeeper.rego",
        &[(
            "labelled_downtime(repo) if not prs_readable(repo)",
            "labelled_downtime(repo) if not is_array(repo.pull_requests)",
        )],
    );
    let run = |strict: bool| {
        let mut cmd = gatekeeper();
        cmd.args(["policy", "check", "--policies"]).arg(dir.path());
        if strict {
            cmd.arg("--strict");
        }
        cmd.output().unwrap()
    };
    let out = run(false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| {
            l.contains(
                "OPA evaluates `not f(x)` with `x` undefined as undefined; write a helper rule",
            )
        })
        .unwrap_or_else(|| panic!("no warning in:\n{stdout}"));
    assert!(line.starts_with("warning "), "{line}");
    assert!(line.contains("gatekeeper.rego:"), "{line}");
    assert!(
        line.contains("`not is_array(repo.pull_requests)`"),
        "{line}"
    );
    assert_exit!(out, 0, "a warning alone passes:\n{stdout}");
    assert_exit!(run(true), 1, "--strict fails on it");
}

/// The shipped config in a fresh directory with this repo's policies, and `extra`
/// lines added at the top level.
pub(crate) fn config_dir(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(crate::support::root().join("gatekeeper.toml"))
        .unwrap()
        .replace(
            "policies = \"policies\"",
            &format!(
                "policies = {:?}\n{extra}",
                crate::support::policies().display().to_string()
            ),
        );
    std::fs::write(dir.path().join("gatekeeper.toml"), text).unwrap();
    dir
}

fn audit_checks(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join(".gatekeeper/audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["kind"] == "check")
        .collect()
}

/// `check production` of the green fixture in `dir`.
fn check_green(dir: &std::path::Path) -> std::process::Output {
    crate::support::gatekeeper_in(dir)
        .args(["check", "production", "--facts"])
        .arg(crate::support::fixture("facts/green.json"))
        .output()
        .unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_archived_facts_hash_to_the_audit_records_digest_and_are_stored_once() {
    let dir = config_dir("");
    for _ in 0..2 {
        assert_exit!(check_green(dir.path()), 0);
    }
    let records = audit_checks(dir.path());
    assert_eq!(records.len(), 2);
    let digest = records[0]["facts_sha256"].as_str().unwrap();
    assert_eq!(records[1]["facts_sha256"], digest);
    let archive = dir.path().join(".gatekeeper/facts");
    let files: Vec<_> = std::fs::read_dir(&archive)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "identical facts are stored once: {files:?}");
    assert_eq!(
        files[0].file_name().unwrap().to_str().unwrap(),
        format!("sha256-{digest}.json")
    );
    assert_eq!(sha256_hex(&std::fs::read(&files[0]).unwrap()), digest);
}

/// `policy impact` from the repository root (so the shipped fixtures are replayed),
/// with no config, base = the shipped policies.
fn impact_cmd() -> assert_cmd::Command {
    let mut cmd = gatekeeper();
    cmd.args([
        "policy",
        "impact",
        "--config",
        "no-such-config.toml",
        "--base-dir",
    ])
    .arg(crate::support::policies());
    cmd
}

/// [`impact_cmd`] of `candidate` with an empty archive: exit code (never 2) and stdout.
fn impact(candidate: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let empty = tempfile::tempdir().unwrap();
    let out = impact_cmd()
        .arg("--policies")
        .arg(candidate)
        .arg("--archive")
        .arg(empty.path())
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code != 2,
        "exit 2:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, stdout)
}

fn flips_by_source(json: &serde_json::Value) -> Vec<(String, String)> {
    json["flips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let source = f["source"].as_str().unwrap();
            let name = std::path::Path::new(source)
                .file_name()
                .unwrap()
                .to_str()
                .unwrap();
            (name.to_owned(), f["class"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn raising_the_throughput_limit_loosens_too_busy_and_fails_by_default() {
    let candidate = edited_policies(
        "settings.rego",
        &[(
            "throughput_limit_rpm := 15000",
            "throughput_limit_rpm := 20000",
        )],
    );
    let (code, stdout) = impact(candidate.path(), &["--format", "json"]);
    assert_exit!(code, 1, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(
        flips_by_source(&json),
        [("too-busy.json".to_owned(), "loosened".to_owned())]
    );
    assert_eq!(json["summary"]["loosened"], 1);
    // Every shipped fixture is replayed.
    let fixtures = std::fs::read_dir("fixtures/facts")
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert_eq!(json["summary"]["replayed"], fixtures);
    let flip = &json["flips"][0];
    assert_eq!(flip["before"]["allow"], false);
    assert_eq!(flip["before"]["failing"], serde_json::json!(["throughput"]));
    assert_eq!(flip["after"]["allow"], true);
    assert_eq!(flip["checks"][0]["id"], "throughput");
    assert_eq!(flip["checks"][0]["before"], "fail");
    assert_eq!(flip["checks"][0]["after"], "pass");
    let (_, github) = impact(candidate.path(), &["--format", "github"]);
    assert!(
        github.starts_with("::warning title=gatekeeper policy impact%3A loosened::"),
        "{github}"
    );
}

#[test]
fn a_freeze_over_greens_window_tightens_it_which_fails_only_with_fail_on_any() {
    let candidate = edited_policies(
        "settings.rego",
        &[(
            "freezes := []",
            r#"freezes := [{"from": "2026-11-24", "to": "2026-11-24", "reason": "holiday"}]"#,
        )],
    );
    let (code, stdout) = impact(candidate.path(), &["--format", "json"]);
    assert_exit!(code, 0, "tightened is not a failure by default:\n{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let flips = flips_by_source(&json);
    assert!(
        flips.contains(&("green.json".to_owned(), "tightened".to_owned())),
        "{flips:?}"
    );
    assert!(!flips.iter().any(|(_, c)| c == "loosened"), "{flips:?}");
    let (code, _) = impact(candidate.path(), &["--fail-on", "any"]);
    assert_exit!(code, 1);
    let (code, _) = impact(candidate.path(), &["--fail-on", "tightened"]);
    assert_exit!(code, 1);
    let (markdown_code, markdown) = impact(candidate.path(), &["--format", "markdown"]);
    assert_exit!(markdown_code, 0);
    assert!(
        markdown.starts_with("<!-- gatekeeper:policy-impact -->\n"),
        "{markdown}"
    );
    assert!(markdown.contains("| tightened |"), "{markdown}");
}

/// The shipped policies with a freeze on Thanksgiving 2026 (Thursday the 26th).
fn thanksgiving_freeze() -> tempfile::TempDir {
    edited_policies(
        "settings.rego",
        &[(
            "freezes := []",
            r#"freezes := [{"from": "2026-11-26", "to": "2026-11-26", "reason": "thanksgiving"}]"#,
        )],
    )
}

#[test]
fn windows_calendars_mark_the_hours_a_new_freeze_closes() {
    let candidate = thanksgiving_freeze();
    let green = crate::support::fixture("facts/green.json");
    let green = green.to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let page = out.path().join("impact.html");
    let args = ["--windows", "--days", "7", "--facts", green, "--format"];
    let (code, _) = impact(
        candidate.path(),
        &[&args[..], &["html", "--output", page.to_str().unwrap()]].concat(),
    );
    assert_exit!(code, 0);
    let html = std::fs::read_to_string(&page).unwrap();
    let (base, cand) = html
        .split_once("<section id=\"candidate\"")
        .expect("the candidate's calendar");
    assert!(base.contains("<section id=\"base\""), "{html}");
    // Thanksgiving noon: allowed under the base, frozen under the candidate, both marked.
    let noon = "data-start=\"2026-11-26T17:00:00Z\"";
    assert!(
        base.contains(&format!(
            "class=\"c h allowed chg\" data-changed=\"yes\" data-state=\"allowed\" {noon}"
        )),
        "{base}"
    );
    assert!(
        cand.contains(&format!(
            "class=\"c h freeze chg\" data-changed=\"yes\" data-state=\"freeze\" {noon}"
        )),
        "{cand}"
    );
    assert!(cand.contains(">FΔ</span>") && base.contains(">AΔ</span>"));
    // The Friday after is allowed on both sides and not marked.
    let friday = "data-state=\"allowed\" data-start=\"2026-11-27T17:00:00Z\"";
    assert!(
        base.contains(&format!("class=\"c h allowed\" {friday}")),
        "{base}"
    );
    assert!(
        cand.contains(&format!("class=\"c h allowed\" {friday}")),
        "{cand}"
    );
    assert_eq!(html.matches("data-changed=\"yes\"").count(), 2 * 25);

    let (code, markdown) = impact(candidate.path(), &[&args[..], &["markdown"]].concat());
    assert_exit!(code, 0);
    let (charts, changed) = markdown
        .split_once("Changed hours (base → candidate):\n")
        .expect("the changed hours");
    let base_chart = charts
        .find("#### Calendar under the base\n\n```mermaid")
        .unwrap();
    let cand_chart = charts
        .find("#### Calendar under the candidate\n\n```mermaid")
        .unwrap();
    assert!(base_chart < cand_chart, "{markdown}");
    assert!(
        !charts[base_chart..cand_chart].contains(":crit,"),
        "{markdown}"
    );
    assert!(charts[cand_chart..].contains(":crit,"), "{markdown}");
    assert!(
        changed.contains("- Δ Thu 2026-11-26 12:00 EST (-05:00): A allowed → F freeze (freeze: "),
        "{changed}"
    );
    assert!(!changed.contains("2026-11-27"), "{changed}");
    assert_eq!(
        changed.lines().filter(|l| l.starts_with("- Δ ")).count(),
        25
    );
}

#[test]
fn html_without_windows_is_a_usage_error() {
    let empty = tempfile::tempdir().unwrap();
    let page = empty.path().join("impact.html");
    let out = impact_cmd()
        .arg("--archive")
        .arg(empty.path())
        .args(["--format", "html", "--output"])
        .arg(&page)
        .output()
        .unwrap();
    assert_exit!(out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("add --windows"), "{stderr}");
    assert!(!page.exists());
}

#[test]
fn windows_show_a_new_freeze_with_the_check_that_closes_them() {
    let candidate = thanksgiving_freeze();
    let green = crate::support::fixture("facts/green.json");
    let (_, stdout) = impact(
        candidate.path(),
        &[
            "--windows",
            "--days",
            "7",
            "--format",
            "json",
            "--facts",
            green.to_str().unwrap(),
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let windows = json["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1, "{windows:#?}");
    let w = &windows[0];
    assert_eq!(w["before"], "allowed");
    assert_eq!(w["after"], "denied");
    assert_eq!(w["because"], serde_json::json!(["freeze"]));
    // A 60-minute window starting from 23:01 the day before overlaps the 26th.
    assert_eq!(w["from_local"], "2026-11-25T23:01:00-05:00");
    assert_eq!(w["to_local"], "2026-11-27T00:00:00-05:00");
    assert!(
        w["details"][0].as_str().unwrap().contains("thanksgiving"),
        "{w}"
    );
    let (_, table) = impact(
        candidate.path(),
        &[
            "--windows",
            "--days",
            "7",
            "--facts",
            green.to_str().unwrap(),
        ],
    );
    assert!(
        table.contains("allowed becomes denied (freeze: "),
        "{table}"
    );
}

#[test]
fn a_recorded_decision_the_replay_does_not_reproduce_is_drift() {
    let dir = config_dir("");
    assert_exit!(check_green(dir.path()), 0);
    // Unaltered: the replay reproduces the record.
    let run = || {
        crate::support::gatekeeper_in(dir.path())
            .args(["policy", "impact", "--format", "json", "--base-dir"])
            .arg(crate::support::policies())
            .output()
            .unwrap()
    };
    let out = run();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["replayed"], 1, "{json}");
    assert_eq!(json["summary"]["unchanged"], 1, "{json}");
    // The record now says deny where the same policies allow.
    let log = dir.path().join(".gatekeeper/audit.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"decision\":\"allow\""));
    std::fs::write(
        &log,
        text.replace("\"decision\":\"allow\"", "\"decision\":\"deny\""),
    )
    .unwrap();
    let out = run();
    assert_exit!(out, 0, "drift is not a loosening");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["drift"], 1, "{json}");
    assert_eq!(json["flips"][0]["class"], "drift");
    assert_eq!(json["flips"][0]["recorded"]["allow"], false);
    assert_eq!(json["flips"][0]["before"]["allow"], true);
    // An archive file that no longer hashes to its name is not replayable.
    let archive = dir.path().join(".gatekeeper/facts");
    let file = std::fs::read_dir(&archive)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.push(b'\n');
    std::fs::write(&file, bytes).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&run().stdout).unwrap();
    assert_eq!(json["flips"][0]["class"], "not_replayable", "{json}");
    assert!(
        json["flips"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("digest mismatch")
    );
}

#[test]
fn a_candidate_that_does_not_load_is_exit_2_never_no_impact() {
    let candidate = edited_policies("settings.rego", &[("freezes := []", "freezes := [")]);
    let out = impact_cmd()
        .arg("--policies")
        .arg(candidate.path())
        .output()
        .unwrap();
    assert_exit!(out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the candidate policies"), "{stderr}");
}

/// A git repo on `main` whose one commit holds a copy of the shipped policies, and
/// their directory in it.
fn policies_repo() -> (tempfile::TempDir, std::path::PathBuf) {
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| crate::support::git::git(repo.path(), args);
    git(&["init", "-q", "-b", "main"]);
    let policies = repo.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    for entry in std::fs::read_dir(crate::support::policies()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, policies.join(path.file_name().unwrap())).unwrap();
    }
    git(&["add", "."]);
    git(&["commit", "-qm", "policies"]);
    (repo, policies)
}

#[test]
fn the_base_comes_from_a_git_ref_or_the_merge_base_with_the_base_branch() {
    let (repo, policies) = policies_repo();
    let git = |args: &[&str]| crate::support::git::git(repo.path(), args);
    git(&["checkout", "-qb", "raise-limit"]);
    let settings = policies.join("settings.rego");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        text.replace(
            "throughput_limit_rpm := 15000",
            "throughput_limit_rpm := 20000",
        ),
    )
    .unwrap();
    let busy = crate::support::fixture("facts/too-busy.json");
    for base in [&["--base", "main"][..], &[]] {
        let out = crate::support::gatekeeper_in(repo.path())
            .args(["policy", "impact", "--format", "json", "--facts"])
            .arg(&busy)
            .args(base)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_exit!(out, 1, "{base:?}: {stderr}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["flips"][0]["class"], "loosened", "{json}");
        let label = json["base"]["ref"].as_str().unwrap();
        assert!(
            label == "main" || label.starts_with("merge-base of HEAD and main"),
            "{label}"
        );
    }
}

/// The base is read with the `git` the config names, and that git (a local,
/// read-only question) never sees a secret: not the config's token variables, not
/// the signing key.
#[test]
fn the_base_is_read_by_the_configs_git_without_a_secret() {
    let (repo, policies) = policies_repo();
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("env.log");
    let wrapper = bin.path().join("git");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nenv >> {:?}\nexec git \"$@\"\n",
            log.display().to_string()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let config = std::fs::read_to_string(crate::support::root().join("gatekeeper.toml"))
        .unwrap()
        .replace(
            "policies = \"policies\"",
            &format!("policies = {:?}", policies.display().to_string()),
        )
        + &format!("\n[programs]\ngit = {:?}\n", wrapper.display().to_string());
    let config_file = repo.path().join("gatekeeper.toml");
    std::fs::write(&config_file, config).unwrap();
    let out = crate::support::gatekeeper_in(repo.path())
        .args([
            "policy", "impact", "--format", "json", "--base", "main", "--config",
        ])
        .arg(&config_file)
        .arg("--facts")
        .arg(crate::support::fixture("facts/green.json"))
        .env("GITHUB_TOKEN", "ghp_leaky0123456789")
        .env("GATEKEEPER_SIGNING_KEY", "-----BEGIN PRIVATE KEY-----leaky")
        .output()
        .unwrap();
    assert_exit!(out, 0, "{}", String::from_utf8_lossy(&out.stderr));
    let seen = std::fs::read_to_string(&log).unwrap();
    assert!(seen.contains("PATH="), "the config's git ran: {seen}");
    assert!(!seen.contains("leaky"), "a secret reached git: {seen}");
}

#[test]
fn a_shadow_set_that_denies_leaves_exit_code_and_stdout_unchanged() {
    let shadow = edited_policies(
        "settings.rego",
        &[(
            "throughput_limit_rpm := 15000",
            "throughput_limit_rpm := 5000",
        )],
    );
    let plain = config_dir("");
    let shadowed = config_dir(&format!(
        "shadow_policies = {:?}",
        shadow.path().display().to_string()
    ));
    let (without, with) = (check_green(plain.path()), check_green(shadowed.path()));
    assert_exit!(without, 0);
    assert_exit!(with, 0, "the shadow never decides");
    assert_eq!(with.stdout, without.stdout, "nor changes what is printed");
    let stderr = String::from_utf8_lossy(&with.stderr);
    assert!(
        stderr.contains("shadow policies would DENY (throughput)"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.contains("shadow")).count(),
        1,
        "{stderr}"
    );
    let record = &audit_checks(shadowed.path())[0];
    assert_eq!(record["decision"], "allow");
    assert_eq!(record["shadow"]["allow"], false);
    assert_eq!(
        record["shadow"]["failing"],
        serde_json::json!(["throughput"])
    );
    assert_eq!(
        record["shadow"]["policies_sha256"].as_str().unwrap().len(),
        64
    );
    assert!(audit_checks(plain.path())[0].get("shadow").is_none());

    // Over the archive, the shadow set disagreed with the real decision.
    let out = crate::support::gatekeeper_in(shadowed.path())
        .args([
            "policy",
            "impact",
            "--shadow",
            "--format",
            "json",
            "--base-dir",
        ])
        .arg(crate::support::policies())
        .output()
        .unwrap();
    assert_exit!(out, 0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &json["shadow"];
    assert_eq!(
        (s["compared"].as_u64(), s["agreed"].as_u64()),
        (Some(1), Some(0)),
        "{s}"
    );
    assert_eq!(
        (s["recorded"].as_u64(), s["recorded_agreed"].as_u64()),
        (Some(1), Some(0)),
        "{s}"
    );
}

#[test]
fn an_advisory_check_is_shown_as_advisory_in_every_format_and_never_denies() {
    let policies = edited_policies(
        "settings.rego",
        &[("advisory := set()", r#"advisory := {"throughput"}"#)],
    );
    let run = |format: &str| {
        let out = gatekeeper()
            .args([
                "check",
                "production",
                "--config",
                "no-such-config.toml",
                "--format",
                format,
                "--facts",
            ])
            .arg(crate::support::fixture("facts/too-busy.json"))
            .arg("--policies")
            .arg(policies.path())
            .output()
            .unwrap();
        assert_exit!(out, 0, "{format}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["allow"], true);
    let throughput = crate::support::check(&json, "throughput");
    assert_eq!(throughput["status"], "fail");
    assert_eq!(throughput["advisory"], true);
    for format in ["table", "markdown", "junit", "github"] {
        assert!(run(format).contains("advisory"), "{format}");
    }
    // Tests and approval can never be advisory.
    let bad = edited_policies(
        "settings.rego",
        &[("advisory := set()", r#"advisory := {"tests"}"#)],
    );
    let out = gatekeeper()
        .args([
            "check",
            "production",
            "--config",
            "no-such-config.toml",
            "--facts",
        ])
        .arg(crate::support::fixture("facts/green.json"))
        .arg("--policies")
        .arg(bad.path())
        .output()
        .unwrap();
    assert_exit!(out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("advisory"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_archive_is_shared_through_a_ref_on_the_deploy_remote() {
    use crate::support::world::World;
    let w = World::new(false).await;
    let release = &w.release;
    let agent = w.machine();
    let laptop = w.another_machine("laptop");
    let bytes = br#"{"schema":3,"target":"production"}"#;
    let name = format!("sha256-{}.json", sha256_hex(bytes));
    let agent_archive = agent.work.join(".gatekeeper/facts");
    std::fs::create_dir_all(&agent_archive).unwrap();
    std::fs::write(agent_archive.join(&name), bytes).unwrap();

    let out = w
        .on(&agent, "jenkins", &["archive", "push", "production"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_exit!(out, 0);
    assert!(stdout.contains("pushed 1 facts documents"), "{stdout}");
    let listed = crate::support::git::git(
        &release.deploy_remote,
        &["ls-tree", "--name-only", "refs/gatekeeper/facts/production"],
    );
    assert_eq!(listed.trim(), name);

    let out = w
        .on(&laptop, "tim", &["archive", "pull", "production"])
        .output()
        .unwrap();
    assert_exit!(out, 0);
    let pulled = std::fs::read(laptop.work.join(".gatekeeper/facts").join(&name)).unwrap();
    assert_eq!(pulled, bytes);
    // Pushing again adds nothing and keeps what is there.
    let out = w
        .on(&agent, "jenkins", &["archive", "push", "production"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("pushed 0 facts documents to refs/gatekeeper/facts/production")
    );
}

#[test]
fn a_document_a_side_cannot_decide_is_undecided_with_the_reason() {
    let candidate = edited_policies(
        "throughput.rego",
        &[(
            "throughput_failures contains msg if {\n\tnot limit_numeric(settings)",
            "throughput_failures contains msg if {\n\tinput.throughput.rpm > 17000\n\tmsg := sprintf(\"%v\", [to_number(\"not a number\")])\n}\n\nthroughput_failures contains msg if {\n\tnot limit_numeric(settings)",
        )],
    );
    let (code, stdout) = impact(candidate.path(), &["--format", "json"]);
    assert_exit!(code, 0, "undecided is not a loosening");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        flips_by_source(&json),
        [("too-busy.json".to_owned(), "undecided".to_owned())]
    );
    assert!(
        json["flips"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("candidate: ")
    );
    assert_exit!(impact(candidate.path(), &["--fail-on", "any"]).0, 1);
}
