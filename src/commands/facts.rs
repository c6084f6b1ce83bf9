//! `gatekeeper facts TARGET`: collect and print the facts document, to debug a
//! policy or to record one for `check --facts`. Exits 1 when a source failed (the
//! document still prints, with its `errors`), so that a script notices.

use crate::cli::FactsArgs;

use crate::gate::{Collector, Planned};

use super::{CommandError, EXIT_FAIL, EXIT_OK, observed, print, write_file};

pub fn run(args: FactsArgs) -> Result<super::Outcome, CommandError> {
    // The facts alone: no policies are read, and nothing is judged.
    let config = super::load_config(&args.config.config)?;
    let audit = super::record::audit_log(&config).path().to_owned();
    let collector = Collector::new(
        Some(config),
        &args.target,
        Planned::from_args(&args.plan),
        None,
        args.config.verbose,
    );
    let facts = observed(true, args.config.verbose, |progress| {
        collector.facts(progress)
    })?;
    let mut json = serde_json::to_string_pretty(&facts).map_err(|source| CommandError::Encode {
        what: "the facts document",
        source,
    })?;
    json.push('\n');
    match &args.output {
        Some(path) => write_file(path, &json, Some(&audit))?,
        None => print(&json),
    }
    Ok(if facts.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}
