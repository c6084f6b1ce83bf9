//! `gatekeeper policy test [DIR]`: the policies' own tests, like `opa test`, with an
//! optional coverage report; `gatekeeper policy check`: the policies evaluated on
//! recorded facts so that a misspelled function is found before a deploy needs it.

use std::path::{Path, PathBuf};

use crate::cli::{PolicyCheckArgs, PolicyCommand, PolicyTestArgs};
use crate::policy::{TestReport, lint, run_tests};

use super::{CommandError, EXIT_FAIL, EXIT_OK, print};

pub fn run(command: PolicyCommand) -> Result<super::Outcome, CommandError> {
    match command {
        PolicyCommand::Test(args) => test(args),
        PolicyCommand::Check(args) => check(args),
    }
}

fn test(args: PolicyTestArgs) -> Result<super::Outcome, CommandError> {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("policies"));
    let report = run_tests(&dir, args.coverage)?;
    let mut out = String::new();
    for outcome in &report.outcomes {
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
    if report.outcomes.is_empty() {
        out.push_str(&format!("no test_* rules found in {}\n", dir.display()));
    }
    let below = coverage_section(&report, args.threshold, &mut out);
    out.push_str(&format!(
        "{} passed, {} failed\n",
        report.passed(),
        report.failed()
    ));
    print(&out);
    let ok = report.failed() == 0 && !report.outcomes.is_empty() && !below;
    Ok(if ok { EXIT_OK } else { EXIT_FAIL })
}

/// Appends the coverage report; true when the total is below the threshold.
fn coverage_section(report: &TestReport, threshold: Option<f64>, out: &mut String) -> bool {
    let (Some(files), Some(total)) = (&report.coverage, report.total_coverage()) else {
        return false;
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
            true
        }
        Some(min) => {
            out.push_str(&format!(
                "coverage {total:.1}% meets the threshold {min}%\n\n"
            ));
            false
        }
        None => {
            out.push('\n');
            false
        }
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

fn check(args: PolicyCheckArgs) -> Result<super::Outcome, CommandError> {
    let dir = args.policies.unwrap_or_else(|| PathBuf::from("policies"));
    let files = if args.facts.is_empty() {
        recorded_facts(Path::new("fixtures/facts"))
    } else {
        args.facts
    };
    let report = lint(&dir, &files)?;
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
    print(&out);
    Ok(if report.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}

fn recorded_facts(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges_fold_consecutive_lines() {
        assert_eq!(super::ranges(&[3, 4, 5, 9, 11, 12]), "3-5, 9, 11-12");
        assert_eq!(super::ranges(&[]), "");
    }
}
