//! The policies' own reports as text: `gatekeeper policy test` (text or JSON, with
//! coverage) and `gatekeeper policy check` (the lint of recorded facts).

use std::path::Path;

use crate::policy::{LintReport, TestReport};

/// The test report could not be encoded as JSON.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode the test report as JSON: {0}")]
pub struct EncodeError(serde_json::Error);

/// Failures (every test with `--verbose`), the coverage, and the summary line.
pub fn tests_text(
    dir: &Path,
    run: Option<&str>,
    verbose: bool,
    threshold: Option<f64>,
    report: &TestReport,
) -> String {
    let mut out = String::new();
    for outcome in &report.outcomes {
        if outcome.passed && !verbose {
            continue;
        }
        let verdict = if outcome.passed { "PASS" } else { "FAIL" };
        out.push_str(&format!(
            "{verdict} {} ({:.1} ms)\n",
            outcome.rule,
            outcome.duration.as_secs_f64() * 1000.0
        ));
        if let Some(why) = &outcome.failure {
            out.push_str(&format!("     {}: {why}\n", outcome.file.display()));
        }
    }
    match run {
        Some(pattern) if report.outcomes.is_empty() => out.push_str(&format!(
            "no test_* rule of {} matches --run {pattern:?} ({} tests in all)\n",
            dir.display(),
            report.total
        )),
        Some(pattern) => out.push_str(&format!(
            "{} of {} tests match --run {pattern:?}\n",
            report.outcomes.len(),
            report.total
        )),
        None if report.outcomes.is_empty() => {
            out.push_str(&format!("no test_* rules found in {}\n", dir.display()));
        }
        None => {}
    }
    coverage_section(report, threshold, &mut out);
    out.push_str(&format!(
        "{} passed, {} failed\n",
        report.passed(),
        report.failed()
    ));
    out
}

/// The report as one JSON document (shape documented in the README, "Changing a rule").
pub fn tests_json(
    dir: &Path,
    run: Option<&str>,
    threshold: Option<f64>,
    report: &TestReport,
) -> Result<String, EncodeError> {
    let tests: Vec<serde_json::Value> = report
        .outcomes
        .iter()
        .map(|o| {
            let (package, name) = o.rule.rsplit_once('.').unwrap_or(("", &o.rule));
            serde_json::json!({
                "name": o.rule,
                "package": package,
                "rule": name,
                "file": o.file.display().to_string(),
                "passed": o.passed,
                "failure": o.failure,
                "duration_ms": (o.duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    let coverage = report.coverage.as_ref().map(|files| {
        serde_json::json!({
            "percent": report.total_coverage(),
            "threshold": threshold,
            "files": files.iter().map(|f| serde_json::json!({
                "path": f.path,
                "percent": f.percent(),
                "covered": f.covered,
                "not_covered": f.not_covered,
            })).collect::<Vec<_>>(),
        })
    });
    let doc = serde_json::json!({
        "dir": dir.display().to_string(),
        "run": run,
        "summary": {
            "passed": report.passed(),
            "failed": report.failed(),
            "selected": report.outcomes.len(),
            "total": report.total,
        },
        "tests": tests,
        "coverage": coverage,
    });
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(EncodeError)
}

/// Appends the coverage report, and whether the total meets the threshold.
fn coverage_section(report: &TestReport, threshold: Option<f64>, out: &mut String) {
    let (Some(files), Some(total)) = (&report.coverage, report.total_coverage()) else {
        return;
    };
    out.push_str("\ncoverage (lines of policy files the tests evaluated):\n");
    for file in files {
        out.push_str(&format!(
            "  {:6.1}%  {}  ({} covered, {} not covered{})\n",
            file.percent(),
            file.path,
            file.covered.len(),
            file.not_covered.len(),
            if file.not_covered.is_empty() {
                String::new()
            } else {
                format!(": lines {}", ranges(&file.not_covered))
            }
        ));
    }
    out.push_str(&format!("  {total:6.1}%  total\n"));
    match threshold {
        Some(min) if total < min => {
            out.push_str(&format!(
                "coverage {total:.1}% is below the threshold {min}%: add test_* rules for the lines listed\n\n"
            ));
        }
        Some(min) => {
            out.push_str(&format!(
                "coverage {total:.1}% meets the threshold {min}%\n\n"
            ));
        }
        None => out.push('\n'),
    }
}

/// "3-5, 9" from [3, 4, 5, 9].
fn ranges(lines: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = lines.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    parts.join(", ")
}

/// `policy check`'s lines: each passing, warning and failing file, then the counts.
pub fn lint(report: &LintReport) -> String {
    let mut out = String::new();
    for line in &report.passed {
        out.push_str(&format!("ok      {line}\n"));
    }
    for line in &report.warnings {
        out.push_str(&format!("warning {line}\n"));
    }
    for line in &report.errors {
        out.push_str(&format!("error   {line}\n"));
    }
    out.push_str(&format!(
        "{} passed, {} failed, {} warnings\n",
        report.passed.len(),
        report.errors.len(),
        report.warnings.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges_fold_consecutive_lines() {
        assert_eq!(super::ranges(&[3, 4, 5, 9, 11, 12]), "3-5, 9, 11-12");
        assert_eq!(super::ranges(&[]), "");
    }
}
