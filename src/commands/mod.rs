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
mod policy;
mod progress;
mod record;
mod rollback;
mod status;
mod summary;
mod unlock;
mod wait;
mod window;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::audit::AuditError;
use crate::cli::{Cli, Command, ConfigArgs, PlanArgs};
use crate::config::{Config, ConfigError};
use crate::decision::ContractError;
use crate::facts::{Facts, FactsError};
use crate::gate::{self, GateError};
use crate::policy::PolicyError;
use crate::render::{RenderError, TableStyle};
use crate::rollout::RolloutError;
use crate::runbook::RunbookError;
use crate::runbook::lock::LockError;
use crate::runbook::signals::Interruption;
use crate::sources;

/// How a command ended; [`exit_code`] alone turns it into the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Allow / success: exit 0.
    Success,
    /// Deny / a runbook step failed: exit 1.
    Failure,
    /// A deploy or rollback stopped by a signal: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP).
    Interrupted(Interruption),
}

impl Outcome {
    /// Success when `pass`, else failure.
    pub fn of(pass: bool) -> Self {
        if pass { Self::Success } else { Self::Failure }
    }
}

/// Allow / success.
pub const EXIT_OK: Outcome = Outcome::Success;
/// Deny / a step failed.
pub const EXIT_FAIL: Outcome = Outcome::Failure;
/// No decision could be made: any [`CommandError`], or stdout could not be written.
pub const EXIT_UNDECIDED: u8 = 2;

/// The exit code of a command's result: the one mapping for the whole binary.
pub fn exit_code(result: &Result<Outcome, CommandError>) -> u8 {
    match result {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::Failure) => 1,
        Ok(Outcome::Interrupted(signal)) => signal.exit_code(),
        Err(_) => EXIT_UNDECIDED,
    }
}

/// Everything that ends a command without a decision: exit 2.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Facts(#[from] FactsError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Contract(#[from] ContractError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Runbook(#[from] RunbookError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Rollout(#[from] RolloutError),
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error(transparent)]
    Attest(#[from] crate::attest::AttestError),
    #[error(transparent)]
    Share(#[from] crate::runbook::facts_ref::ShareError),
    #[error("cannot write to stdout: {0}; the output is incomplete")]
    Stdout(std::io::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

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

/// The facts the gate collects (or loads), with a spinner per source on a
/// terminal, or with `--verbose` a line per request on stderr instead.
pub(crate) fn facts(gate: &gate::Gate, verbose: bool) -> Result<Facts, CommandError> {
    observed(gate.is_live(), verbose, |progress| gate.facts(progress))
}

/// Runs a collection with the progress a terminal shows when it is live.
pub(crate) fn observed(
    live: bool,
    verbose: bool,
    collect: impl FnOnce(&dyn sources::Progress) -> Result<Facts, GateError>,
) -> Result<Facts, CommandError> {
    if live && std::io::stderr().is_terminal() && !verbose {
        let spinners = progress::Spinners::new();
        let facts = collect(&spinners);
        // The finished spinner lines stay; what follows starts on a line of its own.
        eprintln!();
        Ok(facts?)
    } else {
        Ok(collect(&sources::Silent)?)
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

/// An error's message and its causes, each said once: a cause whose text the message
/// already includes (e.g. an OS error quoted in "cannot write FILE: …") is not
/// repeated. Without any secret of the loaded config.
pub fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let text = chain_text(err);
    crate::secrets::scrub(&text)
}

fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !more.is_empty() && !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
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

/// The table style for stdout: colour only on a terminal without NO_COLOR; the
/// width always set (with or without colour), so that the table wraps.
pub(crate) fn stdout_style() -> TableStyle {
    let terminal = std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    // A terminal's own width (comfy-table asks the terminal); comfy-table answers
    // `None` off a terminal, and a pseudo-terminal may answer 0.
    let detected = if terminal {
        comfy_table::Table::new().width()
    } else {
        None
    };
    let columns = std::env::var("COLUMNS").ok();
    TableStyle {
        color: terminal && !no_color,
        width: Some(table_width(terminal, detected, columns.as_deref())),
    }
}

/// The width to wrap to. On a terminal: its own width when known and not zero, else
/// `COLUMNS` when it is a positive number, else 100. Elsewhere (a pipe, a CI log):
/// `COLUMNS`, else the width files get.
fn table_width(terminal: bool, detected: Option<u16>, columns: Option<&str>) -> u16 {
    let columns = columns
        .and_then(|c| c.trim().parse().ok())
        .filter(|w| *w > 0);
    if terminal {
        detected
            .filter(|w| *w > 0)
            .or(columns)
            .unwrap_or(crate::render::DEFAULT_WIDTH)
    } else {
        columns.unwrap_or(crate::render::FILE_WIDTH)
    }
}

/// Writes a file a person asked for (`--output`, `--report`) through
/// [`crate::files::write_replacing`]: never through a link, never onto the audit log
/// (`audit`, when a config names one), written whole and renamed into place.
pub(crate) fn write_file(
    path: &Path,
    text: &str,
    audit: Option<&Path>,
) -> Result<(), CommandError> {
    let never: Vec<&Path> = audit.into_iter().collect();
    crate::files::write_replacing(path, text, &never).map_err(|e| CommandError::Write {
        path: e.path().to_owned(),
        source: match e {
            crate::files::FileError::Io { source, .. } => source,
            other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string()),
        },
    })
}

/// The first error writing stdout that was not a closed pipe.
static STDOUT_ERROR: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

fn note_stdout_error(e: std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe || STDOUT_FAILED.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Ok(mut slot) = STDOUT_ERROR.lock() {
        *slot = Some(e);
    }
}

pub(crate) fn take_stdout_error() -> Option<std::io::Error> {
    if !STDOUT_FAILED.load(Ordering::SeqCst) {
        return None;
    }
    let kept = STDOUT_ERROR.lock().ok().and_then(|mut slot| slot.take());
    Some(kept.unwrap_or_else(|| std::io::Error::other("write failed")))
}

/// Stdout as a writer whose failures (other than a closed pipe) end the command
/// with exit 2 once it is done.
pub(crate) struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout().lock().write(buf).inspect_err(|e| {
            note_stdout_error(std::io::Error::new(e.kind(), e.to_string()));
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().lock().flush().inspect_err(|e| {
            note_stdout_error(std::io::Error::new(e.kind(), e.to_string()));
        })
    }
}

/// Prints to stdout; a failure is noted for the exit code, never a panic. No line
/// from a source reads as a CI runner's command, and in GitHub Actions the whole
/// text is printed between stop-commands ([`crate::render::ci::guard`]).
pub(crate) fn print(text: &str) {
    print_commands(&crate::render::ci::guard(text, &|v| std::env::var(v).ok()));
}

/// Prints workflow commands as they are (`--format github`, which escapes its own
/// text by the commands' rules).
pub(crate) fn print_commands(text: &str) {
    let mut out = Stdout;
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Prints a decision rendered in `format`: commands as they are, anything else
/// guarded like [`print`].
pub(crate) fn print_as(text: &str, format: crate::cli::Format) {
    if format == crate::cli::Format::Github {
        print_commands(text);
    } else {
        print(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_or_zero_terminal_width_falls_back_to_columns_then_100() {
        assert_eq!(table_width(true, Some(132), Some("80")), 132);
        assert_eq!(table_width(true, Some(0), Some("80")), 80);
        assert_eq!(table_width(true, None, Some("80")), 80);
        assert_eq!(table_width(true, Some(0), Some("0")), 100);
        assert_eq!(table_width(true, None, Some("wide")), 100);
        assert_eq!(table_width(true, None, None), 100);
        // Off a terminal (a pipe, a CI log): COLUMNS, else the file width.
        assert_eq!(table_width(false, None, Some("80")), 80);
        assert_eq!(table_width(false, None, None), 120);
    }

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let os = std::io::Error::from_raw_os_error(28);
        let err = CommandError::Write {
            path: PathBuf::from("/full/report.xml"),
            source: os,
        };
        let text = error_text(&err);
        let os_text = std::io::Error::from_raw_os_error(28).to_string();
        assert_eq!(text.matches(&os_text).count(), 1, "{text}");
        assert!(
            text.starts_with("cannot write /full/report.xml: "),
            "{text}"
        );
    }
}
