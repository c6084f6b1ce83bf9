//! `gatekeeper attest keygen|verify|predicate`, and the hooks `check` and `deploy`
//! call: sign a decision (`--attest-out`), and hold a deploy to the signed decision
//! its target requires (`require_attestation`). The formats and the checking are
//! [`crate::attest`]'s; this file binds flags, prints and picks exit codes
//! (verify: 0 pass, 1 valid but refused, 2 malformed, badly signed, unknown key).

use std::io::Write;
use std::path::Path;

use chrono::{Duration, Utc};

use crate::attest::verify::{self, Expect, Report};
use crate::attest::{self, AttestError, Inputs, KeyType, PublicKey, SigningKey, statement};
use crate::cli::{
    AttestCommand, AttestKeygenArgs, AttestOutArgs, AttestPredicateArgs, AttestVerifyArgs,
    KeyTypeArg, VerifyFormat,
};
use crate::config::{Config, TargetConfig};
use crate::decision::Decision;
use crate::facts::Facts;
use crate::policy::PolicySet;
use crate::runbook::Context;

use super::{CommandError, EXIT_OK, Outcome, print, write_file};

/// How old a required signed decision may be unless the target says otherwise.
pub(crate) const DEFAULT_MAX_AGE_MINUTES: u32 = 120;

pub fn run(command: AttestCommand) -> Result<Outcome, CommandError> {
    match command {
        AttestCommand::Keygen(args) => keygen(&args),
        AttestCommand::Verify(args) => verify_command(&args),
        AttestCommand::Predicate(args) => predicate(&args),
    }
}

fn keygen(args: &AttestKeygenArgs) -> Result<Outcome, CommandError> {
    let key_type = match args.key_type {
        KeyTypeArg::Ed25519 => KeyType::Ed25519,
        KeyTypeArg::P256 => KeyType::P256,
    };
    let pair = attest::keys::generate(key_type)?;
    attest::keys::write_pair(&pair, &args.out, &args.public)?;
    print(&format!(
        "Wrote the {} private key {} (mode 0600) and its public key {}.\nKey id: {}\n",
        key_type.as_str(),
        args.out.display(),
        args.public.display(),
        pair.key_id
    ));
    Ok(EXIT_OK)
}

fn verify_command(args: &AttestVerifyArgs) -> Result<Outcome, CommandError> {
    let key = PublicKey::from_file(&args.public)?;
    let max_age = args
        .max_age
        .as_deref()
        .map(verify::parse_duration)
        .transpose()
        .map_err(|why| CommandError::Usage(format!("--max-age: {why}")))?;
    for sha in &args.subjects {
        if !crate::runbook::git::is_sha(sha) || sha.len() != 40 {
            return Err(CommandError::Usage(format!(
                "--subject {sha:?} is not a commit SHA: give the full 40 hex digits"
            )));
        }
    }
    let text = read(&args.file)?;
    let expect = Expect {
        subjects: args.subjects.clone(),
        target: args.target.clone(),
        max_age,
        ..Expect::default()
    };
    let mut report = verify::verify(
        &text,
        &args.file.display().to_string(),
        &key,
        &expect,
        Utc::now(),
    )?;
    if let (Some(facts), Some(policies)) = (&args.facts, &args.policies) {
        verify::recompute(&mut report, facts, policies)?;
    }
    let shown = match args.format {
        VerifyFormat::Table => table(&report, &args.file),
        VerifyFormat::Json => json(&report)?,
    };
    print(&shown);
    Ok(Outcome::of(report.passed()))
}

/// The unsigned predicate of the decision on a recorded facts document, for a
/// signer of its own (`actions/attest`); exit 0 allow, 1 deny, like `check`.
fn predicate(args: &AttestPredicateArgs) -> Result<Outcome, CommandError> {
    let mut gate = crate::gate::Gate::resolve(&crate::gate::Request {
        target: &args.target,
        config: &args.config.config,
        policies: args.config.policies.as_deref(),
        facts_file: Some(&args.facts),
        planned: crate::gate::Planned::default(),
        overrides: &[],
        reason: None,
        by: None,
        no_config: false,
        verbose: args.config.verbose,
    })?;
    let facts = super::facts(&gate, args.config.verbose)?;
    let judgement = gate.decide(facts)?;
    let (facts, decision) = (&judgement.facts, &judgement.decision);
    let inputs = inputs(
        gate.config(),
        facts,
        gate.policies(),
        Some(&args.facts),
        actor(),
        ci_run(),
    )?;
    let predicate = statement::predicate(decision, facts, &inputs);
    let text = serde_json::to_string_pretty(&predicate)
        .map_err(|e| CommandError::Usage(format!("cannot encode the predicate: {e}")))?;
    let audit = gate
        .config()
        .map(|c| super::record::audit_log(c).path().to_owned());
    write_file(&args.out, &format!("{text}\n"), audit.as_deref())?;
    eprintln!(
        "Wrote the {} predicate of {} ({}) to {}.",
        statement::VSA_PREDICATE_TYPE,
        args.target,
        predicate.verification_result,
        args.out.display()
    );
    Ok(Outcome::of(decision.allow))
}

/// The key `--attest-out` signs with, read before anything is collected (a bad key
/// stops the command first); `None` without `--attest-out`.
pub(crate) fn signer(args: &AttestOutArgs) -> Result<Option<SigningKey>, CommandError> {
    if args.attest_out.is_none() {
        return Ok(None);
    }
    let env = |var: &str| std::env::var(var).ok();
    Ok(Some(attest::signing_key(args.attest_key.as_deref(), &env)?))
}

/// What else a signed decision is made of: the run, who ran it, where the facts came from.
pub(crate) struct Signing<'a> {
    pub config: Option<&'a Config>,
    pub policies: &'a PolicySet,
    pub facts_file: Option<&'a Path>,
    pub actor: Option<String>,
    pub run: Option<String>,
}

/// Writes the signed decision to `--attest-out` (when given) and returns its
/// sha256; a deny is signed as well.
pub(crate) fn write_signed(
    args: &AttestOutArgs,
    key: Option<&SigningKey>,
    decision: &Decision,
    facts: &Facts,
    signing: Signing<'_>,
) -> Result<Option<String>, CommandError> {
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
    let text = attest::sign_decision(decision, facts, &inputs, key)?;
    let audit = signing
        .config
        .map(|c| super::record::audit_log(c).path().to_owned());
    write_file(path, &text, audit.as_deref())?;
    Ok(Some(crate::audit::sha256(text.as_bytes())))
}

/// The person CI names, else the login (as an override's `by`).
pub(crate) fn actor() -> Option<String> {
    Some(
        crate::rollout::deployments::ci_actor(&crate::secrets::process_env)
            .ci
            .unwrap_or_else(crate::audit::user),
    )
}

/// How a run's actor is named in its signed decision: the person CI names, then
/// the token's login, then the user.
pub(crate) fn run_actor(actor: Option<crate::audit::Actor>) -> Option<String> {
    let user = crate::audit::user();
    Some(actor.map_or_else(|| user.clone(), |a| a.name_or(&user)))
}

/// The CI run a check ran in: GitHub Actions' run id, else Jenkins' build tag.
pub(crate) fn ci_run() -> Option<String> {
    ["GITHUB_RUN_ID", "BUILD_TAG"].iter().find_map(|v| {
        std::env::var(v)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    })
}

fn inputs(
    config: Option<&Config>,
    facts: &Facts,
    policies: &PolicySet,
    facts_file: Option<&Path>,
    actor: Option<String>,
    run: Option<String>,
) -> Result<Inputs, CommandError> {
    let target = config.and_then(|c| c.targets.get(&facts.target));
    let resource_uri = match (target, &facts.production) {
        (Some(t), _) => statement::resource_uri(&t.deploy_repo, &t.base_branch, &facts.target),
        (None, Some(p)) => statement::resource_uri(&p.repo, &p.branch, &facts.target),
        (None, None) => {
            return Err(CommandError::Usage(format!(
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
        policies_sha256: attest::policies_sha256(policies.files())?,
        policies_git_tree: attest::policies_git_tree(policies.dir(), git),
        facts_uri: facts_file
            .and_then(|f| f.file_name())
            .map(|n| n.to_string_lossy().into_owned()),
        facts_sha256: attest::facts_sha256(facts)?,
        actor,
        run_id: run,
    })
}

/// What a target's `require_attestation` made of the deploy, before the lock.
pub(crate) enum Required {
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
pub(crate) fn require(
    config: &Config,
    name: &str,
    target: &TargetConfig,
    file: Option<&Path>,
    ctx: &Context,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<Required, CommandError> {
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
    let refuse = |out: &mut dyn Write, why: &str| -> Result<Required, CommandError> {
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
            .map_err(crate::runbook::RunbookError::from)?
            .ok_or_else(|| {
                CommandError::Usage(format!(
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
pub(crate) fn same_heads(required: &Required, facts: &Facts) -> Result<(), String> {
    let Required::Met(heads) = required else {
        return Ok(());
    };
    for repo in &facts.repos {
        let name = statement::subject_name(&repo.name, &repo.release_branch);
        let attested = heads.iter().find(|(n, _)| *n == name).map(|(_, c)| c);
        if attested.map(String::as_str) != repo.release_sha.as_deref() {
            return Err(format!(
                "{}'s release head is {}, the signed decision passed {}",
                repo.name,
                repo.release_sha.as_deref().unwrap_or("unknown"),
                attested.map_or("none", String::as_str)
            ));
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, CommandError> {
    std::fs::read_to_string(path).map_err(|source| {
        AttestError::Read {
            path: path.to_owned(),
            source,
        }
        .into()
    })
}

fn table(report: &Report, file: &Path) -> String {
    let p = &report.statement.predicate;
    let mut text = format!(
        "{} {}: signature valid ({} key {}); the gate said {}\n",
        if report.passed() { "✔" } else { "✘" },
        file.display(),
        report.key_type,
        report.keyid,
        p.verification_result
    );
    let mut row = |k: &str, v: String| text.push_str(&format!("  {k:<10} {v}\n"));
    row(
        "target",
        format!("{} ({})", p.decision.target, p.resource_uri),
    );
    row(
        "verified",
        format!("{} ({} min ago)", p.time_verified, report.age_seconds / 60),
    );
    for s in &report.statement.subject {
        row(
            "subject",
            format!("{} = {}", s.name, s.git_commit().unwrap_or("?")),
        );
    }
    row(
        "policy",
        p.policy
            .digest
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    for input in &p.input_attestations {
        row(
            "facts",
            input
                .digest
                .iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    if report.recomputed {
        row("recomputed", "from the facts and policies given".to_owned());
    }
    if report.passed() {
        text.push_str("Passed.\n");
    } else {
        text.push_str("Refused:\n");
        for problem in &report.problems {
            text.push_str(&format!("  - {problem}\n"));
        }
    }
    text
}

fn json(report: &Report) -> Result<String, CommandError> {
    let p = &report.statement.predicate;
    let value = serde_json::json!({
        "passed": report.passed(),
        "signature": "valid",
        "keyid": report.keyid,
        "key_type": report.key_type,
        "verificationResult": p.verification_result,
        "target": p.decision.target,
        "resourceUri": p.resource_uri,
        "timeVerified": p.time_verified,
        "age_seconds": report.age_seconds,
        "subjects": report.statement.subject,
        "policy": p.policy,
        "inputAttestations": p.input_attestations,
        "recomputed": report.recomputed,
        "problems": report.problems,
    });
    serde_json::to_string_pretty(&value)
        .map(|t| format!("{t}\n"))
        .map_err(|e| CommandError::Usage(format!("cannot encode the report: {e}")))
}
