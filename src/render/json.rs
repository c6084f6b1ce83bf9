//! `--format json`: the decision document (`schema`, `target`, `allow`, `downtime`,
//! `evaluated_at`, `checks` with their `evidence` and any `overridden`), as
//! `docs/decision.md` describes it. No I/O.

use serde::Serialize;

use super::RenderError;
use crate::decision::Decision;

/// The version of the decision document's shape. Raise it when a field changes
/// meaning or goes away; adding a field keeps it.
pub const DECISION_SCHEMA: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema: u32,
    #[serde(flatten)]
    decision: &'a Decision,
}

pub fn render(decision: &Decision) -> Result<String, RenderError> {
    let document = Document {
        schema: DECISION_SCHEMA,
        decision,
    };
    serde_json::to_string_pretty(&document)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| RenderError::Encode {
            format: "json",
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Check, Status};

    #[test]
    fn the_document_starts_with_its_schema_and_reads_back_as_the_decision() {
        let decision = Decision {
            target: "production".to_owned(),
            allow: true,
            downtime: false,
            evaluated_at: "2026-11-24T19:00:00Z".to_owned(),
            checks: vec![Check {
                id: "tests".to_owned(),
                title: "Tests".to_owned(),
                status: Status::Pass,
                detail: "ok".to_owned(),
                evidence: None,
                overridden: None,
                source_error: false,
                advisory: false,
            }],
        };
        let text = render(&decision).unwrap();
        assert!(text.starts_with("{\n  \"schema\": 1,\n"), "{text}");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["schema"], 1);
        let back: Decision = serde_json::from_value(value).unwrap();
        assert_eq!(back, decision);
    }
}
