//! Loads the Rego policies and evaluates the decision over a facts document. This is
//! the only module that knows regorus exists: the rest of gatekeeper sees policies as
//! files in, a [`Decision`] out. It never fetches facts and never prints.

mod lint;
mod testing;

use std::path::{Path, PathBuf};

use regorus::{Engine, Value};

use crate::decision::{ContractError, Decision};
use crate::facts::Facts;

pub use lint::{LintReport, lint};
pub use testing::{CoverageFile, TestOutcome, TestReport, run_tests};

/// Where the policies must put the decision.
pub const DECISION_RULE: &str = "data.gatekeeper.decision";

/// Where the policies keep the settings a release manager edits.
pub const SETTINGS_PACKAGE: &str = "data.gatekeeper.settings";

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(
        "cannot read policy directory {dir}: {source}; name the directory of gatekeeper's policies (`--policies DIR`, or `policy test DIR`)"
    )]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "no *.rego files in {dir}; name the directory of gatekeeper's policies (`--policies DIR`, or `policy test DIR`)"
    )]
    Empty { dir: PathBuf },
    #[error("policy {file} does not parse:\n{message}")]
    Parse { file: PathBuf, message: String },
    #[error("evaluating {rule} failed:\n{message}")]
    Eval { rule: String, message: String },
    #[error(
        "{DECISION_RULE} is undefined: the policies in {dir} must define it (package gatekeeper, rule decision)"
    )]
    Undefined { dir: PathBuf },
    #[error(transparent)]
    Contract(#[from] ContractError),
    #[error("cannot encode the facts document for the policies: {0}")]
    Input(String),
}

/// The policies of one directory, parsed once and evaluated many times.
#[derive(Clone)]
pub struct PolicySet {
    engine: Engine,
    dir: PathBuf,
    files: Vec<PathBuf>,
}

/// A decision and whatever the policies printed while reaching it.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub decision: Decision,
    pub prints: Vec<String>,
}

impl PolicySet {
    /// Parses every `*.rego` file of `dir` (not its subfolders), sorted by name;
    /// `*_test.rego` files only when `with_tests`.
    pub fn load(dir: &Path, with_tests: bool) -> Result<Self, PolicyError> {
        let files = rego_files(dir, with_tests)?;
        let mut engine = Engine::new();
        for file in &files {
            engine
                .add_policy_from_file(file)
                .map_err(|e| PolicyError::Parse {
                    file: file.clone(),
                    message: format!("{e:#}"),
                })?;
        }
        engine.set_gather_prints(true);
        Ok(Self {
            engine,
            dir: dir.to_owned(),
            files,
        })
    }

    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Evaluates `data.gatekeeper.decision` over the facts and checks the contract.
    pub fn evaluate(&mut self, facts: &Facts) -> Result<Evaluation, PolicyError> {
        let input = serde_json::to_string(facts).map_err(|e| PolicyError::Input(e.to_string()))?;
        self.evaluate_json(&input)
    }

    /// Like [`evaluate`](Self::evaluate) on an input already encoded as JSON.
    pub fn evaluate_json(&mut self, input: &str) -> Result<Evaluation, PolicyError> {
        self.engine
            .set_input_json(input)
            .map_err(|e| PolicyError::Input(format!("{e:#}")))?;
        // regorus reports a rule of a package no policy declares as a bad path.
        let declared = self
            .engine
            .get_packages()
            .is_ok_and(|packages| packages.iter().any(|p| p == "data.gatekeeper"));
        let value = if declared {
            self.eval(DECISION_RULE)?
        } else {
            Value::Undefined
        };
        if value == Value::Undefined {
            return Err(PolicyError::Undefined {
                dir: self.dir.clone(),
            });
        }
        let json = serde_json::to_value(&value).map_err(|e| PolicyError::Eval {
            rule: DECISION_RULE.to_owned(),
            message: e.to_string(),
        })?;
        let decision = Decision::from_policy_output(json)?;
        let prints = self.engine.take_prints().unwrap_or_default();
        Ok(Evaluation { decision, prints })
    }

    fn eval(&mut self, rule: &str) -> Result<Value, PolicyError> {
        self.engine
            .eval_rule(rule.to_owned())
            .map_err(|e| PolicyError::Eval {
                rule: rule.to_owned(),
                message: format!("{e:#}"),
            })
    }

    /// A value of the release manager's settings (`data.gatekeeper.settings.NAME`,
    /// e.g. `notice_lead_hours`), so that the program reads the one place a release
    /// manager edits; `None` when the policies do not define it.
    pub fn setting(&mut self, name: &str) -> Result<Option<serde_json::Value>, PolicyError> {
        let rule = format!("{SETTINGS_PACKAGE}.{name}");
        let declared = self
            .engine
            .get_packages()
            .is_ok_and(|packages| packages.iter().any(|p| p == SETTINGS_PACKAGE));
        if !declared {
            return Ok(None);
        }
        let value = self.eval(&rule)?;
        if value == Value::Undefined {
            return Ok(None);
        }
        serde_json::to_value(&value)
            .map(Some)
            .map_err(|e| PolicyError::Eval {
                rule,
                message: e.to_string(),
            })
    }

    pub(crate) fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }
}

fn rego_files(dir: &Path, with_tests: bool) -> Result<Vec<PathBuf>, PolicyError> {
    let entries = std::fs::read_dir(dir).map_err(|source| PolicyError::Dir {
        dir: dir.to_owned(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| PolicyError::Dir {
                dir: dir.to_owned(),
                source,
            })?
            .path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.ends_with(".rego") || !path.is_file() {
            continue;
        }
        if name.ends_with("_test.rego") && !with_tests {
            continue;
        }
        files.push(path);
    }
    files.sort();
    if files.is_empty() {
        return Err(PolicyError::Empty {
            dir: dir.to_owned(),
        });
    }
    Ok(files)
}
