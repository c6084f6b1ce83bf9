//! Read-only checks before anything changes: every clone exists and is clean, and
//! every release branch on origin still points at the SHA the gate checked. Each
//! check is a call in [`preflight`], so that more (production SHA agreement, merge
//! integrity) attach in one place. It never changes a repo.

use super::{Context, RunbookError};

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
    super::integrity::deploy_preflight(ctx)?;
    Ok(())
}
