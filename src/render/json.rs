//! `--format json`: exactly the decision document of DESIGN.md (plus evidence and
//! overrides where the policies give them).

use super::RenderError;
use crate::decision::Decision;

pub fn render(decision: &Decision) -> Result<String, RenderError> {
    serde_json::to_string_pretty(decision)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| RenderError::Encode {
            format: "json",
            message: e.to_string(),
        })
}
