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

/// Escapes text for one table cell, so that it renders as the text it is: a `|`
/// would end the cell and a newline the row; `<`, `>` and `&` become entities, so
/// that HTML a source wrote (`<img>`, `<details>`, a comment that hides the rest) is
/// shown, never rendered; every character that starts an inline construct is
/// backslash-escaped (`\\`, `` ` ``, `*`, `_`, `[`, `]`, `!`, `~`, `$`, `@`),
/// and so are the `:` of `scheme://` and the `.` of `www.`, so that no image, link,
/// autolink, emphasis, code span or math is formed. A backslash escape renders as
/// the character alone. A cell holds no block (a newline is `<br>`), so nothing
/// else can start one.
fn cell(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().copied().enumerate() {
        let next_two =
            |a: char, b: char| chars.get(i + 1) == Some(&a) && chars.get(i + 2) == Some(&b);
        let after_www = i >= 3
            && chars
                .get(i - 3..i)
                .is_some_and(|w| w.iter().all(|c| c.eq_ignore_ascii_case(&'w')));
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push_str("<br>"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '!' | '~' | '$' | '@' | '|' => {
                out.push('\\');
                out.push(c);
            }
            ':' if next_two('/', '/') => out.push_str("\\:"),
            '.' if after_www => out.push_str("\\."),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_and_newlines_stay_inside_the_cell() {
        assert_eq!(cell("a | b\nc\r\nd"), "a \\| b<br>c<br>d");
    }

    #[test]
    fn images_links_and_autolinks_from_a_source_render_as_text() {
        assert_eq!(
            cell("![ALLOW](https://x.io/a.svg) [approved](https://x.io)"),
            "\\!\\[ALLOW\\](https\\://x.io/a.svg) \\[approved\\](https\\://x.io)"
        );
        assert_eq!(cell("www.evil.com *x*"), "www\\.evil.com \\*x\\*");
    }

    #[test]
    fn html_from_a_source_is_shown_not_rendered() {
        assert_eq!(
            cell("x <img src=x> ]]></failure> & <!--"),
            "x &lt;img src=x&gt; \\]\\]&gt;&lt;/failure&gt; &amp; &lt;\\!--"
        );
        assert_eq!(cell("&lt;"), "&amp;lt;");
    }
}
