//! The deploy's decision: facts collected (or, for a dry run, read), judged by the
//! gate, signed, printed and recorded; a deny, heads other than the signed ones,
//! or a SHA other than the one a comment confirmed stop the run here.

use std::io::Write;

use crate::audit::{self, AuditLog};
use crate::cli::DeployArgs;
use crate::config::Config;
use crate::gate::{Gate, Judgement};
use crate::render;
use crate::rollout::{self, Judged, Recheck, Session};
use crate::runbook::signals::Watch;

use super::super::collect::{Collected, collect_or_interrupt};
use super::super::{CommandError, EXIT_FAIL, Outcome, Stdout, stdout_style, summary};
use super::prepare::Ready;

pub(super) enum Decided {
    /// The run ends here with this outcome; its records are written.
    Stop(Outcome),
    /// Allowed: go on to the runbook.
    Go(Box<Allowed>),
}

/// An allow, recorded.
pub(super) struct Allowed {
    pub judgement: Judgement,
    /// The audit record's verdict, digested once: the check record and the run share it.
    pub verdict: audit::Ruling,
}

pub(super) fn decide(
    args: &DeployArgs,
    config: &Config,
    ready: &mut Ready,
    session: &Session,
) -> Result<Decided, CommandError> {
    // Recorded facts only reach here with --dry-run: they preview, never deploy.
    let collected = match &args.facts {
        Some(_) => super::super::facts(&ready.gate, args.config.verbose)?,
        None => match collect_or_interrupt(
            ready.gate.collector(),
            args.config.verbose,
            &ready.ctx.children.watch,
        ) {
            Collected::Facts(facts) => (*facts)?,
            Collected::Interrupted(signal) => {
                let report = session.interrupted_while_reading(
                    &ready.ctx,
                    signal,
                    "the facts were collected",
                );
                return Ok(Decided::Stop(summary::print(
                    &mut Stdout,
                    &report,
                    &args.config.config,
                    &config.programs.ttmscalr,
                )));
            }
        },
    };
    let mut judgement = ready.gate.decide(collected)?;
    // Signed before the first step; its digest goes into every record of the run.
    let signing = super::super::attest::Signing {
        config: Some(config),
        policies: ready.gate.policies(),
        facts_file: args.facts.as_deref(),
        actor: super::super::attest::run_actor(session.actor()),
        run: Some(session.id().to_owned()),
    };
    judgement.gate.attestation_sha256 = super::super::attest::write_signed(
        &args.attest,
        ready.signer.as_ref(),
        &judgement.decision,
        &judgement.facts,
        signing,
    )?;
    super::super::note_unneeded_overrides(&judgement);
    super::super::print_as(
        &render::render(&judgement.decision, args.format, stdout_style())?,
        args.format,
    );
    let verdict = judgement.gate.clone();
    let check = judgement.record("deploy");
    if args.dry_run {
        super::super::record::append_or_warn(session.log(), &check);
    } else {
        // Without its record a deploy cannot be rolled back: the log must work.
        session.log().append(&check)?;
    }
    // A deny; heads other than the signed decision's; or, confirmed in a comment,
    // another SHA than the one its asker saw: nothing ships.
    let release_head = judgement
        .facts
        .repos
        .first()
        .and_then(|r| r.release_sha.as_deref());
    let confirmed = crate::chatops::hold_to_confirmed(
        ready.request.as_ref(),
        crate::chatops::Held::ReleaseHead(release_head),
    );
    // `None`: the gate denied; `Some(why)`: it allowed, and this refuses.
    let stop: Option<Option<String>> = if !judgement.decision.allow {
        Some(None)
    } else if let Err(why) = super::super::attest::same_heads(&ready.required, &judgement.facts) {
        Some(Some(format!("{why}: nothing was changed")))
    } else if let Err(why) = confirmed {
        Some(Some(why.to_string()))
    } else {
        None
    };
    match stop {
        Some(why) => {
            if !args.dry_run {
                rollout::deploy::denied(
                    session.log(),
                    &args.target,
                    session.id(),
                    verdict,
                    session.actor(),
                    why.as_deref(),
                )?;
            }
            let said = why.map_or_else(
                || "denied: nothing was changed".to_owned(),
                |why| format!("refused: {why}"),
            );
            let mut out = super::narration(args.format);
            let _ = write!(out, "\nDeploy of {} {said}.\n", args.target);
            Ok(Decided::Stop(EXIT_FAIL))
        }
        None => Ok(Decided::Go(Box::new(Allowed { judgement, verdict }))),
    }
}

/// After a person's yes: the facts collected and judged again, recorded, and held
/// to the allow the person saw.
pub(super) fn recheck(
    gate: &mut Gate,
    verbose: bool,
    watch: &Watch,
    log: &AuditLog,
    judged: &Judged,
) -> Result<audit::Ruling, Recheck> {
    let facts = match collect_or_interrupt(gate.collector(), verbose, watch) {
        Collected::Facts(collected) => match *collected {
            Ok(facts) => facts,
            Err(e) => return Err(Recheck::Collect(e.to_string())),
        },
        Collected::Interrupted(signal) => return Err(Recheck::Interrupted(signal.name())),
    };
    let again = gate
        .decide(facts)
        .map_err(|e| Recheck::Decide(e.to_string()))?;
    super::super::record::append_or_warn(log, &again.record("deploy"));
    judged.still(&again.decision, &again.facts)?;
    eprintln!(
        "Decided again at {}: still allow on the same release heads and production SHA.",
        again.decision.evaluated_at
    );
    Ok(again.gate)
}
