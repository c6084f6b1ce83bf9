//! Unknown keys in `gatekeeper.toml`: every one of them, each with the nearest known
//! key, before the typed parse (which would stop at the first, as "not valid TOML").
//! The known keys are read from the config types themselves (the field names serde
//! derives), so this list cannot drift from them.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::{
    Config, GithubConfig, JenkinsConfig, NewRelicConfig, Programs, RepoConfig, StepConfig,
    TargetConfig,
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

/// The known key closest to `key` by edit distance, when it is a likely typo: at
/// most a third of the key's length away (at least 1), or a shortening of it.
fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = (key.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (strsim::levenshtein(key, k), *k))
        .filter(|(d, k)| *d <= limit || (key.len() >= 3 && k.starts_with(key)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The field names serde derives for `T`: asked of a deserializer that answers
/// nothing but records what the struct asks for.
fn fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    match T::deserialize(FieldNames) {
        Err(Captured(Some(fields))) => fields,
        _ => &[],
    }
}

struct FieldNames;

#[derive(Debug)]
struct Captured(Option<&'static [&'static str]>);

impl std::fmt::Display for Captured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names captured")
    }
}

impl std::error::Error for Captured {}

impl de::Error for Captured {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Captured(None)
    }
}

impl<'de> Deserializer<'de> for FieldNames {
    type Error = Captured;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Captured> {
        Err(Captured(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Captured> {
        Err(Captured(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
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
            fields::<Programs>(),
            fields::<TargetConfig>(),
            fields::<RepoConfig>(),
            fields::<StepConfig>(),
        ] {
            for key in fields {
                let row = format!("| `{key}` |");
                let table = ["jenkins", "newrelic", "github", "programs", "targets"]
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
