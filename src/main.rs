//! Parses the command line, runs one command, maps the outcome to exit 0/1/2.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use gatekeeper::cli::Cli;
use gatekeeper::commands;

fn main() -> ExitCode {
    without_library_backtraces();
    let cli = Cli::parse();
    let result = commands::run(cli);
    let code = commands::exit_code(&result);
    if let Err(err) = result {
        let err = anyhow::Error::from(err);
        // Never std's eprintln!, which panics (exit 101) on a closed or full stderr.
        let _ = writeln!(
            std::io::stderr(),
            "gatekeeper: error: {}",
            commands::error_text(err.as_ref())
        );
    }
    ExitCode::from(code)
}

/// `RUST_BACKTRACE=1` (common in CI) would make every library error capture a
/// backtrace, and regorus makes errors on its hot path: `check` gets 1.5x slower.
/// anyhow and std honour `RUST_LIB_BACKTRACE=0` for library errors. Setting it for
/// this process takes `std::env::set_var`, which is unsafe in edition 2024 (unsafe
/// code is forbidden here), so the process replaces itself once, before anything
/// else runs, with the variable set. Panics keep their backtraces.
#[cfg(unix)]
fn without_library_backtraces() {
    use std::os::unix::process::CommandExt;
    let wanted = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    if !wanted || std::env::var_os("RUST_LIB_BACKTRACE").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    // exec returns only when it failed: then run on as we are.
    let _ = command.args(args).env("RUST_LIB_BACKTRACE", "0").exec();
}

#[cfg(not(unix))]
fn without_library_backtraces() {}
