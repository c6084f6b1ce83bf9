//! The record-first rule, the one place it is written: a runbook records the
//! production SHA once, as its first step, on every run (no `when`), so that no
//! step can change production before it and a rollback always has the SHA to
//! restore; `extra_steps` (run after the runbook) never record it. Config
//! validation and the runbook's typed plan (`crate::runbook::Plan`) both ask
//! [`breaches`] and only word the answer their own way.

use super::{StepConfig, When};

/// A step as the rule sees it: a step of the config or of a plan.
pub trait RuleStep {
    fn step_name(&self) -> &str;
    /// It records the production SHA (`builtin = "record_production"`).
    fn records_production(&self) -> bool;
    fn step_when(&self) -> When;
}

impl RuleStep for StepConfig {
    fn step_name(&self) -> &str {
        &self.name
    }
    fn records_production(&self) -> bool {
        self.builtin == Some(super::Builtin::RecordProduction)
    }
    fn step_when(&self) -> When {
        self.when
    }
}

/// One way a runbook breaks the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breach {
    /// No step records the production SHA.
    Never,
    /// This many steps record it.
    Times(usize),
    /// The named step runs before it is recorded.
    RunsBefore(String),
    /// The record step runs only under this `when`.
    OnlyWhen(When),
    /// An extra step (run after the runbook) records it.
    InExtraSteps,
}

/// Every breach of the rule by `steps` (`None`: the default steps, which keep it)
/// followed by `extra` (the `extra_steps`), in the order they are reported.
pub fn breaches<S: RuleStep>(steps: Option<&[S]>, extra: &[S]) -> Vec<Breach> {
    let mut found = Vec::new();
    if extra.iter().any(RuleStep::records_production) {
        found.push(Breach::InExtraSteps);
    }
    let Some(steps) = steps else {
        return found;
    };
    let records = steps.iter().filter(|s| s.records_production()).count();
    match steps.first() {
        _ if records == 0 => found.push(Breach::Never),
        _ if records > 1 => found.push(Breach::Times(records)),
        Some(first) if !first.records_production() => {
            found.push(Breach::RunsBefore(first.step_name().to_owned()));
        }
        _ => {}
    }
    if let Some(record) = steps.iter().find(|s| s.records_production())
        && record.step_when() != When::Always
    {
        found.push(Breach::OnlyWhen(record.step_when()));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Builtin;

    fn step(name: &str, record: bool, when: When) -> StepConfig {
        StepConfig {
            name: name.to_owned(),
            command: if record {
                Vec::new()
            } else {
                vec!["ttmscalr".to_owned()]
            },
            when,
            manual: false,
            builtin: record.then_some(Builtin::RecordProduction),
            timeout_minutes: None,
        }
    }

    #[test]
    fn each_breach_is_named_once() {
        let record = step("record", true, When::Always);
        let deploy = step("deploy", false, When::Always);
        let none: &[StepConfig] = &[];
        assert_eq!(breaches(Some(&[record.clone(), deploy.clone()]), none), []);
        assert_eq!(breaches::<StepConfig>(None, none), []);
        assert_eq!(
            breaches(Some(std::slice::from_ref(&deploy)), none),
            [Breach::Never]
        );
        assert_eq!(
            breaches(Some(&[deploy.clone(), record.clone()]), none),
            [Breach::RunsBefore("deploy".to_owned())]
        );
        assert_eq!(
            breaches(
                Some(&[record.clone(), deploy.clone(), record.clone()]),
                none
            ),
            [Breach::Times(2)]
        );
        let sometimes = step("record", true, When::Migrations);
        assert_eq!(
            breaches(Some(&[sometimes, deploy.clone()]), none),
            [Breach::OnlyWhen(When::Migrations)]
        );
        assert_eq!(
            breaches(None, std::slice::from_ref(&record)),
            [Breach::InExtraSteps]
        );
    }
}
