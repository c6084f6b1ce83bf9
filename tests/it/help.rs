//! Every subcommand's `--help` shows an example; completions print for each shell.

use crate::support::assert_exit;
use crate::support::gatekeeper;

#[test]
fn every_subcommand_help_has_an_example() {
    for cmd in [
        &["check"][..],
        &["facts"],
        &["deploy"],
        &["rollback"],
        &["policy", "test"],
        &["policy", "check"],
        &["window"],
        &["notice"],
        &["history"],
        &["chatops"],
        &["completions"],
    ] {
        let out = gatekeeper().args(cmd).arg("--help").output().unwrap();
        assert_exit!(out, 0, "{cmd:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("Example") && text.contains("gatekeeper "),
            "{cmd:?} --help has no example:\n{text}"
        );
    }
}

#[test]
fn completions_cover_the_subcommands_in_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = gatekeeper().args(["completions", shell]).output().unwrap();
        crate::support::assert_exit!(out, 0);
        let text = String::from_utf8(out.stdout).unwrap();
        for sub in ["check", "window", "notice", "downtime"] {
            assert!(text.contains(sub), "{shell} completions lack {sub}");
        }
    }
}

#[test]
fn version_names_the_commit_it_was_built_from_and_the_build_date() {
    let out = gatekeeper().arg("--version").output().unwrap();
    crate::support::assert_exit!(out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.trim_end();
    let rest = line
        .strip_prefix(concat!("gatekeeper ", env!("CARGO_PKG_VERSION"), " ("))
        .unwrap_or_else(|| panic!("{line}"));
    let (commit, built) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", built "))
        .unwrap_or_else(|| panic!("{line}"));
    // YYYY-MM-DD
    assert_eq!(built.len(), 10, "{line}");
    assert_eq!(built.matches('-').count(), 2, "{line}");
    // The test runs from the repository the binary was built from: when git can
    // name HEAD, the version names the same commit; otherwise it says so honestly.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(crate::support::root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_owned());
    // Uncommitted changes to the tracked files compiled in (the build reran on
    // them) add `-dirty`; docs and tests are not compiled in.
    let dirty = std::process::Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no", "--"])
        .args(["src", "build", "build.rs", "Cargo.toml", "Cargo.lock"])
        .current_dir(crate::support::root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| !o.stdout.trim_ascii().is_empty());
    let mark = if dirty { "-dirty" } else { "" };
    match head {
        Some(sha) => assert_eq!(commit, format!("commit {sha}{mark}"), "{line}"),
        None => assert_eq!(commit, "unknown commit", "{line}"),
    }
}
