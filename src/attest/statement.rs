//! The in-toto Statement v1 a decision is signed as: one subject per release repo
//! (its release head as a `gitCommit` digest), and a SLSA Verification Summary
//! (VSA v1) predicate saying which policies judged which facts about which
//! target, with what result, plus the decision's summary in one extension field.
//! It builds and reads the document; it never signs, reads files or prints.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::decision::Decision;
use crate::facts::{Facts, OverrideRequest};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const VSA_PREDICATE_TYPE: &str = "https://slsa.dev/verification_summary/v1";
/// The extension field holding the decision's summary (the VSA's own fields are
/// SLSA's; this one is ours, named by a URI as the VSA asks).
pub const DECISION_EXTENSION: &str =
    "https://github.com/thinkthroughmath/gatekeeper/attestation/deploy-decision/v1";
/// `verifier.id` unless the config names another.
pub const DEFAULT_VERIFIER_ID: &str = "https://github.com/thinkthroughmath/gatekeeper";
/// `verifiedLevels` of an allow (ours: never starting with `SLSA_`).
pub const LEVEL_ALLOWED: &str = "GATEKEEPER_DEPLOY_ALLOWED";
/// Also in `verifiedLevels` when a failing check was overridden (break-glass).
pub const LEVEL_OVERRIDDEN: &str = "GATEKEEPER_BREAK_GLASS";
/// `verifiedLevels` of a deny, as the VSA names it.
pub const LEVEL_FAILED: &str = "FAILED";

pub const PASSED: &str = "PASSED";
pub const FAILED: &str = "FAILED";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: Predicate,
}

/// A release repo's branch, and the release head judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    pub fn git_commit(&self) -> Option<&str> {
        self.digest.get("gitCommit").map(String::as_str)
    }
}

/// The VSA v1 predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predicate {
    pub verifier: Verifier,
    #[serde(rename = "timeVerified")]
    pub time_verified: String,
    #[serde(rename = "resourceUri")]
    pub resource_uri: String,
    pub policy: ResourceDescriptor,
    #[serde(rename = "inputAttestations")]
    pub input_attestations: Vec<ResourceDescriptor>,
    #[serde(rename = "verificationResult")]
    pub verification_result: String,
    #[serde(rename = "verifiedLevels")]
    pub verified_levels: Vec<String>,
    #[serde(
        rename = "https://github.com/thinkthroughmath/gatekeeper/attestation/deploy-decision/v1"
    )]
    pub decision: DecisionSummary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verifier {
    pub id: String,
    #[serde(default)]
    pub version: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDescriptor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    pub digest: BTreeMap<String, String>,
}

/// What was decided, beyond the VSA's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionSummary {
    pub target: String,
    pub downtime: bool,
    #[serde(rename = "productionSha")]
    pub production_sha: Option<String>,
    pub window: WindowSummary,
    pub checks: Vec<CheckSummary>,
    pub overrides: Vec<OverrideRequest>,
    pub actor: Option<String>,
    #[serde(rename = "runId")]
    pub run_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowSummary {
    pub start: String,
    pub end: String,
    pub minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckSummary {
    pub id: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overridden: bool,
}

/// Everything a statement is made of besides the decision and the facts.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub verifier_id: String,
    /// `git+https://github.com/OWNER/DEPLOY@refs/heads/BASE#TARGET`.
    pub resource_uri: String,
    pub policy_uri: String,
    pub policies_sha256: String,
    /// The git tree of the policy directory, when its checkout is clean.
    pub policies_git_tree: Option<String>,
    /// Where the facts document is kept, when it is a file.
    pub facts_uri: Option<String>,
    pub facts_sha256: String,
    pub actor: Option<String>,
    pub run_id: Option<String>,
}

/// The resource a decision is about: the deploy repo's base branch, and the target.
pub fn resource_uri(deploy_repo: &str, base_branch: &str, target: &str) -> String {
    format!("git+https://github.com/{deploy_repo}@refs/heads/{base_branch}#{target}")
}

/// The subject name of a release repo's branch.
pub fn subject_name(repo: &str, release_branch: &str) -> String {
    format!("git+https://github.com/{repo}@refs/heads/{release_branch}")
}

/// The predicate of `decision` on `facts`.
pub fn predicate(decision: &Decision, facts: &Facts, inputs: &Inputs) -> Predicate {
    let mut policy_digest = BTreeMap::from([("sha256".to_owned(), inputs.policies_sha256.clone())]);
    if let Some(tree) = &inputs.policies_git_tree {
        policy_digest.insert("gitTree".to_owned(), tree.clone());
    }
    let overrides: Vec<OverrideRequest> = decision
        .checks
        .iter()
        .filter_map(|c| {
            c.overridden.as_ref().map(|o| OverrideRequest {
                check: c.id.clone(),
                reason: o.reason.clone(),
                by: o.by.clone(),
            })
        })
        .collect();
    let verified_levels = if !decision.allow {
        vec![LEVEL_FAILED.to_owned()]
    } else if overrides.is_empty() {
        vec![LEVEL_ALLOWED.to_owned()]
    } else {
        vec![LEVEL_ALLOWED.to_owned(), LEVEL_OVERRIDDEN.to_owned()]
    };
    Predicate {
        verifier: Verifier {
            id: inputs.verifier_id.clone(),
            version: BTreeMap::from([(
                "gatekeeper".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            )]),
        },
        time_verified: decision.evaluated_at.clone(),
        resource_uri: inputs.resource_uri.clone(),
        policy: ResourceDescriptor {
            uri: Some(inputs.policy_uri.clone()),
            digest: policy_digest,
        },
        input_attestations: vec![ResourceDescriptor {
            uri: inputs.facts_uri.clone(),
            digest: BTreeMap::from([("sha256".to_owned(), inputs.facts_sha256.clone())]),
        }],
        verification_result: if decision.allow { PASSED } else { FAILED }.to_owned(),
        verified_levels,
        decision: DecisionSummary {
            target: decision.target.clone(),
            downtime: decision.downtime,
            production_sha: facts.production.as_ref().map(|p| p.sha.clone()),
            window: WindowSummary {
                start: facts.window.start.to_rfc3339(),
                end: facts.window.end.to_rfc3339(),
                minutes: facts.window.minutes,
            },
            checks: decision
                .checks
                .iter()
                .map(|c| CheckSummary {
                    id: c.id.clone(),
                    status: c.status.as_str().to_owned(),
                    overridden: c.overridden.is_some(),
                })
                .collect(),
            overrides,
            actor: inputs.actor.clone(),
            run_id: inputs.run_id.clone(),
        },
    }
}

/// The statement of `decision` on `facts`: a subject per release repo whose head
/// was read (a repo without one cannot be named by a commit, and is left out).
pub fn statement(decision: &Decision, facts: &Facts, inputs: &Inputs) -> Statement {
    Statement {
        statement_type: STATEMENT_TYPE.to_owned(),
        subject: facts
            .repos
            .iter()
            .filter_map(|r| {
                Some(Subject {
                    name: subject_name(&r.name, &r.release_branch),
                    digest: BTreeMap::from([("gitCommit".to_owned(), r.release_sha.clone()?)]),
                })
            })
            .collect(),
        predicate_type: VSA_PREDICATE_TYPE.to_owned(),
        predicate: predicate(decision, facts, inputs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_field_is_named_by_its_constant() {
        let json = serde_json::json!({
            "verifier": {"id": "v"},
            "timeVerified": "t", "resourceUri": "r",
            "policy": {"digest": {}}, "inputAttestations": [],
            "verificationResult": "PASSED", "verifiedLevels": [],
            DECISION_EXTENSION: {
                "target": "production", "downtime": false, "productionSha": null,
                "window": {"start": "a", "end": "b", "minutes": 1},
                "checks": [], "overrides": [], "actor": null, "runId": null
            }
        });
        let predicate: Predicate = serde_json::from_value(json).unwrap();
        assert_eq!(predicate.decision.target, "production");
    }

    #[test]
    fn names_follow_the_github_git_uri_form() {
        assert_eq!(
            resource_uri("o/deploy", "master", "production"),
            "git+https://github.com/o/deploy@refs/heads/master#production"
        );
        assert_eq!(
            subject_name("o/app", "rc"),
            "git+https://github.com/o/app@refs/heads/rc"
        );
    }
}
