//! The hook `deploy` calls to hold a deploy to the signed decision its target
//! requires (`require_attestation`), and to the heads it passed.

use std::io::Write;
use std::path::Path;

use chrono::{Duration, Utc};

use crate::config::{Config, TargetConfig};
use crate::facts::Facts;
use crate::runbook::{Context, RunbookError};

use super::verify::{self, Expect};
use super::{AttestError, PublicKey, statement};

/// How old a required signed decision may be unless the target says otherwise.
pub const DEFAULT_MAX_AGE_MINUTES: u32 = 120;

/// Why the requirement could not be judged (not a refusal: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum RequireError {
    #[error(transparent)]
    Attest(#[from] AttestError),
    #[error(transparent)]
    Runbook(#[from] RunbookError),
}

/// A release head moved after the signed decision passed another.
#[derive(Debug, thiserror::Error)]
#[error(
    "{repo}'s release head is {}, the signed decision passed {}",
    .head.as_deref().unwrap_or("unknown"),
    .attested.as_deref().unwrap_or("none")
)]
pub struct HeadsMoved {
    pub repo: String,
    pub head: Option<String>,
    pub attested: Option<String>,
}

/// What a target's `require_attestation` made of the deploy, before the lock.
pub enum Required {
    /// The target requires none.
    No,
    /// It verified: these (subject name, commit) pairs are the heads it passed.
    Met(Vec<(String, String)>),
    /// It did not: the deploy stops (exit 1), nothing changed.
    Refused,
}

/// Holds the deploy to the signed decision its target requires: signed by the
/// configured key, PASSED, about this target and about exactly the release heads
/// the clones' `origin` has now, within `attestation_max_age_minutes`. A dry run
/// says what is required and what the file given would get, and goes on.
pub fn require(
    config: &Config,
    name: &str,
    target: &TargetConfig,
    file: Option<&Path>,
    ctx: &Context,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<Required, RequireError> {
    let Some(key_file) = &target.require_attestation else {
        if file.is_some() {
            let _ = writeln!(
                out,
                "note: target {name} sets no require_attestation: --attestation is not checked"
            );
        }
        return Ok(Required::No);
    };
    let key_file = config.resolve(key_file);
    let key = PublicKey::from_file(&key_file)?;
    let minutes = target
        .attestation_max_age_minutes
        .unwrap_or(DEFAULT_MAX_AGE_MINUTES);
    let _ = writeln!(
        out,
        "Target {name} requires a signed decision (--attestation FILE): PASSED, for this target and the release heads to merge, signed by {} (key {}), at most {minutes} min old.",
        key_file.display(),
        key.key_id()
    );
    let refuse = |out: &mut dyn Write, why: &str| -> Result<Required, RequireError> {
        if dry_run {
            let _ = writeln!(out, "The deploy would refuse: {why}.");
            Ok(Required::No)
        } else {
            let _ = writeln!(out, "Deploy of {name} refused: {why}. Nothing was changed.");
            Ok(Required::Refused)
        }
    };
    let Some(file) = file else {
        return refuse(out, "no --attestation FILE was given");
    };
    let mut heads = Vec::new();
    for repo in &ctx.repos {
        if !repo.dir.exists() && dry_run {
            let _ = writeln!(
                out,
                "The release head of {} is not known before its clone is made.",
                repo.name
            );
            return Ok(Required::No);
        }
        let git = crate::runbook::git::Git::new(&ctx.programs.git, &repo.dir, &ctx.children);
        let head = git
            .remote_head("origin", &target.release_branch)
            .map_err(RunbookError::from)?
            .ok_or_else(|| {
                AttestError::Usage(format!(
                    "{} has no branch {} on origin: there is nothing to deploy",
                    repo.name, target.release_branch
                ))
            })?;
        heads.push((
            statement::subject_name(&repo.name, &target.release_branch),
            head,
        ));
    }
    let expect = Expect {
        exact_subjects: Some(heads.clone()),
        target: Some(name.to_owned()),
        resource_uri: Some(statement::resource_uri(
            &target.deploy_repo,
            &target.base_branch,
            name,
        )),
        max_age: Some(Duration::minutes(i64::from(minutes))),
        ..Expect::default()
    };
    let text = read(file)?;
    let report = match verify::verify(
        &text,
        &file.display().to_string(),
        &key,
        &expect,
        Utc::now(),
    ) {
        Ok(report) => report,
        // Malformed, badly signed, another key: no attestation, whatever the file says.
        Err(e @ AttestError::Invalid { .. }) => return refuse(out, &e.to_string()),
        Err(e) => return Err(e.into()),
    };
    if !report.passed() {
        return refuse(out, &report.problems.join("; "));
    }
    let _ = writeln!(
        out,
        "Signed decision {} verified: PASSED at {} for {}.",
        file.display(),
        report.statement.predicate.time_verified,
        heads
            .iter()
            .map(|(n, c)| format!("{n} = {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(Required::Met(heads))
}

/// After the facts: the release heads the gate judged must be the ones the signed
/// decision passed; `Err` says what moved.
pub fn same_heads(required: &Required, facts: &Facts) -> Result<(), HeadsMoved> {
    let Required::Met(heads) = required else {
        return Ok(());
    };
    for repo in &facts.repos {
        let name = statement::subject_name(&repo.name, &repo.release_branch);
        let attested = heads.iter().find(|(n, _)| *n == name).map(|(_, c)| c);
        if attested.map(String::as_str) != repo.release_sha.as_deref() {
            return Err(HeadsMoved {
                repo: repo.name.clone(),
                head: repo.release_sha.clone(),
                attested: attested.cloned(),
            });
        }
    }
    Ok(())
}

/// The text of an attestation file.
pub fn read(path: &Path) -> Result<String, AttestError> {
    std::fs::read_to_string(path).map_err(|source| AttestError::Read {
        path: path.to_owned(),
        source,
    })
}
