//! `policy check`: what loading alone cannot prove. regorus reports an unknown or
//! misspelled function only when evaluation reaches it, so the decision is compiled
//! from its entry point and evaluated on recorded facts documents, and the contract
//! is checked on each result. Policies that read the wall clock are flagged: they
//! must read `input.now` so that `--at` and tests are exact. The settings are judged
//! as every evaluating command judges them, each problem an error line.

use regorus::Rc;
use std::path::{Path, PathBuf};

use super::{DECISION_RULE, PolicyError, PolicySet};
use crate::facts::Facts;

#[derive(Debug, Default)]
pub struct LintReport {
    /// One line per facts document evaluated cleanly.
    pub passed: Vec<String>,
    /// Problems that make the policies unfit: evaluation errors, broken contract.
    pub errors: Vec<String>,
    /// Things that work today but should change.
    pub warnings: Vec<String>,
}

/// Checks the policies of `dir` against each facts document.
pub fn lint(dir: &Path, facts_files: &[PathBuf]) -> Result<LintReport, PolicyError> {
    let mut set = PolicySet::parse(dir, false)?;
    let mut report = LintReport::default();

    // With the settings known, an allow is held to the same contract as `check`.
    let settings_valid = match set.validate_settings() {
        Ok(settings) => {
            set.settings = Some(settings);
            true
        }
        Err(PolicyError::Settings(e)) => {
            let file = e.file.display();
            for problem in &e.problems {
                report.errors.push(format!("{file}: {problem}"));
            }
            false
        }
        Err(e) => {
            report.errors.push(e.to_string());
            false
        }
    };

    let entry: Rc<str> = Rc::from(DECISION_RULE);
    if let Err(e) = set.engine_mut().compile_with_entrypoint(&entry) {
        report
            .errors
            .push(format!("compiling {DECISION_RULE}: {e:#}"));
    }

    for file in set.files().to_vec() {
        let text = std::fs::read_to_string(&file).map_err(|source| PolicyError::Dir {
            dir: file.clone(),
            source,
        })?;
        for (i, line) in text.lines().enumerate() {
            let code = line.split('#').next().unwrap_or_default();
            if code.contains("time.now_ns") {
                report.warnings.push(format!(
                    "{}:{}: reads the wall clock (time.now_ns); read input.now / input.now_unix so that --at and tests are exact",
                    file.display(),
                    i + 1
                ));
            }
        }
        for found in super::portable::engine_dependent_nots(&text) {
            report.warnings.push(found.warning(&file));
        }
    }

    if facts_files.is_empty() {
        report.errors.push(
            "no facts documents to evaluate: give FILEs or add fixtures/facts/*.json".to_owned(),
        );
    }
    if !settings_valid {
        report.errors.push(
            "not evaluated on any facts document: no decision is made on settings with problems"
                .to_owned(),
        );
        return Ok(report);
    }
    for path in facts_files {
        let shown = path.display();
        let facts = match read_target(path).and_then(|target| Ok(Facts::load(path, &target)?)) {
            Ok(facts) => facts,
            Err(e) => {
                report.errors.push(format!("{shown}: {e}"));
                continue;
            }
        };
        match set.evaluate(&facts) {
            Ok(eval) => {
                let verdict = if eval.decision.allow { "allow" } else { "deny" };
                report.passed.push(format!(
                    "{shown}: {verdict}, {} checks",
                    eval.decision.checks.len()
                ));
            }
            Err(e) => report.errors.push(format!("{shown}: {e}")),
        }
    }
    Ok(report)
}

/// The target a recorded document is for, so that any fixture can be checked.
fn read_target(path: &Path) -> Result<String, LintError> {
    let text = std::fs::read_to_string(path).map_err(|e| LintError(e.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| LintError(format!("not JSON: {e}")))?;
    value
        .get("target")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| LintError("no \"target\" string".to_owned()))
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct LintError(String);

impl From<crate::facts::FactsError> for LintError {
    fn from(e: crate::facts::FactsError) -> Self {
        LintError(e.to_string())
    }
}
