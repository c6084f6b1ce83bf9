// Shared by build.rs (which runs it) and src/build_info.rs (whose unit tests check it):
// how the build describes itself from what git and the clock say at build time.

/// The commit part of the version line: the abbreviated SHA git gives, with
/// `-dirty` when tracked files differed from that commit at build time, or an honest
/// "unknown commit" when there was no git or no repository (a tarball, a vendored copy).
pub fn commit_text(git_sha: Option<&str>, dirty: bool) -> String {
    match git_sha.map(str::trim) {
        Some(sha) if sha.len() >= 7 && sha.bytes().all(|b| b.is_ascii_hexdigit()) => {
            let mark = if dirty { "-dirty" } else { "" };
            format!("commit {sha}{mark}")
        }
        _ => "unknown commit".to_owned(),
    }
}

/// Whether `git status --porcelain --untracked-files=no` listed anything: a tracked
/// file changed, staged or not. No answer (no git) is not dirty: there is no commit
/// to differ from.
pub fn is_dirty(porcelain: Option<&str>) -> bool {
    porcelain.is_some_and(|s| !s.trim().is_empty())
}

/// The UTC calendar date (YYYY-MM-DD) of a Unix time, without a date crate.
pub fn utc_date(unix_seconds: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let days = i64::try_from(unix_seconds / 86_400).unwrap_or(0) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The whole version line after the program name.
pub fn long_version(
    version: &str,
    git_sha: Option<&str>,
    dirty: bool,
    unix_seconds: Option<u64>,
) -> String {
    let built = unix_seconds.map_or_else(|| "unknown date".to_owned(), utc_date);
    format!("{version} ({}, built {built})", commit_text(git_sha, dirty))
}
