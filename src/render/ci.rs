//! What gatekeeper prints must never be read as a command by the CI runner that
//! logs it. A GitHub Actions runner reads `::name …::message` at the start of a
//! line (after blanks) and the legacy `##[name …]message` anywhere in a line. This
//! module owns the neutralising of both in every syntax gatekeeper prints (text and
//! markdown, JSON, XML) without changing what the output says, the wrapping of
//! printed text in `::stop-commands::<token>` … `::<token>::` (the runner's own way
//! to print untrusted text, with a fresh random token) when `GITHUB_ACTIONS` is set,
//! and the code points XML 1.0 does not allow. No I/O: it returns text.

use std::hash::{BuildHasher, Hasher};

/// The syntax of a text, for escaping it without changing what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Plain text, a table or markdown: a backslash (markdown shows `\[` as `[`).
    Text,
    /// JSON: `#` and `:` written as `\u0023` and `\u003a` inside strings.
    Json,
    /// XML: character references.
    Xml,
}

/// The syntax of a whole printed document: XML by its declaration, JSON when it
/// parses as JSON, else text.
pub fn syntax_of(text: &str) -> Syntax {
    let start = text.trim_start();
    if start.starts_with("<?xml") {
        Syntax::Xml
    } else if (start.starts_with('{') || start.starts_with('['))
        && serde_json::from_str::<serde_json::Value>(text).is_ok()
    {
        Syntax::Json
    } else {
        Syntax::Text
    }
}

/// `text` with no line that starts (after blanks) with `::` and no `##[`, written
/// in `syntax` so that it still says the same. Escaping twice changes nothing more.
pub fn neutralize(text: &str, syntax: Syntax) -> String {
    let (hash, colon) = match syntax {
        Syntax::Text => ("##\\[", "\\:"),
        Syntax::Json => ("\\u0023#[", "\\u003a"),
        Syntax::Xml => ("&#35;#[", "&#58;"),
    };
    text.split_inclusive('\n')
        .map(|line| {
            let line = line.replace("##[", hash);
            let blanks = line.len() - line.trim_start().len();
            match line.get(blanks..) {
                Some(rest) if rest.starts_with("::") => format!(
                    "{}{colon}{}",
                    line.get(..blanks).unwrap_or(""),
                    rest.get(1..).unwrap_or("")
                ),
                _ => line,
            }
        })
        .collect()
}

/// A fresh token nobody can guess (the process's random hash keys, the time, the
/// pid), 32 hex digits.
pub fn token() -> String {
    let mut out = String::new();
    for round in 0..2u8 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u8(round);
        h.write_u32(std::process::id());
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// `text` between `::stop-commands::TOKEN` and `::TOKEN::`, each on a line of its
/// own: nothing inside is a workflow command.
pub fn stop_commands(text: &str, token: &str) -> String {
    let mut out = format!("::stop-commands::{token}\n{text}");
    if !text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("::{token}::\n"));
    out
}

/// Whether the runner reading the output is GitHub Actions (`GITHUB_ACTIONS` set).
pub fn in_actions(env: &dyn Fn(&str) -> Option<String>) -> bool {
    env("GITHUB_ACTIONS").is_some_and(|v| !v.trim().is_empty())
}

/// What to print of `text`: neutralised in its own syntax and, in Actions, wrapped
/// in stop-commands. Empty text stays empty.
pub fn guard(text: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    if text.is_empty() {
        return String::new();
    }
    let safe = neutralize(text, syntax_of(text));
    if in_actions(env) {
        stop_commands(&safe, &token())
    } else {
        safe
    }
}

/// Whether XML 1.0 allows `c` in a document.
pub fn xml_allows(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// `text` with every code point XML 1.0 does not allow written out as `\u{…}`.
pub fn xml_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if xml_allows(c) {
                c.to_string()
            } else {
                c.escape_unicode().to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_neutralised_in_each_syntax_and_say_the_same() {
        let text = "- [ ] ##[notice title=x]ALLOW production\n  ::error::boom\nfine :: here\n";
        assert_eq!(
            neutralize(text, Syntax::Text),
            "- [ ] ##\\[notice title=x]ALLOW production\n  \\::error::boom\nfine :: here\n"
        );
        let json = serde_json::json!({"detail": "##[warning]x", "list": ["::set-output"]});
        let printed = serde_json::to_string_pretty(&json).unwrap();
        let safe = neutralize(&printed, syntax_of(&printed));
        assert!(!safe.contains("##["), "{safe}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&safe).unwrap(),
            json
        );
        let xml = "<?xml version=\"1.0\"?>\n<a>##[x]\n::y</a>\n";
        assert_eq!(
            neutralize(xml, syntax_of(xml)),
            "<?xml version=\"1.0\"?>\n<a>&#35;#[x]\n&#58;:y</a>\n"
        );
        // Twice is once.
        let once = neutralize(text, Syntax::Text);
        assert_eq!(neutralize(&once, Syntax::Text), once);
    }

    #[test]
    fn in_actions_the_text_is_between_stop_commands_with_a_fresh_token() {
        let actions = |v: &str| (v == "GITHUB_ACTIONS").then(|| "true".to_owned());
        let out = guard("a\n", &actions);
        let lines: Vec<&str> = out.lines().collect();
        let token = lines[0].strip_prefix("::stop-commands::").unwrap();
        assert_eq!(token.len(), 32);
        assert_eq!(lines[1], "a");
        assert_eq!(lines[2], format!("::{token}::"));
        assert_ne!(token, self::token());
        assert_eq!(guard("a\n", &|_| None), "a\n");
    }

    #[test]
    fn xml_text_writes_out_what_xml_forbids() {
        assert_eq!(
            xml_text("a\u{fffe}b\u{ffff}\u{1}\tc"),
            "a\\u{fffe}b\\u{ffff}\\u{1}\tc"
        );
    }
}
