//! Parses the command line, runs one command, maps the outcome to exit 0/1/2.

use std::process::ExitCode;

use clap::Parser;
use gatekeeper::cli::Cli;
use gatekeeper::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let err = anyhow::Error::from(err);
            eprintln!("gatekeeper: error: {}", commands::error_text(err.as_ref()));
            ExitCode::from(commands::EXIT_UNDECIDED)
        }
    }
}
