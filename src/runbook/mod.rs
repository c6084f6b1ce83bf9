//! The runbook: what a deploy or rollback of one target runs, and running it.
//! One file per job: [`steps`] (the steps as data), [`plan`] (steps → the plan for
//! this target), [`preflight`] (read-only checks before anything changes),
//! [`execute`] (running the plan step by step until one fails, times out or is
//! interrupted), [`builtin`] (the steps that are more than one command), [`verify`]
//! (the smoke URLs), [`process`] (every child process), [`signals`], [`git`] and
//! [`lock`]. It reads the decision's outcome (downtime, migrations) but never
//! decides, never prints and never prompts: an [`Observer`] shows progress, records
//! and asks people.

pub mod builtin;
pub mod clones;
pub mod execute;
pub mod facts_ref;
pub mod git;
pub mod integrity;
pub mod liveness;
pub mod lock;
pub mod plan;
pub mod preflight;
pub mod process;
pub mod signals;
pub mod step;
pub mod steps;
pub mod verify;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use execute::{Execution, Observer, StepResult, StepStatus, Stop, Unrecorded, run};
pub use plan::{Action, Maintenance, Plan, PlannedStep, show};
pub use preflight::preflight;

use crate::config::{Programs, TargetConfig};
use crate::net::Network;
use git::Git;
use process::Children;

#[derive(Debug, thiserror::Error)]
pub enum RunbookError {
    #[error(
        "step {step:?} uses the unknown placeholder {{{placeholder}}}; known: {{target}}, {{deploy_remote}}, {{release_branch}}, {{base_branch}}, {{app}}"
    )]
    Placeholder { step: String, placeholder: String },
    #[error(
        "cannot run {program} in {}: {source}; install it or name it in [programs] in the config",
        dir.display()
    )]
    Spawn {
        program: String,
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Git(Box<git::GitError>),
    #[error(
        "{repo} has no git identity for the merge commit (user.name and user.email): {source}\nset one with `git -C {dir} config user.name \"NAME\"` and `git -C {dir} config user.email \"ADDRESS\"` (or GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL)",
        dir = source.dir().display()
    )]
    NoGitIdentity {
        repo: String,
        source: Box<git::GitError>,
    },
    #[error(
        "repo {repo} has no local clone: set `path` under its [[targets.{target}.repos]] entry"
    )]
    NoClone { repo: String, target: String },
    #[error(
        "the local clone of {repo} is missing at {}: clone it with `git clone {url} {}`, or set `workdir` and leave out its `path` so that deploy clones it",
        dir.display(), dir.display()
    )]
    CloneMissing {
        repo: String,
        dir: PathBuf,
        url: String,
    },
    #[error("cannot clone {repo} from {url} into {}: {message}; clone it by hand (`git clone {url} {}`) and run again", dir.display(), dir.display())]
    CloneFailed {
        repo: String,
        dir: PathBuf,
        url: String,
        /// What went wrong: git's words, or why the directory could not be made.
        message: String,
    },
    #[error(
        "cannot add the remote {remote} to the clone {}: {source}; add it by hand (`git -C {} remote add {remote} URL`) and run again",
        source.dir().display(), source.dir().display()
    )]
    AddRemote {
        remote: String,
        source: Box<git::GitError>,
    },
    #[error(
        "the facts hold no release head SHA for {repo}: the gate cannot have checked it; run `gatekeeper check` to see why"
    )]
    NoReleaseSha { repo: String },
    #[error(
        "{repo}: origin/{branch} moved since the check (checked {checked}, now {now}): nothing was pushed; run `gatekeeper deploy` again so that the new head is checked"
    )]
    ReleaseMoved {
        repo: String,
        branch: String,
        checked: String,
        now: String,
    },
    #[error(
        "{repo}: the clone {} has uncommitted changes:\n{status}\ncommit or stash them first",
        dir.display()
    )]
    Dirty {
        repo: String,
        dir: PathBuf,
        status: String,
    },
    #[error(
        "the clone {} has no remote {remote}: add it with `git -C {} remote add {remote} URL`, or set targets.{target}.deploy_remote_url so that gatekeeper adds it; nothing was locked or changed",
        dir.display(),
        dir.display()
    )]
    NoDeployRemote {
        dir: PathBuf,
        remote: String,
        target: String,
    },
    #[error(
        "a smoke URL redirects, so verify would fail after production moved: {problems}; nothing was changed"
    )]
    SmokeRedirects { problems: String },
    #[error("step {step:?} runs {program}, which {problem}: nothing was changed; {fix}")]
    ProgramMissing {
        step: String,
        program: String,
        problem: String,
        /// What to do: install it, or where to name it (`[programs]` key or the step).
        fix: String,
    },
    #[error(
        "step {step:?} is manual and nobody can confirm it here (stdin is not a terminal): run from a terminal, or remove the manual step for CI (`manual = true` in the steps of targets.{target}); nothing was locked or changed"
    )]
    ManualUnattended { step: String, target: String },
    #[error(transparent)]
    Integrity(Box<integrity::IntegrityError>),
    #[error("{}", verify::no_urls(.target))]
    NoSmokeUrls { target: String },
    #[error(
        "the runbook of {target} {problem}: the production SHA must be recorded before any step can change production, or a rollback has no SHA to restore; make `builtin = \"record_production\"` the first of targets.{target}.steps, once, without `when`"
    )]
    RecordNotFirst { target: String, problem: String },
}

/// One release repo as the runbook sees it.
#[derive(Debug, Clone)]
pub struct RepoPlan {
    /// "owner/name".
    pub name: String,
    /// Its local clone.
    pub dir: PathBuf,
    /// The release head the gate checked (deploy only).
    pub release_sha: Option<String>,
    /// Where a missing clone comes from (`Config::clone_url`), for the one message
    /// a missing clone gets; set by [`Context::with_clone_urls`].
    pub clone_url: String,
}

impl RepoPlan {
    /// The one error for a clone that is not there: where it should be and the
    /// `git clone` that makes it.
    pub fn missing(&self) -> RunbookError {
        RunbookError::CloneMissing {
            repo: self.name.clone(),
            dir: self.dir.clone(),
            url: self.clone_url.clone(),
        }
    }
}

/// Everything a plan and a run need to know about the target.
#[derive(Debug, Clone)]
pub struct Context {
    pub target: String,
    pub config: TargetConfig,
    pub programs: Programs,
    /// The release repos; the first is the app, pushed to the deploy remote.
    pub repos: Vec<RepoPlan>,
    /// The decision said downtime.
    pub downtime: bool,
    /// Migrations are pending (or unknown, which counts as pending).
    pub migrations: bool,
    /// The HTTP timeout (verify).
    pub timeout: Duration,
    /// The command run's network, when it has one (a deploy, a rollback): the
    /// verify step asks on its runtime; without one, the step starts its own.
    pub network: Option<Network>,
    /// How every child process is started and watched.
    pub children: Children,
    /// The production SHA the gate judged and the deploy remote agreed on
    /// (`integrity`): the record step and the merge check against it.
    pub production: Option<String>,
}

impl Context {
    /// Resolves the repos' clones (relative to `base`, the config file's directory).
    pub fn new(
        target: &str,
        config: &TargetConfig,
        programs: &Programs,
        base: &Path,
        timeout: Duration,
        children: Children,
    ) -> Result<Self, RunbookError> {
        let repos = config
            .repos
            .iter()
            .map(|r| {
                let path = r.path.as_ref().ok_or_else(|| RunbookError::NoClone {
                    repo: r.github.clone(),
                    target: target.to_owned(),
                })?;
                Ok(RepoPlan {
                    name: r.github.clone(),
                    dir: normalize(&base.join(path)),
                    release_sha: None,
                    clone_url: String::new(),
                })
            })
            .collect::<Result<Vec<_>, RunbookError>>()?;
        Ok(Self {
            target: target.to_owned(),
            config: config.clone(),
            programs: programs.clone(),
            repos,
            downtime: false,
            migrations: false,
            timeout,
            network: None,
            children,
            production: None,
        })
    }

    /// Each repo's clone URL, as `config` says (its `clone_url`, else the repo on
    /// the GitHub host), for the "clone missing" error.
    pub fn with_clone_urls(mut self, config: &crate::config::Config) -> Self {
        for (plan, repo) in self.repos.iter_mut().zip(&self.config.repos) {
            plan.clone_url = config.clone_url(repo);
        }
        self
    }

    /// The app's clone, where commands run.
    pub fn app_dir(&self) -> PathBuf {
        self.repos
            .first()
            .map_or_else(|| PathBuf::from("."), |r| r.dir.clone())
    }

    pub(crate) fn program(&self, name: &str) -> String {
        match name {
            "git" => self.programs.git.clone(),
            "ttmscalr" => self.programs.ttmscalr.clone(),
            other => other.to_owned(),
        }
    }

    pub fn git(&self, dir: &Path) -> Git {
        Git::new(&self.programs.git, dir, &self.children)
    }
}

/// `a/work/../apangea` → `a/apangea`, without touching the file system, so that
/// the directories people read in the plan are the ones they know.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod testing {
    //! A context over two repos under /srv, for the unit tests of every runbook file.
    use super::*;

    pub fn ctx(downtime: bool, migrations: bool) -> Context {
        let target: TargetConfig = toml::from_str(
            r#"
app = "apangea"
deploy_repo = "o/aws"
deploy_remote = "aws-production"
notices_repo = "o/notices"
smoke_urls = ["https://www.example.com/up"]
[[repos]]
github = "o/apangea"
jenkins_job = "apangea-rc"
path = "apangea"
[[repos]]
github = "o/lesson-content"
jenkins_job = "lc"
path = "lesson-content"
"#,
        )
        .unwrap();
        let programs = Programs {
            git: "git".to_owned(),
            ttmscalr: "/opt/ttmscalr".to_owned(),
        };
        let mut ctx = Context::new(
            "production",
            &target,
            &programs,
            Path::new("/srv"),
            Duration::from_secs(5),
            Children::default(),
        )
        .unwrap();
        ctx.downtime = downtime;
        ctx.migrations = migrations;
        ctx
    }

    #[test]
    fn clone_paths_are_read_relative_to_the_config_without_dot_dots() {
        assert_eq!(
            normalize(Path::new("/t/work/../apangea")),
            PathBuf::from("/t/apangea")
        );
        assert_eq!(
            normalize(Path::new("../apangea")),
            PathBuf::from("../apangea")
        );
        assert_eq!(normalize(Path::new("./a/./b")), PathBuf::from("a/b"));
    }
}
