//! Which build this is: version, git commit and build date, as `build.rs` found them.
//! `gatekeeper --version` prints it and audit records name it, so that every decision
//! can be traced to the code that made it. Owns nothing at run time but the string.

/// The version line, e.g. `0.1.0 (commit 3fdaa6b1a2c3, built 2026-11-25)`, with
/// `commit 3fdaa6b1a2c3-dirty` when tracked files had uncommitted changes at build
/// time, or `unknown commit` when the build had no git repository.
pub fn long_version() -> &'static str {
    env!("GATEKEEPER_LONG_VERSION")
}

#[cfg(test)]
#[path = "../build/describe.rs"]
mod describe;

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn a_build_without_git_says_unknown_commit() {
        assert_eq!(
            describe::long_version("0.1.0", None, false, Some(0)),
            "0.1.0 (unknown commit, built 1970-01-01)"
        );
        assert_eq!(
            describe::commit_text(Some("fatal: not a git repository"), false),
            "unknown commit"
        );
        assert_eq!(describe::commit_text(Some(""), false), "unknown commit");
        // No commit, nothing to be dirty against.
        assert_eq!(describe::commit_text(None, true), "unknown commit");
    }

    #[test]
    fn a_build_with_git_names_the_commit_and_the_utc_date() {
        assert_eq!(
            describe::long_version("0.1.0", Some("3fdaa6b1a2c3\n"), false, Some(1_795_651_200)),
            "0.1.0 (commit 3fdaa6b1a2c3, built 2026-11-26)"
        );
        assert_eq!(describe::utc_date(951_782_400), "2000-02-29");
        assert_eq!(
            describe::long_version("0.1.0", None, false, None),
            "0.1.0 (unknown commit, built unknown date)"
        );
    }

    #[test]
    fn a_build_with_uncommitted_changes_to_tracked_files_says_dirty() {
        assert_eq!(
            describe::long_version("0.1.0", Some("3fdaa6b1a2c3"), true, Some(1_795_651_200)),
            "0.1.0 (commit 3fdaa6b1a2c3-dirty, built 2026-11-26)"
        );
        assert!(describe::is_dirty(Some(" M src/main.rs\n")));
        assert!(describe::is_dirty(Some("M  Cargo.toml")));
        assert!(!describe::is_dirty(Some("")));
        assert!(!describe::is_dirty(None));
    }

    #[test]
    fn the_compiled_in_line_starts_with_the_package_version() {
        assert!(super::long_version().starts_with(concat!(env!("CARGO_PKG_VERSION"), " (")));
    }
}
