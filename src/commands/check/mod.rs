//! `gatekeeper check TARGET`: facts in, decision out, exit 0 allow / 1 deny. Besides
//! the terminal: `--output`/`--report` files, the GitHub step summary and outputs,
//! and on exit 2 a JUnit report that says why no decision was made.

mod undecided;

use std::path::Path;

use crate::audit::AuditError;
use crate::cli::{CheckArgs, Format};
use crate::gate::{Gate, refuse_a_window_already_over};
use crate::render::{self, TableStyle};

use super::record::audit_log;
use super::{
    CommandError, facts, gate_request, note_unneeded_overrides, print, stdout_style, write_file,
};

pub fn run(args: CheckArgs) -> Result<super::Outcome, CommandError> {
    decide(&args).inspect_err(|err| undecided::report(&args, err))
}

fn decide(args: &CheckArgs) -> Result<super::Outcome, CommandError> {
    // Config, policies and overrides first: a mistake in any is found before the
    // sources are asked.
    let mut request = gate_request(
        &args.target,
        &args.config,
        &args.plan,
        args.facts.as_deref(),
        args.no_config,
    );
    request.overrides = &args.overrides;
    request.reason = args.reason.as_deref();
    request.by = args.by.as_deref();
    let mut gate = Gate::resolve(&request)?;
    // The signing key before any source is asked: a bad key is found first.
    let signer = super::attest::signer(&args.attest)?;
    let facts = facts(&gate, args.config.verbose)?;
    refuse_a_window_already_over(&facts)?;
    let judgement = gate.decide(facts)?;
    let decision = &judgement.decision;
    note_unneeded_overrides(&judgement);
    if let Some(config) = gate.config() {
        match audit_log(config).append(&judgement.record("check")) {
            Ok(()) => {}
            // A break-glass nobody can read back afterwards is no decision, and a
            // log that is a link or no file is a misconfiguration: both exit 2.
            Err(e) if !gate.overrides().is_empty() || matches!(e, AuditError::NotAFile { .. }) => {
                return Err(e.into());
            }
            Err(e) => eprintln!("gatekeeper: warning: {e}"),
        }
    }
    let signing = super::attest::Signing {
        config: gate.config(),
        policies: gate.policies(),
        facts_file: args.facts.as_deref(),
        actor: super::attest::actor(),
        run: super::attest::ci_run(),
    };
    super::attest::write_signed(
        &args.attest,
        signer.as_ref(),
        decision,
        &judgement.facts,
        signing,
    )?;

    let style = stdout_style();
    // Files get their format without colour; the person at the terminal still sees
    // the table when the chosen format went to --output.
    let file_style = TableStyle {
        color: false,
        ..TableStyle::default()
    };
    let audit = gate.config().map(|c| audit_log(c).path().to_owned());
    for report in &args.reports {
        write_file(
            &report.path,
            &render::render(decision, report.format, file_style)?,
            audit.as_deref(),
        )?;
    }
    let mut shown = match &args.output {
        Some(path) => {
            write_file(
                path,
                &render::render(decision, args.format, file_style)?,
                audit.as_deref(),
            )?;
            render::render(decision, Format::Table, style)?
        }
        None => render::render(decision, args.format, style)?,
    };
    if args.explain && (args.output.is_some() || args.format == Format::Table) {
        shown.push_str(&render::explain::render(decision, &judgement.prints));
    }
    match &args.output {
        None => super::print_as(&shown, args.format),
        Some(_) => print(&shown),
    }
    // A decision the terminal (or CI log) did not get is no decision: the GitHub
    // outputs below must not say "allow" for a run that exits 2.
    if let Some(e) = super::take_stdout_error() {
        return Err(CommandError::Stdout(e));
    }
    append_github_file(
        "GITHUB_STEP_SUMMARY",
        &format!("{}\n", render::render(decision, Format::Markdown, style)?),
        "the decision",
    );
    append_github_file(
        "GITHUB_OUTPUT",
        &render::github::outputs(decision),
        "allow, downtime and failed_checks",
    );
    Ok(super::Outcome::of(decision.allow))
}

/// In GitHub Actions, appends `text` to the file the variable `var` names (the job
/// summary, the step outputs). A file that cannot be written is worth a warning,
/// never a different exit code.
pub(super) fn append_github_file(var: &str, text: &str, what: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "gatekeeper: warning: cannot append {what} to {var} ({}): {e}",
            Path::new(&path).display()
        );
    }
}
