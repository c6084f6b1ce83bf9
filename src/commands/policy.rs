//! `gatekeeper policy test [DIR]`: the policies' own tests, like `opa test` (`--run
//! REGEX` to select, failures only unless `--verbose`, `--format json`), with an
//! optional coverage report; `gatekeeper policy check`: the policies evaluated on
//! recorded facts so that a misspelled function is found before a deploy needs it.

use std::path::{Path, PathBuf};

use crate::cli::{PolicyCheckArgs, PolicyCommand, PolicyTestArgs, PolicyTestFormat};
use crate::policy::{lint, run_tests};
use crate::render::policy as render;

use super::{CommandError, EXIT_FAIL, EXIT_OK, print};

pub fn run(command: PolicyCommand) -> Result<super::Outcome, CommandError> {
    match command {
        PolicyCommand::Test(args) => test(args),
        PolicyCommand::Check(args) => check(args),
        PolicyCommand::Impact(args) => super::impact::run(args),
    }
}

fn test(args: PolicyTestArgs) -> Result<super::Outcome, CommandError> {
    let dir = match args.dir.clone() {
        Some(dir) => dir,
        None => crate::config::configured_policy_dir(args.config.as_deref())?
            .unwrap_or_else(|| PathBuf::from("policies")),
    };
    let filter = match &args.run {
        Some(pattern) => Some(regex::Regex::new(pattern).map_err(|e| {
            CommandError::Usage(format!(
                "--run {pattern:?} is not a regular expression: {e}; give one such as \"throughput\" or \"test_.*_fails$\""
            ))
        })?),
        None => None,
    };
    let report = run_tests(&dir, args.coverage, |name| {
        filter.as_ref().is_none_or(|re| re.is_match(name))
    })?;
    let below = report
        .total_coverage()
        .zip(args.threshold)
        .is_some_and(|(total, min)| total < min);
    let ok = report.failed() == 0 && !report.outcomes.is_empty() && !below;
    let out = match args.format {
        PolicyTestFormat::Json => {
            render::tests_json(&dir, args.run.as_deref(), args.threshold, &report)
                .map_err(|e| CommandError::Usage(e.to_string()))?
        }
        PolicyTestFormat::Text => render::tests_text(
            &dir,
            args.run.as_deref(),
            args.verbose,
            args.threshold,
            &report,
        ),
    };
    print(&out);
    Ok(if ok { EXIT_OK } else { EXIT_FAIL })
}

fn check(args: PolicyCheckArgs) -> Result<super::Outcome, CommandError> {
    let dir = match args.policies {
        Some(dir) => dir,
        None => crate::config::configured_policy_dir(args.config.as_deref())?
            .unwrap_or_else(|| PathBuf::from("policies")),
    };
    let files = if args.facts.is_empty() {
        recorded_facts(Path::new("fixtures/facts"))
    } else {
        args.facts
    };
    let report = lint(&dir, &files)?;
    print(&render::lint(&report));
    let strict_fail = args.strict && !report.warnings.is_empty();
    Ok(if report.errors.is_empty() && !strict_fail {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}

fn recorded_facts(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
