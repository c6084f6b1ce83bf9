//! Shadow policies: a second policy set (config `shadow_policies`) evaluated on the
//! same facts as the real one, its verdict recorded in the audit record and said in
//! one stderr line. It never decides anything: the caller keeps the real exit code
//! and output whatever the shadow says.

use std::path::Path;

use crate::audit::{ShadowVerdict, policies_digest};
use crate::facts::Facts;
use crate::policy::{PolicyError, PolicySet};

/// What the shadow set at `dir` decides on `facts`.
pub fn evaluate(dir: &Path, facts: &Facts) -> Result<ShadowVerdict, PolicyError> {
    let mut set = PolicySet::load(dir, false)?;
    let decision = set.evaluate(facts)?.decision;
    Ok(ShadowVerdict {
        allow: decision.allow,
        failing: decision
            .failing()
            .filter(|c| c.overridden.is_none() && !c.advisory)
            .map(|c| c.id.clone())
            .collect(),
        policies_sha256: policies_digest(set.files()).ok(),
    })
}

/// The one stderr line about a shadow verdict.
pub fn line(verdict: &ShadowVerdict) -> String {
    if verdict.allow {
        "shadow policies would ALLOW".to_owned()
    } else {
        format!(
            "shadow policies would DENY ({})",
            verdict.failing.join(", ")
        )
    }
}
