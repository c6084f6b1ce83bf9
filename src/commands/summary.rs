//! The end of a deploy or rollback as people read it: what ran and what did not,
//! what was pushed where per repo, where production stands, whether maintenance is
//! still on, and the exact command back, offered only when production moved.
//! Records that could not be written go to stderr as JSON lines, so that a CI log
//! keeps them. The text is [`crate::rollout::summary`]; this picks the [`Outcome`].

use std::io::Write;
use std::path::Path;

use crate::audit::RunOutcome;
use crate::rollout::RunReport;
use crate::rollout::summary::text;

use super::Outcome;

/// Writes the summary of `report` to `out` (unwritten records to stderr) and says
/// how the command ended.
pub(crate) fn print(
    out: &mut dyn Write,
    report: &RunReport,
    config: &Path,
    ttmscalr: &str,
) -> Outcome {
    for unrecorded in &report.unrecorded {
        eprintln!(
            "gatekeeper: error: {}\ngatekeeper: the record that could not be written:\n{}",
            unrecorded.error, unrecorded.record
        );
    }
    let _ = out.write_all(text(report, config, ttmscalr).as_bytes());
    let _ = out.flush();
    match (report.outcome, report.signal) {
        // Every step ran, but a record of it is lost: that is not a success.
        (RunOutcome::Ok, _) if !report.unrecorded.is_empty() => Outcome::Failure,
        (RunOutcome::Ok, _) => Outcome::Success,
        (RunOutcome::Aborted, Some(signal)) => Outcome::Interrupted(signal),
        _ => Outcome::Failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::summary::tests::report;
    use crate::runbook::Unrecorded;

    #[test]
    fn a_finished_run_whose_record_is_lost_is_not_a_success() {
        let mut r = report(Some("aaa1111"), Ok(Some("bbb2222")));
        r.outcome = RunOutcome::Ok;
        r.stop = None;
        assert_eq!(
            print(&mut Vec::new(), &r, Path::new("g.toml"), "t"),
            Outcome::Success
        );
        r.unrecorded.push(Unrecorded {
            record: "{}".to_owned(),
            error: "disk full".to_owned(),
        });
        let mut out = Vec::new();
        assert_eq!(
            print(&mut out, &r, Path::new("g.toml"), "t"),
            Outcome::Failure
        );
        assert!(String::from_utf8_lossy(&out).contains("audit log could not be written"));
    }
}
