//! Parses the command line, runs one command, maps the outcome to exit 0/1/2.

use std::process::ExitCode;

use clap::Parser;
use gatekeeper::cli::Cli;
use gatekeeper::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = commands::run(cli);
    let code = commands::exit_code(&result);
    if let Err(err) = result {
        let err = anyhow::Error::from(err);
        eprintln!("gatekeeper: error: {err:#}");
    }
    ExitCode::from(code)
}
