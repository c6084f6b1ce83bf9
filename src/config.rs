//! `gatekeeper.toml`: the types, their defaults, and validation that reports every
//! mistake at once. Secrets are never stored here, only the NAMES of the environment
//! variables that hold them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

mod chatops;
mod guard;
mod policy_key;
pub mod record_first;
mod secrets;
mod shape;
mod types;
mod unknown_keys;
mod zone;

pub use chatops::{ChatopsRole, IssueRef, NotAnIssue, issue_ref};
pub use guard::GuardConfig;
pub use policy_key::configured_policy_dir;
pub use secrets::is_variable_name;
pub use zone::{ZoneError, zone};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot read config {path}: {source}; pass --config FILE or create gatekeeper.toml (see README)"
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path} is not valid TOML: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config {path} has {} problem(s):\n  - {}", problems.len(), problems.join("\n  - "))]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
    },
    #[error(
        "target {name:?} is not in config {path}; known targets: {known}; add a [targets.{name}] table"
    )]
    UnknownTarget {
        name: String,
        path: PathBuf,
        known: String,
    },
}

/// The whole config file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_timezone")]
    pub timezone: String,
    pub policies: Option<PathBuf>,
    #[serde(default = "default_audit_log")]
    pub audit_log: PathBuf,
    /// The facts archive (default: `facts` beside the audit log); see `archive.rs`.
    pub archive: Option<PathBuf>,
    /// Days an archived facts document is kept (pruned on write).
    #[serde(default = "crate::archive::default_days")]
    pub archive_days: u32,
    /// Policies evaluated beside the real ones, recorded only (see `shadow.rs`).
    pub shadow_policies: Option<PathBuf>,
    /// Where the release repos are cloned when a repo names no `path` (relative to
    /// the config, so a CI workspace can hold them); `deploy` clones a missing one.
    pub workdir: Option<PathBuf>,
    /// Planned window length when `--minutes` is not given.
    #[serde(default = "default_deploy_minutes")]
    pub deploy_minutes: u32,
    /// Per-request timeout for every source.
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
    /// How long a runbook step gets to stop after SIGTERM (a timeout) or an
    /// interruption before its process group is killed.
    #[serde(default = "default_step_grace_seconds")]
    pub step_grace_seconds: u64,
    /// One deadline for the whole collection: what is unanswered then fails.
    #[serde(default = "default_deadline_seconds")]
    pub deadline_seconds: u64,
    /// Requests in flight at most, per service (Jenkins, New Relic, GitHub each).
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
    pub jenkins: Option<JenkinsConfig>,
    pub newrelic: Option<NewRelicConfig>,
    pub github: Option<GithubConfig>,
    /// The watch on the app's numbers after a deploy; none without the section.
    pub guard: Option<GuardConfig>,
    #[serde(default)]
    pub programs: Programs,
    /// The lowest repository role that may ask for a command in a comment.
    #[serde(default)]
    pub chatops_role: ChatopsRole,
    /// How long a `/deploy` or `/rollback` asked in a comment waits for its confirmation.
    #[serde(default = "chatops::default_confirm_minutes")]
    pub chatops_confirm_minutes: u32,
    #[serde(default)]
    pub targets: BTreeMap<String, TargetConfig>,
    /// `verifier.id` of signed decisions (default: gatekeeper's repository URL).
    pub attestation_verifier_id: Option<String>,
    /// Where the config was read from, for messages.
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JenkinsConfig {
    pub url: String,
    pub user: Option<String>,
    pub token_env: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRelicConfig {
    #[serde(default = "default_newrelic_url")]
    pub url: String,
    pub account_id: u64,
    #[serde(default = "default_newrelic_key_env")]
    pub api_key_env: String,
    #[serde(default = "default_window_minutes")]
    pub window_minutes: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    #[serde(default = "default_github_url")]
    pub url: String,
    #[serde(default = "default_github_token_env")]
    pub token_env: String,
}

/// The programs the runbook runs, so that tests can put stand-ins first on PATH.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Programs {
    #[serde(default = "default_git")]
    pub git: String,
    #[serde(default = "default_ttmscalr")]
    pub ttmscalr: String,
}

impl Default for Programs {
    fn default() -> Self {
        Self {
            git: default_git(),
            ttmscalr: default_ttmscalr(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// New Relic appName.
    pub app: String,
    /// GitHub repo whose base branch head is the production SHA.
    pub deploy_repo: String,
    /// git remote the runbook pushes to.
    pub deploy_remote: String,
    /// The deploy remote's URL: added to a fresh clone of the app that lacks it.
    pub deploy_remote_url: Option<String>,
    /// GitHub repo whose issues are the downtime notices.
    pub notices_repo: String,
    #[serde(default = "default_release_branch")]
    pub release_branch: String,
    #[serde(default = "default_base_branch")]
    pub base_branch: String,
    /// URLs that must answer 200 after a deploy.
    #[serde(default)]
    pub smoke_urls: Vec<String>,
    /// Replaces the default runbook steps when given.
    pub steps: Option<Vec<StepConfig>>,
    /// Added after the default (or configured) steps, before verify.
    #[serde(default)]
    pub extra_steps: Vec<StepConfig>,
    #[serde(default)]
    pub repos: Vec<RepoConfig>,
    /// Where `gatekeeper notice` addresses the downtime e-mail (no default: `notice`
    /// asks for it).
    pub notice_to: Option<String>,
    /// Who gets a copy of the downtime e-mail.
    #[serde(default)]
    pub notice_cc: Vec<String>,
    /// An issue (`owner/name#N`) where chatops commands are taken besides the
    /// target's release pull request.
    pub chatops_issue: Option<String>,
    /// A PEM public key (relative to the config): `deploy` then needs
    /// `--attestation FILE`, a decision signed by it (docs/attestation.md).
    pub require_attestation: Option<PathBuf>,
    /// How old that signed decision may be (default 120).
    pub attestation_max_age_minutes: Option<u32>,
    /// When the guard fails after a deploy: roll back once, automatically.
    #[serde(default)]
    pub auto_rollback: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoConfig {
    /// "owner/name" on GitHub. The first repo is the app deployed to the deploy remote.
    pub github: String,
    /// Jenkins job path; "folder/job/name" for folders.
    pub jenkins_job: String,
    /// Local clone the runbook merges and pushes from.
    pub path: Option<PathBuf>,
    /// Where to clone it from when it is missing (default: the repo on the GitHub
    /// host of `[github] url`).
    pub clone_url: Option<String>,
}

/// One runbook step as data: a command as an argument list, never a shell string.
/// Arguments may hold placeholders (`{target}`, `{deploy_remote}`, `{release_branch}`,
/// `{base_branch}`, `{app}`), substituted one argument at a time. A command whose
/// program is `git` or `ttmscalr` runs the program named in `[programs]`; commands
/// run in the first repo's clone (the app).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StepConfig {
    pub name: String,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub when: When,
    /// A step a person carries out and confirms.
    #[serde(default)]
    pub manual: bool,
    /// A step gatekeeper carries out itself (merging every repo, recording the
    /// production SHA) instead of a command.
    #[serde(default)]
    pub builtin: Option<Builtin>,
    /// How long the step may run before its process group is stopped (fractions
    /// allowed); default 30, `deploy:migrate` 120.
    #[serde(default)]
    pub timeout_minutes: Option<f64>,
}

/// The steps that are more than one command.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// In every repo's clone: checkout base, pull it, merge the release branch with a
    /// merge commit (checking that the merged head is the SHA the gate checked), push.
    Merge,
    /// `git ls-remote DEPLOY_REMOTE BASE`: the production SHA a rollback restores.
    RecordProduction,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum When {
    #[default]
    Always,
    Downtime,
    Migrations,
}

fn default_timezone() -> String {
    "America/New_York".to_owned()
}
fn default_audit_log() -> PathBuf {
    PathBuf::from(".gatekeeper/audit.jsonl")
}
fn default_deploy_minutes() -> u32 {
    60
}
fn default_timeout_seconds() -> u64 {
    10
}
fn default_step_grace_seconds() -> u64 {
    30
}
fn default_deadline_seconds() -> u64 {
    60
}
fn default_max_in_flight() -> usize {
    32
}
fn default_newrelic_url() -> String {
    "https://api.newrelic.com/graphql".to_owned()
}
fn default_newrelic_key_env() -> String {
    "NEW_RELIC_API_KEY".to_owned()
}
fn default_window_minutes() -> u32 {
    5
}
fn default_github_url() -> String {
    "https://api.github.com".to_owned()
}
fn default_github_token_env() -> String {
    "GITHUB_TOKEN".to_owned()
}
fn default_git() -> String {
    "git".to_owned()
}
fn default_ttmscalr() -> String {
    "ttmscalr".to_owned()
}
fn default_release_branch() -> String {
    "rc".to_owned()
}
fn default_base_branch() -> String {
    "master".to_owned()
}

impl Config {
    /// Reads and checks the config at `path`. No side effects: the caller installs
    /// [`redactor`](Self::redactor) as the process's scrubber
    /// ([`crate::secrets::install_scrubber`]), so that the values of the secret
    /// variables it names leave no message, error or audit record.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Every secret the config points at, read through `env`, to scrub from messages.
    pub fn redactor(&self, env: crate::secrets::Env<'_>) -> crate::secrets::Redactor {
        let vars = self.secret_vars();
        let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
        let mut redactor = crate::secrets::Redactor::from_env(env, &vars);
        if let Some(j) = &self.jenkins
            && let (Some(user), Some(var)) = (&j.user, &j.token_env)
            && let Some(token) = env(var)
        {
            redactor = redactor.with_basic(user, &token);
        }
        redactor
    }

    /// Reads the config if the file exists; `None` when it does not (offline commands
    /// on recorded facts need no config).
    pub fn load_optional(path: &Path) -> Result<Option<Self>, ConfigError> {
        if path.exists() {
            Self::load(path).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let parse_error = |e: toml::de::Error| ConfigError::Parse {
            path: path.to_owned(),
            message: located(text, &e),
        };
        // Secrets first, on the bare table: no later message may quote one back.
        let document: toml::Table = text.parse().map_err(parse_error)?;
        // A secret is named without hiding the file's other problems (messages
        // never quote a value).
        let mut secrets = Vec::new();
        secrets::inline_secrets(&toml::Value::Table(document.clone()), "", &mut secrets);
        // Every unknown key at once, with the nearest known one; then every type error.
        let unknown = unknown_keys::unknown_keys(&document);
        if !unknown.is_empty() {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                problems: [secrets, unknown].concat(),
            });
        }
        let mut config: Config = types::typed(text).map_err(|types| ConfigError::Invalid {
            path: path.to_owned(),
            problems: [secrets.clone(), types].concat(),
        })?;
        config.path = path.to_owned();
        config.place_clones();
        // Beside a secret, no problem about its key (which could quote it back).
        let secret_keys: Vec<&str> = secrets
            .iter()
            .filter_map(|s| s.split_whitespace().next())
            .collect();
        let mut others = config.problems();
        if !secrets.is_empty() {
            others.retain(|p| {
                !secret_keys.iter().any(|k| p.contains(k))
                    && !p.contains("://")
                    && p.split_whitespace()
                        .all(|w| secrets::token_word(w).is_none())
            });
        }
        let problems = [secrets.clone(), others].concat();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                path: path.to_owned(),
                problems,
            })
        }
    }

    /// A repo with no `path` lives in `workdir`, under its name.
    fn place_clones(&mut self) {
        let Some(workdir) = self.workdir.clone() else {
            return;
        };
        for target in self.targets.values_mut() {
            for repo in target.repos.iter_mut().filter(|r| r.path.is_none()) {
                let name = repo.github.rsplit('/').next().unwrap_or(&repo.github);
                repo.path = Some(workdir.join(name));
            }
        }
    }

    /// Where a missing clone of `repo` comes from: its `clone_url`, else the repo
    /// on the web host of the GitHub API (`api.github.com` → `github.com`; an
    /// Enterprise `HOST/api/v3` → `HOST`).
    pub fn clone_url(&self, repo: &RepoConfig) -> String {
        if let Some(url) = &repo.clone_url {
            return url.clone();
        }
        let api = self
            .github
            .as_ref()
            .map_or("https://api.github.com", |g| g.url.as_str())
            .trim_end_matches('/');
        let web = match api.strip_suffix("/api/v3") {
            Some(host) => host.to_owned(),
            None => api.replacen("://api.", "://", 1),
        };
        format!("{web}/{}.git", repo.github)
    }

    /// Every mistake in the config, so that a user fixes them in one go.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(why) = zone(&self.timezone) {
            problems.push(format!("timezone {why}"));
        }
        in_range(
            &mut problems,
            "deploy_minutes",
            self.deploy_minutes,
            1,
            10080,
        );
        in_range(
            &mut problems,
            "timeout_seconds",
            self.timeout_seconds,
            1,
            600,
        );
        in_range(
            &mut problems,
            "deadline_seconds",
            self.deadline_seconds,
            1,
            3600,
        );
        in_range(&mut problems, "max_in_flight", self.max_in_flight, 1, 100);
        in_range(
            &mut problems,
            "chatops_confirm_minutes",
            self.chatops_confirm_minutes,
            1,
            1440,
        );
        in_range(
            &mut problems,
            "step_grace_seconds",
            self.step_grace_seconds,
            0,
            3600,
        );
        if let Some(j) = &self.jenkins {
            let credential = j.token_env.as_ref().map(|_| "jenkins.token_env");
            shape::service_url(&mut problems, "jenkins.url", &j.url, credential);
            if let Some(user) = &j.user {
                shape::name(&mut problems, "jenkins.user", user);
            }
        }
        if let Some(g) = &self.guard {
            g.problems(&mut problems);
        }
        if let Some(n) = &self.newrelic {
            shape::service_url(
                &mut problems,
                "newrelic.url",
                &n.url,
                Some("newrelic.api_key_env"),
            );
            in_range(
                &mut problems,
                "newrelic.window_minutes",
                n.window_minutes,
                1,
                60,
            );
            if n.account_id == 0 {
                problems.push(
                    "newrelic.account_id must be your New Relic account number, not 0".to_owned(),
                );
            }
        }
        if let Some(g) = &self.github {
            shape::service_url(
                &mut problems,
                "github.url",
                &g.url,
                Some("github.token_env"),
            );
        }
        self.shared_variables(&mut problems);
        shape::name(&mut problems, "programs.git", &self.programs.git);
        shape::name(&mut problems, "programs.ttmscalr", &self.programs.ttmscalr);
        if self.audit_log.as_os_str().is_empty() {
            problems.push(
                "audit_log is empty: give the path of the audit log (default .gatekeeper/audit.jsonl)"
                    .to_owned(),
            );
        }
        if self.archive_days == 0 {
            problems.push(
                "archive_days is 0: give the days archived facts are kept, at least 1 (default 90)"
                    .to_owned(),
            );
        }
        for (name, target) in &self.targets {
            target_problems(&mut problems, name, target);
        }
        problems
    }

    pub fn tz(&self) -> Tz {
        // Validated in `problems`; the fallback is never reached for a loaded config.
        zone(&self.timezone).unwrap_or(chrono_tz::America::New_York)
    }

    /// What every request of a run is held to: a run's [`crate::net::Network`] is
    /// started with these.
    pub fn limits(&self) -> crate::net::Limits {
        crate::net::Limits {
            timeout_seconds: self.timeout_seconds,
            deadline_seconds: self.deadline_seconds,
            max_in_flight: self.max_in_flight,
        }
    }

    /// Each service needs its own credential: one variable named by two `*_env`
    /// keys sends one service's token to another (a copy-paste slip).
    fn shared_variables(&self, problems: &mut Vec<String>) {
        let named = [
            (
                "jenkins.token_env",
                self.jenkins.as_ref().and_then(|j| j.token_env.as_deref()),
            ),
            (
                "newrelic.api_key_env",
                self.newrelic.as_ref().map(|n| n.api_key_env.as_str()),
            ),
            (
                "github.token_env",
                self.github.as_ref().map(|g| g.token_env.as_str()),
            ),
        ];
        let named: Vec<(&str, &str)> = named
            .into_iter()
            .filter_map(|(key, var)| var.map(|v| (key, v)))
            .collect();
        for (i, (key, var)) in named.iter().enumerate() {
            for (other, other_var) in named.iter().skip(i + 1) {
                if var == other_var {
                    problems.push(format!(
                        "{key} and {other} both name the variable {var}: each service needs its own credential, or one service's token is sent to the other; name a separate variable in each (a default counts: [newrelic] api_key_env defaults to NEW_RELIC_API_KEY, [github] token_env to GITHUB_TOKEN)"
                    ));
                }
            }
        }
    }

    /// The names of every environment variable the config says holds a secret:
    /// runbook steps never see them, and their values are scrubbed from all output.
    pub fn secret_vars(&self) -> Vec<String> {
        let jenkins = self.jenkins.as_ref().and_then(|j| j.token_env.clone());
        let newrelic = self.newrelic.as_ref().map(|n| n.api_key_env.clone());
        let github = self.github.as_ref().map(|g| g.token_env.clone());
        // The signing key's PEM (`--attest-out`) is a secret like the tokens.
        let signing = Some(crate::secrets::SIGNING_KEY_ENV.to_owned());
        [jenkins, newrelic, github, signing]
            .into_iter()
            .flatten()
            .collect()
    }

    pub fn target(&self, name: &str) -> Result<&TargetConfig, ConfigError> {
        self.targets
            .get(name)
            .ok_or_else(|| ConfigError::UnknownTarget {
                name: name.to_owned(),
                path: self.path.clone(),
                known: if self.targets.is_empty() {
                    "none".to_owned()
                } else {
                    self.targets.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            })
    }

    /// The directory relative paths in the config are read from: the config file's.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    /// A path from the config, relative to the config file (an absolute one stays).
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.dir().join(path)
    }

    /// The policy directory: the flag, else config (relative to the config file), else ./policies.
    pub fn policy_dir(config: Option<&Config>, flag: Option<&Path>) -> PathBuf {
        if let Some(dir) = flag {
            return dir.to_owned();
        }
        config
            .and_then(|c| c.policies.as_deref().map(|p| c.resolve(p)))
            .unwrap_or_else(|| PathBuf::from("policies"))
    }
}

/// Splits "owner/name"; `None` when it is not exactly that: an owner of letters,
/// digits and `-`, a name of letters, digits, `.`, `_` and `-` (as GitHub allows).
pub fn split_repo(full: &str) -> Option<(&str, &str)> {
    let (owner, name) = full.split_once('/')?;
    let owner_ok = !owner.is_empty()
        && owner.len() <= 39
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let name_ok = !name.is_empty()
        && name.len() <= 100
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    (owner_ok && name_ok).then_some((owner, name))
}

/// A GitHub repo key: "owner/name", without whitespace around it.
fn repo_name(problems: &mut Vec<String>, key: &str, repo: &str) {
    if shape::name(problems, key, repo) && split_repo(repo).is_none() {
        problems.push(format!(
            "{key} {repo:?} is not \"owner/name\" (letters, digits, `-`; the name also `.` and `_`)"
        ));
    }
}

/// A value git is given as an argument must not start with `-`: git would read it
/// as an option (`--upload-pack=…`).
fn no_option(problems: &mut Vec<String>, key: &str, value: &str) {
    if value.trim_start().starts_with('-') {
        problems.push(format!(
            "{key} starts with `-`, which git would read as an option: give a URL or a path"
        ));
    }
}

/// A TOML error as line, column and message, without the quoted source line nor
/// any quoted value (a key pasted into the wrong field is still a secret).
fn located(text: &str, e: &toml::de::Error) -> String {
    let message = quoted_values_hidden(e.message().trim_end());
    let message = message.as_str();
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message.to_owned(),
    }
}

/// `message` with every `"…"` string replaced by `"…"`.
fn quoted_values_hidden(message: &str) -> String {
    let mut out = String::new();
    let mut parts = message.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('"');
        out.push_str(if i % 2 == 0 { "…" } else { part });
    }
    out
}

/// A number the config bounds: the key, the range and what was given.
fn in_range<T>(problems: &mut Vec<String>, key: &str, value: T, min: T, max: T)
where
    T: PartialOrd + std::fmt::Display,
{
    if value < min || value > max {
        problems.push(format!(
            "{key} = {value} is out of range: give a number from {min} to {max}"
        ));
    }
}

/// The record-first rule's breaches (the rule is [`record_first::breaches`]), worded
/// for the config: the production SHA is recorded once, first, always.
fn record_first(at: &str, target: &TargetConfig) -> Vec<String> {
    use record_first::Breach;
    let why = "the production SHA must be recorded before any step can change production, or a rollback has no SHA to restore";
    record_first::breaches(target.steps.as_deref(), &target.extra_steps)
        .into_iter()
        .map(|breach| match breach {
            Breach::InExtraSteps => format!(
                "{at}.extra_steps has a `builtin = \"record_production\"` step: extra steps run after the runbook, too late; {why}. Remove it (the default steps record first) or put it first in {at}.steps"
            ),
            Breach::Never => format!(
                "{at}.steps has no `builtin = \"record_production\"` step: {why}; add it as the first step"
            ),
            Breach::Times(records) => format!(
                "{at}.steps records the production SHA {records} times: {why}, once; keep one `builtin = \"record_production\"` step, the first"
            ),
            Breach::RunsBefore(first) => format!(
                "{at}.steps runs {first:?} before `builtin = \"record_production\"`: {why}; move the record_production step first"
            ),
            Breach::OnlyWhen(when) => format!(
                "{at}.steps records the production SHA only with `when = {:?}`: {why}, on every run; remove its `when`",
                format!("{when:?}").to_lowercase()
            ),
        })
        .collect()
}

/// The problems of target `name`: names and URLs that git or a shell could misread,
/// its branches, its release repos, its steps, and the record-first rule.
fn target_problems(problems: &mut Vec<String>, name: &str, target: &TargetConfig) {
    let at = format!("targets.{name}");
    shape::name(problems, "a target name", name);
    if let Some(Err(why)) = target.chatops_issue.as_deref().map(issue_ref) {
        problems.push(format!("{at}.chatops_issue {why}"));
    }
    for (key, value) in [
        ("app", Some(&target.app)),
        ("deploy_remote", Some(&target.deploy_remote)),
        ("deploy_remote_url", target.deploy_remote_url.as_ref()),
        ("notice_to", target.notice_to.as_ref()),
    ] {
        if let Some(value) = value {
            shape::name(problems, &format!("{at}.{key}"), value);
        }
    }
    for (i, cc) in target.notice_cc.iter().enumerate() {
        shape::name(problems, &format!("{at}.notice_cc[{i}]"), cc);
    }
    if let Some(url) = &target.deploy_remote_url {
        no_option(problems, &format!("{at}.deploy_remote_url"), url);
    }
    if target.deploy_remote.starts_with('-') {
        problems.push(format!(
            "{at}.deploy_remote {:?} starts with `-`, which git would read as an option: give the remote's name",
            target.deploy_remote
        ));
    }
    for (key, repo) in [
        ("deploy_repo", &target.deploy_repo),
        ("notices_repo", &target.notices_repo),
    ] {
        repo_name(problems, &format!("{at}.{key}"), repo);
    }
    shape::branch(
        problems,
        &format!("{at}.release_branch"),
        &target.release_branch,
    );
    shape::branch(problems, &format!("{at}.base_branch"), &target.base_branch);
    if target.release_branch == target.base_branch {
        problems.push(format!(
            "{at}.release_branch and {at}.base_branch are both {:?}: the release branch is merged into the base branch, so they must differ (e.g. \"rc\" and \"master\")",
            target.release_branch
        ));
    }
    for (i, url) in target.smoke_urls.iter().enumerate() {
        shape::http_url(problems, &format!("{at}.smoke_urls[{i}]"), url);
    }
    if target.repos.is_empty() {
        problems.push(format!(
            "{at} has no [[{at}.repos]]: list the release repos to check"
        ));
    }
    repo_problems(problems, &at, target);
    step_problems(problems, &at, target);
    problems.extend(record_first(&at, target));
}

/// Each release repo named well, once, in a clone of its own.
fn repo_problems(problems: &mut Vec<String>, at: &str, target: &TargetConfig) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut dirs: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for (i, repo) in target.repos.iter().enumerate() {
        repo_name(problems, &format!("{at}.repos[{i}].github"), &repo.github);
        shape::name(
            problems,
            &format!("{at}.repos[{i}].jenkins_job"),
            &repo.jenkins_job,
        );
        if let Some(url) = &repo.clone_url {
            shape::name(problems, &format!("{at}.repos[{i}].clone_url"), url);
            no_option(problems, &format!("{at}.repos[{i}].clone_url"), url);
        }
        // Two repos in one clone: the second would be merged and pushed
        // from the first's directory.
        if let Some(dir) = &repo.path
            && let Some(first) = dirs.insert(dir.clone(), i)
        {
            problems.push(format!(
                "{at}.repos[{first}] and {at}.repos[{i}] share the clone {}: give each repo its own `path`",
                dir.display()
            ));
        }
        // GitHub names are case-insensitive: Org/App and org/app are one repo.
        if let Some(first) = seen.insert(repo.github.to_ascii_lowercase(), i) {
            problems.push(format!(
                "{at}.repos[{first}].github and {at}.repos[{i}].github both name {:?}: list each release repo once",
                repo.github
            ));
        }
    }
}

/// Each step runs one way (a command, a builtin or a person), within a bounded time.
fn step_problems(problems: &mut Vec<String>, at: &str, target: &TargetConfig) {
    for step in target.steps.iter().flatten().chain(&target.extra_steps) {
        if step.command.is_empty() && !step.manual && step.builtin.is_none() {
            problems.push(format!(
                "{at} step {:?} has no command: give `command = [\"program\", \"arg\"]` or `manual = true`",
                step.name
            ));
        }
        // A manual step is a person's, confirmed at a terminal; with a command
        // it would run as an ordinary step, confirmed by nobody.
        if step.manual && (!step.command.is_empty() || step.builtin.is_some()) {
            problems.push(format!(
                "{at} step {:?} is manual and also has a command or builtin: a manual step is one a person carries out and confirms; keep one",
                step.name
            ));
        }
        if !step.command.is_empty() && step.builtin.is_some() {
            problems.push(format!(
                "{at} step {:?} has both a command and a builtin: keep one",
                step.name
            ));
        }
        // Bounded: a time limit of 1e300 minutes is no limit, and no Duration.
        if let Some(minutes) = step.timeout_minutes
            && !(minutes.is_finite() && minutes > 0.0 && minutes <= 10080.0)
        {
            problems.push(format!(
                "{at} step {:?} has timeout_minutes = {minutes}: give a positive number of minutes up to 10080 (fractions allowed)",
                step.name
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESIGN_EXAMPLE: &str = r#"
timezone = "America/New_York"
policies = "policies"
audit_log = ".gatekeeper/audit.jsonl"

[jenkins]
url = "https://jenkins.example.com:8080"
user = "deploybot"
token_env = "JENKINS_TOKEN"

[newrelic]
url = "https://api.newrelic.com/graphql"
account_id = 1234567
api_key_env = "NEW_RELIC_API_KEY"
window_minutes = 5

[github]
url = "https://api.github.com"
token_env = "GITHUB_TOKEN"

[targets.production]
app = "apangea"
deploy_repo = "thinkthroughmath/aws-production"
deploy_remote = "aws-production"
notices_repo = "thinkthroughmath/deploy-notices"
release_branch = "rc"
base_branch = "master"

[[targets.production.repos]]
github = "thinkthroughmath/apangea"
jenkins_job = "apangea-rc"
path = "../apangea"
"#;

    #[test]
    fn design_example_parses() {
        let config = Config::parse(DESIGN_EXAMPLE, Path::new("gatekeeper.toml")).unwrap();
        let target = config.target("production").unwrap();
        assert_eq!(target.repos.len(), 1);
        assert_eq!(target.repos[0].jenkins_job, "apangea-rc");
        assert_eq!(config.newrelic.as_ref().unwrap().account_id, 1234567);
        assert_eq!(config.deploy_minutes, 60);
        assert_eq!(config.tz(), chrono_tz::America::New_York);
        // No company's addresses by default: `notice` asks for notice_to.
        assert_eq!(target.notice_to, None);
        assert!(target.notice_cc.is_empty());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = DESIGN_EXAMPLE
            .replace("America/New_York", "Mars/Olympus")
            .replace("thinkthroughmath/aws-production", "aws-production");
        let err = Config::parse(&text, Path::new("g.toml")).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("2 problem(s)"), "{message}");
        assert!(message.contains("Mars/Olympus"), "{message}");
        assert!(message.contains("deploy_repo"), "{message}");
    }

    #[test]
    fn unknown_keys_are_each_named_as_unknown_with_the_nearest_known_key() {
        let text = DESIGN_EXAMPLE
            .replace("window_minutes = 5", "window_minuts = 5")
            .replace("base_branch = ", "base_brnch = ");
        let message = Config::parse(&text, Path::new("g.toml"))
            .unwrap_err()
            .to_string();
        assert!(!message.contains("TOML"), "{message}");
        assert!(message.contains("2 problem(s)"), "{message}");
        assert!(
            message.contains(
                "unknown key `newrelic.window_minuts` in [newrelic]: did you mean `window_minutes`?"
            ),
            "{message}"
        );
        assert!(
            message.contains("unknown key `targets.production.base_brnch` in [targets.production]: did you mean `base_branch`?"),
            "{message}"
        );
    }

    #[test]
    fn configured_steps_must_record_production_and_not_mix_command_and_builtin() {
        let text = format!(
            "{DESIGN_EXAMPLE}\n[[targets.production.steps]]\nname = \"merge\"\nbuiltin = \"merge\"\ncommand = [\"git\"]\n"
        );
        let message = Config::parse(&text, Path::new("g.toml"))
            .unwrap_err()
            .to_string();
        assert!(message.contains("record_production"), "{message}");
        assert!(
            message.contains("both a command and a builtin"),
            "{message}"
        );
    }

    #[test]
    fn the_production_sha_is_recorded_once_first_and_always() {
        let problems = |steps: &str| {
            Config::parse(&format!("{DESIGN_EXAMPLE}\n{steps}"), Path::new("g.toml"))
                .map(|_| String::new())
                .unwrap_or_else(|e| e.to_string())
        };
        let record =
            "[[targets.production.steps]]\nname = \"record\"\nbuiltin = \"record_production\"\n";
        let push = "[[targets.production.steps]]\nname = \"push\"\ncommand = [\"git\", \"push\"]\n";
        assert_eq!(problems(&format!("{record}{push}")), "");
        let late = problems(&format!("{push}{record}"));
        assert!(
            late.contains(
                "targets.production.steps runs \"push\" before `builtin = \"record_production\"`"
            ),
            "{late}"
        );
        let twice = problems(&format!("{record}{push}{record}"));
        assert!(
            twice.contains("records the production SHA 2 times"),
            "{twice}"
        );
        let sometimes = problems(&format!("{}when = \"downtime\"\n{push}", record));
        assert!(
            sometimes.contains("only with `when = \"downtime\"`"),
            "{sometimes}"
        );
        let extra = problems(&record.replace("steps", "extra_steps"));
        assert!(
            extra.contains(
                "targets.production.extra_steps has a `builtin = \"record_production\"` step"
            ),
            "{extra}"
        );
    }

    #[test]
    fn smoke_urls_must_be_web_addresses() {
        let text = DESIGN_EXAMPLE.replace(
            "[targets.production]\n",
            "[targets.production]\nsmoke_urls = [\"https://a.example/up\", \"ftp://a.example/up\"]\n",
        );
        let message = Config::parse(&text, Path::new("g.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("targets.production.smoke_urls[1] \"ftp://a.example/up\" must start with http:// or https://"),
            "{message}"
        );
        assert!(!message.contains("smoke_urls[0]"), "{message}");
    }

    #[test]
    fn a_bad_smoke_url_is_said_once() {
        let text = DESIGN_EXAMPLE.replace(
            "[targets.production]\n",
            "[targets.production]\nsmoke_urls = [\"ftp://a.example/up\"]\n",
        );
        let message = Config::parse(&text, Path::new("g.toml"))
            .unwrap_err()
            .to_string();
        assert_eq!(message.matches("smoke_urls[0]").count(), 1, "{message}");
    }

    #[test]
    fn git_arguments_cannot_be_options_and_repos_cannot_share_a_clone() {
        let text = DESIGN_EXAMPLE.replace(
            "[targets.production]\n",
            "[targets.production]\ndeploy_remote_url = \"--upload-pack=touch x\"\n",
        ) + "\n[[targets.production.repos]]\ngithub = \"thinkthroughmath/lesson-content\"\njenkins_job = \"lesson\"\npath = \"../apangea\"\n";
        let message = Config::parse(&text, Path::new("g.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("targets.production.deploy_remote_url starts with `-`"),
            "{message}"
        );
        assert!(message.contains("share the clone ../apangea"), "{message}");
    }

    /// A key pasted into the wrong field is still a secret: a type error says the
    /// key and the line, never the value.
    #[test]
    fn a_type_error_never_quotes_the_value() {
        let key = "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0";
        let text =
            DESIGN_EXAMPLE.replace("account_id = 1234567", &format!("account_id = \"{key}\""));
        assert_ne!(text, DESIGN_EXAMPLE, "the example has an account_id");
        let message = Config::parse(&text, Path::new("g.toml"))
            .unwrap_err()
            .to_string();
        assert!(!message.contains(key), "{message}");
        assert!(message.contains("line "), "{message}");
    }

    #[test]
    fn a_manual_step_with_a_command_is_refused() {
        let text = format!(
            "{DESIGN_EXAMPLE}\n[[targets.production.extra_steps]]\nname = \"tell support\"\nmanual = true\ncommand = [\"echo\", \"hi\"]\n"
        );
        let message = Config::parse(&text, Path::new("g.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("step \"tell support\" is manual and also has a command"),
            "{message}"
        );
    }

    #[test]
    fn extra_steps_parse_with_when_and_manual() {
        let text = format!(
            "{DESIGN_EXAMPLE}\n[[targets.production.extra_steps]]\nname = \"tell support\"\nmanual = true\nwhen = \"downtime\"\n"
        );
        let config = Config::parse(&text, Path::new("g.toml")).unwrap();
        let step = &config.target("production").unwrap().extra_steps[0];
        assert!(step.manual);
        assert_eq!(step.when, When::Downtime);
    }

    #[test]
    fn step_time_limits_must_be_positive_and_grace_defaults_to_30_seconds() {
        let config = Config::parse(DESIGN_EXAMPLE, Path::new("g.toml")).unwrap();
        assert_eq!(config.step_grace_seconds, 30);
        let text = format!(
            "{DESIGN_EXAMPLE}\n[[targets.production.extra_steps]]\nname = \"warm\"\ncommand = [\"true\"]\ntimeout_minutes = 0.5\n"
        );
        let config = Config::parse(&text, Path::new("g.toml")).unwrap();
        assert_eq!(
            config.target("production").unwrap().extra_steps[0].timeout_minutes,
            Some(0.5)
        );
        let err = Config::parse(
            &text.replace("timeout_minutes = 0.5", "timeout_minutes = 0"),
            Path::new("g.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("timeout_minutes = 0"), "{err}");
        // Too large to be a time limit (and to become a Duration): refused, no panic.
        let err = Config::parse(
            &text.replace("timeout_minutes = 0.5", "timeout_minutes = 1e300"),
            Path::new("g.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("up to 10080"), "{err}");
        let err = Config::parse(
            &format!("step_grace_seconds = 99999\n{DESIGN_EXAMPLE}"),
            Path::new("g.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("step_grace_seconds"), "{err}");
    }

    #[test]
    fn repos_without_a_path_live_in_workdir_and_clone_from_the_github_host() {
        let text = format!("workdir = \"clones\"\n{DESIGN_EXAMPLE}")
            .replace("path = \"../apangea\"\n", "");
        let config = Config::parse(&text, Path::new("ci/gatekeeper.toml")).unwrap();
        let repo = &config.target("production").unwrap().repos[0];
        assert_eq!(repo.path.as_deref(), Some(Path::new("clones/apangea")));
        assert_eq!(
            config.clone_url(repo),
            "https://github.com/thinkthroughmath/apangea.git"
        );
        let mut enterprise = config.clone();
        if let Some(g) = enterprise.github.as_mut() {
            g.url = "https://git.example.com/api/v3/".to_owned();
        }
        assert_eq!(
            enterprise.clone_url(repo),
            "https://git.example.com/thinkthroughmath/apangea.git"
        );
    }

    #[test]
    fn relative_paths_are_read_from_the_config_files_directory() {
        let config = Config::parse(DESIGN_EXAMPLE, Path::new("ops/gatekeeper.toml")).unwrap();
        assert_eq!(
            Config::policy_dir(Some(&config), None),
            Path::new("ops/policies")
        );
        assert_eq!(
            config.resolve(&config.audit_log),
            Path::new("ops/.gatekeeper/audit.jsonl")
        );
        assert_eq!(
            config.resolve(Path::new("/var/log/a.jsonl")),
            Path::new("/var/log/a.jsonl")
        );
        assert_eq!(
            Config::policy_dir(Some(&config), Some(Path::new("mine"))),
            Path::new("mine")
        );
    }

    #[test]
    fn unknown_target_lists_known_ones() {
        let config = Config::parse(DESIGN_EXAMPLE, Path::new("g.toml")).unwrap();
        let message = config.target("staging").unwrap_err().to_string();
        assert!(message.contains("production"), "{message}");
    }

    #[test]
    fn blank_and_padded_values_are_named_by_key() {
        let text = DESIGN_EXAMPLE
            .replace(
                "audit_log = \".gatekeeper/audit.jsonl\"",
                "audit_log = \"\"",
            )
            .replace(
                "app = \"apangea\"",
                "app = \"apangea\"\nnotice_to = \" \"\nnotice_cc = [\"a@b.c \"]",
            )
            .replace(
                "path = \"../apangea\"",
                "path = \"../apangea\"\nclone_url = \"\"",
            )
            .replace(
                "[targets.production]",
                "[programs]\ngit = \"\"\n\n[targets.\" production\"]",
            )
            .replace("targets.production.repos", "targets.\" production\".repos");
        let err = Config::parse(&text, Path::new("g.toml"))
            .unwrap_err()
            .to_string();
        for wanted in [
            "audit_log is empty",
            "programs.git is empty",
            "a target name \" production\" has whitespace around it: write \"production\"",
            "targets. production.notice_to is empty",
            "targets. production.notice_cc[0] \"a@b.c \" has whitespace",
            "targets. production.repos[0].clone_url is empty",
        ] {
            assert!(err.contains(wanted), "{wanted:?} not in {err}");
        }
    }

    #[test]
    fn a_toml_error_is_placed_without_quoting_the_line() {
        let text = "timezone = \"UTC\"\n[github]\ntoken = \"ghp_s3cretValue0123456789";
        let err = Config::parse(text, Path::new("g.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn numbers_are_bounded() {
        let text = "timeout_seconds = 601\ndeploy_minutes = 0\ndeadline_seconds = 4000";
        let err = Config::parse(text, Path::new("g.toml"))
            .unwrap_err()
            .to_string();
        for key in [
            "timeout_seconds = 601",
            "deploy_minutes = 0",
            "deadline_seconds = 4000",
        ] {
            assert!(err.contains(key), "{err}");
        }
    }
}
