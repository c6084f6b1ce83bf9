//! Messages a person acts on: each said once, hints that work, only the formats a
//! command supports, unknown config keys named with the nearest known one, and an
//! override that was not needed.

use crate::support::ExitAssert;
use crate::support::{fixture, gatekeeper, gatekeeper_in, policies};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn an_os_error_is_printed_once() {
    // /dev/full answers every write with "No space left on device".
    let out = gatekeeper()
        .args(["check", "production", "--format", "json", "--facts"])
        .arg(fixture("facts/green.json"))
        .args(["--output", "/dev/full"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    let text = stderr(&out);
    assert!(text.contains("cannot write /dev/full"), "{text}");
    assert_eq!(text.matches("(os error 28)").count(), 1, "{text}");
}

#[test]
fn the_hint_for_a_missing_policy_dir_works_for_policy_test() {
    let dir = tempfile::tempdir().unwrap();
    let out = gatekeeper_in(dir.path())
        .args(["policy", "test"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    let text = stderr(&out);
    assert!(text.contains("`policy test DIR`"), "{text}");
    assert_eq!(text.matches("(os error 2)").count(), 1, "{text}");
    // Following the hint works.
    gatekeeper_in(dir.path())
        .args(["policy", "test"])
        .arg(policies())
        .assert()
        .exits(0);
}

#[test]
fn each_command_offers_only_the_formats_it_supports() {
    let help = |cmd: &[&str]| {
        let out = gatekeeper().args(cmd).arg("--help").output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    // The possible values of --format, one a line ("- NAME: what it is").
    let formats = |text: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| !l.trim_start().starts_with("--format"))
            .skip_while(|l| !l.contains("Possible values:"))
            .skip(1)
            .take_while(|l| l.trim_start().starts_with("- "))
            .map(|l| {
                let item = l.trim_start().trim_start_matches("- ");
                item.split(':').next().unwrap().to_owned()
            })
            .collect()
    };
    assert_eq!(
        formats(&help(&["window"])),
        ["table", "json", "markdown", "html"]
    );
    for cmd in [&["check"][..], &["deploy"]] {
        assert_eq!(
            formats(&help(cmd)),
            ["table", "json", "junit", "markdown", "github"],
            "{cmd:?}"
        );
    }
    let out = gatekeeper()
        .args(["window", "production", "--format", "junit"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
}

#[test]
fn every_unknown_config_key_is_named_with_the_nearest_known_key() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(crate::support::root().join("gatekeeper.toml")).unwrap();
    assert!(shipped.contains("timeout_seconds") && shipped.contains("window_minutes"));
    let config = shipped
        .replacen("timeout_seconds", "timeout_secs", 1)
        .replacen("window_minutes", "window_minuts", 1);
    std::fs::write(dir.path().join("gatekeeper.toml"), config).unwrap();
    let out = gatekeeper_in(dir.path())
        .args(["check", "production"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 2);
    let text = stderr(&out);
    assert!(!text.contains("not valid TOML"), "{text}");
    assert!(
        text.contains(
            "unknown key `timeout_secs` at the top level: did you mean `timeout_seconds`?"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "unknown key `newrelic.window_minuts` in [newrelic]: did you mean `window_minutes`?"
        ),
        "{text}"
    );
}

#[test]
fn an_override_of_a_passing_check_is_noted_as_not_needed() {
    let out = gatekeeper()
        .args(["check", "production", "--facts"])
        .arg(fixture("facts/green.json"))
        .args(["--override", "throughput", "--reason", "just in case"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    let text = stderr(&out);
    assert!(
        text.contains("note: --override throughput was not needed: the check passes"),
        "{text}"
    );
    // An override that was needed says nothing of the kind.
    let out = gatekeeper()
        .args(["check", "production", "--facts"])
        .arg(fixture("facts/too-busy.json"))
        .args([
            "--override",
            "throughput",
            "--reason",
            "agent double-counts",
        ])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    assert!(!stderr(&out).contains("not needed"), "{}", stderr(&out));
}
