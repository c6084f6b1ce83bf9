//! `gatekeeper archive push|pull TARGET`: shares the facts archive through a ref on
//! the deploy remote ([`crate::runbook::facts_ref`]), reached through the app's
//! clone as the lock is, so that CI runners and laptops replay one corpus.

use crate::archive::Archive;
use crate::cli::{ArchiveArgs, ArchiveCommand};
use crate::config::Config;
use crate::runbook::facts_ref::{self, refname};

use super::{CommandError, EXIT_OK, print};

pub fn run(command: ArchiveCommand) -> Result<super::Outcome, CommandError> {
    let (push, args) = match command {
        ArchiveCommand::Push(args) => (true, args),
        ArchiveCommand::Pull(args) => (false, args),
    };
    share(push, &args)
}

fn share(push: bool, args: &ArchiveArgs) -> Result<super::Outcome, CommandError> {
    let config = Config::load(&args.config.config)?;
    let target = config.target(&args.target)?;
    let ctx = super::runbook_context(&config, &args.target, target)?;
    crate::runbook::clones::ensure(&config, target, &ctx, false)?;
    let share = facts_ref::share(
        &ctx.programs.git,
        &ctx.app_dir(),
        &target.deploy_remote,
        &args.target,
        &ctx.children,
    );
    let archive = Archive::of_config(&config);
    let done = if push {
        share.push(&archive)?
    } else {
        share.pull(&archive)?
    };
    let (verb, place) = if push {
        (
            "pushed",
            format!("{} on {}", refname(&args.target), target.deploy_remote),
        )
    } else {
        ("pulled", archive.dir().display().to_string())
    };
    let mut out = format!(
        "{verb} {} facts documents to {place} ({} already there)\n",
        done.copied, done.already
    );
    for name in &done.refused {
        out.push_str(&format!(
            "refused {name}: its bytes do not hash to its name\n"
        ));
    }
    print(&out);
    Ok(EXIT_OK)
}
