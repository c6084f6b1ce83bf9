//! Runs the policies' `test_*` rules, like `opa test`: every rule whose name starts
//! with `test_` is evaluated with no input and passes when it is true.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use regorus::Value;

use super::{PolicyError, PolicySet};

#[derive(Debug, Clone)]
pub struct TestOutcome {
    /// `data.PACKAGE.test_name`.
    pub rule: String,
    pub file: PathBuf,
    pub passed: bool,
    /// Why it failed: false, undefined, or the evaluation error.
    pub failure: Option<String>,
    pub duration: Duration,
}

#[derive(Debug, Clone)]
pub struct TestReport {
    /// The selected tests, in file and source order.
    pub outcomes: Vec<TestOutcome>,
    /// How many `test_*` rules the policies hold, selected or not.
    pub total: usize,
    /// Per policy file (tests excluded), when coverage was asked for.
    pub coverage: Option<Vec<CoverageFile>>,
}

/// Which lines of one policy file the tests evaluated.
#[derive(Debug, Clone)]
pub struct CoverageFile {
    pub path: String,
    pub covered: Vec<u32>,
    pub not_covered: Vec<u32>,
}

impl CoverageFile {
    pub fn percent(&self) -> f64 {
        percent(self.covered.len(), self.not_covered.len())
    }
}

fn percent(covered: usize, not_covered: usize) -> f64 {
    let total = covered + not_covered;
    if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    }
}

impl TestReport {
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed).count()
    }
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }

    /// Covered lines over all policy files, in percent.
    pub fn total_coverage(&self) -> Option<f64> {
        let files = self.coverage.as_ref()?;
        let covered = files.iter().map(|f| f.covered.len()).sum();
        let not_covered = files.iter().map(|f| f.not_covered.len()).sum();
        Some(percent(covered, not_covered))
    }
}

/// Loads every policy of `dir`, tests included, and runs each `test_*` rule whose
/// full name (`data.PACKAGE.test_name`) `select` accepts; with `coverage`, also
/// records which policy lines the tests evaluated.
pub fn run_tests(
    dir: &Path,
    coverage: bool,
    select: impl Fn(&str) -> bool,
) -> Result<TestReport, PolicyError> {
    let mut set = PolicySet::load(dir, true)?;
    set.engine_mut().set_enable_coverage(coverage);
    let mut outcomes = Vec::new();
    let rules = test_rules(set.files())?;
    let total = rules.len();
    for (file, rule) in rules.into_iter().filter(|(_, rule)| select(rule)) {
        let started = Instant::now();
        let result = set.engine_mut().eval_rule(rule.clone());
        let failure = match result {
            Ok(Value::Bool(true)) => None,
            Ok(Value::Undefined) => Some(
                match super::probe::explain(set.engine_mut(), &file, &rule) {
                    Some(why) => format!("undefined: {why}"),
                    None => "undefined (a condition did not hold)".to_owned(),
                },
            ),
            Ok(other) => Some(format!("evaluated to {other}, not true")),
            Err(e) => Some(format!("error: {e:#}")),
        };
        outcomes.push(TestOutcome {
            rule,
            file,
            passed: failure.is_none(),
            failure,
            duration: started.elapsed(),
        });
    }
    let coverage = if coverage {
        let report = set
            .engine_mut()
            .get_coverage_report()
            .map_err(|e| PolicyError::Eval {
                rule: "coverage report".to_owned(),
                message: format!("{e:#}"),
            })?;
        Some(
            report
                .files
                .into_iter()
                .filter(|f| !f.path.ends_with("_test.rego"))
                .map(|f| CoverageFile {
                    path: f.path,
                    covered: f.covered.into_iter().collect(),
                    not_covered: f.not_covered.into_iter().collect(),
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(TestReport {
        outcomes,
        total,
        coverage,
    })
}

/// Finds `test_*` rule heads in the policy sources, with their package.
fn test_rules(files: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, PolicyError> {
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|source| PolicyError::Dir {
            dir: file.clone(),
            source,
        })?;
        let mut package = None;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("package ") {
                package = rest.split_whitespace().next().map(str::to_owned);
                continue;
            }
            let Some(pkg) = &package else { continue };
            if !line.starts_with("test_") {
                continue;
            }
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let rule = format!("data.{pkg}.{name}");
            if seen.insert(rule.clone()) {
                found.push((file.clone(), rule));
            }
        }
    }
    Ok(found)
}
