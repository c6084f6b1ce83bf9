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
    /// The check failed for want of data: a source it needs was down or answered
    /// badly (a policy may set it; [`Decision::mark_source_errors`] sets it too).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub source_error: bool,
    /// Shown, never counted towards a deny (the settings' `advisory`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub advisory: bool,
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

/// Ways a policy's decision can break the contract (docs/decision.md).
#[derive(Debug, thiserror::Error)]
#[error(
    "the policies' decision breaks the contract: {0}; see policies/FACTS.md and docs/decision.md"
)]
pub struct ContractError(pub String);

impl Decision {
    pub fn failing(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }

    /// Marks `source_error` on each failing check whose detail quotes one of the
    /// facts' source errors: the policies give a source's message as the reason when
    /// the facts that check needs are missing. Passing checks are never marked.
    pub fn mark_source_errors<'a>(&mut self, messages: impl IntoIterator<Item = &'a str>) {
        let messages: Vec<&str> = messages
            .into_iter()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .collect();
        for check in &mut self.checks {
            if check.status == Status::Fail && messages.iter().any(|m| check.detail.contains(m)) {
                check.source_error = true;
            }
        }
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
        // `allow` must agree with the checks: a failing check blocks unless overridden
        // or advisory.
        let blocked = decision
            .failing()
            .any(|c| c.overridden.is_none() && !c.advisory);
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
        assert!(!d.allow);
        assert_eq!(d.checks[0].status, Status::Fail);
    }

    #[test]
    fn a_failing_check_quoting_a_source_error_is_marked_and_a_passing_one_never() {
        let mut v = valid();
        v["checks"][0]["detail"] = json!("no rpm (newrelic: NerdGraph answered 401)");
        v["checks"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "tests", "title": "t", "status": "pass", "detail": "NerdGraph answered 401"}));
        v["checks"].as_array_mut().unwrap().push(
            json!({"id": "approval", "title": "t", "status": "fail", "detail": "not approved"}),
        );
        let mut d = Decision::from_policy_output(v).unwrap();
        d.mark_source_errors(["NerdGraph answered 401", "  "]);
        let marked: Vec<_> = d.checks.iter().map(|c| c.source_error).collect();
        assert_eq!(marked, [true, false, false]);
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
