//! Running a plan: one step at a time, each within its time limit, until a step
//! fails, times out, is interrupted (SIGINT, SIGTERM, SIGHUP), or its record cannot
//! be written; later steps never start then. The result is an [`Execution`] of what ran,
//! what it pushed where, and why it stopped. It never prints: the [`Observer`] shows
//! progress, writes the records and asks people.

use std::time::{Duration, Instant};

use super::plan::{Action, Maintenance, PlannedStep};
use super::signals::Interruption;
pub use super::step::{Observer, Push, StepResult, StepStatus, Unrecorded};
pub(crate) use super::step::{StepError, run_one};
use super::{Context, builtin, verify};

/// Why a run stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Failed {
        step: String,
        message: String,
    },
    TimedOut {
        step: String,
        message: String,
    },
    /// `step` is the one that was running, if one was.
    Interrupted {
        step: Option<String>,
        signal: Interruption,
    },
    /// The record of (or announcing) `step` could not be written.
    Unrecorded {
        step: String,
        unrecorded: Unrecorded,
    },
}

impl Stop {
    /// The step it stopped at, if any.
    pub fn step(&self) -> Option<&str> {
        match self {
            Self::Failed { step, .. }
            | Self::TimedOut { step, .. }
            | Self::Unrecorded { step, .. } => Some(step),
            Self::Interrupted { step, .. } => step.as_deref(),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Execution {
    /// The steps that started (or were skipped), in order.
    pub results: Vec<StepResult>,
    /// What production ran before the push (from the record step).
    pub production_before: Option<String>,
    /// Why it stopped early; `None` when every step ran.
    pub stop: Option<Stop>,
    /// Maintenance was (or may have been) turned on and not off again.
    pub maintenance_on: bool,
}

impl Execution {
    pub fn ok(&self) -> bool {
        self.stop.is_none()
    }

    /// Every push that went through, in order.
    pub fn pushed(&self) -> impl Iterator<Item = &Push> {
        self.results.iter().flat_map(|r| r.pushed.iter())
    }

    /// The steps of `plan` that would have run but did not start.
    pub fn not_run<'a>(&self, plan: &'a [PlannedStep]) -> Vec<&'a str> {
        let started = self
            .results
            .len()
            // A step stopped for its announcing record is in results only when it ran.
            .min(plan.len());
        plan.iter()
            .skip(started)
            .filter(|s| s.skip.is_none())
            .map(|s| s.name.as_str())
            .collect()
    }
}

/// Runs the plan in order; the first failure, timeout, interruption or unwritten
/// record stops it.
pub fn run(plan: &[PlannedStep], ctx: &Context, observer: &mut dyn Observer) -> Execution {
    let mut report = Execution::default();
    let total = plan.len();
    for (i, step) in plan.iter().enumerate() {
        if let Some(signal) = ctx.children.watch.received() {
            report.stop = Some(Stop::Interrupted { step: None, signal });
            break;
        }
        if let Err(unrecorded) = observer.started(i + 1, total, step) {
            report.stop = Some(Stop::Unrecorded {
                step: step.name.clone(),
                unrecorded,
            });
            break;
        }
        let started = Instant::now();
        let mut result = StepResult {
            name: step.name.clone(),
            outcome: StepStatus::Ok,
            duration: Duration::ZERO,
            commands: Vec::new(),
            production_sha: None,
            pushed: Vec::new(),
        };
        result.outcome = match &step.skip {
            Some(reason) => StepStatus::Skipped(reason.clone()),
            None => match execute(step, ctx, started + step.timeout, observer, &mut result) {
                Ok(()) => StepStatus::Ok,
                Err(StepError::Failed(message)) => StepStatus::Failed(message),
                Err(StepError::TimedOut(message)) => StepStatus::TimedOut(message),
                Err(StepError::Interrupted(signal)) => StepStatus::Interrupted(signal),
            },
        };
        result.duration = started.elapsed();
        let recorded = observer.finished(step, &result);
        match (&result.outcome, step.maintenance) {
            (StepStatus::Skipped(_) | StepStatus::Failed(_), _) | (_, None) => {}
            // Stopped half-way, maintenance may be on: say so rather than guess.
            (_, Some(Maintenance::On)) => report.maintenance_on = true,
            (StepStatus::Ok, Some(Maintenance::Off)) => report.maintenance_on = false,
            (_, Some(Maintenance::Off)) => {}
        }
        if let Some(sha) = &result.production_sha {
            report.production_before = Some(sha.clone());
        }
        let stop = match &result.outcome {
            StepStatus::Failed(message) => Some(Stop::Failed {
                step: step.name.clone(),
                message: message.clone(),
            }),
            StepStatus::TimedOut(message) => Some(Stop::TimedOut {
                step: step.name.clone(),
                message: message.clone(),
            }),
            StepStatus::Interrupted(signal) => Some(Stop::Interrupted {
                step: Some(step.name.clone()),
                signal: *signal,
            }),
            StepStatus::Ok | StepStatus::Skipped(_) => {
                recorded.err().map(|unrecorded| Stop::Unrecorded {
                    step: step.name.clone(),
                    unrecorded,
                })
            }
        };
        report.results.push(result);
        if stop.is_some() {
            report.stop = stop;
            break;
        }
    }
    report
}

fn execute(
    step: &PlannedStep,
    ctx: &Context,
    deadline: Instant,
    observer: &mut dyn Observer,
    result: &mut StepResult,
) -> Result<(), StepError> {
    match &step.action {
        Action::Run { program, args, dir } => {
            run_one(ctx, program, args, dir, deadline, observer, result).map(|_| ())
        }
        Action::Manual => {
            if observer.confirm_manual(step) {
                Ok(())
            } else if let Some(signal) = ctx.children.watch.received() {
                Err(StepError::Interrupted(signal))
            } else {
                Err(StepError::Failed("not confirmed by a person".to_owned()))
            }
        }
        Action::Merge => builtin::merge(ctx, deadline, observer, result),
        Action::RecordProduction => builtin::record_production(ctx, deadline, observer, result),
        Action::Verify { urls } => verify::verify(
            &ctx.target,
            urls,
            ctx.timeout,
            ctx.network.as_ref(),
            observer,
        )
        .map_err(StepError::Failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::testing::ctx;
    use std::path::Path;

    #[derive(Default)]
    struct Quiet {
        refuse_start_of: Option<String>,
    }
    impl Observer for Quiet {
        fn started(&mut self, _: usize, _: usize, step: &PlannedStep) -> Result<(), Unrecorded> {
            if self.refuse_start_of.as_deref() == Some(step.name.as_str()) {
                return Err(Unrecorded {
                    record: "{}".to_owned(),
                    error: "disk full".to_owned(),
                });
            }
            Ok(())
        }
        fn command(&mut self, _: &str) {}
        fn finished(&mut self, _: &PlannedStep, _: &StepResult) -> Result<(), Unrecorded> {
            Ok(())
        }
        fn confirm_manual(&mut self, _: &PlannedStep) -> bool {
            false
        }
    }

    fn step(name: &str, program: &str, dir: &Path, m: Option<Maintenance>) -> PlannedStep {
        PlannedStep {
            name: name.to_owned(),
            action: Action::Run {
                program: program.to_owned(),
                args: Vec::new(),
                dir: dir.to_owned(),
            },
            when: crate::config::When::Always,
            skip: None,
            maintenance: m,
            timeout: Duration::from_secs(60),
        }
    }

    #[test]
    fn verify_without_smoke_urls_fails_never_passes() {
        let c = ctx(false, false);
        // Built by hand: `plan` refuses a target without smoke URLs before this.
        let plan = vec![PlannedStep {
            name: "verify".to_owned(),
            action: Action::Verify { urls: Vec::new() },
            when: crate::config::When::Always,
            skip: None,
            maintenance: None,
            timeout: Duration::from_secs(60),
        }];
        assert_eq!(plan[0].describe(&c), ["no smoke URL: this step fails"]);
        let report = run(&plan, &c, &mut Quiet::default());
        let Some(Stop::Failed { step, message }) = report.stop else {
            panic!("{:?}", report.stop)
        };
        assert_eq!(step, "verify");
        assert!(
            message.contains("targets.production.smoke_urls is missing or empty"),
            "{message}"
        );
    }

    #[test]
    fn verify_fails_a_url_that_is_not_http() {
        let c = ctx(false, false);
        let plan = vec![PlannedStep {
            name: "verify".to_owned(),
            action: Action::Verify {
                urls: vec!["ftp://www.example.com/up".to_owned(), "up".to_owned()],
            },
            when: crate::config::When::Always,
            skip: None,
            maintenance: None,
            timeout: Duration::from_secs(60),
        }];
        let report = run(&plan, &c, &mut Quiet::default());
        let Some(Stop::Failed { message, .. }) = report.stop else {
            panic!("{:?}", report.stop)
        };
        assert!(
            message.contains("ftp://www.example.com/up is not an http:// or https:// URL"),
            "{message}"
        );
        assert!(message.contains("up is no URL"), "{message}");
    }

    #[test]
    fn a_failed_step_stops_the_run_and_maintenance_stays_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = ctx(true, false);
        c.repos[0].dir = dir.path().to_owned();
        let plan = vec![
            step("on", "true", dir.path(), Some(Maintenance::On)),
            step("boom", "false", dir.path(), None),
            step("off", "true", dir.path(), Some(Maintenance::Off)),
        ];
        let report = run(&plan, &c, &mut Quiet::default());
        assert_eq!(report.results.len(), 2);
        assert_eq!(report.stop.as_ref().unwrap().step(), Some("boom"));
        assert_eq!(report.not_run(&plan), ["off"]);
        assert!(report.maintenance_on);
    }

    #[test]
    fn a_step_whose_record_cannot_be_written_never_starts() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(false, false);
        let marker = dir.path().join("ran");
        let mut touch = step("touch", "touch", dir.path(), None);
        if let Action::Run { args, .. } = &mut touch.action {
            args.push(marker.display().to_string());
        }
        let plan = vec![step("first", "true", dir.path(), None), touch];
        let mut observer = Quiet {
            refuse_start_of: Some("touch".to_owned()),
        };
        let report = run(&plan, &c, &mut observer);
        assert!(matches!(report.stop, Some(Stop::Unrecorded { .. })));
        assert!(!marker.exists(), "the unannounced step ran");
        assert_eq!(report.not_run(&plan), ["touch"]);
    }

    /// A person presses Ctrl-C at a manual step's question.
    struct CtrlC(crate::runbook::signals::Watch);
    impl Observer for CtrlC {
        fn started(&mut self, _: usize, _: usize, _: &PlannedStep) -> Result<(), Unrecorded> {
            Ok(())
        }
        fn command(&mut self, _: &str) {}
        fn finished(&mut self, _: &PlannedStep, _: &StepResult) -> Result<(), Unrecorded> {
            Ok(())
        }
        fn confirm_manual(&mut self, _: &PlannedStep) -> bool {
            self.0.note_for_tests(rustix::process::Signal::INT.as_raw());
            false
        }
    }

    #[test]
    fn ctrl_c_at_a_manual_step_is_an_interruption_not_a_no() {
        let mut c = ctx(false, false);
        let watch = crate::runbook::signals::Watch::never();
        c.children.watch = watch.clone();
        let plan = vec![PlannedStep {
            name: "tell support".to_owned(),
            action: Action::Manual,
            when: crate::config::When::Always,
            skip: None,
            maintenance: None,
            timeout: Duration::from_secs(60),
        }];
        let report = run(&plan, &c, &mut CtrlC(watch));
        assert_eq!(
            report.stop,
            Some(Stop::Interrupted {
                step: Some("tell support".to_owned()),
                signal: Interruption::Int
            })
        );
    }

    #[test]
    fn an_unconfirmed_manual_step_fails() {
        let c = ctx(false, false);
        let plan = vec![PlannedStep {
            name: "tell support".to_owned(),
            action: Action::Manual,
            when: crate::config::When::Always,
            skip: None,
            maintenance: None,
            timeout: Duration::from_secs(60),
        }];
        let report = run(&plan, &c, &mut Quiet::default());
        let Some(Stop::Failed { message, .. }) = report.stop else {
            panic!("{:?}", report.stop)
        };
        assert!(message.contains("not confirmed"));
    }
}
