//! Exactly what was checked ships. This module owns the runbook's integrity rules:
//! one production SHA per target (GitHub's copy of the deploy repo and the deploy
//! remote must agree before anything changes), no local commits riding along in a
//! clone, a merge whose tree is exactly the checked release head's and which keeps
//! what production runs, and rollbacks only to a full SHA that production ran
//! before according to the audit log. It only reads (git questions, records) and
//! answers with an [`IntegrityError`]; it never pushes, prints or prompts.

use std::path::{Path, PathBuf};

use super::git;
use super::{Context, RepoPlan};

/// At most this many commits or files are listed in a message.
const LIST_LIMIT: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    #[error(
        "the production SHA is unknown: GitHub's {repo} could not be read ({reason}); nothing was changed; run again when GitHub answers"
    )]
    ProductionUnknown { repo: String, reason: String },
    #[error(
        "the deploy remote {remote} has no branch {branch}: check `deploy_remote` in the config and `git -C {} remote -v`",
        dir.display()
    )]
    RemoteHasNoBranch {
        remote: String,
        branch: String,
        dir: PathBuf,
    },
    #[error(
        "two production SHAs: GitHub's {repo} {branch} is {github}, but the deploy remote {remote} ({url}) has {remote_sha}; nothing was changed. Either `deploy_remote` does not point at {repo}, or someone pushed in between: find out which, then run again",
        repo = repo_branch.0, branch = repo_branch.1
    )]
    ProductionDisagrees {
        /// The deploy repo on GitHub and its base branch.
        repo_branch: Box<(String, String)>,
        github: String,
        remote: String,
        url: String,
        remote_sha: String,
    },
    #[error(
        "{remote} {branch} is now {now}, not {judged}, the production SHA the gate judged migrations against: someone pushed or rolled back in between; nothing was pushed to {remote}; run `gatekeeper deploy` again"
    )]
    ProductionMoved {
        remote: String,
        branch: String,
        judged: String,
        now: String,
    },
    #[error(
        "{repo}: the clone {} has commits on {branch} that origin does not have:\n{commits}\nthey were never checked; push them through a release, or drop them (`git -C {} reset --hard origin/{branch}`)",
        dir.display(), dir.display()
    )]
    LocalCommits {
        repo: String,
        dir: PathBuf,
        branch: String,
        commits: String,
    },
    #[error(
        "{repo}: the merge {merge} does not ship exactly the checked release head {checked} (their trees differ){extra}\nnothing was pushed; undo the merge with `git -C {} reset --hard origin/{base}`, merge {base} into {release}, and run the tests and `gatekeeper deploy` again",
        dir.display(), merge = shas.0, checked = shas.1, base = branches.0, release = branches.1
    )]
    MergeDiffers {
        repo: String,
        dir: PathBuf,
        /// The merge and the checked release head.
        shas: Box<(String, String)>,
        /// The base and release branches.
        branches: Box<(String, String)>,
        /// The commits and files the checks never judged, as lines.
        extra: String,
    },
    #[error(
        "{repo}: the merge {merge} does not contain {production}, which production runs{missing}\npushing it would drop them; nothing was pushed; undo the merge with `git -C {} reset --hard origin/{base}`",
        dir.display(), merge = shas.0, production = shas.1
    )]
    DropsProduction {
        repo: String,
        dir: PathBuf,
        /// The merge and the production SHA.
        shas: Box<(String, String)>,
        base: String,
        /// The production commits the merge lacks, as lines.
        missing: String,
    },
    #[error("no production SHA was agreed for {target} before the merge: nothing was pushed")]
    NoAgreedProduction { target: String },
    #[error(
        "{sha} is not a commit in the clone {}: fetch it (`git -C {} fetch origin`) and run again",
        dir.display(), dir.display()
    )]
    NotInClone { sha: String, dir: PathBuf },
    #[error(
        "{repo}: the facts hold no checked release head, so its merge cannot be checked: nothing was pushed; run `gatekeeper check` to see why"
    )]
    NoCheckedHead { repo: String },
    #[error(transparent)]
    Git(Box<git::GitError>),
}

impl From<git::GitError> for IntegrityError {
    fn from(e: git::GitError) -> Self {
        Self::Git(Box::new(e))
    }
}

impl From<IntegrityError> for super::RunbookError {
    fn from(e: IntegrityError) -> Self {
        Self::Integrity(Box::new(e))
    }
}

/// Runs one git question in `dir`; a non-zero exit is an error naming it. Like
/// every child of a run, it sees no secret and has a deadline.
fn ask(ctx: &Context, dir: &Path, args: &[&str]) -> Result<String, IntegrityError> {
    Ok(ctx.git(dir).run(args)?.trim().to_owned())
}

/// Runs one git question in `dir` and returns how it ended, whatever the exit.
fn answer(ctx: &Context, dir: &Path, args: &[&str]) -> Result<git::Output, IntegrityError> {
    Ok(ctx.git(dir).output(args)?)
}

/// Indents lines under a message, at most [`LIST_LIMIT`] of them.
fn listed(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out: Vec<String> = lines
        .iter()
        .take(LIST_LIMIT)
        .map(|l| format!("    {l}"))
        .collect();
    if lines.len() > LIST_LIMIT {
        out.push(format!("    … and {} more", lines.len() - LIST_LIMIT));
    }
    out.join("\n")
}

/// True for a full commit SHA as git prints it: 40 lowercase hex digits.
pub fn is_full_sha(text: &str) -> bool {
    text.len() == 40
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The deploy remote's base branch head, read with `git ls-remote` from the app's clone.
pub fn remote_production(ctx: &Context) -> Result<String, IntegrityError> {
    let dir = ctx.app_dir();
    let t = &ctx.config;
    let refname = format!("refs/heads/{}", t.base_branch);
    let out = ask(ctx, &dir, &["ls-remote", &t.deploy_remote, &refname])?;
    git::branch_head(&out, &t.base_branch).ok_or_else(|| IntegrityError::RemoteHasNoBranch {
        remote: t.deploy_remote.clone(),
        branch: t.base_branch.clone(),
        dir: dir.clone(),
    })
}

/// One production SHA per target: `github` (the deploy repo's base branch head on
/// GitHub, or why it is unknown) must equal the deploy remote's. Returns it.
pub fn production_agrees(
    ctx: &Context,
    github: Result<&str, &str>,
) -> Result<String, IntegrityError> {
    let t = &ctx.config;
    let github = github.map_err(|reason| IntegrityError::ProductionUnknown {
        repo: t.deploy_repo.clone(),
        reason: reason.to_owned(),
    })?;
    let remote_sha = remote_production(ctx)?;
    if remote_sha.eq_ignore_ascii_case(github) {
        return Ok(remote_sha);
    }
    let url = ask(
        ctx,
        &ctx.app_dir(),
        &["remote", "get-url", &t.deploy_remote],
    )
    .map(|url| git::without_userinfo(&url))
    .unwrap_or_else(|_| "url unknown".to_owned());
    Err(IntegrityError::ProductionDisagrees {
        repo_branch: Box::new((t.deploy_repo.clone(), t.base_branch.clone())),
        github: github.to_owned(),
        remote: t.deploy_remote.clone(),
        url,
        remote_sha,
    })
}

/// At the record step: the deploy remote still holds the SHA the gate judged
/// migrations against (the one agreed in the preflight).
pub fn still_judged(ctx: &Context, recorded: &str) -> Result<(), IntegrityError> {
    // No judged SHA is no agreement: never a pass by nothing to compare.
    let judged = ctx
        .production
        .as_deref()
        .ok_or_else(|| IntegrityError::NoAgreedProduction {
            target: ctx.target.clone(),
        })?;
    if judged.eq_ignore_ascii_case(recorded) {
        Ok(())
    } else {
        Err(IntegrityError::ProductionMoved {
            remote: ctx.config.deploy_remote.clone(),
            branch: ctx.config.base_branch.clone(),
            judged: judged.to_owned(),
            now: recorded.to_owned(),
        })
    }
}

/// Preflight of a deploy: no clone carries commits on its base branch that origin
/// lacks (they would ride along in the merge), and the production SHA the gate
/// judged is the deploy remote's.
pub fn deploy_preflight(ctx: &Context) -> Result<(), IntegrityError> {
    for repo in &ctx.repos {
        no_local_commits(ctx, repo)?;
    }
    let judged = ctx
        .production
        .as_deref()
        .ok_or("the facts hold no production SHA");
    production_agrees(ctx, judged)?;
    Ok(())
}

/// Commits on the clone's base branch that are on no origin branch (nor on origin's
/// base branch head as `ls-remote` tells it now).
fn no_local_commits(ctx: &Context, repo: &RepoPlan) -> Result<(), IntegrityError> {
    let base = &ctx.config.base_branch;
    let local = format!("refs/heads/{base}");
    let exists = answer(
        ctx,
        &repo.dir,
        &["rev-parse", "--verify", "--quiet", &local],
    )?;
    if !exists.success {
        // `git checkout BASE` will create it from origin.
        return Ok(());
    }
    let mut args = vec!["log", "--oneline", &local, "--not", "--remotes=origin"];
    let remote = ask(ctx, &repo.dir, &["ls-remote", "origin", &local])?;
    let remote_head = git::branch_head(&remote, base);
    if let Some(head) = remote_head
        .as_deref()
        .filter(|h| has_commit(ctx, &repo.dir, h))
    {
        args.push(head);
    }
    let commits = ask(ctx, &repo.dir, &args)?;
    if commits.is_empty() {
        Ok(())
    } else {
        Err(IntegrityError::LocalCommits {
            repo: repo.name.clone(),
            dir: repo.dir.clone(),
            branch: base.clone(),
            commits: listed(&commits),
        })
    }
}

fn has_commit(ctx: &Context, dir: &Path, sha: &str) -> bool {
    let object = format!("{sha}^{{commit}}");
    answer(ctx, dir, &["cat-file", "-e", &object]).is_ok_and(|o| o.success)
}

/// After the merge in `repo`'s clone and before any push: the merge's tree is the
/// checked release head's, and (in the app, which is pushed to the deploy remote)
/// the production SHA is its ancestor.
pub fn verify_merge(ctx: &Context, repo: &RepoPlan, is_app: bool) -> Result<(), IntegrityError> {
    let dir = &repo.dir;
    let checked = repo
        .release_sha
        .as_deref()
        .ok_or_else(|| IntegrityError::NoCheckedHead {
            repo: repo.name.clone(),
        })?;
    let merge = ask(ctx, dir, &["rev-parse", "HEAD"])?;
    let tree = |rev: &str| ask(ctx, dir, &["rev-parse", &format!("{rev}^{{tree}}")]);
    let base = ctx.config.base_branch.clone();
    if tree(&merge)? != tree(checked)? {
        let range = format!("{checked}..{merge}");
        let commits = ask(ctx, dir, &["log", "--oneline", "--no-merges", &range])?;
        let files = ask(ctx, dir, &["diff", "--name-status", checked, &merge])?;
        let mut extra = String::new();
        if !commits.is_empty() {
            extra.push_str(&format!(
                ":\ncommits in the merge that the checks never judged:\n{}",
                listed(&commits)
            ));
        }
        if !files.is_empty() {
            extra.push_str(&format!(
                "\nfiles that differ from the checked head:\n{}",
                listed(&files)
            ));
        }
        return Err(IntegrityError::MergeDiffers {
            repo: repo.name.clone(),
            dir: dir.clone(),
            shas: Box::new((merge, checked.to_owned())),
            branches: Box::new((base, ctx.config.release_branch.clone())),
            extra,
        });
    }
    if !is_app {
        return Ok(());
    }
    let production = ctx
        .production
        .clone()
        .ok_or_else(|| IntegrityError::NoAgreedProduction {
            target: ctx.target.clone(),
        })?;
    if !has_commit(ctx, dir, &production) {
        // Only remote-tracking refs change.
        ask(
            ctx,
            dir,
            &["fetch", "--quiet", &ctx.config.deploy_remote, &base],
        )?;
    }
    let ancestor = answer(
        ctx,
        dir,
        &["merge-base", "--is-ancestor", &production, &merge],
    )?;
    if ancestor.success {
        return Ok(());
    }
    let range = format!("{merge}..{production}");
    let missing = answer(ctx, dir, &["log", "--oneline", &range])
        .ok()
        .filter(|o| o.success)
        .map(|o| format!(":\n{}", listed(&o.stdout)))
        .unwrap_or_default();
    Err(IntegrityError::DropsProduction {
        repo: repo.name.clone(),
        dir: dir.clone(),
        shas: Box::new((merge, production)),
        base,
        missing,
    })
}

/// A SHA to check out is a commit in the app's clone.
pub fn require_in_clone(ctx: &Context, sha: &str) -> Result<(), IntegrityError> {
    let dir = ctx.app_dir();
    if has_commit(ctx, &dir, sha) {
        Ok(())
    } else {
        Err(IntegrityError::NotInClone {
            sha: sha.to_owned(),
            dir,
        })
    }
}

/// First-parent commits of production read at most when judging a rollback target.
pub const FIRST_PARENT_LIMIT: usize = 10_000;

/// The full SHA of the commit `rev` (a SHA or an abbreviation of one) names in the
/// app's clone.
pub fn resolve_commit(ctx: &Context, rev: &str) -> Result<String, IntegrityError> {
    let dir = ctx.app_dir();
    let object = format!("{rev}^{{commit}}");
    let out = answer(ctx, &dir, &["rev-parse", "--verify", "--quiet", &object])?;
    let sha = out.stdout.trim().to_ascii_lowercase();
    if out.success && is_full_sha(&sha) {
        Ok(sha)
    } else {
        Err(IntegrityError::NotInClone {
            sha: rev.to_owned(),
            dir,
        })
    }
}

/// Whether `sha` is on the first-parent history of `head` (the deploy remote's
/// head), `head` itself included, within [`FIRST_PARENT_LIMIT`] commits. `head` is
/// fetched from the deploy remote into the app's clone when the clone lacks it
/// (only remote-tracking refs change).
pub fn on_first_parent_history(
    ctx: &Context,
    head: &str,
    sha: &str,
) -> Result<bool, IntegrityError> {
    let dir = ctx.app_dir();
    if !has_commit(ctx, &dir, head) {
        ask(
            ctx,
            &dir,
            &[
                "fetch",
                "--quiet",
                &ctx.config.deploy_remote,
                &ctx.config.base_branch,
            ],
        )?;
    }
    let limit = format!("--max-count={FIRST_PARENT_LIMIT}");
    let listed = ask(ctx, &dir, &["rev-list", "--first-parent", &limit, head])?;
    Ok(listed
        .lines()
        .any(|line| line.trim().eq_ignore_ascii_case(sha)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaa111111111111111111111111111111111";

    #[test]
    fn long_lists_are_cut_and_say_how_many_more() {
        let lines: Vec<String> = (0..25).map(|i| format!("c{i} commit")).collect();
        let text = listed(&lines.join("\n"));
        assert_eq!(text.lines().count(), LIST_LIMIT + 1);
        assert!(text.starts_with("    c0 commit"), "{text}");
        assert!(text.ends_with("… and 5 more"), "{text}");
    }

    #[test]
    fn full_shas_only() {
        assert!(is_full_sha(A));
        assert!(!is_full_sha("origin/rc"));
        assert!(!is_full_sha(&A[..39]));
        assert!(!is_full_sha(&A.to_uppercase()));
    }
}
