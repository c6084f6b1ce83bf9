//! `gatekeeper facts TARGET`: collect and print the facts document, to debug a
//! policy or to record one for `check --facts`. Exits 1 when a source failed (the
//! document still prints, with its `errors`), so that a script notices.

use crate::cli::FactsArgs;

use super::{CommandError, EXIT_FAIL, EXIT_OK, gather, load_config, print, write_file};

pub fn run(args: FactsArgs) -> Result<super::Outcome, CommandError> {
    let config = load_config(&args.config, None, false)?;
    let facts = gather(
        config.as_ref(),
        &args.target,
        &args.plan,
        None,
        args.config.verbose,
    )?;
    let mut json = serde_json::to_string_pretty(&facts)
        .map_err(|e| CommandError::Usage(format!("cannot encode the facts document: {e}")))?;
    json.push('\n');
    match &args.output {
        Some(path) => write_file(path, &json)?,
        None => print(&json),
    }
    Ok(if facts.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}
