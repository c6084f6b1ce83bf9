//! The steps gatekeeper carries out itself, each more than one command: merging
//! the release branch into the base branch of every repo (and checking that what
//! was merged is what the gate checked), and recording the production SHA that a
//! rollback restores. Their commands run like any step's: same limits, same
//! environment, same scrubbing.

use std::time::Instant;

use super::plan::{ls_remote_args, merge_commands};
use super::step::{Observer, StepError, StepResult, run_one};
use super::{Context, RunbookError, git};

/// In every repo's clone: check out the base branch, pull it, merge the release
/// branch with a merge commit, check that what was merged is the head the gate
/// checked, push. A repo whose check fails is not pushed.
pub(crate) fn merge(
    ctx: &Context,
    deadline: Instant,
    observer: &mut dyn Observer,
    result: &mut StepResult,
) -> Result<(), StepError> {
    let commands = merge_commands(&ctx.config);
    let (push, pulls) = commands
        .split_last()
        .ok_or_else(|| "no merge commands".to_owned())?;
    // Every merge is made and checked before the first push.
    for (i, repo) in ctx.repos.iter().enumerate() {
        let checked = repo.release_sha.as_deref().ok_or_else(|| {
            RunbookError::NoReleaseSha {
                repo: repo.name.clone(),
            }
            .to_string()
        })?;
        observer.note(&format!("{} in {}", repo.name, repo.dir.display()));
        for args in pulls {
            run_one(
                ctx,
                &ctx.programs.git,
                args,
                &repo.dir,
                deadline,
                observer,
                result,
            )?;
        }
        // What was checked is what ships: the pull merged FETCH_HEAD, which must be
        // the release head the gate judged.
        let merged = ctx
            .git(&repo.dir)
            .fetch_head()
            .map_err(|e| StepError::Failed(e.to_string()))?;
        if merged != checked {
            return Err(StepError::Failed(format!(
                "{}: origin/{} moved since the check (checked {checked}, merged {merged}); \
                 its merge was not pushed: undo it with `git -C {} reset --hard origin/{}`, \
                 then run `gatekeeper deploy` again",
                repo.name,
                ctx.config.release_branch,
                repo.dir.display(),
                ctx.config.base_branch
            )));
        }
        super::integrity::verify_merge(ctx, repo, i == 0)
            .map_err(|e| StepError::Failed(e.to_string()))?;
    }
    for repo in &ctx.repos {
        observer.note(&format!("{} in {}", repo.name, repo.dir.display()));
        run_one(
            ctx,
            &ctx.programs.git,
            push,
            &repo.dir,
            deadline,
            observer,
            result,
        )?;
    }
    Ok(())
}

/// `git ls-remote DEPLOY_REMOTE refs/heads/BASE` in the app's clone: what
/// production runs now, the SHA a rollback restores.
pub(crate) fn record_production(
    ctx: &Context,
    deadline: Instant,
    observer: &mut dyn Observer,
    result: &mut StepResult,
) -> Result<(), StepError> {
    let args = ls_remote_args(&ctx.config);
    let out = run_one(
        ctx,
        &ctx.programs.git,
        &args,
        &ctx.app_dir(),
        deadline,
        observer,
        result,
    )?;
    let sha = git::branch_head(&out.stdout, &ctx.config.base_branch).ok_or_else(|| {
        StepError::Failed(format!(
            "{} has no branch {}: there is no production SHA to record",
            ctx.config.deploy_remote, ctx.config.base_branch
        ))
    })?;
    super::integrity::still_judged(ctx, &sha).map_err(|e| StepError::Failed(e.to_string()))?;
    result.production_sha = Some(sha);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::runbook::execute::{Stop, Unrecorded, run};
    use crate::runbook::plan::{Action, PlannedStep};
    use crate::runbook::testing::ctx;

    struct Quiet;
    impl Observer for Quiet {
        fn started(&mut self, _: usize, _: usize, _: &PlannedStep) -> Result<(), Unrecorded> {
            Ok(())
        }
        fn command(&mut self, _: &str) {}
        fn finished(&mut self, _: &PlannedStep, _: &StepResult) -> Result<(), Unrecorded> {
            Ok(())
        }
        fn confirm_manual(&mut self, _: &PlannedStep) -> bool {
            false
        }
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
            when: crate::config::When::Always,
            skip: None,
            maintenance: None,
            timeout: Duration::from_secs(60),
        }];
        let report = run(&plan, &c, &mut Quiet);
        let Some(Stop::Failed { message, .. }) = report.stop else {
            panic!("{:?}", report.stop)
        };
        assert!(message.contains("moved since the check"), "{message}");
        assert_eq!(
            sh_git(root, &["--git-dir", "origin.git", "rev-parse", "master"]),
            master,
            "origin master was pushed"
        );
    }
    #[test]
    fn the_record_step_stops_when_production_is_not_what_the_gate_judged() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        sh_git(
            root,
            &["init", "-q", "--bare", "-b", "master", "deploy.git"],
        );
        sh_git(root, &["init", "-q", "-b", "master", "clone"]);
        let clone = root.join("clone");
        sh_git(
            &clone,
            &["remote", "add", "aws-production", "../deploy.git"],
        );
        sh_git(&clone, &["commit", "-q", "--allow-empty", "-m", "judged"]);
        let judged = sh_git(&clone, &["rev-parse", "HEAD"]);
        sh_git(
            &clone,
            &["commit", "-q", "--allow-empty", "-m", "pushed since"],
        );
        sh_git(&clone, &["push", "-q", "aws-production", "master"]);
        let now = sh_git(&clone, &["rev-parse", "HEAD"]);

        let mut c = ctx(false, false);
        c.repos.truncate(1);
        c.repos[0].dir = clone.clone();
        let plan = vec![PlannedStep {
            name: "record the production SHA".to_owned(),
            action: Action::RecordProduction,
            when: crate::config::When::Always,
            skip: None,
            maintenance: None,
            timeout: Duration::from_secs(60),
        }];
        c.production = Some(now.clone());
        let report = run(&plan, &c, &mut Quiet);
        assert!(report.ok(), "{:?}", report.stop);
        assert_eq!(report.production_before.as_deref(), Some(now.as_str()));

        c.production = Some(judged.clone());
        let report = run(&plan, &c, &mut Quiet);
        let Some(Stop::Failed { message, .. }) = report.stop else {
            panic!("{:?}", report.stop)
        };
        assert!(
            message.contains(&format!("aws-production master is now {now}, not {judged}")),
            "{message}"
        );
        assert_eq!(report.production_before, None);
    }
}
