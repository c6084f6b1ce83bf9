//! From steps (data) to the plan of one run: placeholders substituted, programs
//! resolved from `[programs]`, each step's `when` judged against the decision
//! (skipped steps stay in the plan with their reason), each step's time limit, and
//! verify last. Also the rollback plan. A [`Plan`] is built once per run, by
//! [`Plan::deploy`] or [`Plan::rollback`], and every plan passed [`guard`]: the
//! record-first rule (`crate::config::record_first`, the one place it is written)
//! and verify last with at least one URL. After the decision, [`Plan::judge`] only
//! marks the steps whose `when` does not apply. Pure: it runs nothing.

use std::path::PathBuf;
use std::time::Duration;

use super::steps::Values;
use super::{Context, RunbookError};
use crate::config::record_first::{self, Breach, RuleStep};
use crate::config::{Builtin, StepConfig, TargetConfig, When};

/// A step's time limit when its config gives none.
pub const DEFAULT_TIMEOUT_MINUTES: f64 = 30.0;
/// `deploy:migrate` rewrites tables: it gets longer.
pub const MIGRATE_TIMEOUT_MINUTES: f64 = 120.0;

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
    /// When it runs (judged against the decision into `skip`).
    pub when: When,
    /// Why it will not run (its `when` does not apply), if so.
    pub skip: Option<String>,
    pub maintenance: Option<Maintenance>,
    /// How long it may run before its process group is stopped.
    pub timeout: Duration,
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
                vec!["no smoke URL: this step fails".to_owned()]
            }
            Action::Verify { urls } => urls.iter().map(|u| format!("GET {u} → 200")).collect(),
        }
    }
}

pub(crate) fn merge_commands(target: &TargetConfig) -> Vec<Vec<String>> {
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

pub(crate) fn ls_remote_args(target: &TargetConfig) -> Vec<String> {
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

/// The target has smoke URLs to verify a run with: checked before a deploy or
/// rollback takes the lock.
pub fn require_smoke_urls(ctx: &Context) -> Result<(), RunbookError> {
    if ctx.config.smoke_urls.is_empty() {
        return Err(RunbookError::NoSmokeUrls {
            target: ctx.target.clone(),
        });
    }
    Ok(())
}

impl RuleStep for PlannedStep {
    fn step_name(&self) -> &str {
        &self.name
    }
    fn records_production(&self) -> bool {
        self.action == Action::RecordProduction
    }
    fn step_when(&self) -> When {
        self.when
    }
}

/// What every plan must be, whatever the config says: the record-first rule holds
/// (its first step records the production SHA, on every run, and no other step
/// does, so nothing can change production before it); its last step verifies at
/// least one smoke URL.
fn guard(plan: Vec<PlannedStep>, ctx: &Context) -> Result<Plan, RunbookError> {
    let none: &[PlannedStep] = &[];
    if let Some(breach) = record_first::breaches(Some(&plan), none).into_iter().next() {
        let problem = match breach {
            Breach::Never | Breach::InExtraSteps => "never records the production SHA".to_owned(),
            Breach::Times(records) => format!("records the production SHA {records} times"),
            Breach::RunsBefore(first) => {
                format!("runs {first:?} before recording the production SHA")
            }
            Breach::OnlyWhen(when) => format!(
                "skips recording the production SHA ({})",
                skip_reason(when, false, false).unwrap_or_default()
            ),
        };
        return Err(RunbookError::RecordNotFirst {
            target: ctx.target.clone(),
            problem,
        });
    }
    match plan.last().map(|s| &s.action) {
        Some(Action::Verify { urls }) if !urls.is_empty() => Ok(Plan { steps: plan }),
        _ => Err(RunbookError::NoSmokeUrls {
            target: ctx.target.clone(),
        }),
    }
}

/// Why a step with `when` does not run on this decision, if it does not.
fn skip_reason(when: When, downtime: bool, migrations: bool) -> Option<String> {
    match when {
        When::Always => None,
        When::Downtime if downtime => None,
        When::Downtime => Some("zero-downtime deploy".to_owned()),
        When::Migrations if migrations => None,
        When::Migrations => Some("no pending migrations".to_owned()),
    }
}

/// The runbook of one run, validated: placeholders substituted, programs resolved,
/// the record-first rule and verify last checked. Built once per run (by
/// [`Plan::deploy`] or [`Plan::rollback`]) and passed to the preflight, the printed
/// plan and the run; it reads as the slice of its steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    steps: Vec<PlannedStep>,
}

impl std::ops::Deref for Plan {
    type Target = [PlannedStep];
    fn deref(&self) -> &[PlannedStep] {
        &self.steps
    }
}

impl Plan {
    /// The deploy plan of `configs` (a target's steps) for this context; the
    /// production SHA is recorded first and verify comes last, or it is an error.
    pub fn deploy(configs: &[StepConfig], ctx: &Context) -> Result<Self, RunbookError> {
        plan(configs, ctx)
    }

    /// The rollback plan that restores `sha`: record, fetch, check out, force-push
    /// with a lease, deploy, verify.
    pub fn rollback(sha: &str, ctx: &Context) -> Result<Self, RunbookError> {
        rollback_plan(sha, ctx)
    }

    /// Marks, after the decision (`ctx.downtime`, `ctx.migrations`), the steps whose
    /// `when` does not apply; nothing else changes.
    pub fn judge(&mut self, ctx: &Context) {
        for step in &mut self.steps {
            step.skip = skip_reason(step.when, ctx.downtime, ctx.migrations);
        }
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[PlannedStep] {
        &self.steps
    }
}

/// Refuses a plan with a manual step when nobody can confirm it (`attended` false:
/// stdin is not a terminal), before the lock and anything else: otherwise the run
/// would change production and then stop at the step. Every manual step counts,
/// whatever its `when`: the decision that judges `when` comes after the lock.
pub fn require_attended(
    configs: &[StepConfig],
    ctx: &Context,
    attended: bool,
) -> Result<(), RunbookError> {
    if attended {
        return Ok(());
    }
    match configs
        .iter()
        .find(|s| s.manual && s.builtin.is_none() && s.command.is_empty())
    {
        Some(step) => Err(RunbookError::ManualUnattended {
            step: step.name.clone(),
            target: ctx.target.clone(),
        }),
        None => Ok(()),
    }
}

/// Turns step configs into the plan for this context; the production SHA is
/// recorded first and verify comes last, or it is an error.
fn plan(configs: &[StepConfig], ctx: &Context) -> Result<Plan, RunbookError> {
    require_smoke_urls(ctx)?;
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
        plan.push(PlannedStep {
            name,
            action,
            when: step.when,
            skip: skip_reason(step.when, ctx.downtime, ctx.migrations),
            maintenance: maintenance_of(step),
            timeout: timeout_of(step),
        });
    }
    plan.push(verify_step(ctx));
    guard(plan, ctx)
}

fn verify_step(ctx: &Context) -> PlannedStep {
    PlannedStep {
        name: "verify".to_owned(),
        action: Action::Verify {
            urls: ctx.config.smoke_urls.clone(),
        },
        when: When::Always,
        skip: None,
        maintenance: None,
        timeout: minutes(DEFAULT_TIMEOUT_MINUTES),
    }
}

/// The step's `timeout_minutes`, or the default for what it runs.
fn timeout_of(step: &StepConfig) -> Duration {
    let default = if step.command.iter().any(|a| a == "deploy:migrate") {
        MIGRATE_TIMEOUT_MINUTES
    } else {
        DEFAULT_TIMEOUT_MINUTES
    };
    minutes(step.timeout_minutes.unwrap_or(default))
}

fn minutes(minutes: f64) -> Duration {
    // Validated positive and finite with the config; anything else gets the default.
    Duration::try_from_secs_f64(minutes * 60.0).unwrap_or(Duration::from_secs(60 * 30))
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
fn rollback_plan(sha: &str, ctx: &Context) -> Result<Plan, RunbookError> {
    require_smoke_urls(ctx)?;
    let t = &ctx.config;
    // Forced only over the production SHA the run judged: a push by someone else
    // in between is refused, not overwritten (without a judged SHA, over the one
    // the fetch step just read).
    let lease = match &ctx.production {
        Some(production) => format!("--force-with-lease={}:{production}", t.base_branch),
        None => format!("--force-with-lease={}", t.base_branch),
    };
    let run = |name: &str, program: &str, args: &[&str]| PlannedStep {
        name: name.to_owned(),
        action: Action::Run {
            program: ctx.program(program),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            dir: ctx.app_dir(),
        },
        when: When::Always,
        skip: None,
        maintenance: None,
        timeout: minutes(DEFAULT_TIMEOUT_MINUTES),
    };
    let refspec = format!("rollback:{}", t.base_branch);
    let plan = vec![
        PlannedStep {
            name: "record the production SHA".to_owned(),
            action: Action::RecordProduction,
            when: When::Always,
            skip: None,
            maintenance: None,
            timeout: minutes(DEFAULT_TIMEOUT_MINUTES),
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
            &["push", &lease, &t.deploy_remote, &refspec],
        ),
        run("deploy", "ttmscalr", &["deploy", &ctx.target]),
        verify_step(ctx),
    ];
    guard(plan, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::steps;
    use crate::runbook::testing::ctx;

    fn runs(plan: &[PlannedStep]) -> Vec<String> {
        plan.iter()
            .filter(|s| s.skip.is_none())
            .map(|s| s.name.clone())
            .collect()
    }

    #[test]
    fn zero_downtime_plan_skips_maintenance_and_migrate() {
        let plan = Plan::deploy(&steps::default_steps(), &ctx(false, false)).unwrap();
        let names = runs(&plan);
        assert!(
            !names.iter().any(|n| n.contains("maintenance")),
            "{names:?}"
        );
        assert!(!names.contains(&"migrate".to_owned()), "{names:?}");
        assert_eq!(names.first().unwrap(), "record the production SHA");
        assert_eq!(names.get(1).unwrap(), "merge rc into master");
        assert_eq!(names.last().unwrap(), "verify");
    }

    #[test]
    fn downtime_plan_with_migrations_wraps_migrate_in_maintenance() {
        let plan = Plan::deploy(&steps::default_steps(), &ctx(true, true)).unwrap();
        let names = runs(&plan);
        let on = names.iter().position(|n| n == "maintenance on").unwrap();
        let migrate = names.iter().position(|n| n == "migrate").unwrap();
        let off = names.iter().position(|n| n == "maintenance off").unwrap();
        assert!(on < migrate && migrate < off, "{names:?}");
        assert_eq!(plan[0].action, Action::RecordProduction);
        assert_eq!(plan[1].maintenance, Some(Maintenance::On));
    }

    #[test]
    fn commands_use_configured_programs_and_run_in_the_app_clone() {
        let plan = Plan::deploy(&steps::default_steps(), &ctx(false, false)).unwrap();
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
        let plan = Plan::deploy(&steps::default_steps(), &c).unwrap();
        let merge = plan.iter().find(|s| s.action == Action::Merge).unwrap();
        let lines = merge.describe(&c);
        assert_eq!(lines.len(), 8);
        assert!(lines[2].contains("git pull --no-ff --no-edit origin rc"));
        assert!(lines[7].contains("lesson-content"));
    }

    #[test]
    fn rollback_force_pushes_the_sha_then_deploys() {
        let c = ctx(false, false);
        let plan = Plan::rollback("abc1234", &c).unwrap();
        assert_eq!(plan[0].action, Action::RecordProduction);
        let lines: Vec<String> = plan.iter().flat_map(|s| s.describe(&c)).collect();
        let text = lines.join("\n");
        assert!(text.contains("git checkout -B rollback abc1234"), "{text}");
        // The force-push is leased on the production SHA judged, or on the one the
        // fetch step read.
        assert!(
            text.contains("git push --force-with-lease=master aws-production rollback:master"),
            "{text}"
        );
        assert!(text.contains("/opt/ttmscalr deploy production"), "{text}");
    }

    fn step(name: &str, builtin: Option<Builtin>, when: When) -> StepConfig {
        StepConfig {
            name: name.to_owned(),
            command: if builtin.is_none() {
                vec!["ttmscalr".to_owned(), "deploy".to_owned()]
            } else {
                Vec::new()
            },
            when,
            manual: false,
            builtin,
            timeout_minutes: None,
        }
    }

    fn refusal(configs: &[StepConfig], c: &Context) -> String {
        Plan::deploy(configs, c).unwrap_err().to_string()
    }

    #[test]
    fn a_plan_that_could_change_production_before_recording_it_is_refused() {
        let c = ctx(false, false);
        let record = step("record", Some(Builtin::RecordProduction), When::Always);
        let deploy = step("deploy", None, When::Always);
        assert!(Plan::deploy(&[record.clone(), deploy.clone()], &c).is_ok());

        let late = refusal(&[deploy.clone(), record.clone()], &c);
        assert!(
            late.contains("runbook of production runs \"deploy\" before recording"),
            "{late}"
        );
        let twice = refusal(&[record.clone(), deploy.clone(), record.clone()], &c);
        assert!(
            twice.contains("records the production SHA 2 times"),
            "{twice}"
        );
        let never = refusal(std::slice::from_ref(&deploy), &c);
        assert!(
            never.contains("never records the production SHA"),
            "{never}"
        );
        // Only on downtime deploys is on no zero-downtime deploy.
        let sometimes = step("record", Some(Builtin::RecordProduction), When::Downtime);
        let skipped = refusal(&[sometimes, deploy], &c);
        assert!(
            skipped.contains("skips recording the production SHA (zero-downtime deploy)"),
            "{skipped}"
        );
        // Even a manual step (a person could do anything) waits for the record.
        let mut tell = step("tell support", None, When::Always);
        tell.command.clear();
        tell.manual = true;
        let manual = refusal(&[tell, record], &c);
        assert!(manual.contains("runs \"tell support\" before"), "{manual}");
    }

    #[test]
    fn the_record_step_must_run_on_every_decision_not_only_on_this_one() {
        // A decision with migrations would run a `when = "migrations"` record step,
        // but the next one would not: the rule is on the runbook, not on one run.
        let c = ctx(true, true);
        let sometimes = step("record", Some(Builtin::RecordProduction), When::Migrations);
        let deploy = step("deploy", None, When::Always);
        let message = refusal(&[sometimes, deploy], &c);
        assert!(
            message.contains("skips recording the production SHA (no pending migrations)"),
            "{message}"
        );
        // A record step in the extra steps (appended after the runbook) is one too many.
        let mut configs = steps::default_steps();
        configs.push(step("again", Some(Builtin::RecordProduction), When::Always));
        let twice = refusal(&configs, &c);
        assert!(
            twice.contains("records the production SHA 2 times"),
            "{twice}"
        );
    }

    #[test]
    fn judging_marks_skips_from_the_decision_without_rebuilding() {
        let mut c = ctx(false, false);
        let mut plan = Plan::deploy(&steps::default_steps(), &c).unwrap();
        let before: Vec<String> = plan.iter().map(|s| s.name.clone()).collect();
        assert!(!runs(&plan).contains(&"migrate".to_owned()));
        c.downtime = true;
        c.migrations = true;
        plan.judge(&c);
        let names = runs(&plan);
        assert!(names.contains(&"migrate".to_owned()), "{names:?}");
        assert!(names.contains(&"maintenance on".to_owned()), "{names:?}");
        let after: Vec<String> = plan.iter().map(|s| s.name.clone()).collect();
        assert_eq!(before, after);
        assert_eq!(
            plan,
            Plan::deploy(&steps::default_steps(), &c).unwrap(),
            "judged after the decision = built on it"
        );
    }

    #[test]
    fn a_target_without_smoke_urls_gets_no_plan() {
        let mut c = ctx(false, false);
        c.config.smoke_urls.clear();
        let message = refusal(&steps::default_steps(), &c);
        assert!(
            message.contains("targets.production.smoke_urls is missing or empty"),
            "{message}"
        );
        let message = Plan::rollback("abc1234", &c).unwrap_err().to_string();
        assert!(message.contains("smoke_urls = ["), "{message}");
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

    #[test]
    fn migrate_gets_a_longer_time_limit_and_config_wins() {
        let mut configs = steps::default_steps();
        let plan_of = |configs: &[StepConfig]| Plan::deploy(configs, &ctx(true, true)).unwrap();
        let limit = |plan: &[PlannedStep], name: &str| {
            plan.iter().find(|s| s.name == name).unwrap().timeout
        };
        let p = plan_of(&configs);
        assert_eq!(limit(&p, "migrate"), Duration::from_secs(120 * 60));
        assert_eq!(limit(&p, "deploy"), Duration::from_secs(30 * 60));
        for step in &mut configs {
            if step.name == "deploy" {
                step.timeout_minutes = Some(0.5);
            }
        }
        assert_eq!(limit(&plan_of(&configs), "deploy"), Duration::from_secs(30));
    }
}
