//! `gatekeeper status TARGET`: the screen a release engineer opens first, read by
//! [`crate::status`]. Read-only, and decides nothing: exit 0 when production and
//! the lock could be read, 2 when either could not (or the config is broken).

use crate::cli::{StatusArgs, StatusFormat};
use crate::status::{self, table::table};

use super::{CommandError, EXIT_OK, Outcome, print};

pub fn run(args: StatusArgs) -> Result<Outcome, CommandError> {
    let config = super::load_config(&args.config.config)?;
    let target = config.target(&args.target)?;
    let ctx = super::runbook_context(&config, &args.target, target)?;
    let network = crate::net::Network::start(config.limits()).map_err(CommandError::Runtime)?;
    let status = status::read(
        &network,
        &config,
        &args.config.config,
        &args.target,
        target,
        &ctx,
    )?;
    let unknown = status.unknown();
    match args.format {
        StatusFormat::Json => print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&status).map_err(|source| CommandError::Encode {
                what: "the status as JSON",
                source,
            })?
        )),
        // Every field may come from a deployment or a lock anyone could write: escaped.
        StatusFormat::Table => print(&crate::render::sanitize(&table(&status))),
    }
    if unknown.is_empty() {
        Ok(EXIT_OK)
    } else {
        Err(CommandError::Unread(format!(
            "the status of {} is incomplete: cannot read {}; check the deploy remote {:?} of the app's clone",
            args.target,
            unknown.join("; "),
            target.deploy_remote
        )))
    }
}
