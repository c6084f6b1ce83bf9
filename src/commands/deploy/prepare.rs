//! Everything a deploy checks before it collects a fact or takes the lock: the
//! flags, the runbook, the policies and overrides, the signing key, the secrets,
//! the clones, a required signed decision and the git identity. A mistake stops
//! here, with nothing taken.

use std::io::Write;

use crate::cli::DeployArgs;
use crate::config::Config;
use crate::facts::Request;
use crate::gate::{self, Gate};
use crate::net::Network;
use crate::rollout::{RunKind, Session, shared};
use crate::runbook::signals::{Interruption, Interrupts};
use crate::runbook::{self, steps};

use super::super::CommandError;
use super::super::attest::{self, Required};
use super::super::record::{audit_log, require_confirmable};

/// A deploy ready to take its lock.
pub(super) struct Ready {
    pub ctx: runbook::Context,
    /// The runbook, validated once; the decision marks its skips later.
    pub plan: runbook::Plan,
    pub gate: Gate,
    pub signer: Option<crate::attest::SigningKey>,
    pub request: Option<Request>,
    pub would_clone: bool,
    pub required: Required,
    pub shared: Option<shared::Shared>,
    /// The run's one runtime and deadline, shared by the gate, the steps and the guard.
    pub network: Network,
}

/// A deploy is decided on live facts at the real clock; recorded facts and `--at`
/// rehearse, they never deploy.
pub(super) fn refuse_rehearsals(args: &DeployArgs) -> Result<(), CommandError> {
    if args.facts.is_some() && !args.dry_run {
        return Err(CommandError::Usage(
            "deploy refuses --facts: a deploy is decided on live facts only; preview the plan with `gatekeeper deploy TARGET --dry-run --facts FILE`, or rehearse the decision with `gatekeeper check TARGET --facts FILE`".to_owned(),
        ));
    }
    if args.at.is_some() {
        return Err(CommandError::Usage(
            "deploy refuses --at: a deploy is decided on the real clock only; rehearse with `gatekeeper check TARGET --at TIME`".to_owned(),
        ));
    }
    Ok(())
}

/// The deploy's inputs, each checked; `None` when the signed decision the target
/// requires is refused (exit 1, nothing changed).
pub(super) fn prepare(args: &DeployArgs, config: &Config) -> Result<Option<Ready>, CommandError> {
    let target = config.target(&args.target)?;
    require_confirmable("deploy", args.yes, args.dry_run)?;
    let mut ctx = super::super::runbook_context(config, &args.target, target)?;
    let steps = steps::target_steps(target);
    // Placeholders, the production SHA recorded first and smoke URLs to verify with
    // are checked before anything is collected or locked.
    let plan = runbook::Plan::deploy(&steps, &ctx)?;
    let attended = args.dry_run || std::io::IsTerminal::is_terminal(&std::io::stdin());
    runbook::plan::require_attended(&steps, &ctx, attended)?;
    // Policies and overrides before the lock and the sources: a mistake stops here.
    // A deploy is decided at the real clock, its window starting now.
    let mut gate = Gate::with_config(Some(config.clone()), &gate_request(args))?;
    // The signing key before any source is asked: a bad key is found first.
    let signer = attest::signer(&args.attest)?;
    // Asked for in a comment: the request enters the facts and stamps the records.
    let request = super::super::chatops::read_request(args.chatops_request.as_deref())?;
    gate.set_request(request.clone());
    if args.facts.is_none() {
        // A missing secret stops the deploy before the lock and any request.
        gate::require_secrets(config)?;
    }
    // Clones before the lock (which lives on the deploy remote, reached through the
    // app's clone): those in `workdir` are made, others must be there.
    let clones = runbook::clones::ensure(config, target, &ctx, args.dry_run)?;
    let verb = if args.dry_run {
        "would clone"
    } else {
        "cloned"
    };
    for made in &clones.cloned {
        let _ = writeln!(std::io::stderr(), "{verb} {made}");
    }
    // A signed decision the target requires is checked before the lock.
    let required = attest::require(
        config,
        &args.target,
        target,
        args.attestation.as_deref(),
        &ctx,
        args.dry_run,
        &mut std::io::stderr(),
    )?;
    if matches!(required, Required::Refused) {
        return Ok(None);
    }
    // The merge commit needs a git identity: checked before the lock.
    runbook::preflight::require_git_identity(&ctx)?;
    // Who deploys (the token's login, asked once) and where the run is shared.
    let network = Network::start(config.limits()).map_err(CommandError::Runtime)?;
    gate.share_network(&network);
    ctx.network = Some(network.clone());
    let mut shared = (!args.dry_run)
        .then(|| shared::connect_or_warn(&network, config, target, true, &mut std::io::stderr()))
        .flatten();
    if let Some(s) = shared.as_mut() {
        s.actor =
            crate::chatops::stamp(Some(s.actor.clone()), request.as_ref()).unwrap_or_default();
    }
    // An override is by the actor when known (the person CI names, the login).
    if let Some(shared) = &shared {
        gate.attribute_overrides(|by| shared.actor.name_or(by));
    }
    Ok(Some(Ready {
        ctx,
        plan,
        gate,
        signer,
        request,
        would_clone: clones.would_clone,
        required,
        shared,
        network,
    }))
}

fn gate_request(args: &DeployArgs) -> gate::Case<'_> {
    gate::Case {
        target: &args.target,
        config: &args.config.config,
        policies: args.config.policies.as_deref(),
        facts_file: args.facts.as_deref(),
        planned: gate::Planned {
            minutes: args.minutes,
            downtime: args.downtime,
            ..gate::Planned::default()
        },
        overrides: &args.overrides,
        reason: args.reason.as_deref(),
        by: args.by.as_deref(),
        no_config: false,
        verbose: args.config.verbose,
    }
}

/// The run's session: a dry run takes nothing; a real one takes the lock, after
/// waiting for it when `--wait-for-lock` asks (a signal meanwhile: `Err`).
pub(super) fn lock(
    args: &DeployArgs,
    config: &Config,
    ready: &mut Ready,
    caught: Option<Interrupts>,
) -> Result<Result<Session, Interruption>, CommandError> {
    let log = audit_log(config);
    let shared = ready.shared.take();
    if args.dry_run {
        return Ok(Ok(Session::start(
            RunKind::Deploy,
            &mut ready.ctx,
            log,
            shared,
            true,
        )?));
    }
    let (wait, interval) = (args.wait_for_lock, args.interval);
    Ok(Session::start_after(
        RunKind::Deploy,
        &mut ready.ctx,
        log,
        shared,
        caught,
        |ctx, watch| wait.and_then(|max| super::super::wait::for_lock(ctx, max, interval, watch)),
    )?)
}
