//! `--format table`: a first line ALLOW/DENY for the target, then one row per check.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};

use crate::decision::{Check, Decision, Status};

/// How the table may look where it is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableStyle {
    /// ANSI colours (a terminal without NO_COLOR).
    pub color: bool,
    /// Total width to wrap to; `None` leaves it to comfy-table (a terminal's width).
    pub width: Option<u16>,
}

/// The width a table wraps to on a terminal that says neither its width nor `COLUMNS`.
pub const DEFAULT_WIDTH: u16 = 100;

/// The width a table wraps to in a file or a log, unless `COLUMNS` says otherwise.
pub const FILE_WIDTH: u16 = 120;

impl Default for TableStyle {
    fn default() -> Self {
        Self {
            color: false,
            width: Some(FILE_WIDTH),
        }
    }
}

/// An empty table in the house style (borders, wrapping to the style's width), for
/// every command that prints rows.
pub fn new_table(style: TableStyle) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = style.width {
        table.set_width(width);
    }
    if style.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table
}

pub fn render(decision: &Decision, style: TableStyle) -> String {
    let verdict = if decision.allow { "ALLOW" } else { "DENY" };
    let kind = if decision.downtime {
        "downtime deploy"
    } else {
        "zero-downtime deploy"
    };
    let overridden = decision
        .checks
        .iter()
        .filter(|c| c.overridden.is_some())
        .count();
    let mut first = format!(
        "{} {} ({kind}), evaluated at {}",
        paint(
            verdict,
            if decision.allow {
                Color::Green
            } else {
                Color::Red
            },
            style.color
        ),
        decision.target,
        decision.evaluated_at
    );
    if overridden > 0 {
        first.push_str(&format!(", {overridden} check(s) overridden"));
    }

    let mut table = new_table(style);
    table.set_header(vec!["", "check", "detail"]);
    // A failure of a source, quoted by every check and repo it touches, is said once
    // under the table with the checks it affects.
    let (folded, failures) = super::source_failures::fold(decision);
    for (check, folded) in decision.checks.iter().zip(folded) {
        let mut check = check.clone();
        check.detail = folded;
        table.add_row(vec![
            mark(&check, style.color),
            Cell::new(&check.title),
            Cell::new(detail(&check)),
        ]);
    }
    format!(
        "{first}\n{table}\n{}",
        super::source_failures::lines(&failures)
    )
}

fn mark(check: &Check, color: bool) -> Cell {
    let (text, fg) = match (check.status, check.overridden.is_some()) {
        (Status::Fail, true) => ("! override", Color::Yellow),
        (Status::Fail, false) => ("✘ fail", Color::Red),
        (Status::Pass, _) => ("✔ pass", Color::Green),
        (Status::Skip, _) => ("- skip", Color::DarkGrey),
    };
    let cell = Cell::new(text);
    if color { cell.fg(fg) } else { cell }
}

fn detail(check: &Check) -> String {
    // Several reasons, one a line: a bullet each, so that wrapped lines stay apart.
    let mut text = if check.detail.contains('\n') {
        check
            .detail
            .lines()
            .map(|line| format!("• {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        check.detail.clone()
    };
    if let Some(o) = &check.overridden {
        text.push_str(&format!(" [overridden by {}: {}]", o.by, o.reason));
    }
    text
}

fn paint(text: &str, color: Color, enabled: bool) -> String {
    if !enabled {
        return text.to_owned();
    }
    let code = match color {
        Color::Green => "32",
        Color::Red => "31",
        Color::Yellow => "33",
        _ => "0",
    };
    format!("\x1b[1;{code}m{text}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(detail: &str) -> Decision {
        Decision {
            target: "production".to_owned(),
            allow: false,
            downtime: false,
            evaluated_at: "2026-11-24T19:00:00Z".to_owned(),
            checks: vec![Check {
                id: "tests".to_owned(),
                title: "Tests".to_owned(),
                status: Status::Fail,
                detail: detail.to_owned(),
                evidence: None,
                overridden: None,
                source_error: false,
                advisory: false,
            }],
        }
    }

    #[test]
    fn several_reasons_get_a_bullet_each() {
        let out = render(
            &decision("apangea: FAILURE\nlesson-content: 404"),
            TableStyle::default(),
        );
        assert!(out.contains("• apangea: FAILURE"), "{out}");
        assert!(out.contains("• lesson-content: 404"), "{out}");
        assert!(
            out.starts_with("DENY production (zero-downtime deploy)"),
            "{out}"
        );
    }

    #[test]
    fn one_reason_has_no_bullet_and_no_colour_by_default() {
        let out = render(&decision("apangea: FAILURE"), TableStyle::default());
        assert!(!out.contains('•'), "{out}");
        assert!(!out.contains('\x1b'), "{out}");
    }
}
