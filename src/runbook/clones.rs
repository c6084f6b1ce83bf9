//! The release repos' clones, before a run takes the lock: every one must be there.
//! A repo that lives in `workdir` (it names no `path`) and is missing is cloned, and
//! a fresh app clone is given the deploy remote (`deploy_remote_url`), so a wiped CI
//! workspace deploys as written. A missing clone anywhere else is diagnosed with the
//! `git clone` to run. A dry run changes nothing: it says what the run would clone.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{Config, TargetConfig};

use super::{Context, RunbookError, git};

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
        url: git::without_userinfo(url),
        message,
    };
    let parent = dir.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| failed(e.to_string()))?;
    let target = dir.display().to_string();
    ctx.git(parent)
        .with_timeout(CLONE_DEADLINE)
        .run(&["clone", "--quiet", url, &target])
        .map(|_| ())
        .map_err(|e| failed(e.to_string()))
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
    let git = ctx.git(&dir).with_timeout(Duration::from_secs(60));
    if git
        .output(&["remote", "get-url", &target.deploy_remote])?
        .success
    {
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
    git.run(&["remote", "add", &target.deploy_remote, url])
        .map(|_| ())
        .map_err(|source| RunbookError::AddRemote {
            remote: target.deploy_remote.clone(),
            source: Box::new(source),
        })
}
