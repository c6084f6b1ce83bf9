//! `check --format junit|markdown`, `--output`, and the GitHub step summary.

use crate::support::assert_exit;
use crate::support::{fixture, gatekeeper, gatekeeper_in, root};

fn facts(name: &str) -> String {
    fixture(&format!("facts/{name}.json")).display().to_string()
}

fn run(args: &[&str]) -> (i32, String) {
    let out = gatekeeper().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// `check` on a recorded facts document with tim's break-glass override of one check.
fn run_overridden(name: &str, check: &str, format: &str) -> (i32, String) {
    let out = gatekeeper()
        .env("USER", "tim")
        .args([
            "check",
            "production",
            "--facts",
            &facts(name),
            "--format",
            format,
        ])
        .args([
            "--override",
            check,
            "--reason",
            "New Relic | agent double-counts\nsince 2.3",
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// The attribute of an element, as a number.
fn count(node: roxmltree::Node, attr: &str) -> u64 {
    node.attribute(attr)
        .unwrap_or_else(|| panic!("<{}> has no {attr}", node.tag_name().name()))
        .parse()
        .unwrap()
}

fn element<'a, 'i>(doc: &'a roxmltree::Document<'i>, name: &str) -> roxmltree::Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.has_tag_name(name))
        .unwrap_or_else(|| panic!("no <{name}>"))
}

fn testcases<'a, 'i>(doc: &'a roxmltree::Document<'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect()
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(name))
}

#[test]
fn junit_of_an_allow_has_one_testcase_per_check_and_the_schema_counts() {
    let (code, xml) = run(&[
        "check",
        "production",
        "--facts",
        &facts("green"),
        "--format",
        "junit",
    ]);
    assert_exit!(code, 0, "{xml}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suite = element(&doc, "testsuite");
    assert_eq!(suite.attribute("name"), Some("production"));
    assert_eq!(count(suite, "tests"), 8);
    assert_eq!(count(suite, "failures"), 0);
    assert_eq!(count(suite, "skipped"), 2);
    assert_eq!(count(suite, "errors"), 0);
    let cases = testcases(&doc);
    let names: Vec<_> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(
        names,
        [
            "tests",
            "release_dependencies",
            "approval",
            "throughput",
            "teaching_hours",
            "downtime_notice",
            "freeze",
            "no_open_incident"
        ]
    );
    for case in &cases {
        assert_eq!(case.attribute("classname"), Some("gatekeeper.production"));
    }
    let skipped: Vec<_> = cases
        .iter()
        .filter(|c| child(**c, "skipped").is_some())
        .map(|c| c.attribute("name").unwrap())
        .collect();
    assert_eq!(skipped, ["teaching_hours", "downtime_notice"]);
    let skip = child(cases[4], "skipped").unwrap();
    assert!(
        skip.attribute("message")
            .unwrap()
            .contains("not a downtime deploy")
    );
}

#[test]
fn junit_of_a_deny_has_a_failure_per_failing_check_with_the_detail_as_message() {
    let (code, xml) = run(&[
        "check",
        "production",
        "--facts",
        &facts("migrations-weekday-no-notice"),
        "--format",
        "junit",
    ]);
    assert_exit!(code, 1, "{xml}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(count(doc.root_element(), "failures"), 2);
    assert_eq!(count(element(&doc, "testsuite"), "failures"), 2);
    let failed: Vec<_> = testcases(&doc)
        .into_iter()
        .filter_map(|c| child(c, "failure").map(|f| (c.attribute("name").unwrap(), f)))
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].0, "teaching_hours");
    assert!(
        failed[0]
            .1
            .attribute("message")
            .unwrap()
            .contains("Tuesday 2026-11-24, 14:00 to 15:00 EST, overlaps live teaching hours")
    );
    assert_eq!(failed[1].0, "downtime_notice");
    assert!(
        failed[1]
            .1
            .attribute("message")
            .unwrap()
            .contains("no downtime notice for production")
    );
}

#[test]
fn junit_reports_an_overridden_check_as_skipped_naming_who_and_why_so_the_build_stays_green() {
    let (code, xml) = run_overridden("too-busy", "throughput", "junit");
    assert_exit!(code, 0, "an overridden throughput allows: {xml}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    // Jenkins marks a build UNSTABLE on any failure or error: there must be none.
    for node in [doc.root_element(), element(&doc, "testsuite")] {
        assert_eq!(count(node, "failures"), 0, "{xml}");
        assert_eq!(count(node, "errors"), 0, "{xml}");
    }
    let case = testcases(&doc)
        .into_iter()
        .find(|c| c.attribute("name") == Some("throughput"))
        .unwrap();
    assert!(child(case, "failure").is_none(), "{xml}");
    let skipped = child(case, "skipped").unwrap();
    assert_eq!(skipped.attribute("type"), Some("overridden"));
    let message = skipped.attribute("message").unwrap();
    assert!(message.contains("overridden by tim"), "{message}");
    assert!(message.contains("agent double-counts"), "{message}");
    assert!(message.contains("rpm"), "{message}");
}

#[test]
fn junit_carries_time_on_testsuites_testsuite_and_every_testcase() {
    let (_, xml) = run(&[
        "check",
        "production",
        "--facts",
        &facts("too-busy"),
        "--format",
        "junit",
    ]);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let mut timed: Vec<_> = vec![doc.root_element(), element(&doc, "testsuite")];
    timed.extend(testcases(&doc));
    assert_eq!(timed.len(), 10);
    for node in timed {
        let time = node
            .attribute("time")
            .unwrap_or_else(|| panic!("<{}> has no time", node.tag_name().name()));
        let seconds: f64 = time.parse().unwrap();
        assert!(seconds >= 0.0, "{time}");
    }
}

#[test]
fn junit_reports_a_check_failed_for_want_of_data_as_an_error_and_a_real_deny_as_a_failure() {
    // Jenkins and New Relic down: the checks that need them fail with the source's reason.
    let (code, xml) = run(&[
        "check",
        "production",
        "--facts",
        &facts("source-down"),
        "--format",
        "junit",
    ]);
    assert_exit!(code, 1, "a source that is down denies: {xml}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suite = element(&doc, "testsuite");
    assert_eq!(count(suite, "errors"), 3, "{xml}");
    assert_eq!(count(suite, "failures"), 0, "{xml}");
    let errored: Vec<_> = testcases(&doc)
        .into_iter()
        .filter_map(|c| child(c, "error").map(|e| (c.attribute("name").unwrap(), e)))
        .collect();
    let names: Vec<_> = errored.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["tests", "throughput", "no_open_incident"]);
    for (_, error) in &errored {
        assert_eq!(error.attribute("type"), Some("source_error"));
    }
    assert!(
        errored[1]
            .1
            .attribute("message")
            .unwrap()
            .contains("NerdGraph answered 401")
    );

    // Too busy: New Relic answered, and the answer denies.
    let (code, xml) = run(&[
        "check",
        "production",
        "--facts",
        &facts("too-busy"),
        "--format",
        "junit",
    ]);
    assert_exit!(code, 1);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suite = element(&doc, "testsuite");
    assert_eq!(count(suite, "errors"), 0, "{xml}");
    assert_eq!(count(suite, "failures"), 1, "{xml}");
    let case = testcases(&doc)
        .into_iter()
        .find(|c| c.attribute("name") == Some("throughput"))
        .unwrap();
    assert_eq!(
        child(case, "failure").unwrap().attribute("type"),
        Some("fail")
    );
}

#[test]
fn junit_on_exit_2_still_writes_a_report_whose_one_error_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out/gate.xml");
    let report = dir.path().join("report/gate.xml");
    let missing = dir.path().join("no-such-facts.json");
    let out = gatekeeper()
        .args(["check", "production", "--format", "junit", "--facts"])
        .arg(&missing)
        .arg("--output")
        .arg(&output)
        .arg("--report")
        .arg(format!("junit={}", report.display()))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("no-such-facts.json"), "{stderr}");
    for file in [&output, &report] {
        let xml = std::fs::read_to_string(file).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert_eq!(count(doc.root_element(), "errors"), 1, "{xml}");
        assert_eq!(count(doc.root_element(), "failures"), 0, "{xml}");
        let cases = testcases(&doc);
        assert_eq!(cases.len(), 1, "{xml}");
        assert_eq!(cases[0].attribute("name"), Some("decision"));
        assert_eq!(
            cases[0].attribute("classname"),
            Some("gatekeeper.production")
        );
        assert!(cases[0].attribute("time").is_some(), "{xml}");
        let error = child(cases[0], "error").unwrap();
        assert_eq!(error.attribute("type"), Some("undecided"));
        let message = error.attribute("message").unwrap();
        assert!(
            message.starts_with("no decision could be made: "),
            "{message}"
        );
        assert!(message.contains("no-such-facts.json"), "{message}");
    }

    // To stdout too, when that is where the JUnit goes.
    let out = gatekeeper()
        .args(["check", "production", "--format", "junit", "--facts"])
        .arg(&missing)
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    let xml = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(count(element(&doc, "testsuite"), "errors"), 1, "{xml}");
}

#[test]
fn junit_is_not_written_on_exit_2_when_no_junit_was_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let out = gatekeeper_in(dir.path())
        .args([
            "check",
            "production",
            "--format",
            "json",
            "--facts",
            "missing.json",
        ])
        .arg("--report")
        .arg("markdown=gate.md")
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn markdown_of_a_deny() {
    let (code, md) = run(&[
        "check",
        "production",
        "--facts",
        &facts("migrations-weekday-no-notice"),
        "--format",
        "markdown",
    ]);
    assert_exit!(code, 1);
    assert!(md.starts_with("### ❌ DENY: production"), "{md}");
    insta::assert_snapshot!("markdown_deny", md);
}

#[test]
fn markdown_of_an_override_escapes_pipes_and_newlines_in_cells() {
    let (code, md) = run_overridden("too-busy", "throughput", "markdown");
    assert_exit!(code, 0);
    let row = md
        .lines()
        .find(|l| l.contains("overridden |"))
        .unwrap_or_else(|| panic!("no overridden row in\n{md}"));
    assert!(
        row.contains("**Overridden by tim:** New Relic \\| agent double-counts<br>since 2.3"),
        "{row}"
    );
    // Every table row still has exactly four unescaped separators (three cells).
    for line in md.lines().filter(|l| l.starts_with('|')) {
        let bars = line.replace("\\|", "").matches('|').count();
        assert_eq!(bars, 4, "{line}");
    }
    insta::assert_snapshot!("markdown_override", md);
}

#[test]
fn output_file_gets_the_format_while_the_terminal_gets_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reports/gate.xml");
    let out = gatekeeper()
        .args(["check", "production", "--facts", &facts("too-busy")])
        .args(["--format", "junit", "--output"])
        .arg(&file)
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 1);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("DENY production"), "{stdout}");
    let xml = std::fs::read_to_string(&file).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(count(element(&doc, "testsuite"), "failures"), 1);
}

#[test]
fn step_summary_gets_the_markdown_appended_and_a_deny_still_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# Earlier step\n").unwrap();
    let out = gatekeeper_in(&root())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["check", "production", "--facts", &facts("too-busy")])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 1);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("# Earlier step\n### ❌ DENY: production"),
        "{text}"
    );
    assert!(
        text.contains("| ❌ fail | New Relic throughput under 15000 rpm |"),
        "{text}"
    );
}

#[test]
fn without_step_summary_nothing_is_written_but_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = gatekeeper_in(dir.path())
        .args(["check", "production", "--facts", &facts("green")])
        .arg("--policies")
        .arg(root().join("policies"))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
