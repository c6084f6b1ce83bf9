//! `--format junit`: one `<testsuite>` named after the target, one `<testcase>` per
//! check (classname `gatekeeper.TARGET`, name the check id), so that Jenkins' JUnit
//! plugin shows each runbook check as a test. A failing check is a `<failure>` whose
//! message is the detail; `skip` is `<skipped>`. An overridden failure stays a
//! `<failure>` (type `overridden`, message naming who and why): a break-glass deploy
//! must stay visible in CI. Evidence is not rendered here. No I/O.

use chrono::DateTime;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::RenderError;
use crate::decision::{Check, Decision, Status};

pub fn render(decision: &Decision) -> Result<String, RenderError> {
    let mut suite = TestSuite::new(decision.target.as_str());
    if let Ok(at) = DateTime::parse_from_rfc3339(&decision.evaluated_at) {
        suite.set_timestamp(at);
    }
    suite.add_properties([
        Property::new("allow", decision.allow.to_string()),
        Property::new("downtime", decision.downtime.to_string()),
        Property::new("evaluated_at", decision.evaluated_at.as_str()),
    ]);
    let classname = format!("gatekeeper.{}", decision.target);
    for check in &decision.checks {
        let mut case = TestCase::new(check.id.as_str(), status(check));
        case.set_classname(classname.as_str());
        case.set_system_out(format!("{}: {}", check.title, check.detail));
        suite.add_test_case(case);
    }
    let mut report = Report::new("gatekeeper");
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
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(check.detail.as_str())
                .set_type("fail")
                .set_description(format!("{}: {}", check.title, check.detail));
            s
        }
        (Status::Fail, Some(o)) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
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
