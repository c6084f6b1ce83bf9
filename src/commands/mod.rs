//! One file per subcommand. Commands bind flags to the stages of the data flow and
//! own everything about terminals: colour, progress, prompts and exit codes.

mod check;
mod deploy;
mod facts;
mod history;
mod init;
mod notice;
mod policy;
mod progress;
mod record;
mod rollback;
mod status;
mod summary;
mod unlock;
mod window;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, SubsecRound, Utc};

use crate::audit::AuditError;
use crate::cli::{Cli, Command, ConfigArgs, PlanArgs};
use crate::config::{Config, ConfigError};
use crate::decision::{ContractError, Decision, Status};
use crate::facts::{Facts, FactsError, OverrideRequest, plan_window};
use crate::policy::{PolicyError, PolicySet};
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
        Command::Status(args) => status::run(args),
        Command::Window(args) => window::run(args),
        Command::Notice(args) => notice::run(args),
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

/// The config a command runs with: needed to collect live facts; on recorded facts
/// optional, but validated when the file exists.
pub(crate) fn load_config(
    args: &ConfigArgs,
    facts_file: Option<&Path>,
    no_config: bool,
) -> Result<Option<Config>, CommandError> {
    match facts_file {
        // --no-config (which requires --facts): a document about another target or
        // zone, judged by the policies alone.
        Some(_) if no_config => Ok(None),
        Some(_) => Ok(Config::load_optional(&args.config)?),
        None => Ok(Some(Config::load(&args.config)?)),
    }
}

/// The facts and what the clock says: a recorded document (moved to
/// `--at`/`--start`/`--minutes` when given) or live collection. Callers load the
/// config and the policies first, so that a mistake in either stops the command
/// before any slow request is made.
pub(crate) fn gather(
    config: Option<&Config>,
    target: &str,
    plan: &PlanArgs,
    facts_file: Option<&Path>,
    verbose: bool,
) -> Result<Facts, CommandError> {
    // Whole seconds, as the live clock: the decision's evaluated_at has no fraction.
    let at = plan.at.map(|t| t.with_timezone(&Utc).trunc_subsecs(0));
    let start = plan.start.map(|t| t.with_timezone(&Utc).trunc_subsecs(0));
    if let Some(path) = facts_file {
        let mut facts = Facts::load(path, target)?;
        if let Some(config) = config {
            let configured = config.target(target)?;
            facts.check_configured(path, &config.path, &expected(config, configured))?;
        }
        if at.is_some() || start.is_some() || plan.minutes.is_some() {
            // Judged when the document loaded; the same rule names it here.
            let tz = crate::config::zone(&facts.timezone).map_err(|why| {
                CommandError::Usage(format!("facts file {}: timezone {why}", path.display()))
            })?;
            let now = at.unwrap_or(facts.now);
            let minutes = plan.minutes.unwrap_or(facts.window.minutes);
            let start = match start {
                Some(s) => Some(s),
                // Without --start the window follows the clock.
                None if at.is_some() => None,
                None => Some(facts.window.start),
            };
            facts.replan(now, start, minutes, tz);
        }
        if plan.downtime {
            facts.downtime_requested = true;
        }
        return Ok(facts);
    }
    let config = config.ok_or_else(|| {
        CommandError::Usage("collecting live facts needs a config: pass --config FILE".to_owned())
    })?;
    let now = at.unwrap_or_else(|| Utc::now().trunc_subsecs(0));
    collect_live(config, target, now, plan, verbose)
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
}

/// Every secret live facts need is set: checked before any request (and, by
/// `deploy`, before the lock), one line per unset variable.
pub(crate) fn require_secrets(config: &Config) -> Result<(), CommandError> {
    let missing = sources::missing_secrets(
        config,
        &sources::http::process_env,
        &["jenkins", "newrelic", "github"],
    );
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CommandError::Usage(format!(
            "live facts need every secret the config names, before any request:\n  - {}",
            missing.join("\n  - ")
        )))
    }
}

/// Collects facts from every source at once, with a spinner per source on a terminal,
/// or with `verbose` a line per request on stderr instead.
pub(crate) fn collect_live(
    config: &Config,
    target: &str,
    now: DateTime<Utc>,
    plan: &PlanArgs,
    verbose: bool,
) -> Result<Facts, CommandError> {
    config.target(target)?;
    require_secrets(config)?;
    let minutes = plan.minutes.unwrap_or(config.deploy_minutes);
    let start = plan
        .start
        .map_or(now, |s| s.with_timezone(&Utc).trunc_subsecs(0));
    let request = sources::Request {
        config,
        target,
        now,
        clock_moved: plan.at.is_some(),
        window: plan_window(start, minutes, config.tz()),
        downtime_requested: plan.downtime,
        log: verbose.then(|| -> sources::http::Log {
            std::sync::Arc::new(|line: &str| eprintln!("gatekeeper: {line}"))
        }),
        stats: None,
    };
    // One thread is all collection needs: the requests wait on the network together.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CommandError::Runtime)?;
    let facts = if std::io::stderr().is_terminal() && !verbose {
        let spinners = progress::Spinners::new();
        let facts = runtime.block_on(sources::collect(&request, &spinners));
        // The finished spinner lines stay; what follows starts on a line of its own.
        eprintln!();
        facts
    } else {
        runtime.block_on(sources::collect(&request, &sources::Silent))
    };
    let mut facts = facts;
    if plan.at.is_some() {
        // A clock moved back (`--at`): what came into being after it (a review, a
        // build, a comment) did not exist then.
        facts.as_of(now);
    } else if let Some(latest) = facts.latest_evidence().filter(|t| *t > now) {
        // Live: everything the sources answered exists, so "now" is at least its
        // latest date (a local clock behind GitHub's must not hide a /reschedule).
        let latest = latest.trunc_subsecs(0) + chrono::Duration::seconds(1);
        match plan.start {
            // A window that starts now starts at that later now.
            None => facts.replan(latest, None, minutes, config.tz()),
            Some(_) => {
                facts.now = latest;
                facts.now_unix = latest.timestamp();
            }
        }
    }
    Ok(facts)
}

/// What the config says a facts document for `target` must hold.
fn expected<'a>(
    config: &'a Config,
    target: &'a crate::config::TargetConfig,
) -> crate::facts::Expected<'a> {
    crate::facts::Expected {
        timezone: &config.timezone,
        repos: target
            .repos
            .iter()
            .map(|r| crate::facts::ExpectedRepo {
                name: &r.github,
                jenkins_job: &r.jenkins_job,
                release_branch: &target.release_branch,
                base_branch: &target.base_branch,
            })
            .collect(),
        deploy_repo: &target.deploy_repo,
        base_branch: &target.base_branch,
        app: &target.app,
        throughput_minutes: config.newrelic.as_ref().map(|n| n.window_minutes),
    }
}

/// The break-glass requests of this run, refusing any check the policy settings do
/// not list as overridable. They replace whatever a recorded facts document held:
/// an override is a person's decision, made now.
pub(crate) fn override_requests(
    policies: &mut PolicySet,
    ids: &[String],
    reason: Option<&str>,
    by: Option<&str>,
) -> Result<Vec<OverrideRequest>, CommandError> {
    let mut requests: Vec<OverrideRequest> = Vec::new();
    if ids.is_empty() {
        return Ok(requests);
    }
    let reason = reason.map(str::trim).unwrap_or_default();
    if reason.is_empty() {
        return Err(CommandError::Usage(
            "--override needs --reason \"why\": the reason is recorded with the decision"
                .to_owned(),
        ));
    }
    let allowed: Vec<String> = policies
        .settings()
        .map(|s| s.overridable.iter().cloned().collect())
        .unwrap_or_default();
    // --by, else the person CI names (a CI agent's account is nobody), else the
    // login; never "unknown": an override is a person's decision.
    let by = by
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            crate::rollout::deployments::ci_actor(&crate::sources::http::process_env).ci
        })
        .or_else(crate::audit::login)
        .ok_or_else(|| {
            CommandError::Usage(
                "an override must name who made it, and neither CI nor USER/USERNAME/LOGNAME names anyone here: pass --by NAME"
                    .to_owned(),
            )
        })?;
    for id in ids {
        if !allowed.contains(id) {
            return Err(CommandError::Usage(format!(
                "check {id:?} may not be overridden: the setting `overridable` in {}/settings.rego lists {}",
                policies.dir().display(),
                if allowed.is_empty() {
                    "no checks".to_owned()
                } else {
                    allowed.join(", ")
                }
            )));
        }
        if requests.iter().all(|o| &o.check != id) {
            requests.push(OverrideRequest {
                check: id.clone(),
                reason: reason.to_owned(),
                by: by.clone(),
            });
        }
    }
    Ok(requests)
}

/// An error's message and its causes, each said once: a cause whose text the message
/// already includes (e.g. an OS error quoted in "cannot write FILE: …") is not
/// repeated. Without any secret of the loaded config.
pub fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let text = chain_text(err);
    sources::http::scrub(&text)
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
pub(crate) fn note_unneeded_overrides(decision: &Decision, overrides: &[OverrideRequest]) {
    for request in overrides {
        let status = decision
            .checks
            .iter()
            .find(|c| c.id == request.check)
            .map(|c| c.status);
        if status != Some(Status::Fail) {
            let why = match status {
                Some(Status::Pass) => "the check passes",
                Some(Status::Skip) => "the check does not apply (skip)",
                _ => "the decision has no such check",
            };
            eprintln!(
                "gatekeeper: note: --override {} was not needed: {why}",
                request.check
            );
        }
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

pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), CommandError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| CommandError::Write {
            path: path.to_owned(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| CommandError::Write {
        path: path.to_owned(),
        source,
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

/// Prints to stdout; a failure is noted for the exit code, never a panic.
pub(crate) fn print(text: &str) {
    let mut out = Stdout;
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
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
