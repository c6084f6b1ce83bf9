//! A closed or full stdout or stderr never panics (exit 101): the documented exit
//! codes stand, whatever the streams can take.

use std::process::Stdio;

use crate::support::assert_exit;
use crate::support::{binary_in, program_in, root};

fn dev_full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
}

fn code_with(stdout: Stdio, stderr: Stdio, args: &[&str]) -> i32 {
    binary_in(&root())
        .args(args)
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .unwrap()
        .code()
        .unwrap_or(-1)
}

#[test]
fn an_error_with_stderr_full_keeps_exit_2() {
    let code = code_with(
        Stdio::null(),
        dev_full(),
        &["check", "production", "--facts", "missing.json"],
    );
    assert_exit!(code, 2);
}

#[test]
fn a_decision_with_stdout_and_stderr_full_is_exit_2_not_a_panic() {
    let code = code_with(
        dev_full(),
        dev_full(),
        &[
            "check",
            "production",
            "--facts",
            "fixtures/facts/green.json",
        ],
    );
    assert_exit!(code, 2);
}

#[test]
fn an_error_with_stderr_closed_keeps_exit_2() {
    let bin = assert_cmd::cargo::cargo_bin("gatekeeper");
    let status = program_in("sh", &root())
        .arg("-c")
        .arg(format!(
            "exec {:?} check production --facts missing.json 2>&-",
            bin
        ))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_exit!(status, 2);
}

#[test]
fn output_into_a_pipe_whose_reader_left_keeps_the_exit_code() {
    // `gatekeeper … 2>&1 | head -2`: the reader goes away before or while the
    // command writes.
    let mut child = binary_in(&root())
        .args(["check", "production", "--facts", "missing.json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    assert_exit!(child.wait().unwrap(), 2);
}
