//! How a command ends: its [`Outcome`] or a [`CommandError`], and the one mapping
//! of both to the process's exit code.

use std::path::PathBuf;

use crate::audit::AuditError;
use crate::config::ConfigError;
use crate::decision::ContractError;
use crate::facts::FactsError;
use crate::gate::GateError;
use crate::policy::PolicyError;
use crate::render::RenderError;
use crate::rollout::RolloutError;
use crate::runbook::RunbookError;
use crate::runbook::lock::LockError;
use crate::runbook::signals::Interruption;

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
    /// The command line asks for something that cannot be done as asked (a flag's
    /// value, a missing flag, a combination): the message says what to give instead.
    #[error("{0}")]
    Usage(String),
    /// A request gatekeeper refuses to carry out as given: nothing vouches for it (a
    /// rollback target), and the message says what would.
    #[error("{0}")]
    Refused(String),
    /// What the command needed could not be read: a reading that stopped without an
    /// answer, a status with parts unknown.
    #[error("{0}")]
    Unread(String),
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("cannot catch SIGINT, SIGTERM and SIGHUP: {0}")]
    Signals(std::io::Error),
    #[error("{what}: {source}")]
    Search {
        what: &'static str,
        source: crate::impact::WindowsError,
    },
    #[error(transparent)]
    Notice(#[from] crate::notice::NoticeError),

    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let os = std::io::Error::from_raw_os_error(28);
        let err = CommandError::Write {
            path: PathBuf::from("/full/report.xml"),
            source: os,
        };
        let text = crate::net::error_text(&err);
        let os_text = std::io::Error::from_raw_os_error(28).to_string();
        assert_eq!(text.matches(&os_text).count(), 1, "{text}");
        assert!(
            text.starts_with("cannot write /full/report.xml: "),
            "{text}"
        );
    }
}
