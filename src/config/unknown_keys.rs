//! Unknown keys in `gatekeeper.toml`: every one of them, each with the nearest known
//! key, before the typed parse (which would stop at the first, as "not valid TOML").
//! The known keys are read from the config types themselves (the field names serde
//! derives), so this list cannot drift from them.

use serde::Deserialize;

use super::{
    Config, GithubConfig, GuardConfig, JenkinsConfig, NewRelicConfig, Programs, RepoConfig,
    StepConfig, TargetConfig,
};

/// Every unknown key of the document, as a problem naming where it is and the
/// nearest known key.
pub fn unknown_keys(document: &toml::Table) -> Vec<String> {
    let mut problems = Vec::new();
    check::<Config>(document, "", &mut problems);
    for (name, fields) in [
        ("jenkins", fields::<JenkinsConfig>()),
        ("newrelic", fields::<NewRelicConfig>()),
        ("github", fields::<GithubConfig>()),
        ("programs", fields::<Programs>()),
        ("guard", fields::<GuardConfig>()),
    ] {
        if let Some(toml::Value::Table(table)) = document.get(name) {
            check_fields(table, name, fields, &mut problems);
        }
    }
    if let Some(toml::Value::Table(targets)) = document.get("targets") {
        for (name, target) in targets {
            let at = format!("targets.{name}");
            let toml::Value::Table(target) = target else {
                continue;
            };
            check::<TargetConfig>(target, &at, &mut problems);
            for (key, fields) in [
                ("repos", fields::<RepoConfig>()),
                ("steps", fields::<StepConfig>()),
                ("extra_steps", fields::<StepConfig>()),
            ] {
                if let Some(toml::Value::Array(items)) = target.get(key) {
                    for (i, item) in items.iter().enumerate() {
                        if let toml::Value::Table(table) = item {
                            check_fields(table, &format!("{at}.{key}[{i}]"), fields, &mut problems);
                        }
                    }
                }
            }
        }
    }
    problems
}

fn check<'de, T: Deserialize<'de>>(table: &toml::Table, at: &str, problems: &mut Vec<String>) {
    check_fields(table, at, fields::<T>(), problems);
}

fn check_fields(table: &toml::Table, at: &str, known: &[&str], problems: &mut Vec<String>) {
    for key in table.keys() {
        if known.contains(&key.as_str()) {
            continue;
        }
        let path = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        let place = if at.is_empty() {
            "at the top level".to_owned()
        } else {
            format!("in [{at}]")
        };
        let hint = match nearest(key, known) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("known keys: {}", known.join(", ")),
        };
        problems.push(format!("unknown key `{path}` {place}: {hint}"));
    }
}

fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    crate::field_names::nearest(key, known, 1)
}

fn fields<'de, T: serde::Deserialize<'de>>() -> &'static [&'static str] {
    crate::field_names::fields::<T>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_keys_come_from_the_config_types() {
        let top = fields::<Config>();
        assert!(top.contains(&"timeout_seconds"), "{top:?}");
        assert!(top.contains(&"targets"), "{top:?}");
        assert!(
            !top.contains(&"path"),
            "the skipped field is not a key: {top:?}"
        );
        assert!(fields::<StepConfig>().contains(&"builtin"));
        assert!(fields::<RepoConfig>().contains(&"jenkins_job"));
    }

    #[test]
    fn every_key_is_in_the_config_reference() {
        let reference = include_str!("../../docs/config.md");
        for fields in [
            fields::<Config>(),
            fields::<JenkinsConfig>(),
            fields::<NewRelicConfig>(),
            fields::<GithubConfig>(),
            fields::<GuardConfig>(),
            fields::<Programs>(),
            fields::<TargetConfig>(),
            fields::<RepoConfig>(),
            fields::<StepConfig>(),
        ] {
            for key in fields {
                let row = format!("| `{key}` |");
                let table = [
                    "jenkins", "newrelic", "github", "guard", "programs", "targets",
                ]
                .iter()
                .any(|t| key == t && reference.contains(&format!("`[{t}")));
                assert!(
                    reference.contains(&row) || table,
                    "docs/config.md has no row for `{key}`"
                );
            }
        }
    }

    #[test]
    fn every_unknown_key_is_named_with_the_nearest_known_one() {
        let document: toml::Table = toml::from_str(
            "timezon = \"UTC\"\n[newrelic]\naccount_id = 1\nwindow_minuts = 5\n\
             [targets.production]\napp = \"a\"\n[[targets.production.repos]]\ngithub = \"o/r\"\njenkins = \"x\"\n\
             [[targets.production.steps]]\nname = \"n\"\ncommand = [\"x\"]\nwhen_ = \"always\"\nzzzzzz = 1\n",
        )
        .unwrap();
        let problems = unknown_keys(&document);
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert_eq!(
            problems[0],
            "unknown key `timezon` at the top level: did you mean `timezone`?"
        );
        assert_eq!(
            problems[1],
            "unknown key `newrelic.window_minuts` in [newrelic]: did you mean `window_minutes`?"
        );
        assert!(
            problems[2].contains("`targets.production.repos[0].jenkins`"),
            "{problems:#?}"
        );
        assert!(
            problems[2].contains("did you mean `jenkins_job`?"),
            "{problems:#?}"
        );
        assert!(
            problems[3].contains("did you mean `when`?"),
            "{problems:#?}"
        );
        assert!(
            problems[4].contains("`targets.production.steps[0].zzzzzz`"),
            "{problems:#?}"
        );
        assert!(
            problems[4].contains("known keys: name, command"),
            "{problems:#?}"
        );
    }
}
