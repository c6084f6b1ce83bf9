//! Throw-away git repositories for the runbook tests: bare origins of the two release
//! repos (master and rc), a bare deploy remote on the production SHA, and local
//! clones where the shipped config's `path = "../apangea"` finds them when the config
//! is written in `ROOT/work`. Also the recording `ttmscalr` stand-in on PATH.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs git with no user or system config, failing the test on an error; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The SHA `rev` names in the repository at `dir` (bare or not).
pub fn rev(dir: &Path, rev: &str) -> String {
    git(dir, &["rev-parse", rev])
}

/// The parents of a commit.
pub fn parents(dir: &Path, rev: &str) -> Vec<String> {
    git(dir, &["rev-list", "--parents", "-n", "1", rev])
        .split_whitespace()
        .skip(1)
        .map(str::to_owned)
        .collect()
}

fn commit_file(dir: &Path, file: &str, text: &str, message: &str) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", message]);
}

/// One release repo: its bare origin and the local clone the runbook works in.
pub struct Repo {
    pub origin: PathBuf,
    pub clone: PathBuf,
}

impl Repo {
    /// The head of `branch` on origin.
    pub fn origin_head(&self, branch: &str) -> String {
        rev(&self.origin, branch)
    }

    /// Pushes a new commit to origin's rc from a scratch clone (the release moved).
    pub fn move_rc(&self, scratch: &Path) -> String {
        let work = scratch.join(format!(
            "move-{}",
            self.origin.file_name().unwrap().to_string_lossy()
        ));
        git(
            scratch,
            &[
                "clone",
                "-q",
                "-b",
                "rc",
                self.origin.to_str().unwrap(),
                work.to_str().unwrap(),
            ],
        );
        commit_file(&work, "late.txt", "late\n", "A late change on rc");
        git(&work, &["push", "-q", "origin", "rc"]);
        self.origin_head("rc")
    }
}

/// The whole setup: two release repos and the deploy remote.
pub struct Release {
    pub root: PathBuf,
    /// Where the config is written (`ROOT/work`).
    pub work: PathBuf,
    pub apangea: Repo,
    pub lesson: Repo,
    /// The bare deploy remote (`aws-production`).
    pub deploy_remote: PathBuf,
    /// What production ran before the deploy.
    pub production_sha: String,
}

impl Release {
    /// Builds every repository under `root`.
    pub fn new(root: &Path) -> Release {
        let origins = root.join("origins");
        std::fs::create_dir_all(&origins).unwrap();
        let work = root.join("work");
        std::fs::create_dir_all(&work).unwrap();
        let deploy_remote = origins.join("aws-production.git");
        git(
            root,
            &[
                "init",
                "-q",
                "--bare",
                "-b",
                "master",
                deploy_remote.to_str().unwrap(),
            ],
        );
        let apangea = make_repo(root, "apangea", Some(&deploy_remote));
        let lesson = make_repo(root, "lesson-content", None);
        let production_sha = rev(&deploy_remote, "master");
        Release {
            root: root.to_owned(),
            work,
            apangea,
            lesson,
            deploy_remote,
            production_sha,
        }
    }

    pub fn deploy_head(&self) -> String {
        rev(&self.deploy_remote, "master")
    }
}

/// A bare origin with master and rc (rc one commit ahead), and a clone of it with
/// its own committer identity; the app's clone also knows the deploy remote, which
/// starts on the app's master.
fn make_repo(root: &Path, name: &str, deploy_remote: Option<&Path>) -> Repo {
    let origin = root.join("origins").join(format!("{name}.git"));
    git(
        root,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "master",
            origin.to_str().unwrap(),
        ],
    );
    let seed = root.join(format!("seed-{name}"));
    git(
        root,
        &["init", "-q", "-b", "master", seed.to_str().unwrap()],
    );
    commit_file(&seed, "README.md", &format!("{name}\n"), "Start");
    git(
        &seed,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&seed, &["push", "-q", "origin", "master"]);
    if let Some(remote) = deploy_remote {
        git(
            &seed,
            &["push", "-q", remote.to_str().unwrap(), "master:master"],
        );
    }
    git(&seed, &["checkout", "-q", "-b", "rc"]);
    commit_file(&seed, "feature.txt", "the release\n", "The release");
    git(&seed, &["push", "-q", "origin", "rc"]);

    let clone = root.join(name);
    git(
        root,
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    git(&clone, &["config", "user.name", "Release Manager"]);
    git(&clone, &["config", "user.email", "release@example.com"]);
    if let Some(remote) = deploy_remote {
        git(
            &clone,
            &["remote", "add", "aws-production", remote.to_str().unwrap()],
        );
    }
    Repo { origin, clone }
}

/// The recording `ttmscalr` stand-in, copied into `ROOT/bin`; returns the PATH to
/// give the binary (that directory first) and the log file it records to.
pub fn ttmscalr_stand_in(root: &Path) -> (String, PathBuf) {
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(
        crate::support::fixture("bin/ttmscalr"),
        bin.join("ttmscalr"),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (path, root.join("ttmscalr.log"))
}

/// The runs the stand-in recorded, one argument line each.
pub fn ttmscalr_runs(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}
