//! `check --explain`: under the table, each failing check's evidence (the facts the
//! policy judged) and where those facts came from, then what the policies printed.

use serde_json::Value;

use crate::decision::{Decision, Status};

/// Where the facts behind each shipped check come from.
fn sources_of(id: &str) -> &'static str {
    match id {
        "tests" => {
            "Jenkins lastCompletedBuild of each job; GitHub release branch heads and their compare with the base branch"
        }
        "release_dependencies" => "GitHub release pull request bodies (Dependencies task list)",
        "approval" => "GitHub pull request reviews",
        "throughput" => "New Relic NRQL (requests per minute)",
        "teaching_hours" => "the planned window (--start/--minutes) and policies/settings.rego",
        "downtime_notice" => "GitHub downtime-notice issues and their comments; the planned window",
        "freeze" => "policies/settings.rego freezes; the planned window",
        _ => "the facts document (gatekeeper facts TARGET)",
    }
}

pub fn render(decision: &Decision, prints: &[String]) -> String {
    let mut out = String::new();
    let failing: Vec<_> = decision
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .collect();
    if failing.is_empty() {
        out.push_str("\nNo check fails.\n");
    } else {
        out.push_str("\nWhy:\n");
    }
    for check in failing {
        out.push_str(&format!("- {}, from {}\n", check.id, sources_of(&check.id)));
        if let Some(o) = &check.overridden {
            out.push_str(&format!("  overridden by {}: {}\n", o.by, o.reason));
        }
        for line in evidence_lines(check.evidence.as_ref()) {
            out.push_str("    ");
            out.push_str(&line);
            out.push('\n');
        }
    }
    if !prints.is_empty() {
        out.push_str("\nPolicy print() output:\n");
        for line in prints {
            out.push_str(&format!("  {line}\n"));
        }
    }
    super::sanitize(&out)
}

/// One short line per fact: `key: value` for an object, one item a line for an array.
fn evidence_lines(evidence: Option<&Value>) -> Vec<String> {
    let compact = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    match evidence {
        None => vec!["(the policy gave no evidence)".to_owned()],
        Some(Value::Object(map)) if !map.is_empty() => map
            .iter()
            .map(|(key, value)| format!("{key}: {}", compact(value)))
            .collect(),
        Some(Value::Array(items)) if !items.is_empty() => items.iter().map(compact).collect(),
        Some(Value::Object(_) | Value::Array(_)) => vec!["(none)".to_owned()],
        Some(other) => vec![compact(other)],
    }
}
