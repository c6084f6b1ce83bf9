//! `gatekeeper policy impact`: binds the flags, finds the base policies (a git ref's
//! copy of the candidate directory, or a directory), gathers the corpus (archive,
//! fixtures, `--facts`), runs [`crate::impact`], renders, and maps the report to the
//! exit code: 0 when no document is in the `--fail-on` class, 1 when some are, 2
//! when a side does not load.

use std::path::{Path, PathBuf};

use chrono::Utc;

use crate::archive::Archive;
use crate::audit::{AuditLog, policies_digest};
use crate::cli::{ImpactFormat, PolicyImpactArgs};
use crate::config::Config;
use crate::impact::{self, Doc, Origin, Report, SideInfo};
use crate::planner::{self, Query};
use crate::policy::PolicySet;
use crate::render::calendar::{self, Calendar};
use crate::render::impact as render;

use super::{CommandError, EXIT_FAIL, EXIT_OK, print, write_file};

pub fn run(args: PolicyImpactArgs) -> Result<super::Outcome, CommandError> {
    let config = Config::load_optional(&args.config)?;
    let candidate_dir = Config::policy_dir(config.as_ref(), args.policies.as_deref());
    let since = match &args.since {
        Some(s) => Some(
            Utc::now()
                - impact::parse_duration(s)
                    .map_err(|e| CommandError::Usage(format!("--since: {e}")))?,
        ),
        None => None,
    };

    // Both sides load through check's path (schema, guards): one that does not is
    // exit 2 and says which side, never "no impact".
    let scratch = Scratch::new()?;
    let (base_ref, base_dir) = match (&args.base_dir, &args.base) {
        (Some(dir), _) => (None, dir.clone()),
        (None, r) => {
            let (label, dir) = base_from_git(r.as_deref(), &candidate_dir, &scratch.0)?;
            (Some(label), dir)
        }
    };
    let (mut base, base_info) = side(&base_dir, base_ref, "base")?;
    let (mut candidate, candidate_info) = side(&candidate_dir, None, "candidate")?;
    let base_sha = base_info.policies_sha256.clone();

    let archive = match (&args.archive, &config) {
        (Some(dir), _) => Archive::new(dir.clone(), crate::archive::default_days()),
        (None, Some(c)) => Archive::of_config(c),
        (None, None) => Archive::new(
            PathBuf::from(".gatekeeper/facts"),
            crate::archive::default_days(),
        ),
    };
    let mut docs: Vec<Doc> = archive
        .documents()
        .map_err(|e| CommandError::Usage(e.to_string()))?
        .into_iter()
        .filter(|p| impact::archive_filter(p, since, args.target.as_deref()))
        .map(|path| Doc {
            path,
            origin: Origin::Archive,
        })
        .collect();
    docs.extend(
        impact::json_files(Path::new("fixtures/facts"))
            .into_iter()
            .map(|path| Doc {
                path,
                origin: Origin::Fixture,
            }),
    );
    docs.extend(args.facts.iter().map(|path| Doc {
        path: path.clone(),
        origin: Origin::File,
    }));
    // A file named twice (a fixture given with --facts) is replayed once.
    let mut seen = std::collections::BTreeSet::new();
    docs.retain(|d| seen.insert(std::fs::canonicalize(&d.path).unwrap_or_else(|_| d.path.clone())));

    let recorded = match &config {
        Some(c) => {
            let log = AuditLog::new(&c.resolve(&c.audit_log));
            let records = if log.path().exists() {
                log.read()?
            } else {
                Vec::new()
            };
            impact::recorded_decisions(&records)
        }
        None => Default::default(),
    };

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
        let facts = window_document(&args.facts, &docs).ok_or_else(|| {
            CommandError::Usage(
                "--windows needs a facts document to search from: none of the corpus loads; give --facts FILE".to_owned(),
            )
        })?;
        let changes = impact::window_changes(&mut base, &mut candidate, &facts, args.days)
            .map_err(|e| CommandError::Usage(format!("the window search failed: {e}")))?;
        report.windows = Some(changes);
        if matches!(args.format, ImpactFormat::Markdown | ImpactFormat::Html) {
            calendars = Some(
                calendars_of(&mut base, &mut candidate, &facts, args.days).map_err(|e| {
                    CommandError::Usage(format!("the calendars' window search failed: {e}"))
                })?,
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
        let (mut shadow, info) = side(&dir, None, "shadow")?;
        report.shadow = Some(impact::shadow_summary(
            &dir,
            &mut shadow,
            &info.policies_sha256,
            &docs,
            &mut base,
            &recorded,
        ));
    }

    let text = match args.format {
        ImpactFormat::Table => render::table(&report),
        ImpactFormat::Json => render::json(&report)
            .map_err(|e| CommandError::Usage(format!("cannot encode the report as JSON: {e}")))?,
        ImpactFormat::Markdown => {
            let mut text = render::markdown(&report);
            if let Some((before, after)) = &calendars {
                text.push_str(&render::calendars_markdown(before, after));
            }
            text
        }
        ImpactFormat::Github => render::github(&report),
        ImpactFormat::Html => match &calendars {
            Some((before, after)) => render::html(&report, before, after),
            None => {
                return Err(CommandError::Usage(
                    "--format html shows the calendars of the window search: add --windows"
                        .to_owned(),
                ));
            }
        },
    };
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

/// The calendars of the window search from `facts` under each side, for the markdown
/// and html reports of `--windows`, built as `window` builds its own.
fn calendars_of(
    base: &mut PolicySet,
    candidate: &mut PolicySet,
    facts: &crate::facts::Facts,
    days: u32,
) -> Result<(Calendar, Calendar), impact::WindowsError> {
    let tz = crate::config::zone(&facts.timezone).map_err(impact::WindowsError::Zone)?;
    let one = |set: &mut PolicySet| -> Result<Calendar, impact::WindowsError> {
        let query = Query {
            tz,
            minutes: facts.window.minutes,
            days,
            settings: planner::read_settings(set)?,
        };
        let plan = planner::search(set, facts, &query)?;
        Ok(calendar::build(set, facts, &query, &plan, None)?)
    };
    Ok((one(base)?, one(candidate)?))
}

/// Loads one side as `check` does, with its digest.
fn side(
    dir: &Path,
    git_ref: Option<String>,
    which: &str,
) -> Result<(PolicySet, SideInfo), CommandError> {
    let set = PolicySet::load(dir, false).map_err(|e| {
        CommandError::Usage(format!(
            "the {which} policies ({}) do not load, so no impact can be judged: {e}",
            git_ref.as_deref().unwrap_or(&dir.display().to_string())
        ))
    })?;
    let sha = policies_digest(set.files())?;
    let info = SideInfo {
        git_ref,
        dir: dir.display().to_string(),
        policies_sha256: sha,
    };
    Ok((set, info))
}

/// The document `--windows` searches from: the last `--facts`, else the newest
/// (by `now`) document of the corpus that loads.
fn window_document(files: &[PathBuf], docs: &[Doc]) -> Option<crate::facts::Facts> {
    if let Some(path) = files.last() {
        return impact::load(&Doc {
            path: path.clone(),
            origin: Origin::File,
        })
        .ok()
        .map(|l| l.facts);
    }
    let mut best: Option<crate::facts::Facts> = None;
    for doc in docs {
        if let Ok(loaded) = impact::load(doc)
            && best.as_ref().is_none_or(|b| loaded.facts.now > b.now)
        {
            best = Some(loaded.facts);
        }
    }
    best
}

/// A private scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Self, CommandError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("gatekeeper-impact-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| CommandError::Write {
            path: dir.clone(),
            source,
        })?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// The candidate directory's copy at `git_ref` (default: the merge-base of HEAD with
/// the base branch), written into `scratch`.
fn base_from_git(
    git_ref: Option<&str>,
    candidate: &Path,
    scratch: &Path,
) -> Result<(String, PathBuf), CommandError> {
    let usage = |m: String| CommandError::Usage(m);
    let (label, commit) = match git_ref {
        Some(r) => {
            let commit = git(candidate, &["rev-parse", "--verify", "--quiet", &format!("{r}^{{commit}}")])
                .map_err(|e| usage(format!("--base {r:?} is not a commit of the repository of {}: {e}; give a branch, tag or SHA, or --base-dir DIR", candidate.display())))?;
            (r.to_owned(), commit.trim().to_owned())
        }
        None => {
            let branch = ["origin/HEAD", "origin/main", "origin/master", "main", "master"]
                .into_iter()
                .find(|b| git(candidate, &["rev-parse", "--verify", "--quiet", b]).is_ok())
                .ok_or_else(|| usage(format!("no base branch found for {} (origin/HEAD, origin/main, origin/master, main, master): give --base REF or --base-dir DIR", candidate.display())))?;
            let commit = git(candidate, &["merge-base", "HEAD", branch]).map_err(|e| {
                usage(format!(
                    "no merge-base of HEAD and {branch}: {e}; give --base REF or --base-dir DIR"
                ))
            })?;
            let commit = commit.trim().to_owned();
            (
                format!(
                    "merge-base of HEAD and {branch} ({})",
                    commit.get(..12).unwrap_or(&commit)
                ),
                commit,
            )
        }
    };
    let names = git(candidate, &["ls-tree", "--name-only", &commit]).map_err(|e| {
        usage(format!(
            "the policies {} are not in {label}: {e}; give --base-dir DIR",
            candidate.display()
        ))
    })?;
    let dir = scratch.join("base");
    std::fs::create_dir_all(&dir).map_err(|source| CommandError::Write {
        path: dir.clone(),
        source,
    })?;
    for name in names.lines().filter(|n| n.ends_with(".rego")) {
        let text = git(candidate, &["show", &format!("{commit}:./{name}")])
            .map_err(|e| usage(format!("cannot read {name} at {label}: {e}")))?;
        write_file(&dir.join(name), &text, None)?;
    }
    Ok((label, dir))
}
