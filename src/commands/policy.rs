//! `gatekeeper policy test [DIR]`: the policies' own tests, like `opa test`.

use std::path::PathBuf;

use crate::cli::{PolicyCommand, PolicyTestArgs};
use crate::policy::run_tests;

use super::{CommandError, EXIT_FAIL, EXIT_OK, print};

pub fn run(command: PolicyCommand) -> Result<u8, CommandError> {
    match command {
        PolicyCommand::Test(args) => test(args),
        PolicyCommand::Check(_) => Err(CommandError::Usage(
            "policy check is not available in this build".to_owned(),
        )),
    }
}

fn test(args: PolicyTestArgs) -> Result<u8, CommandError> {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("policies"));
    let (report, _) = run_tests(&dir)?;
    let mut out = String::new();
    for outcome in &report.outcomes {
        let verdict = if outcome.passed { "PASS" } else { "FAIL" };
        out.push_str(&format!(
            "{verdict} {} ({:.1} ms)\n",
            outcome.rule,
            outcome.duration.as_secs_f64() * 1000.0
        ));
        if let Some(why) = &outcome.failure {
            out.push_str(&format!("     {}: {why}\n", outcome.file.display()));
        }
    }
    if report.outcomes.is_empty() {
        out.push_str(&format!("no test_* rules found in {}\n", dir.display()));
    }
    out.push_str(&format!(
        "{} passed, {} failed\n",
        report.passed(),
        report.failed()
    ));
    print(&out);
    Ok(if report.failed() == 0 && !report.outcomes.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}
