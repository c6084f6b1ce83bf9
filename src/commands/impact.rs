//! `gatekeeper policy impact`: binds the flags, finds the base policies (a git ref's
//! copy of the candidate directory, or a directory), gathers the corpus (archive,
//! fixtures, `--facts`), runs [`crate::impact`], renders, and maps the report to the
//! exit code: 0 when no document is in the `--fail-on` class, 1 when some are, 2
//! when a side does not load.

use chrono::Utc;

use crate::cli::{ImpactFormat, PolicyImpactArgs};
use crate::config::Config;
use crate::impact::inputs::{self, ImpactError, Sides};
use crate::impact::{self, Report};
use crate::render::impact as render;

use super::{CommandError, EXIT_FAIL, EXIT_OK, print, write_file};

pub fn run(args: PolicyImpactArgs) -> Result<super::Outcome, CommandError> {
    let config = Config::load_optional(&args.config)?;
    let candidate_dir = Config::policy_dir(config.as_ref(), args.policies.as_deref());
    let since = match args.since {
        Some(d) => Some(
            Utc::now()
                - chrono::Duration::from_std(d)
                    .map_err(|e| CommandError::Usage(format!("--since: {e}")))?,
        ),
        None => None,
    };

    // Both sides load through check's path (schema, guards): one that does not is
    // exit 2 and says which side, never "no impact".
    let Sides {
        mut base,
        base_info,
        mut candidate,
        candidate_info,
        ..
    } = inputs::sides(
        &candidate_dir,
        args.base_dir.as_deref(),
        args.base.as_deref(),
        &inputs::LocalGit::of(config.as_ref()),
    )?;
    let base_sha = base_info.policies_sha256.clone();
    let docs = inputs::corpus(
        config.as_ref(),
        args.archive.as_deref(),
        since,
        args.target.as_deref(),
        &args.facts,
    )?;
    let recorded = inputs::recorded(config.as_ref())?;

    let mut report = Report::new(base_info, candidate_info);
    for doc in &docs {
        report.add(impact::replay(
            &mut base,
            &base_sha,
            &mut candidate,
            doc,
            &recorded,
        ));
    }

    let mut calendars = None;
    if args.windows {
        let facts = inputs::window_document(&args.facts, &docs).ok_or_else(|| {
            CommandError::Usage(
                "--windows needs a facts document to search from: none of the corpus loads; give --facts FILE".to_owned(),
            )
        })?;
        let changes = impact::window_changes(&mut base, &mut candidate, &facts, args.days)
            .map_err(|source| CommandError::Search {
                what: "the window search failed",
                source,
            })?;
        report.windows = Some(changes);
        if matches!(args.format, ImpactFormat::Markdown | ImpactFormat::Html) {
            calendars = Some(
                render::calendars(&mut base, &mut candidate, &facts, args.days).map_err(
                    |source| CommandError::Search {
                        what: "the calendars' window search failed",
                        source,
                    },
                )?,
            );
        }
    }

    if args.shadow {
        let Some(dir) = config
            .as_ref()
            .and_then(|c| c.shadow_policies.as_ref().map(|d| c.resolve(d)))
        else {
            return Err(CommandError::Usage(format!(
                "--shadow compares the config's shadow_policies, and {} sets none: add `shadow_policies = \"DIR\"`",
                args.config.display()
            )));
        };
        let (mut shadow, info) = inputs::side(&dir, None, "shadow")?;
        report.shadow = Some(impact::shadow_summary(
            &dir,
            &mut shadow,
            &info.policies_sha256,
            &docs,
            &mut base,
            &recorded,
        ));
    }

    let text = render::report(&report, args.format, calendars.as_ref())
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    match &args.output {
        Some(path) => {
            let audit = config
                .as_ref()
                .map(|c| super::record::audit_log(c).path().to_owned());
            write_file(path, &text, audit.as_deref())?;
            print(&format!(
                "policy impact: {} (report in {})\n",
                summary(&report),
                path.display()
            ));
        }
        // Workflow commands print as they are (they escape their own text).
        None if args.format == ImpactFormat::Github => super::print_commands(&text),
        None => print(&text),
    }
    Ok(if report.fails(args.fail_on) {
        EXIT_FAIL
    } else {
        EXIT_OK
    })
}

fn summary(report: &Report) -> String {
    let s = &report.summary;
    format!(
        "{} replayed, {} loosened, {} tightened, {} check_changed, {} drift",
        s.replayed, s.loosened, s.tightened, s.check_changed, s.drift
    )
}

impl From<ImpactError> for CommandError {
    fn from(e: ImpactError) -> Self {
        match e {
            ImpactError::Write { path, source } => Self::Write { path, source },
            ImpactError::Audit(e) => Self::Audit(e),
            e @ (ImpactError::Side { .. } | ImpactError::Base(_) | ImpactError::Archive(_)) => {
                Self::Usage(e.to_string())
            }
        }
    }
}
