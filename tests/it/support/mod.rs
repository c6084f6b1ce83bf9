//! Helpers shared by the integration tests: the binary with a hermetic environment,
//! paths into the repository, and JSON helpers.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub mod deployments;
pub mod git;
pub mod live;
pub mod raw;
pub mod release;
pub mod server;
pub mod world;

/// Proxy settings of the developer's shell, which would send the tests' local
/// requests elsewhere (any other `*_proxy`, in either case, is cleared too).
pub const PROXY_VARS: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Environment variables that must never leak from the developer's shell into a
/// test: the ones gatekeeper reads (any other `*_TOKEN`, `*_KEY`, `*_SECRET`,
/// `*_PASSWORD` is cleared too).
pub const SECRET_VARS: &[&str] = &[
    "GITHUB_TOKEN",
    "JENKINS_TOKEN",
    "NEW_RELIC_API_KEY",
    "GITHUB_STEP_SUMMARY",
    "GATEKEEPER_SIGNING_KEY",
];

/// What CI sets about the person, the build and its outputs: the tests set them
/// only on purpose (any other `GITHUB_*`, `JENKINS_*`, `NEW_RELIC_*`, `BUILD_*`,
/// `RUNNER_*` is cleared too).
pub const CI_VARS: &[&str] = &[
    "CI",
    "BUILD_TAG",
    "BUILD_USER_ID",
    "BUILD_URL",
    "GITHUB_ACTOR",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "JENKINS_URL",
];

/// Other variables gatekeeper reads that change what it does or says: how git
/// reaches a remote, who runs it, the terminal, backtraces.
pub const READ_VARS: &[&str] = &[
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "USERNAME",
    "LOGNAME",
    "COLUMNS",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
];

const SECRET_SUFFIXES: &[&str] = &["_TOKEN", "_KEY", "_SECRET", "_PASSWORD"];
const CI_PREFIXES: &[&str] = &["GITHUB_", "JENKINS_", "NEW_RELIC_", "BUILD_", "RUNNER_"];

/// Whether [`clean_env`] clears `name` from every child: a secret, proxy or CI
/// variable, named or of a family of them, or one gatekeeper reads.
pub fn cleared(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_VARS
        .iter()
        .chain(PROXY_VARS)
        .chain(CI_VARS)
        .chain(READ_VARS)
        .any(|v| *v == name)
        || upper.ends_with("_PROXY")
        || SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
        || CI_PREFIXES.iter().any(|p| upper.starts_with(p))
}

/// The one clean environment of every child a test starts (the binary, or
/// `script`/`bash` around it): every secret, proxy and CI variable of the
/// developer's shell or the runner cleared ([`cleared`]: the named ones, and
/// whichever of their families the test process has), no colour, no width, HOME at
/// `home`, USER `tester`. A test sets back only what it names, after this.
pub fn clean_env<'a>(
    cmd: &'a mut std::process::Command,
    home: &Path,
) -> &'a mut std::process::Command {
    let named = SECRET_VARS
        .iter()
        .chain(PROXY_VARS)
        .chain(CI_VARS)
        .chain(READ_VARS)
        .map(std::ffi::OsString::from);
    let inherited = std::env::vars_os()
        .map(|(name, _)| name)
        .filter(|name| name.to_str().is_none_or(cleared));
    for var in named.chain(inherited).collect::<Vec<_>>() {
        cmd.env_remove(var);
    }
    // A login, as on a workstation (an override names its person).
    cmd.env("NO_COLOR", "1")
        .env("USER", "tester")
        .env("HOME", home)
}

/// The gatekeeper binary run in `dir` with [`clean_env`] (HOME is `dir`), as a
/// plain process to spawn, signal or wrap.
pub fn binary_in(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("gatekeeper"));
    cmd.current_dir(dir);
    clean_env(&mut cmd, dir);
    cmd
}

/// `program ARGS` (`script`, `bash`) run in `dir` with [`clean_env`].
pub fn program_in(program: &str, dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    cmd.current_dir(dir);
    clean_env(&mut cmd, dir);
    cmd
}

/// Something that ended with an exit code: a process's output (a failure shows its
/// streams) or status, an `assert_cmd` assertion, or the code a helper returned.
pub trait Exited {
    fn exit_code(&self) -> Option<i32>;
    /// What a failed assertion shows besides the codes.
    fn shown(&self) -> String {
        String::new()
    }
}

impl Exited for std::process::Output {
    fn exit_code(&self) -> Option<i32> {
        self.status.code()
    }
    fn shown(&self) -> String {
        format!(
            "\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }
}

impl Exited for std::process::ExitStatus {
    fn exit_code(&self) -> Option<i32> {
        self.code()
    }
}

impl Exited for assert_cmd::assert::Assert {
    fn exit_code(&self) -> Option<i32> {
        self.get_output().exit_code()
    }
    fn shown(&self) -> String {
        self.get_output().shown()
    }
}

/// A code a helper took from a process (`-1` for none: killed by a signal).
impl Exited for i32 {
    fn exit_code(&self) -> Option<i32> {
        Some(*self)
    }
}

impl Exited for Option<i32> {
    fn exit_code(&self) -> Option<i32> {
        *self
    }
}

impl<T: Exited + ?Sized> Exited for &T {
    fn exit_code(&self) -> Option<i32> {
        (**self).exit_code()
    }
    fn shown(&self) -> String {
        (**self).shown()
    }
}

/// The one exit-code assertion (through [`assert_exit!`] or [`ExitAssert::exits`]):
/// `out` exited with `code`; else the failure says both codes, `why` and what `out`
/// shows.
#[track_caller]
pub fn check_exit(out: &impl Exited, code: i32, why: std::fmt::Arguments) {
    let got = out.exit_code();
    assert!(
        got == Some(code),
        "exit {got:?}, expected {code}: {why}{}",
        out.shown()
    );
}

/// `assert_exit!(out, 2)` or `assert_exit!(out, 2, "why {x}")`, like `assert_eq!`:
/// `out` (an [`Exited`]: output, status, code) exited with the code.
macro_rules! assert_exit {
    ($out:expr, $code:expr $(,)?) => {
        $crate::support::check_exit(&$out, $code, format_args!(""))
    };
    ($out:expr, $code:expr, $($why:tt)+) => {
        $crate::support::check_exit(&$out, $code, format_args!($($why)+))
    };
}
pub(crate) use assert_exit;

/// [`check_exit`] in an `assert_cmd` chain: `.assert().exits(1).stdout(…)`.
pub trait ExitAssert {
    fn exits(self, code: i32) -> Self;
}

impl ExitAssert for assert_cmd::assert::Assert {
    #[track_caller]
    fn exits(self, code: i32) -> Self {
        check_exit(&self, code, format_args!(""));
        self
    }
}

/// Sends the signal `name` (`INT`, `TERM`, `KILL`) to `child`, which must take it.
pub fn signal(child: &std::process::Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} {}", child.id());
}

/// The repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

pub fn policies() -> PathBuf {
    root().join("policies")
}

/// `gatekeeper` run in `dir`, with no tokens, no colour, and a throw-away HOME.
pub fn gatekeeper_in(dir: &Path) -> Command {
    Command::from_std(binary_in(dir))
}

/// `gatekeeper` run from the repository root (so `policies/` and `fixtures/` resolve).
pub fn gatekeeper() -> Command {
    gatekeeper_in(&root())
}

/// Runs `check --format json` and returns the exit code and the parsed decision.
pub fn decide(cmd: &mut Command) -> (i32, serde_json::Value) {
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let decision = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not a decision ({e}), exit {code}\nstdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, decision)
}

/// The ids of the failing checks of a decision, in order.
pub fn failing(decision: &serde_json::Value) -> Vec<String> {
    decision["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The check with this id.
pub fn check<'a>(decision: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    decision["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {decision}"))
}

/// A copy of the shipped policies with `file` edited as a release manager would:
/// each `(from, to)` replaces text that must be there.
pub fn edited_policies(file: &str, edits: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(policies()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let edited = dir.path().join(file);
    let mut text = std::fs::read_to_string(&edited).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{file} has no {from:?}");
        text = text.replace(from, to);
    }
    std::fs::write(&edited, text).unwrap();
    dir
}

#[test]
fn assert_exit_passes_on_the_code_and_shows_the_streams_otherwise() {
    let out = program_in("sh", &root())
        .args(["-c", "echo said; echo warned >&2; exit 3"])
        .output()
        .unwrap();
    assert_exit!(out, 3);
    assert_exit!(out.status, 3);
    assert_exit!(3, 3, "a code a helper returned");
    let failed = std::panic::catch_unwind(|| assert_exit!(out, 0, "why"));
    let message = *failed.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.contains("exit Some(3), expected 0: why")
            && message.contains("stdout:\nsaid")
            && message.contains("stderr:\nwarned"),
        "{message}"
    );
}
