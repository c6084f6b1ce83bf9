//! Loads the Rego policies and evaluates the decision over a facts document. This is
//! the only module that knows regorus exists: the rest of gatekeeper sees policies as
//! files in, a [`Decision`] out. It never fetches facts and never prints.

mod lint;
mod portable;
mod settings;
mod testing;

use std::path::{Path, PathBuf};

use regorus::{Engine, Value};

use crate::decision::{Check, ContractError, Decision, Status};
use crate::facts::{Facts, OverrideRequest};

pub use lint::{LintReport, lint};
pub use portable::{EngineDependentNot, engine_dependent_nots};
pub use settings::{
    CHECK_IDS, ClockTime, Freeze, PRIORITIES, SettingProblem, Settings, SettingsError, WEEKDAYS,
};
pub use testing::{CoverageFile, TestOutcome, TestReport, run_tests};

/// Where the policies must put the decision.
pub const DECISION_RULE: &str = "data.gatekeeper.decision";

/// The rule that builds one check, by id (`data.gatekeeper.check_teaching_hours`).
const CHECK_RULE_PREFIX: &str = "data.gatekeeper.check_";

/// Where the policies put the guard's verdict after a deploy.
pub const GUARD_RULE: &str = "data.gatekeeper.guard.verdict";

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
    #[error(
        "evaluating {rule} failed (the place below may be in any policy file: a rule that reads one that is gone or misspelled fails here):\n{message}"
    )]
    Eval { rule: String, message: String },
    #[error(
        "{DECISION_RULE} is undefined: the policies in {dir} must define it (package gatekeeper, rule decision)"
    )]
    Undefined { dir: PathBuf },
    #[error(transparent)]
    Contract(#[from] ContractError),
    #[error("cannot encode the facts document for the policies: {0}")]
    Input(String),
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

/// The policies of one directory, parsed once and evaluated many times.
#[derive(Clone)]
pub struct PolicySet {
    engine: Engine,
    dir: PathBuf,
    files: Vec<PathBuf>,
    settings: Option<Settings>,
}

/// A decision and whatever the policies printed while reaching it.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub decision: Decision,
    pub prints: Vec<String>,
}

impl PolicySet {
    /// Parses every `*.rego` file of `dir` (not its subfolders), sorted by name, and
    /// validates the settings before anything is evaluated: a decision is never made
    /// on settings with a slip. With `with_tests` (`policy test`) the `*_test.rego`
    /// files are loaded too, and the settings are validated when the directory
    /// declares them (a directory of other policies may be tested as well).
    pub fn load(dir: &Path, with_tests: bool) -> Result<Self, PolicyError> {
        let mut set = Self::parse(dir, with_tests)?;
        if with_tests {
            if set.declares(SETTINGS_PACKAGE) {
                set.settings = Some(set.validate_settings()?);
            }
        } else {
            if !set.declares("data.gatekeeper") {
                return Err(PolicyError::Undefined {
                    dir: dir.to_owned(),
                });
            }
            set.settings = Some(set.validate_settings()?);
        }
        Ok(set)
    }

    /// Parses the policies without judging the settings (`policy check` reports
    /// their problems beside its other findings).
    pub(crate) fn parse(dir: &Path, with_tests: bool) -> Result<Self, PolicyError> {
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
        // A builtin given a value of the wrong type is an error (exit 2), never an
        // undefined that a rule could read as "no failure".
        engine.set_strict_builtin_errors(true);
        Ok(Self {
            engine,
            dir: dir.to_owned(),
            files,
            settings: None,
        })
    }

    fn declares(&self, package: &str) -> bool {
        self.engine
            .get_packages()
            .is_ok_and(|packages| packages.iter().any(|p| p == package))
    }

    /// Reads `data.gatekeeper.settings` from the engine and validates it: every
    /// problem at once, naming the key, the value and the expected form.
    pub(crate) fn validate_settings(&mut self) -> Result<Settings, PolicyError> {
        let value = if self.declares(SETTINGS_PACKAGE) {
            let results = self
                .engine
                .eval_query(SETTINGS_PACKAGE.to_owned(), false)
                .map_err(|e| PolicyError::Eval {
                    rule: SETTINGS_PACKAGE.to_owned(),
                    message: format!("{e:#}"),
                })?;
            let value = results
                .result
                .first()
                .and_then(|r| r.expressions.first())
                .map_or(Value::new_object(), |e| e.value.clone());
            serde_json::to_value(&value).map_err(|e| PolicyError::Eval {
                rule: SETTINGS_PACKAGE.to_owned(),
                message: e.to_string(),
            })?
        } else {
            serde_json::Value::Object(serde_json::Map::new())
        };
        Settings::from_json(&value).map_err(|problems| {
            PolicyError::Settings(SettingsError {
                file: self.dir.join("settings.rego"),
                problems,
            })
        })
    }

    /// The validated settings; `None` only for `policy test` of a directory that
    /// declares none.
    pub fn settings(&self) -> Option<&Settings> {
        self.settings.as_ref()
    }

    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Evaluates `data.gatekeeper.decision` over the facts and checks the contract
    /// with every guard (see [`evaluate_prepared`](Self::evaluate_prepared), the one
    /// path every decision takes).
    pub fn evaluate(&mut self, facts: &Facts) -> Result<Evaluation, PolicyError> {
        self.evaluate_prepared(&PreparedFacts::new(facts)?)
    }

    /// Evaluates the decision over facts encoded once by [`PreparedFacts`] (the cost
    /// of handing the facts over does not grow with their size) and checks the
    /// contract: an allow must stand on every check of the runbook; an allow that
    /// calls a deploy zero-downtime while the facts show it is not (a policy edit
    /// that waves a downtime deploy through) is a broken contract, and so is a
    /// check marked overridden that no person asked to override.
    pub fn evaluate_prepared(&mut self, facts: &PreparedFacts) -> Result<Evaluation, PolicyError> {
        self.engine.set_input(facts.input.clone());
        let evaluation = self.decide()?;
        let decision = &evaluation.decision;
        for check in &decision.checks {
            if let Some(o) = &check.overridden {
                let asked = facts
                    .overrides
                    .iter()
                    .any(|r| r.check == check.id && r.reason == o.reason && r.by == o.by);
                if !asked {
                    return Err(ContractError(format!(
                        "{:?} is marked overridden by {:?}, but nobody asked for that override (--override with --reason): only a person's recorded override may wave a check through",
                        check.id, o.by
                    ))
                    .into());
                }
            }
        }
        // Held on a deny too: the decision's kind plans windows and names the deploy.
        self.guard_downtime(facts.downtime_evidence.as_deref(), decision)?;
        Ok(evaluation)
    }

    /// A "zero-downtime" verdict the facts contradict (migrations pending or
    /// unknown, a `downtime` label, `--downtime`) is a broken contract, allow or
    /// deny: an allow would skip the downtime checks, and a plan would skip
    /// teaching hours.
    fn guard_downtime(
        &self,
        evidence: Option<&str>,
        decision: &Decision,
    ) -> Result<(), ContractError> {
        match evidence {
            Some(why) if self.settings.is_some() && !decision.downtime => Err(ContractError(
                format!("the policies call the deploy zero-downtime, but {why}"),
            )),
            _ => Ok(()),
        }
    }

    /// The checks `ids` alone over prepared facts, each from the rule that builds it
    /// (`data.gatekeeper.check_ID`, as `gatekeeper.rego` assembles the decision),
    /// each asked by its path, so that the checks which read every release repo are
    /// not evaluated again. `None` when such a rule is missing or does not yield a check with that
    /// id: the caller then evaluates the whole decision.
    pub fn evaluate_checks(
        &mut self,
        facts: &PreparedFacts,
        ids: &[&str],
    ) -> Result<Option<Vec<Check>>, PolicyError> {
        self.engine.set_input(facts.input.clone());
        let mut checks = Vec::with_capacity(ids.len());
        for id in ids {
            // A rule asked by its path: no query to parse, no rule prefixes to build
            // (the bulk of a query's cost when the rule itself is cheap).
            let value = self.engine.eval_rule(format!("{CHECK_RULE_PREFIX}{id}"));
            let _ = self.engine.take_prints();
            let check = value
                .ok()
                .and_then(|v| serde_json::to_value(&v).ok())
                .and_then(|json| serde_json::from_value::<Check>(json).ok());
            match check {
                Some(check) if check.id == *id => checks.push(check),
                _ => return Ok(None),
            }
        }
        Ok(Some(checks))
    }

    /// Evaluates the decision over the input already set, and checks the contract.
    fn decide(&mut self) -> Result<Evaluation, PolicyError> {
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
        // Taken first: a decision that breaks the contract must not leave its prints
        // to the next evaluation on this engine.
        let prints = self.engine.take_prints().unwrap_or_default();
        let decision = Decision::from_policy_output(json)?;
        if decision.allow {
            self.guard_allow(&decision)?;
        }
        Ok(Evaluation { decision, prints })
    }

    /// An allow from the shipped policies must stand on every check of the runbook:
    /// all eight present, `tests` and `approval` passed (never skipped, never
    /// overridden), and an override only where the settings allow one. A policy edit
    /// that drops or waves through a check is a broken contract (exit 2), not an allow.
    fn guard_allow(&self, decision: &Decision) -> Result<(), ContractError> {
        let Some(settings) = &self.settings else {
            return Ok(());
        };
        for id in settings::CHECK_IDS {
            let Some(check) = decision.checks.iter().find(|c| c.id == id) else {
                return Err(ContractError(format!(
                    "\"allow\" is true but the check {id:?} is missing"
                )));
            };
            if settings::NEVER_OVERRIDABLE.contains(&id) && check.status != Status::Pass {
                return Err(ContractError(format!(
                    "\"allow\" is true but {id:?} is {:?}, and it must pass",
                    check.status
                )));
            }
            // A skipped check proves nothing: only the downtime checks may be skipped,
            // and only for a deploy the decision says needs no downtime.
            if check.status == Status::Skip
                && (!settings::DOWNTIME_ONLY.contains(&id) || decision.downtime)
            {
                return Err(ContractError(format!(
                    "\"allow\" is true but {id:?} is skipped{}: a check may be waved through only by an override the settings allow",
                    if decision.downtime && settings::DOWNTIME_ONLY.contains(&id) {
                        " on a downtime deploy"
                    } else {
                        ""
                    }
                )));
            }
            if check.advisory && !settings.advisory.contains(id) {
                return Err(ContractError(format!(
                    "\"allow\" is true but {id:?} is marked advisory, which the settings' `advisory` does not say"
                )));
            }
            if check.overridden.is_some() && !settings.overridable.contains(id) {
                return Err(ContractError(format!(
                    "\"allow\" is true but {id:?} is overridden, which the settings' `overridable` does not allow"
                )));
            }
        }
        Ok(())
    }

    fn eval(&mut self, rule: &str) -> Result<Value, PolicyError> {
        self.engine
            .eval_rule(rule.to_owned())
            .map_err(|e| PolicyError::Eval {
                rule: rule.to_owned(),
                message: format!("{e:#}"),
            })
    }

    /// The guard's verdict (`data.gatekeeper.guard.verdict`, `policies/guard.rego`)
    /// over its figures: `(pass, reasons)`. Anything but a boolean `pass` and a list
    /// of strings is an error, never a pass.
    pub fn judge_guard(
        &mut self,
        input: &serde_json::Value,
    ) -> Result<(bool, Vec<String>), PolicyError> {
        self.engine
            .set_input_json(&input.to_string())
            .map_err(|e| PolicyError::Input(format!("{e:#}")))?;
        let value = self.eval(GUARD_RULE)?;
        let _ = self.engine.take_prints();
        let json = serde_json::to_value(&value).map_err(|e| PolicyError::Eval {
            rule: GUARD_RULE.to_owned(),
            message: e.to_string(),
        })?;
        let pass = json.get("pass").and_then(serde_json::Value::as_bool);
        let reasons: Option<Vec<String>> = json
            .get("reasons")
            .and_then(serde_json::Value::as_array)
            .and_then(|r| {
                r.iter()
                    .map(|m| m.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            });
        match (pass, reasons) {
            (Some(pass), Some(reasons)) => Ok((pass, reasons)),
            _ => Err(PolicyError::Eval {
                rule: GUARD_RULE.to_owned(),
                message: format!(
                    "it is {json}, not {{\"pass\": BOOL, \"reasons\": [TEXT]}}: the policies must define it (policies/guard.rego)"
                ),
            }),
        }
    }

    pub(crate) fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }
}

/// What in `facts` shows that the deploy needs downtime, the way the shipped policies
/// read it: asked for, migrations pending or unknown in a repo, a release pull
/// request labelled `downtime` (any case) or pull requests that could not be read.
/// The allow guard's cross-check, not a judge: `None` only when none of these holds.
fn downtime_evidence(facts: &Facts) -> Option<String> {
    if facts.downtime_requested {
        return Some("downtime was asked for (--downtime)".to_owned());
    }
    for repo in &facts.repos {
        match &repo.migrations {
            None => return Some(format!("the migrations of {} are unknown", repo.name)),
            Some(m) if !m.is_empty() => {
                return Some(format!("{} has pending migrations", repo.name));
            }
            Some(_) => {}
        }
        let Some(pulls) = &repo.pull_requests else {
            return Some(format!("the pull requests of {} are unknown", repo.name));
        };
        for pr in pulls {
            if pr
                .labels
                .iter()
                .any(|l| l.trim().eq_ignore_ascii_case("downtime"))
            {
                return Some(format!("{}#{} is labelled downtime", repo.name, pr.number));
            }
        }
    }
    None
}

/// A facts document encoded once for the policies, to evaluate many times with a few
/// top-level fields replaced (the planner varies only `window` and `notices`): the
/// bulk of the document, the repos, is shared between evaluations, never re-encoded.
///
/// It keeps what the guards hold a decision to (the overrides asked for, the
/// evidence of downtime) from the facts it was made from: fields replaced later
/// vary the moment and the notices, never those.
#[derive(Clone)]
pub struct PreparedFacts {
    input: Value,
    overrides: Vec<OverrideRequest>,
    downtime_evidence: Option<String>,
}

impl PreparedFacts {
    pub fn new(facts: &Facts) -> Result<Self, PolicyError> {
        Ok(Self {
            input: encode(facts)?,
            overrides: facts.overrides.clone(),
            downtime_evidence: downtime_evidence(facts),
        })
    }

    /// Replaces the top-level field `name` (e.g. `window`) with `value`.
    pub fn set(&mut self, name: &str, value: &impl serde::Serialize) -> Result<(), PolicyError> {
        let value = encode(value)?;
        self.input
            .as_object_mut()
            .map_err(|e| PolicyError::Input(format!("{e:#}")))?
            .insert(Value::from(name), value);
        Ok(())
    }
}

fn encode(value: &impl serde::Serialize) -> Result<Value, PolicyError> {
    let json = serde_json::to_string(value).map_err(|e| PolicyError::Input(e.to_string()))?;
    Value::from_json_str(&json).map_err(|e| PolicyError::Input(format!("{e:#}")))
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
