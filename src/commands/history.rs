//! `gatekeeper history TARGET`: the last deploys and rollbacks of a target, from the
//! audit log, as a table. Read-only.

use crate::render::new_table;

use crate::audit::Kind;
use crate::cli::HistoryArgs;
use crate::config::Config;

use super::deploy::short;
use super::record::audit_log;
use super::{CommandError, EXIT_OK, print, stdout_style};

pub fn run(args: HistoryArgs) -> Result<u8, CommandError> {
    let config = Config::load(&args.config.config)?;
    config.target(&args.target)?;
    let log = audit_log(&config);
    let records: Vec<_> = log
        .read()?
        .into_iter()
        .filter(|r| {
            r.target == args.target
                && matches!(r.kind, Kind::Deploy | Kind::Rollback | Kind::Unlock)
        })
        // A rollback's "started" line is followed by its outcome.
        .filter(|r| r.outcome.as_deref() != Some("started"))
        .collect();
    if records.is_empty() {
        print(&format!(
            "No deploys of {} recorded in {}.\n",
            args.target,
            log.path().display()
        ));
        return Ok(EXIT_OK);
    }
    let mut table = new_table(stdout_style());
    table.set_header(vec![
        "time (UTC)",
        "what",
        "by",
        "outcome",
        "before",
        "after",
        "detail",
    ]);
    let start = records.len().saturating_sub(args.limit);
    for r in records.iter().skip(start).rev() {
        let detail = match (&r.step, &r.message) {
            (Some(step), Some(message)) => format!("{step}: {message}"),
            (None, Some(message)) => message.clone(),
            _ if !r.failing_checks.is_empty() => {
                format!("failing: {}", r.failing_checks.join(", "))
            }
            _ => String::new(),
        };
        table.add_row(vec![
            r.time.format("%Y-%m-%d %H:%M:%S").to_string(),
            format!("{:?}", r.kind).to_lowercase(),
            format!("{}@{}", r.user, r.host),
            r.outcome.clone().unwrap_or_default(),
            short(r.before_sha.as_deref()),
            short(r.after_sha.as_deref()),
            detail,
        ]);
    }
    print(&format!("{table}\n"));
    Ok(EXIT_OK)
}
