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
    pub outcomes: Vec<TestOutcome>,
}

impl TestReport {
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed).count()
    }
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }
}

/// Loads every policy of `dir`, tests included, and runs each `test_*` rule.
pub fn run_tests(dir: &Path) -> Result<(TestReport, PolicySet), PolicyError> {
    let mut set = PolicySet::load(dir, true)?;
    let mut outcomes = Vec::new();
    for (file, rule) in test_rules(set.files())? {
        let started = Instant::now();
        let result = set.engine_mut().eval_rule(rule.clone());
        let failure = match result {
            Ok(Value::Bool(true)) => None,
            Ok(Value::Undefined) => Some("undefined (a condition did not hold)".to_owned()),
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
    Ok((TestReport { outcomes }, set))
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
