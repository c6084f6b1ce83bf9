//! The runbook's steps as data: the default list (docs/runbook.md), the way a
//! config replaces (`steps`) or extends (`extra_steps`) it, and placeholder
//! substitution. Substitution works one argument at a time on config values only:
//! facts never reach a command line, and nothing is ever handed to a shell.

use std::collections::BTreeMap;

use crate::config::{Builtin, StepConfig, TargetConfig, When};

use super::RunbookError;

/// The placeholders a step's arguments may use.
pub const PLACEHOLDERS: &[&str] = &[
    "target",
    "deploy_remote",
    "release_branch",
    "base_branch",
    "app",
];

fn command(name: &str, when: When, argv: &[&str]) -> StepConfig {
    StepConfig {
        name: name.to_owned(),
        command: argv.iter().map(|a| (*a).to_owned()).collect(),
        when,
        manual: false,
        builtin: None,
        timeout_minutes: None,
    }
}

fn builtin(name: &str, which: Builtin) -> StepConfig {
    StepConfig {
        name: name.to_owned(),
        command: Vec::new(),
        when: When::Always,
        manual: false,
        builtin: Some(which),
        timeout_minutes: None,
    }
}

/// The default runbook (docs/runbook.md), without the final verify, which
/// always runs last and is not configurable.
pub fn default_steps() -> Vec<StepConfig> {
    vec![
        // First: nothing may change production before what it runs is on record.
        builtin("record the production SHA", Builtin::RecordProduction),
        command(
            "maintenance on",
            When::Downtime,
            &["ttmscalr", "maintenance", "on", "-f", "{target}"],
        ),
        builtin("merge {release_branch} into {base_branch}", Builtin::Merge),
        command(
            "push to {deploy_remote}",
            When::Always,
            &[
                "git",
                "push",
                "{deploy_remote}",
                "{base_branch}:{base_branch}",
            ],
        ),
        command(
            "migrate",
            When::Migrations,
            &["ttmscalr", "deploy:migrate", "{target}"],
        ),
        command("deploy", When::Always, &["ttmscalr", "deploy", "{target}"]),
        command(
            "maintenance off",
            When::Downtime,
            &["ttmscalr", "maintenance", "off", "-f", "{target}"],
        ),
    ]
}

/// The steps of a target: its `steps` or the defaults, then its `extra_steps`.
pub fn target_steps(target: &TargetConfig) -> Vec<StepConfig> {
    let mut steps = target.steps.clone().unwrap_or_else(default_steps);
    steps.extend(target.extra_steps.iter().cloned());
    steps
}

/// The values placeholders stand for.
#[derive(Debug, Clone)]
pub struct Values(BTreeMap<&'static str, String>);

impl Values {
    pub fn new(target_name: &str, target: &TargetConfig) -> Self {
        let mut map = BTreeMap::new();
        map.insert("target", target_name.to_owned());
        map.insert("deploy_remote", target.deploy_remote.clone());
        map.insert("release_branch", target.release_branch.clone());
        map.insert("base_branch", target.base_branch.clone());
        map.insert("app", target.app.clone());
        Self(map)
    }

    /// Replaces every `{name}` in `text`; an unknown name is an error that names the
    /// step, so a typo in config never runs as a literal argument.
    pub fn substitute(&self, text: &str, step: &str) -> Result<String, RunbookError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let (before, after) = rest.split_at(open);
            out.push_str(before);
            let Some(close) = after.find('}') else {
                out.push_str(after);
                return Ok(out);
            };
            let name = after.get(1..close).unwrap_or_default();
            match self.0.get(name) {
                Some(value) => out.push_str(value),
                None => {
                    return Err(RunbookError::Placeholder {
                        step: step.to_owned(),
                        placeholder: name.to_owned(),
                    });
                }
            }
            rest = after.get(close + 1..).unwrap_or_default();
        }
        out.push_str(rest);
        Ok(out)
    }

    pub fn substitute_all(&self, argv: &[String], step: &str) -> Result<Vec<String>, RunbookError> {
        argv.iter().map(|a| self.substitute(a, step)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> TargetConfig {
        toml::from_str(
            r#"
app = "apangea"
deploy_repo = "o/aws"
deploy_remote = "aws-production"
notices_repo = "o/notices"
[[repos]]
github = "o/apangea"
jenkins_job = "apangea-rc"
"#,
        )
        .unwrap()
    }

    #[test]
    fn placeholders_are_substituted_per_argument() {
        let values = Values::new("production", &target());
        let argv = vec![
            "push".to_owned(),
            "{deploy_remote}".to_owned(),
            "{base_branch}:{base_branch}".to_owned(),
        ];
        assert_eq!(
            values.substitute_all(&argv, "push").unwrap(),
            ["push", "aws-production", "master:master"]
        );
    }

    #[test]
    fn unknown_placeholder_is_an_error_naming_step_and_name() {
        let values = Values::new("production", &target());
        let err = values
            .substitute("{targte}", "deploy")
            .unwrap_err()
            .to_string();
        assert!(err.contains("targte") && err.contains("deploy"), "{err}");
    }

    #[test]
    fn a_value_is_never_substituted_again() {
        let mut t = target();
        t.deploy_remote = "{target}".to_owned();
        let values = Values::new("production", &t);
        assert_eq!(
            values.substitute("{deploy_remote}", "s").unwrap(),
            "{target}"
        );
    }

    #[test]
    fn defaults_follow_the_design_order() {
        let names: Vec<_> = default_steps().into_iter().map(|s| s.name).collect();
        // Pinned: the production SHA is recorded before anything can change it.
        assert_eq!(
            names,
            [
                "record the production SHA",
                "maintenance on",
                "merge {release_branch} into {base_branch}",
                "push to {deploy_remote}",
                "migrate",
                "deploy",
                "maintenance off",
            ]
        );
        // No team's own commands: only git and ttmscalr's deploy verbs.
        let rake = default_steps()
            .iter()
            .any(|s| s.command.iter().any(|a| a.contains("rake")));
        assert!(!rake);
        assert_eq!(default_steps()[0].builtin, Some(Builtin::RecordProduction));
        assert_eq!(default_steps()[0].when, When::Always);
    }

    #[test]
    fn the_seed_teams_cache_steps_live_in_this_repos_config() {
        let text = include_str!("../../gatekeeper.toml");
        let config =
            crate::config::Config::parse(text, std::path::Path::new("gatekeeper.toml")).unwrap();
        let names: Vec<_> = target_steps(config.target("production").unwrap())
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names.len(), default_steps().len() + 2, "{names:?}");
        assert_eq!(names[6], "clear the lesson player cache");
        assert_eq!(names[7], "prime the lesson player cache");
        assert_eq!(names[8], "maintenance off");
    }

    #[test]
    fn extra_steps_come_after_configured_ones() {
        let mut t = target();
        t.extra_steps = vec![StepConfig {
            name: "tell the team".to_owned(),
            command: Vec::new(),
            when: When::Always,
            manual: true,
            builtin: None,
            timeout_minutes: None,
        }];
        let steps = target_steps(&t);
        assert_eq!(steps.len(), default_steps().len() + 1);
        assert_eq!(steps.last().unwrap().name, "tell the team");
    }
}
