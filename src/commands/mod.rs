//! One file per subcommand. Commands bind flags to the stages of the data flow and
//! own everything about terminals: colour, progress, prompts and exit codes.

mod archive;
mod attest;
mod chatops;
mod check;
mod collect;
mod deploy;
mod facts;
mod guard;
mod history;
mod impact;
mod init;
mod notice;
mod outcome;
mod output;
mod policy;
mod progress;
mod record;
mod rollback;
mod status;
mod summary;
mod unlock;
mod wait;
mod window;

use std::path::Path;

use crate::cli::{Cli, Command, ConfigArgs, PlanArgs};
use crate::config::Config;
use crate::gate;

pub use crate::net::error_text;
pub use outcome::{CommandError, EXIT_FAIL, EXIT_OK, EXIT_UNDECIDED, Outcome, exit_code};
pub(crate) use output::{
    Stdout, print, print_as, print_commands, stdout_style, take_stdout_error, write_file,
};
pub(crate) use progress::{facts, observed};

pub fn run(cli: Cli) -> Result<Outcome, CommandError> {
    let outcome = dispatch(cli)?;
    // A closed pipe (`| head`) is the reader's choice; any other write error means
    // the output is lost, and no exit code may pretend otherwise.
    match take_stdout_error() {
        Some(e) => Err(CommandError::Stdout(e)),
        None => Ok(outcome),
    }
}

fn dispatch(cli: Cli) -> Result<Outcome, CommandError> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Facts(args) => facts::run(args),
        Command::Policy(cmd) => policy::run(cmd),
        Command::Deploy(args) => deploy::run(args),
        Command::Rollback(args) => rollback::run(args),
        Command::History(args) => history::run(args),
        Command::Unlock(args) => unlock::run(args),
        Command::Archive(cmd) => archive::run(cmd),
        Command::Status(args) => status::run(args),
        Command::Chatops(args) => chatops::run(args),
        Command::Window(args) => window::run(args),
        Command::Notice(args) => notice::run(args),
        Command::Attest(cmd) => attest::run(cmd),
        Command::Init(args) => init::run(args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "gatekeeper",
                &mut out,
            );
            print(&String::from_utf8_lossy(&out));
            Ok(EXIT_OK)
        }
    }
}

/// The config at `path`; from then on its secrets are scrubbed from every message,
/// error and audit record of this process.
pub(crate) fn load_config(path: &Path) -> Result<Config, CommandError> {
    let config = Config::load(path)?;
    gate::scrub_secrets_of(&config);
    Ok(config)
}

/// What the command line asks the gate to decide on, without overrides (a caller
/// that takes `--override` sets them on the request).
pub(crate) fn gate_request<'a>(
    target: &'a str,
    config: &'a ConfigArgs,
    plan: &PlanArgs,
    facts_file: Option<&'a Path>,
    no_config: bool,
) -> gate::Case<'a> {
    gate::Case {
        target,
        config: &config.config,
        policies: config.policies.as_deref(),
        facts_file,
        planned: gate::Planned::from_args(plan),
        overrides: &[],
        reason: None,
        by: None,
        no_config,
        verbose: config.verbose,
    }
}

/// The runbook's view of a target: its clones, the programs, and children that see
/// no secrets (and no signals yet: a run that catches them sets its watch).
pub(crate) fn runbook_context(
    config: &Config,
    name: &str,
    target: &crate::config::TargetConfig,
) -> Result<crate::runbook::Context, crate::runbook::RunbookError> {
    crate::runbook::Context::new(
        name,
        target,
        &config.programs,
        config.dir(),
        std::time::Duration::from_secs(config.timeout_seconds),
        crate::rollout::children(config, crate::runbook::signals::Watch::never()),
    )
    .map(|ctx| ctx.with_clone_urls(config))
}

/// Says on stderr which overrides were not needed: the check they name did not fail.
/// An override is recorded as given; this only tells the person it changed nothing.
pub(crate) fn note_unneeded_overrides(judgement: &gate::Judgement) {
    for (check, why) in &judgement.unneeded {
        eprintln!("gatekeeper: note: --override {check} was not needed: {why}");
    }
    for note in &judgement.notes {
        eprintln!("gatekeeper: {note}");
    }
}
