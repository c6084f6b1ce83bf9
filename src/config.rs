//! `gatekeeper.toml`: the types, their defaults, and validation that reports every
//! mistake at once. Secrets are never stored here, only the NAMES of the environment
//! variables that hold them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

mod keys;

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
    /// Planned window length when `--minutes` is not given.
    #[serde(default = "default_deploy_minutes")]
    pub deploy_minutes: u32,
    /// Per-request timeout for every source.
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
    pub jenkins: Option<JenkinsConfig>,
    pub newrelic: Option<NewRelicConfig>,
    pub github: Option<GithubConfig>,
    #[serde(default)]
    pub programs: Programs,
    #[serde(default)]
    pub targets: BTreeMap<String, TargetConfig>,
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
    /// Where `gatekeeper notice` addresses the downtime e-mail.
    #[serde(default = "default_notice_to")]
    pub notice_to: String,
    /// Who gets a copy of the downtime e-mail.
    #[serde(default = "default_notice_cc")]
    pub notice_cc: Vec<String>,
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
}

/// One runbook step as data: a command as an argument list, never a shell string.
/// Arguments may hold placeholders (`{target}`, `{deploy_remote}`, `{release_branch}`,
/// `{base_branch}`, `{app}`), substituted one argument at a time. A command whose
/// program is `git` or `ttmscalr` runs the program named in `[programs]`; commands
/// run in the first repo's clone (the app).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
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
fn default_notice_to() -> String {
    "field-team@imaginelearning.com".to_owned()
}
fn default_notice_cc() -> Vec<String> {
    vec!["tier2@imaginelearning.com".to_owned()]
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
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
        let document: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        // Every unknown key at once, with the nearest known one; then the types.
        let unknown = keys::unknown_keys(&document);
        if !unknown.is_empty() {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                problems: unknown,
            });
        }
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_owned(),
            problems: vec![e.to_string().trim_end().to_owned()],
        })?;
        config.path = path.to_owned();
        let problems = config.problems();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                path: path.to_owned(),
                problems,
            })
        }
    }

    /// Every mistake in the config, so that a user fixes them in one go.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.timezone.parse::<Tz>().is_err() {
            problems.push(format!(
                "timezone {:?} is not an IANA time zone name (e.g. \"America/New_York\")",
                self.timezone
            ));
        }
        if self.deploy_minutes == 0 {
            problems.push("deploy_minutes must be at least 1".to_owned());
        }
        if self.timeout_seconds == 0 {
            problems.push("timeout_seconds must be at least 1".to_owned());
        }
        if let Some(j) = &self.jenkins {
            check_url(&mut problems, "jenkins.url", &j.url);
        }
        if let Some(n) = &self.newrelic {
            check_url(&mut problems, "newrelic.url", &n.url);
            if n.window_minutes == 0 {
                problems.push("newrelic.window_minutes must be at least 1".to_owned());
            }
        }
        if let Some(g) = &self.github {
            check_url(&mut problems, "github.url", &g.url);
        }
        for (name, target) in &self.targets {
            let at = format!("targets.{name}");
            for (key, repo) in [
                ("deploy_repo", &target.deploy_repo),
                ("notices_repo", &target.notices_repo),
            ] {
                if split_repo(repo).is_none() {
                    problems.push(format!("{at}.{key} {repo:?} is not \"owner/name\""));
                }
            }
            if target.repos.is_empty() {
                problems.push(format!(
                    "{at} has no [[{at}.repos]]: list the release repos to check"
                ));
            }
            for (i, repo) in target.repos.iter().enumerate() {
                if split_repo(&repo.github).is_none() {
                    problems.push(format!(
                        "{at}.repos[{i}].github {:?} is not \"owner/name\"",
                        repo.github
                    ));
                }
                if repo.jenkins_job.trim().is_empty() {
                    problems.push(format!("{at}.repos[{i}].jenkins_job is empty"));
                }
            }
            for step in target.steps.iter().flatten().chain(&target.extra_steps) {
                if step.command.is_empty() && !step.manual && step.builtin.is_none() {
                    problems.push(format!(
                        "{at} step {:?} has no command: give `command = [\"program\", \"arg\"]` or `manual = true`",
                        step.name
                    ));
                }
                if !step.command.is_empty() && step.builtin.is_some() {
                    problems.push(format!(
                        "{at} step {:?} has both a command and a builtin: keep one",
                        step.name
                    ));
                }
            }
            if let Some(steps) = &target.steps
                && !steps
                    .iter()
                    .any(|s| s.builtin == Some(Builtin::RecordProduction))
            {
                problems.push(format!(
                    "{at}.steps has no `builtin = \"record_production\"` step: without it a rollback has no SHA to restore"
                ));
            }
        }
        problems
    }

    pub fn tz(&self) -> Tz {
        // Validated in `problems`; the fallback is never reached for a loaded config.
        self.timezone
            .parse()
            .unwrap_or(chrono_tz::America::New_York)
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

/// Splits "owner/name"; `None` when it is not exactly that.
pub fn split_repo(full: &str) -> Option<(&str, &str)> {
    let (owner, name) = full.split_once('/')?;
    (!owner.is_empty() && !name.is_empty() && !name.contains('/')).then_some((owner, name))
}

fn check_url(problems: &mut Vec<String>, key: &str, url: &str) {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        problems.push(format!("{key} {url:?} must start with http:// or https://"));
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
        assert_eq!(target.notice_to, "field-team@imaginelearning.com");
        assert_eq!(target.notice_cc, ["tier2@imaginelearning.com"]);
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
}
