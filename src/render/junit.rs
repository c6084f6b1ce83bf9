//! `--format junit`: one `<testsuite>` named after the target, one `<testcase>` per
//! check (classname `gatekeeper.TARGET`, name the check id), shaped the way Jenkins'
//! JUnit plugin reads it:
//! - a check that fails on its facts is a `<failure>` (type `fail`) whose message is
//!   the detail; one that failed for want of data (a source was down or answered
//!   badly: `source_error` on the check) is an `<error>` (type `source_error`);
//! - `skip` is `<skipped>`;
//! - an overridden check does not fail the report (the gate allowed on it): it is
//!   `<skipped>` of type `overridden` whose message names who overrode it and why;
//! - every element carries `time` (the checks are judged in one evaluation, so each
//!   case takes 0 s), so that no reporter shows "NaN ms".
//!
//! [`undecided`] is the report of a run that made no decision (exit 2): one
//! `<error>` saying why, so that CI shows the cause instead of "no test report".
//! Evidence is not rendered here. No I/O.

use std::time::Duration;

use chrono::DateTime;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::RenderError;
use crate::decision::{Check, Decision, Status};

pub fn render(decision: &Decision) -> Result<String, RenderError> {
    let mut suite = TestSuite::new(decision.target.as_str());
    if let Ok(at) = DateTime::parse_from_rfc3339(&decision.evaluated_at) {
        suite.set_timestamp(at);
    }
    suite.set_time(Duration::ZERO);
    suite.add_properties([
        Property::new("allow", decision.allow.to_string()),
        Property::new("downtime", decision.downtime.to_string()),
        Property::new("evaluated_at", decision.evaluated_at.as_str()),
    ]);
    let classname = format!("gatekeeper.{}", decision.target);
    for check in &decision.checks {
        let mut case = TestCase::new(check.id.as_str(), status(check));
        case.set_classname(classname.as_str())
            .set_time(Duration::ZERO);
        case.set_system_out(format!("{}: {}", check.title, check.detail));
        suite.add_test_case(case);
    }
    finish(suite)
}

/// The report of a run that could not decide (exit 2): one test case, `decision`, in
/// error with `reason` as its message.
pub fn undecided(target: &str, reason: &str) -> Result<String, RenderError> {
    let mut suite = TestSuite::new(target);
    suite.set_time(Duration::ZERO);
    suite.add_property(Property::new("allow", "false"));
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status
        .set_message(format!("no decision could be made: {reason}"))
        .set_type("undecided")
        .set_description(format!(
            "gatekeeper could not decide whether {target} may be deployed (exit 2): {reason}"
        ));
    let mut case = TestCase::new("decision", status);
    case.set_classname(format!("gatekeeper.{target}"))
        .set_time(Duration::ZERO);
    suite.add_test_case(case);
    finish(suite)
}

fn finish(suite: TestSuite) -> Result<String, RenderError> {
    let mut report = Report::new("gatekeeper");
    report.set_time(Duration::ZERO);
    report.add_test_suite(suite);
    report
        .to_string()
        .map(|mut s| {
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        })
        .map_err(|e| RenderError::Encode {
            format: "junit",
            message: e.to_string(),
        })
}

fn status(check: &Check) -> TestCaseStatus {
    match (check.status, &check.overridden) {
        (Status::Pass, _) => TestCaseStatus::success(),
        (Status::Skip, _) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(check.detail.as_str());
            s
        }
        (Status::Fail, None) => {
            let (kind, ty) = if check.source_error {
                (NonSuccessKind::Error, "source_error")
            } else {
                (NonSuccessKind::Failure, "fail")
            };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_message(check.detail.as_str())
                .set_type(ty)
                .set_description(format!("{}: {}", check.title, check.detail));
            s
        }
        (Status::Fail, Some(o)) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!(
                "overridden by {}: {} (the check failed: {})",
                o.by, o.reason, check.detail
            ))
            .set_type("overridden")
            .set_description(format!("{}: {}", check.title, check.detail));
            s
        }
    }
}
