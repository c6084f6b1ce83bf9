//! The decision the policies produce at `data.gatekeeper.decision`, and the contract
//! it must keep. Parsing it here is the one place a policy's output is trusted:
//! everything downstream (renderers, the runbook, the exit code) reads these types.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub target: String,
    pub allow: bool,
    pub downtime: bool,
    pub evaluated_at: String,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub detail: String,
    /// The facts the check judged (see `--explain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Value>,
    /// Set when a person overrode this failing check (break-glass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overridden: Option<Overridden>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overridden {
    pub reason: String,
    pub by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// Ways a policy's decision can break the contract of DESIGN.md.
#[derive(Debug, thiserror::Error)]
#[error(
    "the policies' decision breaks the contract: {0}; see policies/FACTS.md and DESIGN.md (\"Decision\")"
)]
pub struct ContractError(pub String);

impl Decision {
    /// Process exit code: 0 when allowed, 1 when denied.
    pub fn exit_code(&self) -> u8 {
        if self.allow { 0 } else { 1 }
    }

    pub fn failing(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }

    /// Checks a policy's output against the contract, naming the first thing wrong.
    pub fn from_policy_output(value: Value) -> Result<Self, ContractError> {
        let object = value.as_object().ok_or_else(|| {
            ContractError(format!(
                "data.gatekeeper.decision is {}, not an object",
                kind(&value)
            ))
        })?;
        for (key, want) in [
            ("target", "a string"),
            ("allow", "a boolean"),
            ("downtime", "a boolean"),
            ("evaluated_at", "a string"),
            ("checks", "an array"),
        ] {
            let ok = match object.get(key) {
                Some(Value::String(_)) => want == "a string",
                Some(Value::Bool(_)) => want == "a boolean",
                Some(Value::Array(_)) => want == "an array",
                _ => false,
            };
            if !ok {
                return Err(ContractError(format!(
                    "\"{key}\" must be {want}, found {}",
                    object.get(key).map_or("nothing", kind)
                )));
            }
        }
        let checks = object
            .get("checks")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if checks.is_empty() {
            return Err(ContractError("\"checks\" is empty".to_owned()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, check) in checks.iter().enumerate() {
            let id = check.get("id").and_then(Value::as_str);
            let Some(id) = id.filter(|id| !id.is_empty()) else {
                return Err(ContractError(format!("checks[{i}] has no \"id\" string")));
            };
            if !seen.insert(id) {
                return Err(ContractError(format!("check id {id:?} appears twice")));
            }
            for key in ["title", "detail"] {
                if !check.get(key).is_some_and(Value::is_string) {
                    return Err(ContractError(format!(
                        "check {id:?} has no \"{key}\" string"
                    )));
                }
            }
            match check.get("status").and_then(Value::as_str) {
                Some("pass" | "fail" | "skip") => {}
                Some(other) => {
                    return Err(ContractError(format!(
                        "check {id:?} has status {other:?}; it must be pass, fail or skip"
                    )));
                }
                None => {
                    return Err(ContractError(format!(
                        "check {id:?} has no \"status\" (pass, fail or skip)"
                    )));
                }
            }
        }
        let decision: Decision =
            serde_json::from_value(value.clone()).map_err(|e| ContractError(e.to_string()))?;
        // `allow` must agree with the checks: a failing check blocks unless overridden.
        let blocked = decision.failing().any(|c| c.overridden.is_none());
        if decision.allow && blocked {
            return Err(ContractError(
                "\"allow\" is true while a check fails without an override".to_owned(),
            ));
        }
        Ok(decision)
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(s) if s == "<undefined>" => "undefined",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> Value {
        json!({"target": "production", "allow": false, "downtime": false,
               "evaluated_at": "2026-11-24T19:30:00Z",
               "checks": [{"id": "throughput", "title": "t", "status": "fail", "detail": "d"}]})
    }

    #[test]
    fn valid_decision_parses_and_denies() {
        let d = Decision::from_policy_output(valid()).unwrap();
        assert_eq!(d.exit_code(), 1);
        assert_eq!(d.checks[0].status, Status::Fail);
    }

    #[test]
    fn unknown_status_is_named() {
        let mut v = valid();
        v["checks"][0]["status"] = json!("ok");
        let e = Decision::from_policy_output(v).unwrap_err().to_string();
        assert!(e.contains("\"ok\""), "{e}");
    }

    #[test]
    fn allow_with_a_failing_check_breaks_the_contract() {
        let mut v = valid();
        v["allow"] = json!(true);
        assert!(Decision::from_policy_output(v).is_err());
    }

    #[test]
    fn check_without_id_breaks_the_contract() {
        let mut v = valid();
        v["checks"][0].as_object_mut().unwrap().remove("id");
        let e = Decision::from_policy_output(v).unwrap_err().to_string();
        assert!(e.contains("checks[0]"), "{e}");
    }

    #[test]
    fn undefined_decision_is_reported_as_undefined() {
        let e = Decision::from_policy_output(json!("<undefined>"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("undefined"), "{e}");
    }
}
