//! `gatekeeper check TARGET`: facts in, decision out, exit 0 allow / 1 deny.

use crate::cli::{CheckArgs, Format};
use crate::config::Config;
use crate::policy::PolicySet;
use crate::render::{self, TableStyle};

use super::{CommandError, gather, print, stdout_style, write_file};

pub fn run(args: CheckArgs) -> Result<u8, CommandError> {
    let gathered = gather(
        &args.target,
        &args.config,
        &args.plan,
        args.facts.as_deref(),
    )?;
    let dir = Config::policy_dir(gathered.config.as_ref(), args.config.policies.as_deref());
    let mut policies = PolicySet::load(&dir, false)?;
    let evaluation = policies.evaluate(&gathered.facts)?;
    let decision = &evaluation.decision;

    let style = stdout_style();
    match &args.output {
        // The file gets the chosen format; the person at the terminal still sees the table.
        Some(path) => {
            let file_style = TableStyle {
                color: false,
                ..TableStyle::default()
            };
            write_file(path, &render::render(decision, args.format, file_style)?)?;
            print(&render::render(decision, Format::Table, style)?);
        }
        None => print(&render::render(decision, args.format, style)?),
    }
    append_step_summary(&render::render(decision, Format::Markdown, style)?);
    Ok(decision.exit_code())
}

/// In GitHub Actions, appends the markdown decision to the job's step summary. A
/// summary that cannot be written is worth a warning, never a different exit code.
fn append_step_summary(markdown: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| writeln!(file, "{markdown}"));
    if let Err(e) = written {
        eprintln!(
            "gatekeeper: warning: cannot append the decision to GITHUB_STEP_SUMMARY ({}): {e}",
            std::path::Path::new(&path).display()
        );
    }
}
