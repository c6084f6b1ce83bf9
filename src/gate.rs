//! The gate as one unit: what every command that decides goes through (`check`,
//! `deploy` before and after a person's yes, `window`, `notice`, and whatever entry
//! point comes next: a chat command, a replay, a signature).
//!
//! Two steps, raw to validated, then judged:
//!
//! 1. [`Gate::resolve`] turns a [`Case`] (the command line, or any caller's
//!    equivalent) into resolved inputs, once: the config (required, or optional on
//!    recorded facts), the policies and their validated settings, the planned
//!    window and the clock ([`Planned`]), and the break-glass overrides (checked
//!    against the settings' `overridable`). A mistake in any stops here, before a
//!    source is asked.
//! 2. [`Gate::facts`] collects live facts (or loads the recorded document, moved
//!    to the planned clock); [`Gate::decide`] evaluates them with every guard of
//!    [`PolicySet::evaluate`], marks the sources' errors on the decision, notes
//!    which overrides were not needed and digests the audit record's gate: a
//!    [`Judgement`].
//!
//! It never prints and never chooses an exit code: those are the caller's.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SubsecRound, Utc};

use crate::audit::{self, Actor, Event, Record, Verdict, policies_digest, sha256};
use crate::cli::PlanArgs;
use crate::config::{Config, ConfigError, TargetConfig};
use crate::decision::{Decision, Status};
use crate::facts::{Expected, ExpectedRepo, Facts, FactsError, OverrideRequest, plan_window};
use crate::net::Network;
use crate::policy::{PolicyError, PolicySet};
use crate::sources::{self, Progress};

/// Why the gate could not decide: every one is exit 2.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Facts(#[from] FactsError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// An input the gate refuses (an override without a reason, a check that may
    /// not be overridden, a window already over, a missing secret): the message
    /// says which and what to do.
    #[error("{0}")]
    Refused(String),
}

/// The planned window and the clock, as given (raw): `at` moves the clock,
/// `start`/`minutes` plan the window, `downtime` asks for a downtime deploy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Planned {
    pub at: Option<DateTime<Utc>>,
    pub start: Option<DateTime<Utc>>,
    pub minutes: Option<u32>,
    pub downtime: bool,
}

impl Planned {
    /// The command line's plan flags, in whole seconds (as the live clock: the
    /// decision's `evaluated_at` has no fraction).
    pub fn from_args(plan: &PlanArgs) -> Self {
        let whole = |t: DateTime<chrono::FixedOffset>| t.with_timezone(&Utc).trunc_subsecs(0);
        Self {
            at: plan.at.map(whole),
            start: plan.start.map(whole),
            minutes: plan.minutes,
            downtime: plan.downtime,
        }
    }
}

/// What a caller asks the gate to decide on.
#[derive(Debug, Clone)]
pub struct Case<'a> {
    /// The target, as named under `[targets.NAME]`.
    pub target: &'a str,
    /// The config file (`--config`).
    pub config: &'a Path,
    /// `--policies`, else the config's or the default directory.
    pub policies: Option<&'a Path>,
    /// A recorded facts document instead of live collection (`--facts`).
    pub facts_file: Option<&'a Path>,
    pub planned: Planned,
    /// The checks to override (`--override`), with the person's `reason`.
    pub overrides: &'a [String],
    pub reason: Option<&'a str>,
    /// Who overrides (`--by`), else the person CI names, else the login.
    pub by: Option<&'a str>,
    /// `--no-config` (with `--facts` only): a document about another target or
    /// zone, judged by the policies alone.
    pub no_config: bool,
    /// A line per HTTP try on stderr while collecting.
    pub verbose: bool,
}

/// The resolved inputs of one decision, ready to judge facts as often as needed
/// (a deploy judges twice: before and after a person's yes).
pub struct Gate {
    config: Option<Config>,
    policies: PolicySet,
    overrides: Vec<OverrideRequest>,
    /// Who asked, when a run was asked for in a comment (chatops).
    request: Option<crate::facts::Request>,
    collector: Collector,
    /// The policies' sha256 and git tree, taken at the first decision and kept:
    /// every decision of the run names the same policies, without reading them
    /// and asking git again at each `--wait` poll.
    policy_ids: std::cell::OnceCell<(Option<String>, Option<String>)>,
}

/// Collects facts for one target and plan: cheap to clone, so that a caller may
/// collect on a thread of its own (a deploy gives up on a collection at a signal).
#[derive(Clone)]
pub struct Collector {
    config: Option<Config>,
    target: String,
    planned: Planned,
    facts_file: Option<PathBuf>,
    verbose: bool,
    /// The run's network, when the command shares its own ([`Gate::share_network`]);
    /// else a collection starts one.
    network: Option<Network>,
}

/// One decision and what it was made on.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub facts: Facts,
    pub decision: Decision,
    /// What the policies printed while deciding (`--explain`).
    pub prints: Vec<String>,
    /// The audit record's gate: the verdict and the digests of facts and policies.
    pub gate: audit::Ruling,
    /// `--override`s that changed nothing, each with why (the check passes, …).
    pub unneeded: Vec<(String, &'static str)>,
    /// Lines for stderr: what the shadow policies would decide, an archive that
    /// could not be written. Never a different exit code.
    pub notes: Vec<String>,
}

impl Judgement {
    /// The check record of this decision, as `command` writes it to the audit log.
    pub fn record(&self, command: &str) -> Record {
        Record::new(
            command,
            &self.decision.target,
            Event::Check(self.gate.clone()),
        )
    }
}

impl Gate {
    /// Resolves the inputs once. The config is required for live facts and
    /// optional (validated when it exists) on a recorded document; the policies'
    /// settings are validated; every override must be allowed by them and carry a
    /// reason. Nothing is collected yet.
    pub fn resolve(request: &Case<'_>) -> Result<Self, GateError> {
        let config = match request.facts_file {
            Some(_) if request.no_config => None,
            Some(_) => Config::load_optional(request.config)?,
            None => Some(Config::load(request.config)?),
        };
        if let Some(config) = &config {
            scrub_secrets_of(config);
        }
        Self::with_config(config, request)
    }

    /// [`resolve`](Self::resolve) with a config the caller loaded already (a
    /// deploy needs it before the gate, for its runbook).
    pub fn with_config(config: Option<Config>, request: &Case<'_>) -> Result<Self, GateError> {
        let dir = Config::policy_dir(config.as_ref(), request.policies);
        let policies = PolicySet::load(&dir, false)?;
        let overrides =
            override_requests(&policies, request.overrides, request.reason, request.by)?;
        Ok(Self {
            collector: Collector::new(
                config.clone(),
                request.target,
                request.planned.clone(),
                request.facts_file,
                request.verbose,
            ),
            config,
            policies,
            overrides,
            request: None,
            policy_ids: std::cell::OnceCell::new(),
        })
    }

    pub fn config(&self) -> Option<&Config> {
        self.config.as_ref()
    }

    pub fn policies(&self) -> &PolicySet {
        &self.policies
    }

    /// The policies, to plan windows with ([`crate::planner`]).
    pub fn policies_mut(&mut self) -> &mut PolicySet {
        &mut self.policies
    }

    /// The break-glass requests of this run.
    pub fn overrides(&self) -> &[OverrideRequest] {
        &self.overrides
    }

    /// Names each override's person anew (a deploy knows the token's login).
    pub fn attribute_overrides(&mut self, by: impl Fn(&str) -> String) {
        for o in &mut self.overrides {
            o.by = by(&o.by);
        }
    }

    /// The request a comment made (chatops): it enters every judged document.
    pub fn set_request(&mut self, request: Option<crate::facts::Request>) {
        self.request = request;
    }

    /// Decisions are made on live facts (not a recorded document).
    pub fn is_live(&self) -> bool {
        self.collector.facts_file.is_none()
    }

    /// Collects on `network`, the command run's, rather than on one of its own (a
    /// deploy's also records the run on GitHub and runs the verify step).
    pub fn share_network(&mut self, network: &Network) {
        self.collector.network = Some(network.clone());
    }

    pub fn collector(&self) -> &Collector {
        &self.collector
    }

    /// The facts: the recorded document, or collected live now.
    pub fn facts(&self, progress: &dyn Progress) -> Result<Facts, GateError> {
        self.collector.facts(progress)
    }

    /// Judges `facts` with every guard: the run's overrides replace whatever the
    /// document held (an override is a person's decision, made now), the sources'
    /// errors are marked on the decision, and the record's gate is digested. The
    /// facts go to the archive and the shadow policies judge them too: a decision
    /// that is recorded can be replayed.
    pub fn decide(&mut self, facts: Facts) -> Result<Judgement, GateError> {
        self.judge(facts, true)
    }

    /// [`decide`](Self::decide) for a decision nothing records (`deploy --wait`
    /// deciding again until the allows hold): neither archived nor shadowed, so
    /// that waiting an hour leaves no facts file per poll.
    pub fn decide_interim(&mut self, facts: Facts) -> Result<Judgement, GateError> {
        self.judge(facts, false)
    }

    fn judge(&mut self, mut facts: Facts, recorded: bool) -> Result<Judgement, GateError> {
        facts.overrides = self.overrides.clone();
        // A recorded document keeps the request it was judged with.
        if self.request.is_some() {
            facts.request = self.request.clone();
        }
        let evaluation = self.policies.evaluate(&facts)?;
        let mut decision = evaluation.decision;
        decision.mark_source_errors(facts.errors.iter().map(|e| e.message.as_str()));
        let unneeded = unneeded_overrides(&decision, &facts.overrides);
        let ids = self
            .policy_ids
            .get_or_init(|| policy_ids(&self.policies, self.config.as_ref()));
        let mut gate = digest(&facts, ids.clone(), &decision, self.is_live());
        let notes = match &self.config {
            Some(config) if recorded => replayable(config, &facts, &mut gate),
            _ => Vec::new(),
        };
        Ok(Judgement {
            facts,
            decision,
            prints: evaluation.prints,
            gate,
            unneeded,
            notes,
        })
    }
}

impl Collector {
    /// A collector for `target` (the facts alone, judged by nobody: `facts`).
    pub fn new(
        config: Option<Config>,
        target: &str,
        planned: Planned,
        facts_file: Option<&Path>,
        verbose: bool,
    ) -> Self {
        Self {
            config,
            target: target.to_owned(),
            planned,
            facts_file: facts_file.map(Path::to_owned),
            verbose,
            network: None,
        }
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// The recorded document (checked against the config, moved to the planned
    /// clock) or, live, every source at once at the planned clock or now.
    pub fn facts(&self, progress: &dyn Progress) -> Result<Facts, GateError> {
        if let Some(path) = &self.facts_file {
            return self.load(path);
        }
        let config = self.config.as_ref().ok_or_else(|| {
            GateError::Refused(
                "collecting live facts needs a config: pass --config FILE".to_owned(),
            )
        })?;
        let now = self
            .planned
            .at
            .unwrap_or_else(|| Utc::now().trunc_subsecs(0));
        self.collect(config, now, progress)
    }

    fn load(&self, path: &Path) -> Result<Facts, GateError> {
        let plan = &self.planned;
        let mut facts = Facts::load(path, &self.target)?;
        if let Some(config) = &self.config {
            let configured = config.target(&self.target)?;
            facts.check_configured(path, &config.path, &expected(config, configured))?;
        }
        if plan.at.is_some() || plan.start.is_some() || plan.minutes.is_some() {
            // Judged when the document loaded; the same rule names it here.
            let tz = crate::config::zone(&facts.timezone).map_err(|why| {
                GateError::Refused(format!("facts file {}: timezone {why}", path.display()))
            })?;
            let now = plan.at.unwrap_or(facts.now);
            let minutes = plan.minutes.unwrap_or(facts.window.minutes);
            let start = match plan.start {
                Some(s) => Some(s),
                // Without --start the window follows the clock.
                None if plan.at.is_some() => None,
                None => Some(facts.window.start),
            };
            facts.replan(now, start, minutes, tz);
        }
        if plan.downtime {
            facts.downtime_requested = true;
        }
        Ok(facts)
    }

    fn collect(
        &self,
        config: &Config,
        now: DateTime<Utc>,
        progress: &dyn Progress,
    ) -> Result<Facts, GateError> {
        let plan = &self.planned;
        config.target(&self.target)?;
        require_secrets(config)?;
        let minutes = plan.minutes.unwrap_or(config.deploy_minutes);
        let start = plan.start.unwrap_or(now);
        let network = match &self.network {
            // A collection's deadline runs from its start: a deploy collects again
            // after a person's yes, and `--wait` once per poll, on the run's runtime.
            Some(network) => network.renewed(),
            None => Network::start(config.limits()).map_err(GateError::Runtime)?,
        };
        let request = sources::Collection {
            config,
            target: &self.target,
            now,
            clock_moved: plan.at.is_some(),
            window: plan_window(start, minutes, config.tz()),
            downtime_requested: plan.downtime,
            policy: network.policy(),
            log: self.verbose.then(|| -> crate::net::Log {
                std::sync::Arc::new(|line: &str| eprintln!("gatekeeper: {line}"))
            }),
            stats: None,
        };
        let mut facts = network.block_on(sources::collect(&request, progress));
        if plan.at.is_some() {
            // A clock moved back (`--at`): what came into being after it (a review, a
            // build, a comment) did not exist then.
            facts.as_of(now);
        } else if let Some(latest) = facts.latest_evidence().filter(|t| *t > now) {
            // Live: everything the sources answered exists, so "now" is at least its
            // latest date (a local clock behind GitHub's must not hide a /reschedule).
            let latest = latest.trunc_subsecs(0) + chrono::Duration::seconds(1);
            match plan.start {
                // A window that starts now starts at that later now.
                None => facts.replan(latest, None, minutes, config.tz()),
                Some(_) => {
                    facts.now = latest;
                    facts.now_unix = latest.timestamp();
                }
            }
        }
        Ok(facts)
    }
}

/// From now on the secrets `config` names are scrubbed from every message, error
/// and audit record of this process ([`crate::secrets::scrub`]).
pub fn scrub_secrets_of(config: &Config) {
    crate::secrets::install_scrubber(config.redactor(&crate::secrets::process_env));
}

/// A planned window that ended before the moment judged is a stale plan (last
/// week's `--start`), not a deploy anyone can still make: no decision.
pub fn refuse_a_window_already_over(facts: &Facts) -> Result<(), GateError> {
    if facts.window.end <= facts.now {
        return Err(GateError::Refused(format!(
            "the planned window {} to {} ended before the moment judged ({}): give a --start that is still ahead, or none to start now",
            facts.window.start_local, facts.window.end_local, facts.now
        )));
    }
    Ok(())
}

/// Every secret live facts need is set: checked before any request (and, by
/// `deploy`, before the lock), one line per unset variable.
pub fn require_secrets(config: &Config) -> Result<(), GateError> {
    let missing = sources::missing_secrets(
        config,
        &crate::secrets::process_env,
        &["jenkins", "newrelic", "github"],
    );
    if missing.is_empty() {
        Ok(())
    } else {
        Err(GateError::Refused(format!(
            "live facts need every secret the config names, before any request:\n  - {}",
            missing.join("\n  - ")
        )))
    }
}

/// What the config says a facts document for `target` must hold.
fn expected<'a>(config: &'a Config, target: &'a TargetConfig) -> Expected<'a> {
    Expected {
        timezone: &config.timezone,
        repos: target
            .repos
            .iter()
            .map(|r| ExpectedRepo {
                name: &r.github,
                jenkins_job: &r.jenkins_job,
                release_branch: &target.release_branch,
                base_branch: &target.base_branch,
            })
            .collect(),
        deploy_repo: &target.deploy_repo,
        base_branch: &target.base_branch,
        app: &target.app,
        throughput_minutes: config.newrelic.as_ref().map(|n| n.window_minutes),
    }
}

/// The break-glass requests of this run, refusing any check the policy settings do
/// not list as overridable.
fn override_requests(
    policies: &PolicySet,
    ids: &[String],
    reason: Option<&str>,
    by: Option<&str>,
) -> Result<Vec<OverrideRequest>, GateError> {
    let mut requests: Vec<OverrideRequest> = Vec::new();
    if ids.is_empty() {
        return Ok(requests);
    }
    let reason = reason.map(str::trim).unwrap_or_default();
    if reason.is_empty() {
        return Err(GateError::Refused(
            "--override needs --reason \"why\": the reason is recorded with the decision"
                .to_owned(),
        ));
    }
    let allowed: Vec<String> = policies
        .settings()
        .map(|s| s.overridable.iter().cloned().collect())
        .unwrap_or_default();
    // --by, else the person CI names (a CI agent's account is nobody), else the
    // login; never "unknown": an override is a person's decision.
    let by = by
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
        .or_else(|| Actor::ci_from(&|v| std::env::var(v).ok()))
        .or_else(audit::login)
        .ok_or_else(|| {
            GateError::Refused(
                "an override must name who made it, and neither CI nor USER/USERNAME/LOGNAME names anyone here: pass --by NAME"
                    .to_owned(),
            )
        })?;
    for id in ids {
        if !allowed.contains(id) {
            return Err(GateError::Refused(format!(
                "check {id:?} may not be overridden: the setting `overridable` in {}/settings.rego lists {}",
                policies.dir().display(),
                if allowed.is_empty() {
                    "no checks".to_owned()
                } else {
                    allowed.join(", ")
                }
            )));
        }
        if requests.iter().all(|o| &o.check != id) {
            requests.push(OverrideRequest {
                check: id.clone(),
                reason: reason.to_owned(),
                by: by.clone(),
            });
        }
    }
    Ok(requests)
}

/// The overrides whose check did not fail, each with why: recorded as given, but
/// the person is told they changed nothing.
fn unneeded_overrides(
    decision: &Decision,
    overrides: &[OverrideRequest],
) -> Vec<(String, &'static str)> {
    overrides
        .iter()
        .filter_map(|request| {
            let status = decision
                .checks
                .iter()
                .find(|c| c.id == request.check)
                .map(|c| c.status);
            let why = match status {
                Some(Status::Fail) => return None,
                Some(Status::Pass) => "the check passes",
                Some(Status::Skip) => "the check does not apply (skip)",
                None => "the decision has no such check",
            };
            Some((request.check.clone(), why))
        })
        .collect()
}

/// The decision and the digests of what it was decided on.
/// What makes a decision replayable: the facts judged go to the archive, and
/// the shadow policies' verdict (config `shadow_policies`) goes into the record.
/// Both only note when they fail.
fn replayable(config: &Config, facts: &Facts, gate: &mut audit::Ruling) -> Vec<String> {
    let mut notes = Vec::new();
    if let Err(e) =
        crate::archive::Archive::of_config(config).store(facts, std::time::SystemTime::now())
    {
        notes.push(format!("warning: {e}"));
    }
    if let Some(dir) = &config.shadow_policies {
        let dir = config.resolve(dir);
        match crate::shadow::evaluate(&dir, facts) {
            Ok(verdict) => {
                notes.push(crate::shadow::line(&verdict));
                gate.shadow = Some(verdict);
            }
            Err(e) => notes.push(format!(
                "warning: the shadow policies {} could not decide: {e}",
                dir.display()
            )),
        }
    }
    notes
}

/// The policies' sha256 (of every file) and git tree (when committed as they are).
fn policy_ids(policies: &PolicySet, config: Option<&Config>) -> (Option<String>, Option<String>) {
    let git = config.map_or("git", |c| c.programs.git.as_str());
    let secret_vars = config.map(Config::secret_vars).unwrap_or_default();
    (
        policies_digest(policies.files()).ok(),
        crate::archive::policies_tree(policies.dir(), git, &secret_vars),
    )
}

fn digest(
    facts: &Facts,
    (policies_sha256, policies_tree): (Option<String>, Option<String>),
    decision: &Decision,
    live: bool,
) -> audit::Ruling {
    // An advisory check is shown, never counted towards a deny.
    let failing_checks = decision
        .failing()
        .filter(|c| c.overridden.is_none() && !c.advisory)
        .map(|c| c.id.clone())
        .collect();
    let overrides = decision
        .failing()
        .filter_map(|c| {
            c.overridden.as_ref().map(|o| OverrideRequest {
                check: c.id.clone(),
                reason: o.reason.clone(),
                by: o.by.clone(),
            })
        })
        .collect();
    audit::Ruling {
        decision: if decision.allow {
            Verdict::Allow
        } else {
            Verdict::Deny
        },
        failing_checks,
        overrides,
        facts_sha256: serde_json::to_vec(facts).ok().map(|b| sha256(&b)),
        policies_sha256,
        facts_source: Some(if live { "live" } else { "file" }.to_owned()),
        release_heads: facts
            .repos
            .iter()
            .filter_map(|r| Some(format!("{}@{}", r.name, r.release_sha.as_deref()?)))
            .collect(),
        // Set by the caller that signs the decision.
        attestation_sha256: None,
        policies_tree,
        shadow: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every decision of one gate names the policies it was given, even when a
    /// policy file changes on disk between two decisions (a `--wait` poll, the
    /// decision after a person's yes): the record never describes files that were
    /// not evaluated.
    #[test]
    fn every_decision_of_a_run_names_the_same_policies() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(root.join("policies")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
        let facts_file = root.join("fixtures/facts/green.json");
        let mut gate = Gate::resolve(&Case {
            target: "production",
            config: Path::new("no-such-config.toml"),
            policies: Some(dir.path()),
            facts_file: Some(&facts_file),
            planned: Planned::default(),
            overrides: &[],
            reason: None,
            by: None,
            no_config: true,
            verbose: false,
        })
        .unwrap();
        let first = gate
            .decide_interim(gate.facts(&crate::sources::Silent).unwrap())
            .unwrap();
        let settings = dir.path().join("settings.rego");
        let text = std::fs::read_to_string(&settings).unwrap();
        std::fs::write(&settings, format!("{text}\n# edited on disk\n")).unwrap();
        let second = gate
            .decide_interim(gate.facts(&crate::sources::Silent).unwrap())
            .unwrap();
        assert!(first.gate.policies_sha256.is_some());
        assert_eq!(first.gate.policies_sha256, second.gate.policies_sha256);
    }
}
