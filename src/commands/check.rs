//! `gatekeeper check TARGET`: facts in, decision out, exit 0 allow / 1 deny.

use crate::cli::{CheckArgs, Format};
use crate::config::Config;
use crate::policy::PolicySet;
use crate::render::{self, TableStyle};

use super::record::{append_or_warn, audit_log, check_record};
use super::{
    CommandError, gather, load_config, override_requests, print, stdout_style, write_file,
};

pub fn run(args: CheckArgs) -> Result<super::Outcome, CommandError> {
    // Config, policies and overrides first: a mistake in any is found before the
    // sources are asked.
    let config = load_config(&args.config, args.facts.as_deref())?;
    let dir = Config::policy_dir(config.as_ref(), args.config.policies.as_deref());
    let mut policies = PolicySet::load(&dir, false)?;
    let overrides = override_requests(&mut policies, &args.overrides, args.reason.as_deref())?;
    let mut facts = gather(
        config.as_ref(),
        &args.target,
        &args.plan,
        args.facts.as_deref(),
        args.config.verbose,
    )?;
    facts.overrides = overrides;
    let evaluation = policies.evaluate(&facts)?;
    let decision = &evaluation.decision;
    if let Some(config) = &config {
        let record = check_record(
            "check",
            &facts,
            policies.files(),
            decision,
            args.facts.is_none(),
        );
        append_or_warn(&audit_log(config), &record);
    }

    let style = stdout_style();
    let mut shown = match &args.output {
        // The file gets the chosen format; the person at the terminal still sees the table.
        Some(path) => {
            let file_style = TableStyle {
                color: false,
                ..TableStyle::default()
            };
            write_file(path, &render::render(decision, args.format, file_style)?)?;
            render::render(decision, Format::Table, style)?
        }
        None => render::render(decision, args.format, style)?,
    };
    if args.explain && (args.output.is_some() || args.format == Format::Table) {
        shown.push_str(&render::explain::render(decision, &evaluation.prints));
    }
    print(&shown);
    append_step_summary(&render::render(decision, Format::Markdown, style)?);
    Ok(super::Outcome::of(decision.allow))
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
