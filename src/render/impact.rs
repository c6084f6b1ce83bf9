//! The `policy impact` report in each format: a plain table for the terminal, the
//! JSON document (`"schema": 1`), markdown for a pull request comment (its first line
//! is the marker `<!-- gatekeeper:policy-impact -->`, so CI keeps one comment), and
//! GitHub workflow commands (a `::warning` per loosened document). No I/O.

use crate::impact::{Class, Flip, Report, WindowChange};

use super::sanitize;

/// The first line of the markdown, by which CI finds its own comment again.
pub const MARKER: &str = "<!-- gatekeeper:policy-impact -->";

fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    format!(
        "{} replayed: {} loosened, {} tightened, {} check_changed, {} unchanged, {} undecided, {} not_replayable, {} drift",
        s.replayed,
        s.loosened,
        s.tightened,
        s.check_changed,
        s.unchanged,
        s.undecided,
        s.not_replayable,
        s.drift
    )
}

fn verdict(v: &Option<crate::impact::Verdict>) -> String {
    match v {
        None => "none".to_owned(),
        Some(v) if v.allow => "allow".to_owned(),
        Some(v) => format!("deny ({})", v.failing.join(", ")),
    }
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

fn window_line(w: &WindowChange) -> String {
    let because = if w.details.is_empty() {
        w.because.join(", ")
    } else {
        w.details.join("; ")
    };
    format!(
        "{} to {}: {} becomes {} ({})",
        w.from_local,
        w.to_local,
        w.before,
        w.after,
        sanitize(&because)
    )
}

fn sides(report: &Report) -> String {
    format!(
        "base {} ({}), candidate {} ({})",
        report.base.git_ref.as_deref().unwrap_or(&report.base.dir),
        short(&report.base.policies_sha256),
        report.candidate.dir,
        short(&report.candidate.policies_sha256)
    )
}

/// Plain text: the sides, the summary, one block per document that moved.
pub fn table(report: &Report) -> String {
    let mut out = format!(
        "policy impact: {}\n{}\n",
        sides(report),
        summary_line(report)
    );
    for flip in &report.flips {
        out.push_str(&format!(
            "\n{:<15} {} {} at {}\n",
            flip.class.as_str(),
            short(&flip.facts_sha256),
            flip.source,
            flip.evaluated_at.as_deref().unwrap_or("?")
        ));
        details(flip, "  ", &mut out);
    }
    windows_text(report, "", &mut out);
    shadow_text(report, &mut out);
    out
}

fn details(flip: &Flip, indent: &str, out: &mut String) {
    if flip.before.is_some() || flip.after.is_some() {
        out.push_str(&format!(
            "{indent}before: {}; after: {}\n",
            verdict(&flip.before),
            verdict(&flip.after)
        ));
    }
    if let Some(r) = &flip.recorded
        && flip.class == Class::Drift
    {
        out.push_str(&format!(
            "{indent}recorded: {}\n",
            verdict(&Some(r.clone()))
        ));
    }
    for c in &flip.checks {
        out.push_str(&format!(
            "{indent}{}: {} -> {} ({})\n",
            c.id,
            c.before,
            c.after,
            sanitize(if c.after == "fail" {
                &c.detail_after
            } else {
                &c.detail_before
            })
        ));
    }
    if let Some(reason) = &flip.reason {
        out.push_str(&format!("{indent}{}\n", sanitize(reason)));
    }
}

fn windows_text(report: &Report, prefix: &str, out: &mut String) {
    if let Some(windows) = &report.windows {
        out.push_str(&format!("\n{prefix}Windows:\n"));
        if windows.is_empty() {
            out.push_str("- no window changes\n");
        }
        for w in windows {
            out.push_str(&format!("- {}\n", window_line(w)));
        }
    }
}

fn shadow_text(report: &Report, out: &mut String) {
    if let Some(s) = &report.shadow {
        out.push_str(&format!(
            "\nshadow policies {} agreed with the base on {} of {} documents; recorded shadow verdicts agreed with the decision {} of {} times\n",
            s.dir, s.agreed, s.compared, s.recorded_agreed, s.recorded
        ));
    }
}

/// The JSON document.
pub fn json(report: &Report) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(report).map(|s| s + "\n")
}

/// Markdown for a pull request comment: marker, summary, a table, the details.
pub fn markdown(report: &Report) -> String {
    let mut out = format!("{MARKER}\n");
    out.push_str(&format!(
        "**gatekeeper policy impact**: {}\n\n{}\n",
        summary_line(report),
        sides(report)
    ));
    if !report.flips.is_empty() {
        out.push_str("\n| class | facts | at | before | after |\n|---|---|---|---|---|\n");
        for f in &report.flips {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} | {} |\n",
                f.class.as_str(),
                short(&f.facts_sha256),
                f.evaluated_at.as_deref().unwrap_or("?"),
                cell(&verdict(&f.before)),
                cell(&verdict(&f.after))
            ));
        }
        out.push_str("\n<details><summary>Details</summary>\n\n");
        for f in &report.flips {
            out.push_str(&format!(
                "**{}** `{}` ({})\n\n",
                f.class.as_str(),
                short(&f.facts_sha256),
                cell(&f.source)
            ));
            let mut block = String::new();
            details(f, "- ", &mut block);
            out.push_str(&block);
            out.push('\n');
        }
        out.push_str("</details>\n");
    }
    windows_text(report, "", &mut out);
    shadow_text(report, &mut out);
    out
}

fn cell(text: &str) -> String {
    sanitize(text).replace('|', "\\|").replace('\n', " ")
}

/// GitHub workflow commands: a `::warning` per loosened document, then the table.
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for f in report.flips.iter().filter(|f| f.class == Class::Loosened) {
        let opened: Vec<&str> = f
            .checks
            .iter()
            .filter(|c| c.after == "pass")
            .map(|c| c.id.as_str())
            .collect();
        out.push_str(&super::github::command(
            "warning",
            "gatekeeper policy impact: loosened",
            &format!(
                "facts {} at {} ({}) would now be allowed: {}",
                short(&f.facts_sha256),
                f.evaluated_at.as_deref().unwrap_or("?"),
                f.source,
                opened.join(", ")
            ),
        ));
    }
    out.push_str(&table(report));
    out
}
