//! `--format markdown`: a heading with ALLOW/DENY and a table of checks, fit for a
//! pull request comment or a GitHub Actions step summary. Every text from a source
//! is escaped, so that a `|` or a newline cannot break the table and HTML in it is
//! shown, not rendered. Evidence is not rendered here. No I/O.

use crate::decision::{Check, Decision, Status};

pub fn render(decision: &Decision) -> String {
    let verdict = if decision.allow {
        "✅ ALLOW"
    } else {
        "❌ DENY"
    };
    let kind = if decision.downtime {
        "downtime deploy"
    } else {
        "zero-downtime deploy"
    };
    let mut out = format!("### {verdict}: {} ({kind})\n\n", cell(&decision.target));
    let failing = decision
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail && c.overridden.is_none())
        .count();
    let overridden = decision
        .checks
        .iter()
        .filter(|c| c.overridden.is_some())
        .count();
    out.push_str(&format!(
        "Evaluated at {} · {} check(s), {failing} failing",
        cell(&decision.evaluated_at),
        decision.checks.len()
    ));
    if overridden > 0 {
        out.push_str(&format!(", {overridden} overridden"));
    }
    out.push_str("\n\n| | Check | Detail |\n|---|---|---|\n");
    for check in &decision.checks {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            mark(check),
            cell(&check.title),
            detail(check)
        ));
    }
    out
}

fn mark(check: &Check) -> &'static str {
    match (check.status, check.overridden.is_some()) {
        (Status::Fail, true) => "⚠️ overridden",
        (Status::Fail, false) => "❌ fail",
        (Status::Pass, _) => "✅ pass",
        (Status::Skip, _) => "➖ skip",
    }
}

fn detail(check: &Check) -> String {
    match &check.overridden {
        Some(o) => format!(
            "{}<br>**Overridden by {}:** {}",
            cell(&check.detail),
            cell(&o.by),
            cell(&o.reason)
        ),
        None => cell(&check.detail),
    }
}

/// Escapes text for one table cell: a `|` would end the cell and a newline the
/// row; `<`, `>` and `&` become entities, so that HTML a source wrote (`<img>`,
/// `<details>`, a comment that hides the rest) is shown as text, never rendered.
fn cell(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_and_newlines_stay_inside_the_cell() {
        assert_eq!(cell("a | b\nc\r\nd"), "a \\| b<br>c<br>d");
    }

    #[test]
    fn html_from_a_source_is_shown_not_rendered() {
        assert_eq!(
            cell("x <img src=x> ]]></failure> & <!--"),
            "x &lt;img src=x&gt; ]]&gt;&lt;/failure&gt; &amp; &lt;!--"
        );
        assert_eq!(cell("&lt;"), "&amp;lt;");
    }
}
