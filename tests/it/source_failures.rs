//! A source that is down is said once under the table, with the checks it affects,
//! however many checks and repos quote it; the JSON keeps every detail whole.

use crate::support::assert_exit;
use crate::support::{fixture, gatekeeper};

#[test]
fn each_distinct_source_failure_is_one_line_naming_the_checks_it_affects() {
    // Wide enough that no detail wraps: each reference is on one line.
    let out = gatekeeper()
        .env("COLUMNS", "400")
        .args(["check", "production", "--facts"])
        .arg(fixture("facts/source-down.json"))
        .output()
        .unwrap();
    assert_exit!(out, 1);
    let stdout = String::from_utf8(out.stdout).unwrap();
    // Two repos' builds at two URLs, one cause: one line.
    assert_eq!(
        stdout.matches("503 Service Unavailable").count(),
        1,
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "[1] jenkins: GET … answered 503 Service Unavailable (HTML from a proxy, not Jenkins), also on the retry (affects tests)\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("[2] newrelic: "), "{stdout}");
    assert!(
        stdout.contains("(affects throughput, no_open_incident)"),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("(jenkins failure [1], below)").count(),
        2,
        "{stdout}"
    );

    let out = gatekeeper()
        .args(["check", "production", "--format", "json", "--facts"])
        .arg(fixture("facts/source-down.json"))
        .output()
        .unwrap();
    let json = String::from_utf8(out.stdout).unwrap();
    assert_eq!(json.matches("503 Service Unavailable").count(), 2, "{json}");
}
