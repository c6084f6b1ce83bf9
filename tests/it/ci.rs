//! CI conventions: `--format github` annotations, `GITHUB_OUTPUT`, several reports in
//! one run with `--report`, and the table's width in logs and terminals.

use crate::support::{fixture, gatekeeper, gatekeeper_in, root};

fn facts(name: &str) -> String {
    fixture(&format!("facts/{name}.json")).display().to_string()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn github_format_annotates_each_failing_check_and_the_verdict_exits_1() {
    let out = gatekeeper()
        .args(["check", "production", "--format", "github", "--facts"])
        .arg(facts("migrations-weekday-no-notice"))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 1);
    let text = stdout(&out);
    let errors: Vec<_> = text.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 2, "{text}");
    assert!(
        errors[0].starts_with(
            "::error title=gatekeeper production%3A Window outside live teaching hours (teaching_hours)::"
        ),
        "{text}"
    );
    assert!(
        errors[1].contains("(downtime_notice)::no downtime notice for production"),
        "{text}"
    );
    assert!(!text.contains("::notice"), "{text}");
    // Every line is one workflow command or plain text: no detail breaks a line.
    assert_eq!(text.lines().count(), 3, "{text}");
}

#[test]
fn github_format_notes_an_allow() {
    let out = gatekeeper()
        .args(["check", "production", "--format", "github", "--facts"])
        .arg(facts("green"))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    assert_eq!(
        stdout(&out),
        "::notice title=gatekeeper production::ALLOW production (zero-downtime deploy), evaluated at 2026-11-24T19:00:00Z\n"
    );
}

#[test]
fn github_format_escapes_an_override_reason_by_the_workflow_command_rules() {
    let out = gatekeeper()
        .env("USER", "tim")
        .args(["check", "production", "--format", "github", "--facts"])
        .arg(facts("too-busy"))
        .args([
            "--override",
            "throughput",
            "--reason",
            "100% sure\n::error::fake",
        ])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    let text = stdout(&out);
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("::warning title="), "{text}");
    assert!(
        lines[0].contains("::overridden by tim: 100%25 sure%0A::error::fake (the check failed: "),
        "{text}"
    );
    assert!(lines[1].starts_with("::notice "), "{text}");
}

#[test]
fn github_format_on_exit_2_annotates_why_no_decision_was_made() {
    let out = gatekeeper()
        .args(["check", "production", "--format", "github", "--facts"])
        .arg(root().join("no-such-facts.json"))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    let text = stdout(&out);
    assert!(
        text.starts_with("::error title=gatekeeper production::no decision could be made: "),
        "{text}"
    );
    assert!(text.contains("no-such-facts.json"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn on_exit_2_github_output_says_allow_false_and_stale_reports_go() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("output.txt");
    let stale = dir.path().join("decision.json");
    std::fs::write(&stale, "{\"allow\": true}").unwrap();
    let out = gatekeeper()
        .env("GITHUB_OUTPUT", &outputs)
        .args(["check", "production", "--facts"])
        .arg(dir.path().join("no-such-facts.json"))
        .arg("--report")
        .arg(format!("json={}", stale.display()))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        "allow=false\nundecided=true\n"
    );
    assert!(
        !stale.exists(),
        "a passing decision from an earlier run must not stand"
    );
    // Only a regular file goes: a link (or a device) named as the output stays.
    let target = dir.path().join("kept.json");
    std::fs::write(&target, "{}").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = gatekeeper()
        .args(["check", "production", "--format", "json", "--facts"])
        .arg(dir.path().join("no-such-facts.json"))
        .arg("--output")
        .arg(&link)
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    assert!(link.symlink_metadata().is_ok() && target.exists());
}

#[test]
fn github_output_gets_allow_downtime_and_failed_checks_whatever_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("output.txt");
    std::fs::write(&outputs, "earlier=1\n").unwrap();
    let out = gatekeeper()
        .env("GITHUB_OUTPUT", &outputs)
        .args(["check", "production", "--facts"])
        .arg(facts("migrations-weekday-no-notice"))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 1);
    assert!(stdout(&out).starts_with("DENY production"));
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        "earlier=1\nallow=false\ndowntime=true\nfailed_checks=teaching_hours,downtime_notice\n"
    );

    std::fs::write(&outputs, "").unwrap();
    let out = gatekeeper()
        .env("GITHUB_OUTPUT", &outputs)
        .env("USER", "tim")
        .args(["check", "production", "--format", "json", "--facts"])
        .arg(facts("too-busy"))
        .args([
            "--override",
            "throughput",
            "--reason",
            "agent double-counts",
        ])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        "allow=true\ndowntime=false\nfailed_checks=\n"
    );
}

#[test]
fn reports_write_several_formats_in_one_run_while_the_terminal_keeps_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = gatekeeper_in(dir.path())
        .args(["check", "production", "--facts"])
        .arg(facts("too-busy"))
        .arg("--policies")
        .arg(root().join("policies"))
        .args([
            "--report",
            "junit=reports/gate.xml",
            "--report",
            "json=reports/gate.json",
            "--report",
            "MARKDOWN=gate.md",
            "--report",
            "github=gate.github",
        ])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 1);
    assert!(stdout(&out).starts_with("DENY production (zero-downtime deploy)"));
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    let xml = read("reports/gate.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().attribute("failures"), Some("1"));
    let json: serde_json::Value = serde_json::from_str(&read("reports/gate.json")).unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["allow"], false);
    assert!(read("gate.md").starts_with("### ❌ DENY: production"));
    assert!(read("gate.github").starts_with("::error title="));
}

#[test]
fn a_report_without_a_known_format_and_a_file_is_refused_with_exit_2() {
    for bad in ["xml=gate.xml", "junit", "junit="] {
        let out = gatekeeper()
            .args(["check", "production", "--facts"])
            .arg(facts("green"))
            .args(["--report", bad])
            .output()
            .unwrap();
        crate::support::assert_exit!(out, 2);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("FORMAT") || stderr.contains("format"),
            "{stderr}"
        );
    }
}

/// The display width of the widest line.
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn the_table_wraps_to_80_columns_without_colour() {
    let out = gatekeeper()
        .env("COLUMNS", "80")
        .args(["check", "production", "--facts"])
        .arg(facts("migrations-weekday-no-notice"))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 1);
    let text = stdout(&out);
    assert!(!text.contains('\x1b'), "{text}");
    let table: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert_eq!(widest(&table), 80, "{text}");
    insta::assert_snapshot!("table_80_columns_no_color", text);
}

#[test]
fn off_a_terminal_without_columns_the_table_wraps_to_120() {
    for columns in [None, Some("0"), Some("wide")] {
        let mut cmd = gatekeeper();
        if let Some(c) = columns {
            cmd.env("COLUMNS", c);
        }
        let out = cmd
            .args(["check", "production", "--facts"])
            .arg(facts("migrations-weekday-no-notice"))
            .output()
            .unwrap();
        let text = stdout(&out);
        let table: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert_eq!(widest(&table), 120, "COLUMNS={columns:?}\n{text}");
    }
}

/// `check` on a pseudo-terminal (util-linux `script`) without colour, after `setup`
/// (e.g. `stty cols 72`); `script` with no terminal of its own gives a 0×0 one.
fn table_at_terminal(setup: &str, columns: Option<&str>) -> String {
    let bin = assert_cmd::cargo::cargo_bin("gatekeeper");
    let line = format!(
        "{setup} {} check production --facts {}",
        bin.display(),
        facts("migrations-weekday-no-notice")
    );
    let mut cmd = crate::support::program_in("script", &root());
    cmd.args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::null());
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    let out = cmd.output().expect("util-linux script runs");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(text.contains("DENY production"), "{text}");
    assert!(!text.contains('\x1b'), "NO_COLOR: {text:?}");
    text.lines()
        .skip_while(|l| !l.starts_with('┌'))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn on_a_terminal_the_table_wraps_to_its_width_without_colour_too() {
    assert_eq!(
        widest(&table_at_terminal("stty cols 72 rows 40;", None)),
        72
    );
}

#[test]
fn a_terminal_of_zero_width_falls_back_to_columns_then_100() {
    assert_eq!(
        widest(&table_at_terminal("stty cols 0 rows 0;", Some("90"))),
        90
    );
    assert_eq!(widest(&table_at_terminal("stty cols 0 rows 0;", None)), 100);
}
