//! Turns a decision into text: one file per format behind [`render`]. Renderers do
//! no I/O; the caller writes what they return.

pub mod explain;
pub mod github;
mod json;
pub mod junit;
mod markdown;
mod table;

use crate::cli::Format;
use crate::decision::Decision;

pub use json::DECISION_SCHEMA;
pub use table::{DEFAULT_WIDTH, FILE_WIDTH, TableStyle, new_table};

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot encode the decision as {format}: {message}")]
    Encode {
        format: &'static str,
        message: String,
    },
}

/// Renders the decision in `format`.
pub fn render(
    decision: &Decision,
    format: Format,
    style: TableStyle,
) -> Result<String, RenderError> {
    match format {
        Format::Table => Ok(table::render(decision, style)),
        Format::Json => json::render(decision),
        Format::Junit => junit::render(decision),
        Format::Markdown => Ok(markdown::render(decision)),
        Format::Github => Ok(github::render(decision)),
    }
}
