//! What `gatekeeper policy impact` replays, resolved from its flags: both sides of
//! the policies (the base as a git ref's copy of the candidate directory, or a
//! directory), each loaded as `check` loads them, and the corpus (archive,
//! fixtures, `--facts`) with the decisions recorded on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::archive::{Archive, ArchiveError};
use crate::audit::{AuditError, AuditLog, policies_digest};
use crate::config::Config;
use crate::policy::PolicySet;

use super::{Doc, Origin, Recorded, SideInfo};

/// Why the impact cannot be judged.
#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    /// A side's policies do not load: never "no impact".
    #[error("the {which} policies ({at}) do not load, so no impact can be judged: {why}")]
    Side {
        which: String,
        at: String,
        why: String,
    },
    /// The base cannot be taken from git.
    #[error("{0}")]
    Base(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// Both sides, loaded: the base's copy (from git) lives as long as they do.
pub struct Sides {
    pub base: PolicySet,
    pub base_info: SideInfo,
    pub candidate: PolicySet,
    pub candidate_info: SideInfo,
    _scratch: Scratch,
}

/// The base (`base_dir`, else the candidate directory's copy at `base_ref`, by
/// default its merge-base with the base branch) and the candidate.
pub fn sides(
    candidate_dir: &Path,
    base_dir: Option<&Path>,
    base_ref: Option<&str>,
    git: &LocalGit,
) -> Result<Sides, ImpactError> {
    let scratch = Scratch::new()?;
    let (base_ref, base_dir) = match base_dir {
        Some(dir) => (None, dir.to_owned()),
        None => {
            let (label, dir) = base_from_git(git, base_ref, candidate_dir, &scratch.0)?;
            (Some(label), dir)
        }
    };
    let (base, base_info) = side(&base_dir, base_ref, "base")?;
    let (candidate, candidate_info) = side(candidate_dir, None, "candidate")?;
    Ok(Sides {
        base,
        base_info,
        candidate,
        candidate_info,
        _scratch: scratch,
    })
}

/// The documents to replay: the archive's (`archive`, else the config's, else
/// `.gatekeeper/facts`; since `since`, of `target`), the fixtures, and `files`,
/// each once.
pub fn corpus(
    config: Option<&Config>,
    archive: Option<&Path>,
    since: Option<DateTime<Utc>>,
    target: Option<&str>,
    files: &[PathBuf],
) -> Result<Vec<Doc>, ImpactError> {
    let archive = match (archive, config) {
        (Some(dir), _) => Archive::new(dir.to_owned(), crate::archive::default_days()),
        (None, Some(c)) => Archive::of_config(c),
        (None, None) => Archive::new(
            PathBuf::from(".gatekeeper/facts"),
            crate::archive::default_days(),
        ),
    };
    let mut docs: Vec<Doc> = archive
        .documents()?
        .into_iter()
        .filter(|p| super::archive_filter(p, since, target))
        .map(|path| Doc {
            path,
            origin: Origin::Archive,
        })
        .collect();
    docs.extend(
        super::json_files(Path::new("fixtures/facts"))
            .into_iter()
            .map(|path| Doc {
                path,
                origin: Origin::Fixture,
            }),
    );
    docs.extend(files.iter().map(|path| Doc {
        path: path.clone(),
        origin: Origin::File,
    }));
    // A file named twice (a fixture given with --facts) is replayed once.
    let mut seen = std::collections::BTreeSet::new();
    docs.retain(|d| seen.insert(std::fs::canonicalize(&d.path).unwrap_or_else(|_| d.path.clone())));
    Ok(docs)
}

/// The decisions the config's audit log recorded, by document.
pub fn recorded(config: Option<&Config>) -> Result<BTreeMap<String, Recorded>, ImpactError> {
    let Some(c) = config else {
        return Ok(BTreeMap::new());
    };
    let log = AuditLog::of(c);
    let records = if log.path().exists() {
        log.read()?
    } else {
        Vec::new()
    };
    Ok(super::recorded_decisions(&records))
}

/// Loads one side as `check` does, with its digest.
pub fn side(
    dir: &Path,
    git_ref: Option<String>,
    which: &str,
) -> Result<(PolicySet, SideInfo), ImpactError> {
    let set = PolicySet::load(dir, false).map_err(|e| ImpactError::Side {
        which: which.to_owned(),
        at: git_ref.clone().unwrap_or_else(|| dir.display().to_string()),
        why: e.to_string(),
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
pub fn window_document(files: &[PathBuf], docs: &[Doc]) -> Option<crate::facts::Facts> {
    if let Some(path) = files.last() {
        return super::load(&Doc {
            path: path.clone(),
            origin: Origin::File,
        })
        .ok()
        .map(|l| l.facts);
    }
    let mut best: Option<crate::facts::Facts> = None;
    for doc in docs {
        if let Ok(loaded) = super::load(doc)
            && best.as_ref().is_none_or(|b| loaded.facts.now > b.now)
        {
            best = Some(loaded.facts);
        }
    }
    best
}

/// A private scratch directory, removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Self, ImpactError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("gatekeeper-impact-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| ImpactError::Write {
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

/// The `git` the config names, started without the secret variables.
pub struct LocalGit {
    pub program: String,
    pub secret_vars: Vec<String>,
}

impl LocalGit {
    pub fn of(config: Option<&Config>) -> Self {
        Self {
            program: config.map_or_else(|| "git".to_owned(), |c| c.programs.git.clone()),
            secret_vars: config.map(Config::secret_vars).unwrap_or_default(),
        }
    }
}

fn git(local: &LocalGit, dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = crate::secrets::without_secrets(
        &mut std::process::Command::new(&local.program),
        &local.secret_vars,
    )
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
    local: &LocalGit,
    git_ref: Option<&str>,
    candidate: &Path,
    scratch: &Path,
) -> Result<(String, PathBuf), ImpactError> {
    let usage = ImpactError::Base;
    let (label, commit) = match git_ref {
        Some(r) => {
            let commit = git(local, candidate, &["rev-parse", "--verify", "--quiet", &format!("{r}^{{commit}}")])
                .map_err(|e| usage(format!("--base {r:?} is not a commit of the repository of {}: {e}; give a branch, tag or SHA, or --base-dir DIR", candidate.display())))?;
            (r.to_owned(), commit.trim().to_owned())
        }
        None => {
            let branch = ["origin/HEAD", "origin/main", "origin/master", "main", "master"]
                .into_iter()
                .find(|b| git(local, candidate, &["rev-parse", "--verify", "--quiet", b]).is_ok())
                .ok_or_else(|| usage(format!("no base branch found for {} (origin/HEAD, origin/main, origin/master, main, master): give --base REF or --base-dir DIR", candidate.display())))?;
            let commit = git(local, candidate, &["merge-base", "HEAD", branch]).map_err(|e| {
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
    let names = git(local, candidate, &["ls-tree", "--name-only", &commit]).map_err(|e| {
        usage(format!(
            "the policies {} are not in {label}: {e}; give --base-dir DIR",
            candidate.display()
        ))
    })?;
    let dir = scratch.join("base");
    std::fs::create_dir_all(&dir).map_err(|source| ImpactError::Write {
        path: dir.clone(),
        source,
    })?;
    for name in names.lines().filter(|n| n.ends_with(".rego")) {
        let text = git(local, candidate, &["show", &format!("{commit}:./{name}")])
            .map_err(|e| usage(format!("cannot read {name} at {label}: {e}")))?;
        crate::files::write_replacing(&dir.join(name), &text, &[]).map_err(|e| {
            ImpactError::Write {
                path: e.path().to_owned(),
                source: match e {
                    crate::files::FileError::Io { source, .. } => source,
                    other => {
                        std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string())
                    }
                },
            }
        })?;
    }
    Ok((label, dir))
}
