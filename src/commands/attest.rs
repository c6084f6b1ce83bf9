//! `gatekeeper attest keygen|verify|predicate`, and the hooks `check` and `deploy`
//! call: sign a decision (`--attest-out`), and hold a deploy to the signed decision
//! its target requires (`require_attestation`). The formats and the checking are
//! [`crate::attest`]'s (the hooks in `attest::hooks` and `attest::require`); this
//! file binds flags, prints and picks exit codes
//! (verify: 0 pass, 1 valid but refused, 2 malformed, badly signed, unknown key).

use chrono::Utc;

use crate::attest::hooks;
use crate::attest::report as render;
use crate::attest::require::{RequireError, read};
use crate::attest::verify::{self, Expect};
use crate::attest::{self, KeyType, PublicKey, statement};
use crate::cli::{
    AttestCommand, AttestKeygenArgs, AttestPredicateArgs, AttestVerifyArgs, KeyTypeArg,
    VerifyFormat,
};

use super::{CommandError, EXIT_OK, Outcome, print, write_file};

pub(crate) use crate::attest::hooks::{Signing, actor, ci_run, run_actor, signer, write_signed};
pub(crate) use crate::attest::require::{Required, require, same_heads};

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
        .filter(|d| !d.is_zero())
        .map(chrono::Duration::from_std)
        .transpose()
        .map_err(|why| CommandError::Usage(format!("--max-age: {why}")))?;
    if args.max_age.is_some_and(|d| d.is_zero()) {
        return Err(CommandError::Usage(
            "--max-age 0s refuses every signed decision: give how old one may be, e.g. 2h"
                .to_owned(),
        ));
    }
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
        VerifyFormat::Table => render::table(&report, &args.file),
        VerifyFormat::Json => render::json(&report).map_err(|source| CommandError::Encode {
            what: "the report",
            source,
        })?,
    };
    print(&shown);
    Ok(Outcome::of(report.passed()))
}

/// The unsigned predicate of the decision on a recorded facts document, for a
/// signer of its own (`actions/attest`); exit 0 allow, 1 deny, like `check`.
fn predicate(args: &AttestPredicateArgs) -> Result<Outcome, CommandError> {
    let mut gate = crate::gate::Gate::resolve(&crate::gate::Case {
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
    let inputs = hooks::inputs(
        gate.config(),
        facts,
        gate.policies(),
        Some(&args.facts),
        actor(),
        ci_run(),
    )?;
    let predicate = statement::predicate(decision, facts, &inputs);
    let text = serde_json::to_string_pretty(&predicate).map_err(|source| CommandError::Encode {
        what: "the predicate",
        source,
    })?;
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

impl From<RequireError> for CommandError {
    fn from(e: RequireError) -> Self {
        match e {
            RequireError::Attest(e) => Self::Attest(e),
            RequireError::Runbook(e) => Self::Runbook(e),
        }
    }
}
