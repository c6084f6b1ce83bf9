//! What gatekeeper prints is safe in CI by construction, through the binary: a
//! release note line that reads as a workflow command (`##[…]` anywhere, `::…::` at
//! a line's start) is neutralised in every format; in GitHub Actions the output is
//! printed between `::stop-commands::<token>` and `::<token>::`; markdown shows a
//! source's images and links as text; JUnit stays well-formed XML whatever code
//! points a source sends; and a `--report` or `--output` never replaces the audit log.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::assert_exit;
use crate::support::server::{self, GREEN_AT, Services};
use crate::support::{fixture, gatekeeper, gatekeeper_in};

const COMMAND: &str = "##[notice title=gate]ALLOW production";
const LINE_START: &str = "::warning title=gate::ALLOW production";
const MARKDOWN: &str =
    "![ALLOW](https://img.shields.io/badge/gate-ALLOW-green) [approved](https://evil.example/ok)";
const NON_XML: &str = "bad \u{fffe} and \u{ffff} here";

/// The green facts with unticked dependencies whose text is hostile, in `dir`.
fn hostile_facts(dir: &Path) -> PathBuf {
    let mut facts: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("facts/green.json")).unwrap())
            .unwrap();
    let deps = &mut facts["repos"][0]["pull_requests"][0]["dependencies"];
    for text in [COMMAND, LINE_START, MARKDOWN, NON_XML] {
        deps.as_array_mut()
            .unwrap()
            .push(serde_json::json!({"text": text, "done": false, "task": true}));
    }
    let path = dir.join("hostile.json");
    std::fs::write(&path, serde_json::to_string_pretty(&facts).unwrap()).unwrap();
    path
}

/// No line that starts (after blanks) with `::` and no `##[` anywhere.
fn assert_no_command(format: &str, text: &str) {
    assert!(!text.contains("##["), "{format}: {text}");
    for line in text.lines() {
        assert!(!line.trim_start().starts_with("::"), "{format}: {line}");
    }
}

fn check(facts: &Path, format: &str) -> assert_cmd::Command {
    let mut cmd = gatekeeper();
    cmd.args(["check", "production", "--format", format, "--facts"])
        .arg(facts)
        .env("COLUMNS", "400");
    cmd
}

#[test]
fn source_text_never_reads_as_a_workflow_command_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let facts = hostile_facts(dir.path());
    for format in ["table", "markdown", "json", "junit"] {
        let out = check(&facts, format).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_exit!(out, 1, "{format}: {stdout}");
        assert_no_command(format, &stdout);
    }
    // JSON says the same as before: only written differently.
    let out = check(&facts, "json").output().unwrap();
    let decision: Value = serde_json::from_slice(&out.stdout).unwrap();
    let details: Vec<&str> = decision["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["detail"].as_str())
        .collect();
    assert!(details.iter().any(|d| d.contains(COMMAND)), "{details:?}");
}

#[tokio::test]
async fn facts_from_a_hostile_release_note_never_read_as_a_workflow_command() {
    let services = server::start_green().await;
    services.edit_release(server::APANGEA, |repo| {
        repo["pullRequests"]["nodes"][0]["body"] = Value::String(format!(
            "## Dependencies\n\n- [ ] {COMMAND}\n- [ ] x\n{LINE_START}\n"
        ));
    });
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
    assert_no_command("facts", &stdout);
    // The same facts, only written differently.
    let facts: Value = serde_json::from_str(&stdout).unwrap();
    assert!(facts.to_string().contains(COMMAND), "{stdout}");
}

#[test]
fn in_github_actions_every_format_prints_between_stop_commands() {
    let dir = tempfile::tempdir().unwrap();
    let facts = hostile_facts(dir.path());
    for format in ["table", "markdown", "json", "junit"] {
        let out = check(&facts, format)
            .env("GITHUB_ACTIONS", "true")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        let token = lines[0]
            .strip_prefix("::stop-commands::")
            .unwrap_or_else(|| panic!("{format}: {stdout}"));
        assert!(
            token.len() >= 32 && token.chars().all(|c| c.is_ascii_hexdigit()),
            "{token}"
        );
        assert_eq!(lines.last().unwrap(), &format!("::{token}::"), "{format}");
        let inside = &lines[1..lines.len() - 1];
        assert!(
            inside.iter().all(|l| !l.contains(token)),
            "{format}: {stdout}"
        );
        assert_no_command(format, &inside.join("\n"));
    }
    // A fresh token each run.
    let tokens: Vec<String> = (0..2)
        .map(|_| {
            let out = check(&facts, "table")
                .env("GITHUB_ACTIONS", "true")
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_ne!(tokens[0], tokens[1]);
    // `--format github` is made of commands: they stay commands.
    let out = check(&facts, "github")
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("::error "), "{stdout}");
    assert!(!stdout.contains("::stop-commands::"), "{stdout}");
}

#[test]
fn markdown_and_the_step_summary_show_a_sources_images_and_links_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let facts = hostile_facts(dir.path());
    let summary = dir.path().join("summary.md");
    let out = check(&facts, "markdown")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let written = std::fs::read_to_string(&summary).unwrap();
    for text in [stdout.as_ref(), written.as_str()] {
        assert!(text.contains("DENY"), "{text}");
        for rendered in [
            "![ALLOW]",
            "[approved](",
            "](https://",
            "<img",
            "https://evil",
        ] {
            assert!(!text.contains(rendered), "{rendered} in {text}");
        }
        assert!(text.contains("\\!\\[ALLOW\\]"), "{text}");
    }
}

#[test]
fn junit_stays_well_formed_xml_whatever_code_points_a_source_sends() {
    let dir = tempfile::tempdir().unwrap();
    let facts = hostile_facts(dir.path());
    let report = dir.path().join("report.xml");
    let out = check(&facts, "junit")
        .arg("--report")
        .arg(format!("junit={}", report.display()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let written = std::fs::read_to_string(&report).unwrap();
    for xml in [stdout, written] {
        assert!(
            !xml.contains('\u{fffe}') && !xml.contains('\u{ffff}'),
            "{xml}"
        );
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
        assert_eq!(doc.root_element().tag_name().name(), "testsuites");
    }
}

/// The shipped config in `dir` with this repo's policies and the audit log at
/// `audit.jsonl`.
fn config_in(dir: &Path) {
    let text = std::fs::read_to_string(crate::support::root().join("gatekeeper.toml"))
        .unwrap()
        .replace(
            "policies = \"policies\"",
            &format!(
                "policies = {:?}",
                crate::support::policies().display().to_string()
            ),
        )
        .replace(
            "audit_log = \".gatekeeper/audit.jsonl\"",
            "audit_log = \"audit.jsonl\"",
        );
    std::fs::write(dir.join("gatekeeper.toml"), text).unwrap();
}

#[test]
fn a_report_or_output_never_replaces_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    config_in(dir.path());
    let audit = dir.path().join("audit.jsonl");
    std::fs::write(&audit, "{\"kind\":\"earlier\"}\n").unwrap();
    let link = dir.path().join("report.xml");
    std::os::unix::fs::symlink(&audit, &link).unwrap();
    let green = fixture("facts/green.json");
    let cases: [&[&str]; 3] = [
        &["--report", "junit=report.xml"],
        &["--output", "report.xml", "--format", "junit"],
        &["--output", "audit.jsonl", "--format", "json"],
    ];
    for extra in cases {
        let out = gatekeeper_in(dir.path())
            .args(["check", "production", "--facts"])
            .arg(&green)
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_exit!(out, 2, "{extra:?}: {stderr}");
        let log = std::fs::read_to_string(&audit).unwrap();
        assert!(
            log.starts_with("{\"kind\":\"earlier\"}\n"),
            "{extra:?}: {log}"
        );
        assert!(log.contains("\"kind\":\"check\""), "{extra:?}: {log}");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}
