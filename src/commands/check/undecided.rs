//! `check` without a decision (exit 2): CI still gets why, in every JUnit file and
//! annotation asked for, and `allow=false`; reports left from an earlier run are
//! removed so that none passes for this one's.

use std::path::Path;

use crate::cli::{CheckArgs, Format};
use crate::render;

use super::super::record::audit_log;
use super::super::{CommandError, error_text, print, write_file};
use super::append_github_file;

/// On exit 2, every JUnit output asked for still gets a report: one `<error>` saying
/// why no decision was made, so that CI shows the cause rather than a missing file;
/// `--format github` gets an error annotation saying the same.
pub(super) fn report(args: &CheckArgs, err: &CommandError) {
    // Error text may quote a server or a file: escaped like any text from a source.
    let reason = render::sanitize(&error_text(err));
    // A workflow reading `allow` must never find it missing, or left from a pass.
    append_github_file(
        "GITHUB_OUTPUT",
        "allow=false\nundecided=true\n",
        "allow=false after no decision",
    );
    // The audit log of the config, when one can be read, is never removed or replaced.
    let audit = crate::config::Config::load_optional(&args.config.config)
        .ok()
        .flatten()
        .map(|c| audit_log(&c).path().to_owned());
    let not_audit = |p: &&Path| {
        audit
            .as_deref()
            .is_none_or(|a| !crate::files::is_audit_log(p, a))
    };
    // A report of another format from an earlier run must not stand as this one's.
    let stale = args
        .reports
        .iter()
        .filter(|r| r.format != Format::Junit)
        .map(|r| r.path.as_path())
        .chain(
            args.output
                .as_deref()
                .filter(|_| args.format != Format::Junit),
        )
        // A signed decision left from an earlier run must not pass for this one's.
        .chain(args.attest.attest_out.as_deref());
    // Only regular files this command wrote before: never a device (`/dev/stdout`,
    // `/dev/full`), a link or a directory that happens to be named.
    let regular = |p: &&Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file());
    for path in stale.filter(regular).filter(not_audit) {
        if let Err(e) = std::fs::remove_file(path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!(
                "gatekeeper: warning: cannot remove {} left from an earlier run: {e}",
                path.display()
            );
        }
    }
    if args.format == Format::Github && args.output.is_none() {
        super::super::print_commands(&render::github::undecided(&args.target, &reason));
    }
    let Ok(xml) = render::junit::undecided(&args.target, &reason) else {
        return;
    };
    let mut files: Vec<&Path> = args
        .reports
        .iter()
        .filter(|r| r.format == Format::Junit)
        .map(|r| r.path.as_path())
        .collect();
    if args.format == Format::Junit {
        match &args.output {
            Some(path) => files.push(path),
            None => print(&xml),
        }
    }
    for path in files {
        if let Err(e) = write_file(path, &xml, audit.as_deref()) {
            eprintln!(
                "gatekeeper: warning: cannot write the JUnit report of the failure: {}",
                error_text(&e)
            );
        }
    }
}
