//! The release repos' clones, before a run takes the lock: every one must be there.
//! A repo that lives in `workdir` (it names no `path`) and is missing is cloned, and
//! a fresh app clone is given the deploy remote (`deploy_remote_url`), so a wiped CI
//! workspace deploys as written. A missing clone anywhere else is diagnosed with the
//! `git clone` to run. A dry run changes nothing: it says what the run would clone.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::config::{Config, TargetConfig};

use super::process::Ended;
use super::{Context, RunbookError};

/// Cloning one repo may take this long.
const CLONE_DEADLINE: Duration = Duration::from_secs(600);

/// What [`ensure`] did or, in a dry run, would do.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// "owner/name from URL into DIR", one per clone made (or to be made).
    pub cloned: Vec<String>,
    /// A dry run found clones it would make: the preflight cannot look at them yet.
    pub would_clone: bool,
}

/// Makes sure every clone of `target` exists (see the module docs).
pub fn ensure(
    config: &Config,
    target: &TargetConfig,
    ctx: &Context,
    dry_run: bool,
) -> Result<Prepared, RunbookError> {
    let workdir: Option<PathBuf> = config.workdir.as_ref().map(|w| config.resolve(w));
    let mut prepared = Prepared::default();
    for (i, (repo, plan)) in target.repos.iter().zip(&ctx.repos).enumerate() {
        let url = config.clone_url(repo);
        if plan.dir.is_dir() {
            if i == 0 {
                add_deploy_remote(ctx, target, !dry_run)?;
            }
            continue;
        }
        let in_workdir = workdir
            .as_ref()
            .is_some_and(|w| plan.dir.starts_with(super::normalize(w)));
        if !in_workdir {
            return Err(plan.missing());
        }
        prepared.cloned.push(format!(
            "{} from {url} into {}",
            plan.name,
            plan.dir.display()
        ));
        if dry_run {
            prepared.would_clone = true;
            continue;
        }
        clone(ctx, &plan.name, &url, &plan.dir)?;
        if i == 0 {
            add_deploy_remote(ctx, target, true)?;
        }
    }
    Ok(prepared)
}

fn clone(ctx: &Context, repo: &str, url: &str, dir: &std::path::Path) -> Result<(), RunbookError> {
    let failed = |message: String| RunbookError::CloneFailed {
        repo: repo.to_owned(),
        dir: dir.to_owned(),
        url: url.to_owned(),
        message,
    };
    let parent = dir.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| failed(e.to_string()))?;
    let args = vec![
        "clone".to_owned(),
        "--quiet".to_owned(),
        url.to_owned(),
        dir.display().to_string(),
    ];
    match ctx.children.run(
        &ctx.programs.git,
        &args,
        parent,
        Some(Instant::now() + CLONE_DEADLINE),
    )? {
        Ended::Exited(out) if out.success => Ok(()),
        Ended::Exited(out) => Err(failed(out.tail(4))),
        _ => Err(failed(format!(
            "git clone did not finish within {} s",
            CLONE_DEADLINE.as_secs()
        ))),
    }
}

/// A clone of the app that lacks the deploy remote gets it (`may_add`, not in a
/// dry run) when the config says where it is; otherwise the run stops here, before
/// the lock, saying how to add it: one message for one mistake.
fn add_deploy_remote(
    ctx: &Context,
    target: &TargetConfig,
    may_add: bool,
) -> Result<(), RunbookError> {
    let dir = ctx.app_dir();
    let ask = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        ctx.children.run(
            &ctx.programs.git,
            &args,
            &dir,
            Some(Instant::now() + Duration::from_secs(60)),
        )
    };
    let known = matches!(
        ask(&["remote", "get-url", &target.deploy_remote])?,
        Ended::Exited(out) if out.success
    );
    if known {
        return Ok(());
    }
    let Some(url) = &target.deploy_remote_url else {
        return Err(RunbookError::NoDeployRemote {
            dir: dir.clone(),
            remote: target.deploy_remote.clone(),
            target: ctx.target.clone(),
        });
    };
    if !may_add {
        return Ok(());
    }
    match ask(&["remote", "add", &target.deploy_remote, url])? {
        Ended::Exited(out) if out.success => Ok(()),
        ended => Err(RunbookError::CloneFailed {
            repo: ctx
                .repos
                .first()
                .map_or_else(String::new, |r| r.name.clone()),
            dir: dir.clone(),
            url: url.clone(),
            message: format!(
                "cannot add the remote {}: {}",
                target.deploy_remote,
                ended.output().tail(3)
            ),
        }),
    }
}
