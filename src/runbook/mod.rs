//! The runbook: turning steps (data, see [`steps`]) into a plan for one target, the
//! read-only preflight (clean clones, release heads still the SHAs the gate
//! checked), and running the plan step by step until one fails. It reads the
//! decision's outcome (downtime, migrations) but never decides, never prints and
//! never prompts: an [`Observer`] from `commands/` shows progress and asks people.

pub mod git;
pub mod lock;
pub mod steps;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::{Builtin, Programs, StepConfig, TargetConfig, When};
use git::Git;
use steps::Values;

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
    #[error("`{command}` failed in {}: {message}", dir.display())]
    Git {
        command: String,
        dir: PathBuf,
        message: String,
    },
    #[error(
        "repo {repo} has no local clone: set `path` under its [[targets.{target}.repos]] entry"
    )]
    NoClone { repo: String, target: String },
    #[error("the local clone of {repo} is not a directory: {}", dir.display())]
    MissingClone { repo: String, dir: PathBuf },
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
    pub timeout: Duration,
}

impl Context {
    /// Resolves the repos' clones (relative to `base`, the config file's directory).
    pub fn new(
        target: &str,
        config: &TargetConfig,
        programs: &Programs,
        base: &Path,
        timeout: Duration,
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
        })
    }

    /// The app's clone, where commands run.
    pub fn app_dir(&self) -> PathBuf {
        self.repos
            .first()
            .map_or_else(|| PathBuf::from("."), |r| r.dir.clone())
    }

    fn program(&self, name: &str) -> String {
        match name {
            "git" => self.programs.git.clone(),
            "ttmscalr" => self.programs.ttmscalr.clone(),
            other => other.to_owned(),
        }
    }

    fn git(&self, dir: &Path) -> Git {
        Git::new(&self.programs.git, dir)
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

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// One program with its arguments, in `dir`.
    Run {
        program: String,
        args: Vec<String>,
        dir: PathBuf,
    },
    /// A person does it and confirms.
    Manual,
    /// Merge the release branch into the base branch of every repo, and push.
    Merge,
    /// Read the deploy remote's base branch head: the SHA a rollback restores.
    RecordProduction,
    /// The smoke URLs answer 200.
    Verify { urls: Vec<String> },
}

/// Whether a step turns maintenance on or off (so that a failure can say it is on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Maintenance {
    On,
    Off,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    pub name: String,
    pub action: Action,
    /// Why it will not run (its `when` does not apply), if so.
    pub skip: Option<String>,
    pub maintenance: Option<Maintenance>,
}

impl PlannedStep {
    /// The command lines this step will run, for the plan and the progress lines.
    pub fn describe(&self, ctx: &Context) -> Vec<String> {
        let target = &ctx.config;
        match &self.action {
            Action::Run { program, args, dir } => {
                vec![format!("{}   (in {})", show(program, args), dir.display())]
            }
            Action::Manual => vec!["a person does this and confirms".to_owned()],
            Action::Merge => ctx
                .repos
                .iter()
                .flat_map(|r| {
                    merge_commands(target)
                        .into_iter()
                        .map(|args| {
                            format!(
                                "{}   (in {})",
                                show(&ctx.programs.git, &args),
                                r.dir.display()
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .collect(),
            Action::RecordProduction => vec![format!(
                "{}   (in {})",
                show(&ctx.programs.git, &ls_remote_args(target)),
                ctx.app_dir().display()
            )],
            Action::Verify { urls } if urls.is_empty() => {
                vec!["no smoke_urls configured: nothing to verify".to_owned()]
            }
            Action::Verify { urls } => urls.iter().map(|u| format!("GET {u} → 200")).collect(),
        }
    }
}

fn merge_commands(target: &TargetConfig) -> Vec<Vec<String>> {
    let base = target.base_branch.clone();
    let release = target.release_branch.clone();
    let v = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    vec![
        v(&["checkout", &base]),
        v(&["pull", "--ff-only", "origin", &base]),
        v(&["pull", "--no-ff", "--no-edit", "origin", &release]),
        v(&["push", "origin", &base]),
    ]
}

fn ls_remote_args(target: &TargetConfig) -> Vec<String> {
    vec![
        "ls-remote".to_owned(),
        target.deploy_remote.clone(),
        format!("refs/heads/{}", target.base_branch),
    ]
}

/// A command line for people to read (arguments with spaces or quotes are quoted).
pub fn show(program: &str, args: &[String]) -> String {
    std::iter::once(program)
        .chain(args.iter().map(String::as_str))
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,{}".contains(c))
            {
                a.to_owned()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Turns step configs into the plan for this context; verify comes last.
pub fn plan(configs: &[StepConfig], ctx: &Context) -> Result<Vec<PlannedStep>, RunbookError> {
    let values = Values::new(&ctx.target, &ctx.config);
    let mut plan = Vec::with_capacity(configs.len() + 1);
    for step in configs {
        let name = values.substitute(&step.name, &step.name)?;
        let action = match (step.builtin, step.manual) {
            (Some(Builtin::Merge), _) => Action::Merge,
            (Some(Builtin::RecordProduction), _) => Action::RecordProduction,
            (None, true) if step.command.is_empty() => Action::Manual,
            (None, _) => {
                let argv = values.substitute_all(&step.command, &step.name)?;
                let Some((program, args)) = argv.split_first() else {
                    continue;
                };
                Action::Run {
                    program: ctx.program(program),
                    args: args.to_vec(),
                    dir: ctx.app_dir(),
                }
            }
        };
        let skip = match step.when {
            When::Always => None,
            When::Downtime if ctx.downtime => None,
            When::Downtime => Some("zero-downtime deploy".to_owned()),
            When::Migrations if ctx.migrations => None,
            When::Migrations => Some("no pending migrations".to_owned()),
        };
        plan.push(PlannedStep {
            name,
            action,
            skip,
            maintenance: maintenance_of(step),
        });
    }
    plan.push(verify_step(ctx));
    Ok(plan)
}

fn verify_step(ctx: &Context) -> PlannedStep {
    PlannedStep {
        name: "verify".to_owned(),
        action: Action::Verify {
            urls: ctx.config.smoke_urls.clone(),
        },
        skip: None,
        maintenance: None,
    }
}

/// `ttmscalr maintenance on|off …` turns maintenance on or off.
fn maintenance_of(step: &StepConfig) -> Option<Maintenance> {
    match step.command.as_slice() {
        [program, verb, state, ..] if program == "ttmscalr" && verb == "maintenance" => {
            match state.as_str() {
                "on" => Some(Maintenance::On),
                "off" => Some(Maintenance::Off),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The rollback runbook: read what production runs, put `sha` on the deploy
/// remote from the app's clone, deploy, verify.
pub fn rollback_plan(sha: &str, ctx: &Context) -> Vec<PlannedStep> {
    let t = &ctx.config;
    let run = |name: &str, program: &str, args: &[&str]| PlannedStep {
        name: name.to_owned(),
        action: Action::Run {
            program: ctx.program(program),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            dir: ctx.app_dir(),
        },
        skip: None,
        maintenance: None,
    };
    let refspec = format!("rollback:{}", t.base_branch);
    vec![
        PlannedStep {
            name: "record the production SHA".to_owned(),
            action: Action::RecordProduction,
            skip: None,
            maintenance: None,
        },
        run(
            &format!("fetch {}", t.deploy_remote),
            "git",
            &["fetch", &t.deploy_remote, &t.base_branch],
        ),
        run(
            &format!("check out {sha} as branch rollback"),
            "git",
            &["checkout", "-B", "rollback", sha],
        ),
        run(
            &format!("force-push to {}", t.deploy_remote),
            "git",
            &["push", "--force", &t.deploy_remote, &refspec],
        ),
        run("deploy", "ttmscalr", &["deploy", &ctx.target]),
        verify_step(ctx),
    ]
}

/// Read-only checks before anything changes: every clone exists and is clean, and
/// every release branch on origin still points at the SHA the gate checked.
pub fn preflight(ctx: &Context) -> Result<(), RunbookError> {
    let release = &ctx.config.release_branch;
    for repo in &ctx.repos {
        if !repo.dir.is_dir() {
            return Err(RunbookError::MissingClone {
                repo: repo.name.clone(),
                dir: repo.dir.clone(),
            });
        }
        let git = ctx.git(&repo.dir);
        let status = git.dirty()?;
        if !status.is_empty() {
            return Err(RunbookError::Dirty {
                repo: repo.name.clone(),
                dir: repo.dir.clone(),
                status,
            });
        }
        let checked = repo
            .release_sha
            .clone()
            .ok_or_else(|| RunbookError::NoReleaseSha {
                repo: repo.name.clone(),
            })?;
        let now = git.remote_head("origin", release)?;
        if now.as_deref() != Some(checked.as_str()) {
            return Err(RunbookError::ReleaseMoved {
                repo: repo.name.clone(),
                branch: release.clone(),
                checked,
                now: now.unwrap_or_else(|| "(gone)".to_owned()),
            });
        }
    }
    Ok(())
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Skipped(String),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct StepResult {
    pub name: String,
    pub outcome: Outcome,
    pub duration: Duration,
    /// The command lines run, as shown.
    pub commands: Vec<String>,
    /// Set by the record step.
    pub production_sha: Option<String>,
}

/// Shows progress and asks people; implemented by `commands/`.
pub trait Observer {
    fn started(&mut self, index: usize, total: usize, step: &PlannedStep);
    /// A command is about to run.
    fn command(&mut self, line: &str);
    /// Something worth a line that is not a command (which clone, nothing to do).
    fn note(&mut self, _text: &str) {}
    fn finished(&mut self, step: &PlannedStep, result: &StepResult);
    /// A manual step: true when a person confirms it is done.
    fn confirm_manual(&mut self, step: &PlannedStep) -> bool;
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub results: Vec<StepResult>,
    /// What production ran before the push (from the record step).
    pub production_before: Option<String>,
    /// The step that failed and why.
    pub failed: Option<(String, String)>,
    /// Maintenance was turned on and not off again.
    pub maintenance_on: bool,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failed.is_none()
    }
}

/// Runs the plan in order; the first failure stops it.
pub fn run(plan: &[PlannedStep], ctx: &Context, observer: &mut dyn Observer) -> Report {
    let mut report = Report::default();
    let total = plan.len();
    for (i, step) in plan.iter().enumerate() {
        observer.started(i + 1, total, step);
        let started = Instant::now();
        let mut result = StepResult {
            name: step.name.clone(),
            outcome: Outcome::Ok,
            duration: Duration::ZERO,
            commands: Vec::new(),
            production_sha: None,
        };
        result.outcome = match &step.skip {
            Some(reason) => Outcome::Skipped(reason.clone()),
            None => match execute(step, ctx, observer, &mut result) {
                Ok(()) => Outcome::Ok,
                Err(message) => Outcome::Failed(message),
            },
        };
        result.duration = started.elapsed();
        observer.finished(step, &result);
        if result.outcome == Outcome::Ok {
            match step.maintenance {
                Some(Maintenance::On) => report.maintenance_on = true,
                Some(Maintenance::Off) => report.maintenance_on = false,
                None => {}
            }
            if let Some(sha) = &result.production_sha {
                report.production_before = Some(sha.clone());
            }
        }
        let failed = match &result.outcome {
            Outcome::Failed(message) => Some((step.name.clone(), message.clone())),
            _ => None,
        };
        report.results.push(result);
        if let Some(failed) = failed {
            report.failed = Some(failed);
            break;
        }
    }
    report
}

fn execute(
    step: &PlannedStep,
    ctx: &Context,
    observer: &mut dyn Observer,
    result: &mut StepResult,
) -> Result<(), String> {
    match &step.action {
        Action::Run { program, args, dir } => {
            run_one(program, args, dir, observer, result).map(|_| ())
        }
        Action::Manual => {
            if observer.confirm_manual(step) {
                Ok(())
            } else {
                Err("not confirmed by a person".to_owned())
            }
        }
        Action::Merge => merge(ctx, observer, result),
        Action::RecordProduction => {
            let args = ls_remote_args(&ctx.config);
            let out = run_one(&ctx.programs.git, &args, &ctx.app_dir(), observer, result)?;
            let sha = git::branch_head(&out.stdout, &ctx.config.base_branch).ok_or_else(|| {
                format!(
                    "{} has no branch {}: there is no production SHA to record",
                    ctx.config.deploy_remote, ctx.config.base_branch
                )
            })?;
            result.production_sha = Some(sha);
            Ok(())
        }
        Action::Verify { urls } => verify(urls, ctx.timeout, observer),
    }
}

/// Runs one command, showing it first; a non-zero exit is an error with its last lines.
fn run_one(
    program: &str,
    args: &[String],
    dir: &Path,
    observer: &mut dyn Observer,
    result: &mut StepResult,
) -> Result<git::Output, String> {
    let line = show(program, args);
    observer.command(&line);
    result.commands.push(line.clone());
    let out = git::run(program, args, dir).map_err(|e| e.to_string())?;
    if out.success {
        Ok(out)
    } else {
        let tail = out.tail(10);
        Err(if tail.is_empty() {
            format!("`{line}` failed ({})", out.status)
        } else {
            format!("`{line}` failed ({}):\n{tail}", out.status)
        })
    }
}

fn merge(
    ctx: &Context,
    observer: &mut dyn Observer,
    result: &mut StepResult,
) -> Result<(), String> {
    let commands = merge_commands(&ctx.config);
    for repo in &ctx.repos {
        let checked = repo.release_sha.as_deref().ok_or_else(|| {
            RunbookError::NoReleaseSha {
                repo: repo.name.clone(),
            }
            .to_string()
        })?;
        let (push, pulls) = commands
            .split_last()
            .ok_or_else(|| "no merge commands".to_owned())?;
        observer.note(&format!("{} in {}", repo.name, repo.dir.display()));
        for args in pulls {
            run_one(&ctx.programs.git, args, &repo.dir, observer, result)?;
        }
        // What was checked is what ships: the pull merged FETCH_HEAD, which must be
        // the release head the gate judged.
        let merged = ctx.git(&repo.dir).fetch_head().map_err(|e| e.to_string())?;
        if merged != checked {
            return Err(format!(
                "{}: origin/{} moved since the check (checked {checked}, merged {merged}); \
                 its merge was not pushed: undo it with `git -C {} reset --hard origin/{}`, \
                 then run `gatekeeper deploy` again",
                repo.name,
                ctx.config.release_branch,
                repo.dir.display(),
                ctx.config.base_branch
            ));
        }
        run_one(&ctx.programs.git, push, &repo.dir, observer, result)?;
    }
    Ok(())
}

fn verify(urls: &[String], timeout: Duration, observer: &mut dyn Observer) -> Result<(), String> {
    if urls.is_empty() {
        observer.note("no smoke_urls configured: nothing to verify");
        return Ok(());
    }
    use crate::sources::http::{Call, Policy, Service, Transport};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut bad = Vec::new();
    // The same transport as the sources' (proxies, same-origin redirects, body cap);
    // its deadline leaves each URL its timeout and one retry.
    let seconds = timeout.as_secs().max(1);
    let urls_count = u64::try_from(urls.len()).unwrap_or(u64::MAX);
    let policy = Policy::new(
        seconds,
        seconds.saturating_mul(3).saturating_mul(urls_count),
        4,
    );
    let transport = runtime
        .block_on(async { Transport::new(policy) })
        .map_err(|e| e.to_string())?;
    for url in urls {
        observer.command(&format!("GET {url}"));
        let parsed = match reqwest::Url::parse(url) {
            Ok(parsed) => parsed,
            Err(e) => {
                bad.push(format!("{url} is no URL: {e}"));
                continue;
            }
        };
        let answer = runtime.block_on(transport.send(Call::get(Service::Smoke, parsed, None), url));
        match answer {
            Ok(a) if a.status == 200 => {}
            Ok(a) => bad.push(format!("{url} answered HTTP {}, not 200", a.status)),
            Err(e) => bad.push(format!("{url} did not answer: {e}")),
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(downtime: bool, migrations: bool) -> Context {
        let target: TargetConfig = toml::from_str(
            r#"
app = "apangea"
deploy_repo = "o/aws"
deploy_remote = "aws-production"
notices_repo = "o/notices"
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
        )
        .unwrap();
        ctx.downtime = downtime;
        ctx.migrations = migrations;
        ctx
    }

    fn runs(plan: &[PlannedStep]) -> Vec<String> {
        plan.iter()
            .filter(|s| s.skip.is_none())
            .map(|s| s.name.clone())
            .collect()
    }

    #[test]
    fn zero_downtime_plan_skips_maintenance_and_migrate() {
        let plan = plan(&steps::default_steps(), &ctx(false, false)).unwrap();
        let names = runs(&plan);
        assert!(
            !names.iter().any(|n| n.contains("maintenance")),
            "{names:?}"
        );
        assert!(!names.contains(&"migrate".to_owned()), "{names:?}");
        assert_eq!(names.first().unwrap(), "merge rc into master");
        assert_eq!(names.last().unwrap(), "verify");
    }

    #[test]
    fn downtime_plan_with_migrations_wraps_migrate_in_maintenance() {
        let plan = plan(&steps::default_steps(), &ctx(true, true)).unwrap();
        let names = runs(&plan);
        let on = names.iter().position(|n| n == "maintenance on").unwrap();
        let migrate = names.iter().position(|n| n == "migrate").unwrap();
        let off = names.iter().position(|n| n == "maintenance off").unwrap();
        assert!(on < migrate && migrate < off, "{names:?}");
        assert_eq!(plan[0].maintenance, Some(Maintenance::On));
    }

    #[test]
    fn commands_use_configured_programs_and_run_in_the_app_clone() {
        let plan = plan(&steps::default_steps(), &ctx(false, false)).unwrap();
        let deploy = plan.iter().find(|s| s.name == "deploy").unwrap();
        assert_eq!(
            deploy.action,
            Action::Run {
                program: "/opt/ttmscalr".to_owned(),
                args: vec!["deploy".to_owned(), "production".to_owned()],
                dir: PathBuf::from("/srv/apangea"),
            }
        );
        let push = plan
            .iter()
            .find(|s| s.name == "push to aws-production")
            .unwrap();
        assert!(
            push.describe(&ctx(false, false))[0]
                .starts_with("git push aws-production master:master")
        );
    }

    #[test]
    fn merge_describes_every_repo() {
        let c = ctx(false, false);
        let plan = plan(&steps::default_steps(), &c).unwrap();
        let merge = plan.iter().find(|s| s.action == Action::Merge).unwrap();
        let lines = merge.describe(&c);
        assert_eq!(lines.len(), 8);
        assert!(lines[2].contains("git pull --no-ff --no-edit origin rc"));
        assert!(lines[7].contains("lesson-content"));
    }

    #[test]
    fn rollback_force_pushes_the_sha_then_deploys() {
        let c = ctx(false, false);
        let plan = rollback_plan("abc1234", &c);
        let lines: Vec<String> = plan.iter().flat_map(|s| s.describe(&c)).collect();
        let text = lines.join("\n");
        assert!(text.contains("git checkout -B rollback abc1234"), "{text}");
        assert!(
            text.contains("git push --force aws-production rollback:master"),
            "{text}"
        );
        assert!(text.contains("/opt/ttmscalr deploy production"), "{text}");
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

    #[test]
    fn verify_without_smoke_urls_says_so_and_passes() {
        let c = ctx(false, false);
        let plan = plan(&[], &c).unwrap();
        assert_eq!(plan.len(), 1);
        assert_eq!(
            plan[0].describe(&c),
            ["no smoke_urls configured: nothing to verify"]
        );
        let report = run(&plan, &c, &mut Quiet);
        assert!(report.ok());
    }

    fn sh_git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    #[test]
    fn merge_refuses_to_push_a_release_head_the_gate_did_not_check() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        sh_git(
            root,
            &["init", "-q", "--bare", "-b", "master", "origin.git"],
        );
        sh_git(root, &["clone", "-q", "origin.git", "clone"]);
        let clone = root.join("clone");
        sh_git(&clone, &["checkout", "-q", "-b", "master"]);
        sh_git(&clone, &["commit", "-q", "--allow-empty", "-m", "start"]);
        sh_git(&clone, &["push", "-q", "origin", "master"]);
        sh_git(&clone, &["checkout", "-q", "-b", "rc"]);
        sh_git(&clone, &["commit", "-q", "--allow-empty", "-m", "release"]);
        sh_git(&clone, &["push", "-q", "origin", "rc"]);
        sh_git(&clone, &["checkout", "-q", "master"]);
        let master = sh_git(root, &["--git-dir", "origin.git", "rev-parse", "master"]);

        let mut c = ctx(false, false);
        c.repos.truncate(1);
        c.repos[0].dir = clone.clone();
        // The gate checked another head than the one origin/rc now has.
        c.repos[0].release_sha = Some(master.clone());
        let plan = vec![PlannedStep {
            name: "merge".to_owned(),
            action: Action::Merge,
            skip: None,
            maintenance: None,
        }];
        let report = run(&plan, &c, &mut Quiet);
        let (_, message) = report.failed.unwrap();
        assert!(message.contains("moved since the check"), "{message}");
        assert_eq!(
            sh_git(root, &["--git-dir", "origin.git", "rev-parse", "master"]),
            master,
            "origin master was pushed"
        );
    }

    #[test]
    fn show_quotes_what_a_shell_would_split() {
        assert_eq!(
            show(
                "git",
                &["commit".to_owned(), "-m".to_owned(), "it's done".to_owned()]
            ),
            "git commit -m 'it'\\''s done'"
        );
    }

    struct Quiet;
    impl Observer for Quiet {
        fn started(&mut self, _: usize, _: usize, _: &PlannedStep) {}
        fn command(&mut self, _: &str) {}
        fn finished(&mut self, _: &PlannedStep, _: &StepResult) {}
        fn confirm_manual(&mut self, _: &PlannedStep) -> bool {
            false
        }
    }

    #[test]
    fn a_failed_step_stops_the_run_and_maintenance_stays_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = ctx(true, false);
        c.repos[0].dir = dir.path().to_owned();
        let step = |name: &str, program: &str, m| PlannedStep {
            name: name.to_owned(),
            action: Action::Run {
                program: program.to_owned(),
                args: Vec::new(),
                dir: dir.path().to_owned(),
            },
            skip: None,
            maintenance: m,
        };
        let plan = vec![
            step("on", "true", Some(Maintenance::On)),
            step("boom", "false", None),
            step("off", "true", Some(Maintenance::Off)),
        ];
        let report = run(&plan, &c, &mut Quiet);
        assert_eq!(report.results.len(), 2);
        assert_eq!(report.failed.as_ref().unwrap().0, "boom");
        assert!(report.maintenance_on);
    }

    #[test]
    fn an_unconfirmed_manual_step_fails() {
        let c = ctx(false, false);
        let plan = vec![PlannedStep {
            name: "tell support".to_owned(),
            action: Action::Manual,
            skip: None,
            maintenance: None,
        }];
        let report = run(&plan, &c, &mut Quiet);
        assert!(report.failed.unwrap().1.contains("not confirmed"));
    }
}
