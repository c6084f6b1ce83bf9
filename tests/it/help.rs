//! Every subcommand's `--help` shows an example; completions print for each shell.

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
        &["completions"],
    ] {
        let out = gatekeeper().args(cmd).arg("--help").output().unwrap();
        assert!(out.status.success(), "{cmd:?}");
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
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for sub in ["check", "window", "notice", "downtime"] {
            assert!(text.contains(sub), "{shell} completions lack {sub}");
        }
    }
}
