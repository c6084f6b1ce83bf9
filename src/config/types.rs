//! The typed parse of `gatekeeper.toml`, reporting every type error at once, each
//! naming its key: serde stops at the first, so each wrong value is named, its line
//! set aside, and the parse tried again.

use super::{Config, located};

/// How many wrong values one parse reports at most.
const MAX_TYPE_ERRORS: usize = 50;

/// The config, or every type error (each `KEY (line N): what is wrong`).
pub(super) fn typed(text: &str) -> Result<Config, Vec<String>> {
    let mut text = text.to_owned();
    let mut problems = Vec::new();
    let mut set_aside: Vec<String> = Vec::new();
    for _ in 0..MAX_TYPE_ERRORS {
        let e = match toml::from_str::<Config>(&text) {
            Ok(config) if problems.is_empty() => return Ok(config),
            Ok(_) => return Err(problems),
            Err(e) => e,
        };
        // A required key whose wrong value was set aside: already named.
        if set_aside
            .iter()
            .any(|k| e.message().contains(&format!("missing field `{k}`")))
        {
            return Err(problems);
        }
        let Some((line_no, line, header)) = e.span().and_then(|s| line_at(&text, s.start)) else {
            problems.push(located(&text, &e));
            return Err(problems);
        };
        let Some((key, value)) = line.split_once('=') else {
            problems.push(located(&text, &e));
            return Err(problems);
        };
        let key = key.trim().trim_matches('"').to_owned();
        let name = if header.is_empty() {
            key.clone()
        } else {
            format!("{header}.{key}")
        };
        let message = located(&text, &e);
        let what = message
            .split_once(": ")
            .map_or(message.as_str(), |(_, m)| m);
        problems.push(format!("{name} (line {line_no}): {what}"));
        // A value spread over lines cannot be set aside by its first line.
        let v = value.trim();
        if v.starts_with('[') && !v.ends_with(']') || v.starts_with('{') && !v.ends_with('}') {
            return Err(problems);
        }
        text = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i + 1 == line_no {
                    format!("# {l}")
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        set_aside.push(key);
    }
    Err(problems)
}

/// The line (1-based number and text) holding byte `at`, and the table header above
/// it (`targets.production`, without brackets; empty at the top level).
fn line_at(text: &str, at: usize) -> Option<(usize, String, String)> {
    let before = text.get(..at)?;
    let line_no = before.matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1)?.to_owned();
    let header = text
        .lines()
        .take(line_no - 1)
        .filter(|l| l.trim_start().starts_with('['))
        .last()
        .map(|l| {
            l.split('#')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(|c| c == '[' || c == ']')
                .to_owned()
        })
        .unwrap_or_default();
    Some((line_no, line, header))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_error_is_named_by_its_key_at_once() {
        let text = "audit_log = 5\ndeploy_minutes = \"60\"\n\n[newrelic]\naccount_id = \"x\"\n";
        let problems = typed(text).err().unwrap_or_default();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].starts_with("audit_log (line 1): "),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("deploy_minutes (line 2): "),
            "{problems:?}"
        );
        assert!(
            problems[2].starts_with("newrelic.account_id (line 5): "),
            "{problems:?}"
        );
    }
}
