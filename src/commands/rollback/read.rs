//! Where production stands, read after the lock so that no other run changes it
//! meanwhile: the deploy remote's head, the heads the local audit log saw, GitHub's
//! deployments of that head (only without `--to`: a given SHA needs no history) and
//! GitHub's production SHA. The network reads give up at once on a signal.

use crate::audit::Record;
use crate::cli::RollbackArgs;
use crate::config::{Config, TargetConfig};
use crate::net::Network;
use crate::rollout::{self, Session, shared, target};
use crate::runbook::{Context, RunbookError, integrity};
use crate::sources::{self, deployments::Deployment};

use super::super::{CommandError, Outcome, Stdout, summary};

/// What the rollback is picked and checked from.
pub(super) struct Standing {
    /// The local audit log's records.
    pub local: Vec<Record>,
    /// The deploy remote's head of the base branch.
    pub current: String,
    /// The heads production ran, as the local audit log recorded them.
    pub recorded: Vec<String>,
    /// GitHub's deployments of `current`, when they were asked for.
    pub listed: Option<Result<Vec<Deployment>, String>>,
    /// GitHub's head of the deploy repo's base branch, or why it could not be read.
    pub github: Result<String, String>,
}

pub(super) enum Read {
    Production(Box<Standing>),
    /// A signal came while GitHub was read: the run ended, this is its outcome.
    Interrupted(Outcome),
}

pub(super) fn production(
    args: &RollbackArgs,
    config: &Config,
    ctx: &Context,
    session: &Session,
    network: &Network,
) -> Result<Read, CommandError> {
    let local = session.log().read()?;
    let current = integrity::remote_production(ctx).map_err(RunbookError::from)?;
    let recorded = target::recorded_heads(&local, &args.target);
    let target = config.target(&args.target)?;
    let read = {
        let (config, target, name) = (config.clone(), target.clone(), args.target.clone());
        // Read after the lock was taken: a deadline of its own from here.
        let network = network.renewed();
        let list = session.shared().is_some() && args.to.is_none();
        let current = current.clone();
        move || {
            let listed = list.then(|| {
                shared::Shared::connect(
                    &network,
                    &config,
                    &target,
                    &crate::secrets::process_env,
                    false,
                )
                .map_err(|e| e.to_string())
                .and_then(|s| s.list_of_sha(&name, &current).map_err(|e| e.to_string()))
            });
            (listed, github_production(&network, &config, &target))
        }
    };
    let (listed, github) = match rollout::until_interrupted(&ctx.children.watch, read) {
        Ok(Some(read)) => read,
        Ok(None) => {
            return Err(CommandError::Unread(format!(
                "reading the deploy history of {} on GitHub stopped without an answer; run rollback again",
                args.target
            )));
        }
        Err(signal) => {
            let report = session.interrupted_while_reading(
                ctx,
                signal,
                "the deploy history and the production SHA were read",
            );
            return Ok(Read::Interrupted(summary::print(
                &mut Stdout,
                &report,
                &args.config.config,
                &config.programs.ttmscalr,
            )));
        }
    };
    Ok(Read::Production(Box::new(Standing {
        local,
        current,
        recorded,
        listed,
        github,
    })))
}

/// GitHub's head of the deploy repo's base branch (what `check` calls the
/// production SHA), or why it could not be read.
fn github_production(
    network: &Network,
    config: &Config,
    target: &TargetConfig,
) -> Result<String, String> {
    network.block_on(async {
        let transport = network.transport().map_err(|e| e.to_string())?;
        let gh = sources::github_client(config, &transport, &crate::secrets::process_env)
            .map_err(|e| e.to_string())?;
        gh.branch_head(&target.deploy_repo, &target.base_branch)
            .await
            .map_err(|e| e.to_string())
    })
}
