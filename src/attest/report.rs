//! `gatekeeper attest verify`'s report, as a table or JSON. It reads a verified
//! [`Verification`], so it lives with `attest`.

use std::path::Path;

use crate::attest::verify::Verification;

/// A verified attestation for a person: what was signed, and passed or why not.
pub fn table(report: &Verification, file: &Path) -> String {
    let p = &report.statement.predicate;
    let mut text = format!(
        "{} {}: signature valid ({} key {}); the gate said {}\n",
        if report.passed() { "✔" } else { "✘" },
        file.display(),
        report.key_type,
        report.keyid,
        p.verification_result
    );
    let mut row = |k: &str, v: String| text.push_str(&format!("  {k:<10} {v}\n"));
    row(
        "target",
        format!("{} ({})", p.decision.target, p.resource_uri),
    );
    row(
        "verified",
        format!("{} ({} min ago)", p.time_verified, report.age_seconds / 60),
    );
    for s in &report.statement.subject {
        row(
            "subject",
            format!("{} = {}", s.name, s.git_commit().unwrap_or("?")),
        );
    }
    row(
        "policy",
        p.policy
            .digest
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    for input in &p.input_attestations {
        row(
            "facts",
            input
                .digest
                .iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    if report.recomputed {
        row("recomputed", "from the facts and policies given".to_owned());
    }
    if report.passed() {
        text.push_str("Passed.\n");
    } else {
        text.push_str("Refused:\n");
        for problem in &report.problems {
            text.push_str(&format!("  - {problem}\n"));
        }
    }
    text
}

/// A verified attestation as one JSON document.
pub fn json(report: &Verification) -> Result<String, serde_json::Error> {
    let p = &report.statement.predicate;
    let value = serde_json::json!({
        "passed": report.passed(),
        "signature": "valid",
        "keyid": report.keyid,
        "key_type": report.key_type,
        "verificationResult": p.verification_result,
        "target": p.decision.target,
        "resourceUri": p.resource_uri,
        "timeVerified": p.time_verified,
        "age_seconds": report.age_seconds,
        "subjects": report.statement.subject,
        "policy": p.policy,
        "inputAttestations": p.input_attestations,
        "recomputed": report.recomputed,
        "problems": report.problems,
    });
    serde_json::to_string_pretty(&value).map(|t| format!("{t}\n"))
}
