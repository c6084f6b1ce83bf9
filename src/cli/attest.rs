//! The flags of signed decisions: `attest keygen|verify|predicate`, and the
//! `--attest-out`/`--attest-key` pair `check` and `deploy` share.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{ConfigArgs, parse_file};

/// `--attest-out FILE` and where its key comes from.
#[derive(Debug, Args, Clone, Default)]
pub struct AttestOutArgs {
    /// Also write the decision, signed (a DSSE envelope of an in-toto statement with
    /// a SLSA verification summary), to FILE; a deny is signed too.
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub attest_out: Option<PathBuf>,
    /// The PKCS#8 PEM private key to sign with (default: the PEM in the variable
    /// GATEKEEPER_SIGNING_KEY); only with --attest-out.
    #[arg(long, value_name = "FILE", value_parser = parse_file, requires = "attest_out")]
    pub attest_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AttestCommand {
    /// Make a signing key pair: a PKCS#8 PEM private key (mode 0600) and its PEM public key.
    #[command(
        after_help = "Example:\n  gatekeeper attest keygen --type p256 --out gate.pem --pub gate.pub"
    )]
    Keygen(AttestKeygenArgs),
    /// Check a signed decision offline (exit 0 pass, 1 valid but refused, 2 malformed or badly signed).
    #[command(
        after_help = "Examples:\n  gatekeeper attest verify decision.intoto.json --pub gate.pub --target production --max-age 2h\n  gatekeeper attest verify decision.intoto.json --pub gate.pub --facts facts.json --policies policies"
    )]
    Verify(AttestVerifyArgs),
    /// Write the unsigned VSA predicate of a decision on recorded facts (for `actions/attest`).
    #[command(
        after_help = "Example:\n  gatekeeper attest predicate production --facts facts.json --out vsa-predicate.json"
    )]
    Predicate(AttestPredicateArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyTypeArg {
    Ed25519,
    P256,
}

#[derive(Debug, Args)]
pub struct AttestKeygenArgs {
    /// ed25519, or p256 (ECDSA P-256, the type cosign verifies by default).
    #[arg(long = "type", value_enum, default_value_t = KeyTypeArg::Ed25519)]
    pub key_type: KeyTypeArg,
    /// The private key file to create (never overwritten).
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub out: PathBuf,
    /// The public key file to create (never overwritten).
    #[arg(long = "pub", value_name = "FILE", value_parser = parse_file)]
    pub public: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct AttestVerifyArgs {
    /// The signed decision (a DSSE envelope).
    #[arg(value_parser = parse_file)]
    pub file: PathBuf,
    /// The public key it must be signed by (PEM).
    #[arg(long = "pub", value_name = "KEY.pub", value_parser = parse_file)]
    pub public: PathBuf,
    /// A commit that must be among its subjects (repeatable).
    #[arg(long = "subject", value_name = "SHA")]
    pub subjects: Vec<String>,
    /// The target it must be about.
    #[arg(long, value_name = "TARGET")]
    pub target: Option<String>,
    /// Refuse it when verified longer ago than this (e.g. 90m, 2h, 1d).
    #[arg(long, value_name = "DURATION", value_parser = crate::wait::parse_duration)]
    pub max_age: Option<std::time::Duration>,
    /// Recompute the verdict from this facts document (with --policies).
    #[arg(long, value_name = "FILE", value_parser = parse_file, requires = "policies")]
    pub facts: Option<PathBuf>,
    /// The policy directory to recompute with (with --facts).
    #[arg(long, value_name = "DIR", requires = "facts")]
    pub policies: Option<PathBuf>,
    /// table or json.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Table)]
    pub format: VerifyFormat,
}

#[derive(Debug, Args)]
pub struct AttestPredicateArgs {
    /// The target, as named under [targets.NAME] in the config.
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The recorded facts document to decide on (`gatekeeper facts TARGET --output FILE`).
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub facts: PathBuf,
    /// Where to write the predicate (JSON).
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub out: PathBuf,
}
