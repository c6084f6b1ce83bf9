//! The table's way with a source that is down: the same failure, quoted by every
//! check and repo it touches, is said once under the table, with the checks it
//! affects; each detail keeps a short reference to it. Only the table does this:
//! JSON, JUnit and markdown keep every detail whole.

use crate::decision::Decision;

/// The sources whose failures the policies quote as `(SOURCE: message)`.
const SOURCES: [&str; 4] = ["jenkins", "newrelic", "github", "notices"];

/// One distinct failure: its source, its message without URLs, the checks it affects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub source: String,
    pub message: String,
    pub checks: Vec<String>,
}

/// Each check's detail with every quoted source failure replaced by a reference
/// (`jenkins failure [1], below`), and the distinct failures in order.
pub fn fold(decision: &Decision) -> (Vec<String>, Vec<Failure>) {
    let mut failures: Vec<Failure> = Vec::new();
    let mut details = Vec::new();
    for check in &decision.checks {
        let mut out = String::new();
        let mut rest = check.detail.as_str();
        while let Some((before, source, message, after)) = next_quote(rest) {
            out.push_str(before);
            let message = without_urls(message);
            let n = match failures
                .iter()
                .position(|f| f.source == source && f.message == message)
            {
                Some(i) => i,
                None => {
                    failures.push(Failure {
                        source: source.to_owned(),
                        message,
                        checks: Vec::new(),
                    });
                    failures.len() - 1
                }
            };
            if let Some(f) = failures.get_mut(n)
                && !f.checks.contains(&check.id)
            {
                f.checks.push(check.id.clone());
            }
            out.push_str(&format!("({source} failure [{}], below)", n + 1));
            rest = after;
        }
        out.push_str(rest);
        details.push(out);
    }
    (details, failures)
}

/// One line per distinct source failure in the facts (one cause met at many URLs
/// is one), with the repos it touched: "SOURCE (REPOS) could not be read: WHY".
pub fn unread(errors: &[crate::facts::SourceError]) -> Vec<String> {
    let mut distinct: Vec<(&str, String, Vec<String>)> = Vec::new();
    for e in errors {
        let message = without_urls(&e.message);
        let repo = e.repo.clone();
        match distinct
            .iter_mut()
            .find(|(s, m, _)| *s == e.source && *m == message)
        {
            Some((_, _, repos)) => repos.extend(repo),
            None => distinct.push((&e.source, message, repo.into_iter().collect())),
        }
    }
    distinct
        .into_iter()
        .map(|(source, message, repos)| {
            let about = if repos.is_empty() {
                String::new()
            } else {
                format!(" ({})", repos.join(", "))
            };
            format!("{source}{about} could not be read: {message}")
        })
        .collect()
}

/// The lines under the table: one per distinct failure.
pub fn lines(failures: &[Failure]) -> String {
    failures
        .iter()
        .enumerate()
        .map(|(i, f)| {
            format!(
                "[{}] {}: {} (affects {})\n",
                i + 1,
                f.source,
                f.message,
                f.checks.join(", ")
            )
        })
        .collect()
}

/// The first `(SOURCE: message)` in `text`, with balanced parentheses inside.
fn next_quote(text: &str) -> Option<(&str, &'static str, &str, &str)> {
    let mut from = 0;
    while let Some(at) = text.get(from..)?.find('(').map(|i| i + from) {
        let inner = text.get(at + 1..)?;
        if let Some(source) = SOURCES
            .iter()
            .find(|s| inner.starts_with(&format!("{s}: ")))
        {
            let body = inner.get(source.len() + 2..)?;
            let mut depth = 0usize;
            for (i, c) in body.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => {
                        return Some((text.get(..at)?, source, body.get(..i)?, body.get(i + 1..)?));
                    }
                    ')' => depth -= 1,
                    _ => {}
                }
            }
            return None;
        }
        from = at + 1;
    }
    None
}

/// A message with each URL replaced by `…`, so that one cause met at many URLs is
/// one failure.
pub(crate) fn without_urls(message: &str) -> String {
    message
        .split(' ')
        .map(|w| {
            if w.starts_with("http://") || w.starts_with("https://") {
                "…"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_quote_with_parentheses_inside() {
        let (before, source, message, after) =
            next_quote("x: no result (jenkins: GET https://j/a answered 503 (HTML), also) end")
                .unwrap();
        assert_eq!(before, "x: no result ");
        assert_eq!(source, "jenkins");
        assert_eq!(message, "GET https://j/a answered 503 (HTML), also");
        assert_eq!(after, " end");
        assert_eq!(without_urls(message), "GET … answered 503 (HTML), also");
    }
}
