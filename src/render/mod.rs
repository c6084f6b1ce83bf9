//! Turns a decision into text: one file per format behind [`render`]. Renderers do
//! no I/O; the caller writes what they return.

pub mod calendar;
pub mod ci;
pub mod explain;
pub mod gantt;
pub mod github;
pub mod hint;
pub mod impact;
mod json;
pub mod junit;
mod markdown;
pub mod notice;
pub mod policy;
pub(crate) mod source_failures;
mod table;
pub mod windows;

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
    if format == Format::Json {
        // JSON keeps control characters, as JSON escapes.
        return json::render(decision).map(|s| ci::neutralize(&s, ci::Syntax::Json));
    }
    let decision = &sanitized(decision);
    // No text from a source reads as a CI runner's command (`--format github` is
    // made of commands, and escapes its text by their rules).
    match format {
        Format::Table => Ok(ci::neutralize(
            &table::render(decision, style),
            ci::Syntax::Text,
        )),
        Format::Json => json::render(decision),
        Format::Junit => {
            junit::render(decision).map(|s| ci::neutralize(&ci::xml_text(&s), ci::Syntax::Xml))
        }
        Format::Markdown => Ok(ci::neutralize(
            &markdown::render(decision),
            ci::Syntax::Text,
        )),
        Format::Github => Ok(github::render(decision)),
    }
}

/// Text from a source made safe for a terminal, a log or an XML file: every control
/// character but the newline (escape sequences start with one), the Unicode
/// controls that reorder or hide text, and every code point XML 1.0 does not allow
/// (U+FFFE, U+FFFF), shown escaped (`\u{1b}`), never sent raw.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            let reorders = matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if (c.is_control() && c != '\n') || reorders || !ci::xml_allows(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The decision with every text a source could have written [`sanitize`]d.
fn sanitized(decision: &Decision) -> Decision {
    let mut clean = decision.clone();
    clean.target = sanitize(&clean.target);
    for check in &mut clean.checks {
        check.title = sanitize(&check.title);
        if check.advisory {
            check
                .title
                .push_str(" (advisory: never counts towards a deny)");
        }
        check.detail = sanitize(&check.detail);
        if let Some(o) = &mut check.overridden {
            o.reason = sanitize(&o.reason);
            o.by = sanitize(&o.by);
        }
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_escapes_control_and_reordering_characters_but_keeps_newlines() {
        assert_eq!(
            sanitize("a\u{1b}[2Jb\u{9b}c\u{202e}d\ne\r"),
            "a\\u{1b}[2Jb\\u{9b}c\\u{202e}d\ne\\u{d}"
        );
        assert_eq!(sanitize("plain – text ✔"), "plain – text ✔");
    }
}
