//! Read-only checks before anything changes: every program the planned steps start
//! can be started, every clone exists and is clean, and every release branch on
//! origin still points at the SHA the gate checked. Each
//! check is a call in [`preflight`], so that more (production SHA agreement, merge
//! integrity) attach in one place. It never changes a repo.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::plan::{Action, Plan, PlannedStep};
use super::{Context, RunbookError};

/// Before the lock: every existing clone has a git identity (user.name and
/// user.email) for the merge commit, so that a deploy never stops at the merge after
/// maintenance went on.
pub fn require_git_identity(ctx: &Context) -> Result<(), RunbookError> {
    for repo in ctx.repos.iter().filter(|r| r.dir.is_dir()) {
        ctx.git(&repo.dir)
            .identity()
            .map_err(|source| RunbookError::NoGitIdentity {
                repo: repo.name.clone(),
                source: Box::new(source),
            })?;
    }
    Ok(())
}

/// Read-only checks before anything changes: every program the steps of `plan`
/// (the run's own, built once) start can be started, every clone exists and is
/// clean, and every release branch on origin still points at the SHA the gate
/// checked.
pub fn preflight(ctx: &Context, plan: &Plan) -> Result<(), RunbookError> {
    require_programs(plan, ctx)?;
    require_git_identity(ctx)?;
    let release = &ctx.config.release_branch;
    for repo in &ctx.repos {
        if !repo.dir.is_dir() {
            return Err(repo.missing());
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
    super::integrity::deploy_preflight(ctx)?;
    let redirects =
        super::verify::redirecting(&ctx.config.smoke_urls, ctx.timeout, ctx.network.as_ref());
    if !redirects.is_empty() {
        return Err(RunbookError::SmokeRedirects {
            problems: redirects.join("; "),
        });
    }
    Ok(())
}

/// Every program `plan` will start (git for the built-in steps and the lock, each
/// command step's program, `[programs]` applied) is an executable file, found on
/// PATH or at the path given: a missing `ttmscalr` stops the run before the first
/// push, not after it.
pub fn require_programs(plan: &[PlannedStep], ctx: &Context) -> Result<(), RunbookError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    let git = ("the lock and the built-in steps", ctx.programs.git.as_str());
    let steps = plan
        .iter()
        .filter(|s| s.skip.is_none())
        .filter_map(|s| match &s.action {
            Action::Run { program, .. } => Some((s.name.as_str(), program.as_str())),
            Action::Merge | Action::RecordProduction => {
                Some((s.name.as_str(), ctx.programs.git.as_str()))
            }
            Action::Manual | Action::Verify { .. } => None,
        });
    for (step, program) in std::iter::once(git).chain(steps) {
        if let Some(problem) = unusable(program, &ctx.app_dir(), &dirs) {
            return Err(RunbookError::ProgramMissing {
                step: step.to_owned(),
                program: program.to_owned(),
                problem,
                fix: fix(program, ctx),
            });
        }
    }
    Ok(())
}

/// Why `program` cannot be started from `dir` with `path`, if it cannot.
fn unusable(program: &str, dir: &Path, path: &[PathBuf]) -> Option<String> {
    if program.contains('/') {
        // A path: relative ones are taken from the clone the step runs in.
        let file = dir.join(program);
        return (!executable(&file))
            .then(|| format!("is not an executable file at {}", file.display()));
    }
    if path.iter().any(|d| executable(&d.join(program))) {
        None
    } else {
        Some("is not on PATH".to_owned())
    }
}

fn executable(file: &Path) -> bool {
    std::fs::metadata(file).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What to do about a missing program: the `[programs]` key that names it, if any.
fn fix(program: &str, ctx: &Context) -> String {
    let key = if program == ctx.programs.git {
        Some("git")
    } else if program == ctx.programs.ttmscalr {
        Some("ttmscalr")
    } else {
        None
    };
    match key {
        Some(key) => format!(
            "install it, or set `{key} = \"/full/path/to/{key}\"` under [programs] in the config"
        ),
        None => format!(
            "install it, or give its full path in the step's command in targets.{}",
            ctx.target
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Builtin, StepConfig, When};
    use crate::runbook::testing::ctx;

    fn step(name: &str, command: &[&str], builtin: Option<Builtin>) -> StepConfig {
        StepConfig {
            name: name.to_owned(),
            command: command.iter().map(|a| (*a).to_owned()).collect(),
            when: When::Always,
            manual: false,
            builtin,
            timeout_minutes: None,
        }
    }

    #[test]
    fn the_preflight_checks_the_plan_it_is_given() {
        // The target's config has the default steps; the run's plan has another
        // program: the preflight judges the plan of the run, not a rebuilt one.
        let c = ctx(false, false);
        let record = step("record", &[], Some(Builtin::RecordProduction));
        let odd = step("odd", &["gatekeeper-no-such-program"], None);
        let plan = Plan::deploy(&[record, odd], &c).unwrap();
        let err = preflight(&c, &plan).unwrap_err();
        assert!(
            matches!(&err, RunbookError::ProgramMissing { step, .. } if step == "odd"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_clone_gets_the_one_message_with_the_clone_to_run() {
        let mut c = ctx(false, false);
        for repo in &mut c.repos {
            repo.clone_url = format!("https://github.com/{}.git", repo.name);
        }
        let record = step("record", &[], Some(Builtin::RecordProduction));
        let plan = Plan::deploy(&[record, step("ok", &["true"], None)], &c).unwrap();
        let err = preflight(&c, &plan).unwrap_err();
        assert!(matches!(err, RunbookError::CloneMissing { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "the local clone of o/apangea is missing at /srv/apangea: clone it with `git clone https://github.com/o/apangea.git /srv/apangea`, or set `workdir` and leave out its `path` so that deploy clones it"
        );
    }
}
