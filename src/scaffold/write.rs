//! Writes what `gatekeeper init` sets up into a directory: never over a file
//! that exists.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Answers;

/// Why nothing (or not everything) was written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(
        "init never overwrites, and {} already exist(s); run it in a new or empty directory, or move them away",
        .0.join(", ")
    )]
    Exists(Vec<String>),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes every file of [`super::files`] under `dir`; none when any exists.
pub fn write(dir: &Path, answers: &Answers) -> Result<(), WriteError> {
    let files = super::files(answers);
    let existing: Vec<String> = files
        .iter()
        .map(|(rel, _)| dir.join(rel))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(WriteError::Exists(existing));
    }
    for (rel, text) in &files {
        write_new(&dir.join(rel), text)?;
    }
    Ok(())
}

fn write_new(path: &Path, text: &str) -> Result<(), WriteError> {
    let fail = |source| WriteError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)
}

/// What was written, and what to run next.
pub fn summary(dir: &Path, a: &Answers) -> String {
    let at = |rel: &str| dir.join(rel).display().to_string();
    format!(
        "Wrote {config}, {policies}/ (the shipped rules; your people and hours in settings.rego) and the demo facts {facts}/green.json and too-busy.json.\n\
         Next, in {dir}:\n  gatekeeper policy test\n  gatekeeper check {t} --facts fixtures/facts/green.json       # allow\n  \
         gatekeeper check {t} --facts fixtures/facts/too-busy.json    # deny\n  \
         gatekeeper deploy {t} --dry-run --facts fixtures/facts/green.json\n\
         Then set the tokens (JENKINS_TOKEN, NEW_RELIC_API_KEY, GITHUB_TOKEN) and run `gatekeeper check {t}`.\n\
         After editing policies/settings.rego, edit policies/settings_test.rego to match.\n",
        config = at("gatekeeper.toml"),
        policies = at("policies"),
        facts = at("fixtures/facts"),
        dir = dir.display(),
        t = a.target,
    )
}
