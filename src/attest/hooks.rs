//! The hooks `check` and `deploy` call to sign a decision (`--attest-out`): the
//! key, what the statement is made of (the run, who ran it, where the facts came
//! from), and the file written.

use std::path::Path;

use crate::cli::AttestOutArgs;
use crate::config::Config;
use crate::decision::Decision;
use crate::facts::Facts;
use crate::policy::PolicySet;

use super::{AttestError, Inputs, SigningKey, statement};

/// The key `--attest-out` signs with, read before anything is collected (a bad key
/// stops the command first); `None` without `--attest-out`.
pub fn signer(args: &AttestOutArgs) -> Result<Option<SigningKey>, AttestError> {
    if args.attest_out.is_none() {
        return Ok(None);
    }
    let env = |var: &str| std::env::var(var).ok();
    Ok(Some(super::signing_key(args.attest_key.as_deref(), &env)?))
}

/// What else a signed decision is made of: the run, who ran it, where the facts came from.
pub struct Signing<'a> {
    pub config: Option<&'a Config>,
    pub policies: &'a PolicySet,
    pub facts_file: Option<&'a Path>,
    pub actor: Option<String>,
    pub run: Option<String>,
}

/// Writes the signed decision to `--attest-out` (when given) and returns its
/// sha256; a deny is signed as well.
pub fn write_signed(
    args: &AttestOutArgs,
    key: Option<&SigningKey>,
    decision: &Decision,
    facts: &Facts,
    signing: Signing<'_>,
) -> Result<Option<String>, AttestError> {
    let (Some(path), Some(key)) = (&args.attest_out, key) else {
        return Ok(None);
    };
    let inputs = inputs(
        signing.config,
        facts,
        signing.policies,
        signing.facts_file,
        signing.actor,
        signing.run,
    )?;
    let text = super::sign_decision(decision, facts, &inputs, key)?;
    let audit = signing.config.map(|c| c.resolve(&c.audit_log));
    write(path, &text, audit.as_deref())?;
    Ok(Some(crate::audit::sha256(text.as_bytes())))
}

/// The person CI names, else the login (as an override's `by`).
pub fn actor() -> Option<String> {
    Some(
        crate::rollout::shared::ci_actor(&crate::secrets::process_env)
            .ci
            .unwrap_or_else(crate::audit::user),
    )
}

/// How a run's actor is named in its signed decision: the person CI names, then
/// the token's login, then the user.
pub fn run_actor(actor: Option<crate::audit::Actor>) -> Option<String> {
    let user = crate::audit::user();
    Some(actor.map_or_else(|| user.clone(), |a| a.name_or(&user)))
}

/// The CI run a check ran in: GitHub Actions' run id, else Jenkins' build tag.
pub fn ci_run() -> Option<String> {
    ["GITHUB_RUN_ID", "BUILD_TAG"].iter().find_map(|v| {
        std::env::var(v)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    })
}

/// What a signed decision (or its predicate) is made of besides the decision.
pub fn inputs(
    config: Option<&Config>,
    facts: &Facts,
    policies: &PolicySet,
    facts_file: Option<&Path>,
    actor: Option<String>,
    run: Option<String>,
) -> Result<Inputs, AttestError> {
    let target = config.and_then(|c| c.targets.get(&facts.target));
    let resource_uri = match (target, &facts.production) {
        (Some(t), _) => statement::resource_uri(&t.deploy_repo, &t.base_branch, &facts.target),
        (None, Some(p)) => statement::resource_uri(&p.repo, &p.branch, &facts.target),
        (None, None) => {
            return Err(AttestError::Usage(format!(
                "cannot name the deploy repo of {:?} for the signed decision: the facts hold no production SHA and no config names the target; pass --config",
                facts.target
            )));
        }
    };
    let git = config.map_or("git", |c| c.programs.git.as_str());
    Ok(Inputs {
        verifier_id: config
            .and_then(|c| c.attestation_verifier_id.clone())
            .unwrap_or_else(|| statement::DEFAULT_VERIFIER_ID.to_owned()),
        resource_uri,
        policy_uri: policies.dir().display().to_string(),
        policies_sha256: super::policies_sha256(policies.files())?,
        policies_git_tree: crate::archive::policies_tree(
            policies.dir(),
            git,
            &config.map(Config::secret_vars).unwrap_or_default(),
        ),
        facts_uri: facts_file
            .and_then(|f| f.file_name())
            .map(|n| n.to_string_lossy().into_owned()),
        facts_sha256: super::facts_sha256(facts)?,
        actor,
        run_id: run,
    })
}

/// Writes a file a person asked for through [`crate::files::write_replacing`]:
/// never through a link, never onto the audit log (`audit`), written whole.
pub fn write(path: &Path, text: &str, audit: Option<&Path>) -> Result<(), AttestError> {
    let never: Vec<&Path> = audit.into_iter().collect();
    crate::files::write_replacing(path, text, &never).map_err(|e| AttestError::Write {
        path: e.path().to_owned(),
        source: match e {
            crate::files::FileError::Io { source, .. } => source,
            other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string()),
        },
    })
}
