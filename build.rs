//! Describes the build for `gatekeeper --version` and the audit records: the version,
//! the git commit (when git and a repository are there at build time), `-dirty` when
//! tracked files differed from it, and the date. Needs nothing but std; without git
//! the commit is "unknown commit".

use std::path::PathBuf;
use std::process::Command;

#[path = "build/describe.rs"]
mod describe;

/// The tracked paths the binary is built from: a change to any is `-dirty`.
const COMPILED_IN: [&str; 5] = ["src", "build", "build.rs", "Cargo.toml", "Cargo.lock"];

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/describe.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    // Only a commit from this crate's own repository counts (not one the source
    // tree happens to sit inside).
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let top = git(&["rev-parse", "--show-toplevel"]).map(PathBuf::from);
    let ours = top
        .as_deref()
        .and_then(|t| t.canonicalize().ok())
        .zip(PathBuf::from(&manifest).canonicalize().ok())
        .is_some_and(|(t, m)| t == m);
    let sha = if ours {
        git(&["rev-parse", "--short=12", "HEAD"])
    } else {
        None
    };
    // Uncommitted changes to the tracked files compiled in, staged or not (new
    // untracked files do not count). `--no-optional-locks`: never rewrite the index
    // while building.
    let mut status = vec![
        "--no-optional-locks",
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
    ];
    status.extend(COMPILED_IN);
    let dirty = sha.is_some() && describe::is_dirty(git(&status).as_deref());
    if ours {
        // Whatever is compiled in changing makes the question worth asking again (a
        // directory is watched with everything under it). Docs and tests are not in
        // the binary: they neither make it dirty nor rebuild it.
        for path in COMPILED_IN {
            if std::path::Path::new(path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
        // A new commit or checkout changes HEAD or the ref it names: describe again.
        // Only paths that exist: cargo reruns a script on every build while a path it
        // watches is missing. The branch's directory catches a loose ref appearing.
        let watch = |p: &str| {
            if std::path::Path::new(p).exists() {
                println!("cargo:rerun-if-changed={p}");
            }
        };
        for path in ["HEAD", "packed-refs"] {
            if let Some(p) = git(&["rev-parse", "--path-format=absolute", "--git-path", path]) {
                watch(&p);
            }
        }
        if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"])
            && let Some(p) = git(&[
                "rev-parse",
                "--path-format=absolute",
                "--git-path",
                &reference,
            ])
        {
            watch(&p);
            if let Some(dir) = std::path::Path::new(&p).parent() {
                watch(&dir.display().to_string());
            }
        }
    }
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_secs())
        });
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!(
        "cargo:rustc-env=GATEKEEPER_LONG_VERSION={}",
        describe::long_version(&version, sha.as_deref(), dirty, seconds)
    );
}
