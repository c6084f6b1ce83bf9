//! Signed decisions: a gate decision as an in-toto Statement with a SLSA VSA
//! predicate ([`statement`]), signed in a DSSE envelope ([`dsse`]) by an Ed25519
//! or ECDSA P-256 key ([`keys`]), and checked offline, with the verdict
//! recomputed from the evidence when it is at hand ([`verify`]).
//!
//! It owns the formats and the digests of what a decision was made on. It never
//! prints, never decides exit codes (`commands/attest.rs` does), and never lets a
//! private key reach a message, a log or an error.

pub mod dsse;
pub mod hooks;
pub mod keys;
pub mod report;
pub mod require;
pub mod statement;
pub mod verify;

use std::path::{Path, PathBuf};

use crate::decision::Decision;
use crate::facts::{Facts, FactsError};
use crate::policy::PolicyError;

pub use keys::{KeyType, PublicKey, SigningKey};
pub use statement::{Inputs, Statement};

#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} exists: keygen never overwrites a key; remove it or choose another name")]
    Exists(PathBuf),
    #[error("{0}")]
    Key(String),
    #[error("{0}")]
    Crypto(String),
    /// Malformed, a bad signature, an unknown key: exit 2.
    #[error("attestation {path}: {why}")]
    Invalid { path: String, why: String },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Facts(#[from] FactsError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// The signing key a command was given: `--attest-key FILE`, else the PEM in
/// `GATEKEEPER_SIGNING_KEY`; an error when neither holds one.
pub fn signing_key(
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SigningKey, AttestError> {
    if let Some(file) = file {
        return SigningKey::from_file(file);
    }
    SigningKey::from_env(env)?.ok_or_else(|| {
        AttestError::Usage(format!(
            "--attest-out needs a signing key: give --attest-key FILE or set {} to the PEM of the private key (`gatekeeper attest keygen` makes one)",
            keys::SIGNING_KEY_ENV
        ))
    })
}

/// The digest of a facts document as judged: sha256 of its JSON, as the audit
/// record's `facts_sha256`.
pub fn facts_sha256(facts: &Facts) -> Result<String, AttestError> {
    serde_json::to_vec(facts)
        .map(|bytes| crate::audit::sha256(&bytes))
        .map_err(|e| AttestError::Crypto(format!("cannot encode the facts to digest them: {e}")))
}

/// The digest of the policy files, as the audit record's `policies_sha256`.
pub fn policies_sha256(files: &[PathBuf]) -> Result<String, AttestError> {
    crate::audit::policies_digest(files).map_err(|e| AttestError::Crypto(e.to_string()))
}

/// The statement of `decision`, signed by `key`, as the envelope's JSON text.
pub fn sign_decision(
    decision: &Decision,
    facts: &Facts,
    inputs: &Inputs,
    key: &SigningKey,
) -> Result<String, AttestError> {
    let statement = statement::statement(decision, facts, inputs);
    let payload = serde_json::to_vec(&statement)
        .map_err(|e| AttestError::Crypto(format!("cannot encode the statement: {e}")))?;
    let envelope = dsse::sign(dsse::IN_TOTO_PAYLOAD_TYPE, &payload, key)?;
    serde_json::to_string_pretty(&envelope)
        .map(|mut text| {
            text.push('\n');
            text
        })
        .map_err(|e| AttestError::Crypto(format!("cannot encode the envelope: {e}")))
}
