//! Checking a signed decision: the envelope's signature by one public key, the
//! statement's types (anything else is malformed: exit 2), then what it says
//! against what is expected (its subjects, target, result and age: a valid
//! attestation about something else is a refusal, exit 1), and with the facts and
//! the policies at hand, the verdict recomputed. It reads the files it is given and
//! prints nothing.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use super::keys::PublicKey;
use super::statement::{self, PASSED, STATEMENT_TYPE, Statement, VSA_PREDICATE_TYPE};
use super::{AttestError, facts_sha256, policies_sha256};
use crate::facts::Facts;
use crate::policy::PolicySet;

/// How far ahead of this clock a verification time may be (clocks drift).
const FUTURE_SKEW: Duration = Duration::minutes(5);

/// What the attestation must be about.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// Commits that must each be among the subjects' `gitCommit` digests.
    pub subjects: Vec<String>,
    /// When set, the subjects must be exactly these (name, commit) pairs.
    pub exact_subjects: Option<Vec<(String, String)>>,
    pub target: Option<String>,
    /// When set, the predicate's `resourceUri` must be exactly this.
    pub resource_uri: Option<String>,
    pub max_age: Option<Duration>,
}

/// A verified attestation and whatever keeps it from being a pass here.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub keyid: String,
    pub key_type: &'static str,
    pub statement: Statement,
    pub time_verified: DateTime<Utc>,
    pub age_seconds: i64,
    /// Each reason it is refused (exit 1); empty: it passes (exit 0).
    pub problems: Vec<String>,
    /// The verdict was recomputed from the facts and policies given.
    pub recomputed: bool,
}

impl Verification {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies the envelope in `text` (read from `origin`) with `key`, then holds
/// what it says against `expect` at `now`. Malformed, badly signed or signed by
/// another key: an error. Valid: a report whose problems say what is refused.
pub fn verify(
    text: &str,
    origin: &str,
    key: &PublicKey,
    expect: &Expect,
    now: DateTime<Utc>,
) -> Result<Verification, AttestError> {
    let (statement, time_verified) = open(text, origin, key)?;
    let mut problems = claim_problems(&statement, expect);
    let age = now.signed_duration_since(time_verified);
    problems.extend(age_problems(&statement, expect, age, now));
    Ok(Verification {
        keyid: key.key_id(),
        key_type: key.key_type.as_str(),
        time_verified,
        age_seconds: age.num_seconds(),
        statement,
        problems,
        recomputed: false,
    })
}

/// The statement signed by `key` in the envelope `text` (from `origin`), held to
/// the shape gatekeeper writes, and when it was verified.
fn open(
    text: &str,
    origin: &str,
    key: &PublicKey,
) -> Result<(Statement, DateTime<Utc>), AttestError> {
    let invalid = |why: String| AttestError::Invalid {
        path: origin.to_owned(),
        why,
    };
    let envelope: Envelope =
        serde_json::from_str(text).map_err(|e| invalid(format!("not a DSSE envelope ({e})")))?;
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(invalid(format!(
            "payloadType is {:?}, not {IN_TOTO_PAYLOAD_TYPE:?}",
            envelope.payload_type
        )));
    }
    let payload = envelope
        .verified_payload(key)
        .map_err(|e| invalid(e.to_string()))?;
    let statement: Statement = serde_json::from_slice(&payload).map_err(|e| {
        invalid(format!(
            "the signed payload is not a gatekeeper VSA statement ({e})"
        ))
    })?;
    if statement.statement_type != STATEMENT_TYPE {
        return Err(invalid(format!(
            "_type is {:?}, not {STATEMENT_TYPE:?}",
            statement.statement_type
        )));
    }
    if statement.predicate_type != VSA_PREDICATE_TYPE {
        return Err(invalid(format!(
            "predicateType is {:?}, not {VSA_PREDICATE_TYPE:?}",
            statement.predicate_type
        )));
    }
    let predicate = &statement.predicate;
    let result = predicate.verification_result.as_str();
    if result != statement::PASSED && result != statement::FAILED {
        return Err(invalid(format!(
            "verificationResult is {result:?}, neither PASSED nor FAILED"
        )));
    }
    let time_verified = DateTime::parse_from_rfc3339(&predicate.time_verified)
        .map_err(|e| {
            invalid(format!(
                "timeVerified {:?} is not an RFC 3339 time ({e})",
                predicate.time_verified
            ))
        })?
        .with_timezone(&Utc);

    Ok((statement, time_verified))
}

/// What the statement claims that `expect` does not accept: a deny, other subjects,
/// another target or resource.
fn claim_problems(statement: &Statement, expect: &Expect) -> Vec<String> {
    let predicate = &statement.predicate;
    let result = predicate.verification_result.as_str();
    let mut problems = Vec::new();
    if result != PASSED {
        let failing: Vec<&str> = predicate
            .decision
            .checks
            .iter()
            .filter(|c| c.status == "fail" && !c.overridden)
            .map(|c| c.id.as_str())
            .collect();
        problems.push(format!(
            "the gate denied: verificationResult is FAILED (failing: {})",
            if failing.is_empty() {
                "none named".to_owned()
            } else {
                failing.join(", ")
            }
        ));
    }
    let commits: Vec<&str> = statement
        .subject
        .iter()
        .filter_map(|s| s.git_commit())
        .collect();
    for wanted in &expect.subjects {
        if !commits.iter().any(|c| c.eq_ignore_ascii_case(wanted)) {
            problems.push(format!(
                "commit {wanted} is not among its subjects ({})",
                shown(&commits)
            ));
        }
    }
    if let Some(exact) = &expect.exact_subjects {
        let mut have: Vec<(String, String)> = statement
            .subject
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.git_commit().unwrap_or_default().to_ascii_lowercase(),
                )
            })
            .collect();
        let mut want: Vec<(String, String)> = exact
            .iter()
            .map(|(n, c)| (n.clone(), c.to_ascii_lowercase()))
            .collect();
        have.sort();
        want.sort();
        if have != want {
            let list = |pairs: &[(String, String)]| {
                pairs
                    .iter()
                    .map(|(n, c)| format!("{n} = {c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            problems.push(format!(
                "it is about other release heads: it names [{}], the deploy would merge [{}]",
                list(&have),
                list(&want)
            ));
        }
    }
    if let Some(target) = &expect.target {
        let fragment = predicate.resource_uri.rsplit_once('#').map(|(_, t)| t);
        if &predicate.decision.target != target || fragment != Some(target.as_str()) {
            problems.push(format!(
                "it is about target {:?} ({}), not {target:?}",
                predicate.decision.target, predicate.resource_uri
            ));
        }
    }
    if let Some(uri) = &expect.resource_uri
        && &predicate.resource_uri != uri
    {
        problems.push(format!(
            "its resourceUri is {}, not {uri}",
            predicate.resource_uri
        ));
    }
    problems
}

/// A statement verified in the future, or longer ago than `expect` allows.
fn age_problems(
    statement: &Statement,
    expect: &Expect,
    age: chrono::Duration,
    now: DateTime<Utc>,
) -> Vec<String> {
    let predicate = &statement.predicate;
    let mut problems = Vec::new();
    if age < -FUTURE_SKEW {
        problems.push(format!(
            "it was verified at {}, later than now ({now}): check the clocks",
            predicate.time_verified
        ));
    }
    if let Some(max) = expect.max_age
        && age > max
    {
        problems.push(format!(
            "it is too old: verified at {} ({} min ago), the limit is {} min",
            predicate.time_verified,
            age.num_minutes(),
            max.num_minutes()
        ));
    }
    problems
}

/// Recomputes the verdict from the facts document and the policy directory:
/// the same digests and the same result as the statement, or a problem each.
pub fn recompute(
    report: &mut Verification,
    facts_file: &Path,
    policies_dir: &Path,
) -> Result<(), AttestError> {
    let predicate = &report.statement.predicate;
    let facts = Facts::load(facts_file, &predicate.decision.target)?;
    let mut policies = PolicySet::load(policies_dir, false)?;
    let mut problems = Vec::new();
    let facts_digest = facts_sha256(&facts)?;
    let named: Vec<&str> = predicate
        .input_attestations
        .iter()
        .filter_map(|a| a.digest.get("sha256").map(String::as_str))
        .collect();
    if !named.contains(&facts_digest.as_str()) {
        problems.push(format!(
            "the facts {} (sha256 {facts_digest}) are not the facts it was decided on ({})",
            facts_file.display(),
            shown(&named)
        ));
    }
    let policies_digest = policies_sha256(policies.files())?;
    let signed = predicate.policy.digest.get("sha256").map(String::as_str);
    if signed != Some(policies_digest.as_str()) {
        problems.push(format!(
            "the policies in {} (sha256 {policies_digest}) are not the policies it was decided by ({})",
            policies_dir.display(),
            signed.unwrap_or("none named")
        ));
    }
    let decision = policies.evaluate(&facts)?.decision;
    let again = if decision.allow {
        PASSED
    } else {
        statement::FAILED
    };
    if again != predicate.verification_result {
        problems.push(format!(
            "recomputed, the verdict is {again}, not {}",
            predicate.verification_result
        ));
    }
    let statuses = |checks: Vec<(String, String)>| {
        let mut checks = checks;
        checks.sort();
        checks
    };
    let recomputed = statuses(
        decision
            .checks
            .iter()
            .map(|c| (c.id.clone(), c.status.as_str().to_owned()))
            .collect(),
    );
    let signed_checks = statuses(
        predicate
            .decision
            .checks
            .iter()
            .map(|c| (c.id.clone(), c.status.clone()))
            .collect(),
    );
    if recomputed != signed_checks && again == predicate.verification_result {
        problems.push("recomputed, the checks' statuses differ from the signed ones".to_owned());
    }
    report.problems.extend(problems);
    report.recomputed = true;
    Ok(())
}

fn shown(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}
