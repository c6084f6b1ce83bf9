//! The New Relic issues open on the app, as `status` shows them: read once, never
//! judged (the `no_open_incident` check judges them in `check` and `deploy`).

use serde::Serialize;

use crate::config::Config;
use crate::facts::Incident;
use crate::net::Network;
use crate::sources::newrelic::blocking::NewRelic;

#[derive(Debug, Serialize)]
pub struct OpenIssues {
    app: String,
    open: Option<Vec<Incident>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The issues open on `app`, or why they could not be read (secrets scrubbed).
pub fn read(network: &Network, config: &Config, app: &str) -> OpenIssues {
    let env = |var: &str| std::env::var(var).ok();
    let redactor = crate::sources::redactor(config, &env);
    let found = NewRelic::connect(network, config, &env)
        .map_err(|e| e.to_string())
        .and_then(|nr| nr.open_issues(app).map_err(|e| e.to_string()));
    match found {
        Ok(open) => OpenIssues {
            app: app.to_owned(),
            open: Some(open),
            error: None,
        },
        Err(e) => OpenIssues {
            app: app.to_owned(),
            open: None,
            error: Some(redactor.scrub(&e)),
        },
    }
}

impl OpenIssues {
    /// The table's lines: a heading, then one line per issue, highest priority first.
    pub fn lines(&self) -> String {
        match (&self.open, &self.error) {
            (Some(open), _) if open.is_empty() => {
                format!("Open New Relic issues on {}: none\n", self.app)
            }
            (Some(open), _) => {
                let mut sorted: Vec<&Incident> = open.iter().collect();
                sorted.sort_by_key(|i| rank(&i.priority));
                let mut text = format!("Open New Relic issues on {}:\n", self.app);
                for i in sorted {
                    text.push_str(&format!(
                        "  {} {}{}: {} ({})\n",
                        i.priority,
                        i.state.to_lowercase(),
                        i.activated_at
                            .map(|t| format!(" since {}", t.format("%Y-%m-%d %H:%M UTC")))
                            .unwrap_or_default(),
                        i.title,
                        i.id
                    ));
                }
                text
            }
            (None, e) => format!(
                "Open New Relic issues on {}: unknown: {}\n",
                self.app,
                e.as_deref().unwrap_or("?")
            ),
        }
    }
}

fn rank(priority: &str) -> usize {
    crate::policy::PRIORITIES
        .iter()
        .position(|p| *p == priority)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(id: &str, priority: &str) -> Incident {
        Incident {
            id: id.to_owned(),
            title: format!("{priority} trouble"),
            priority: priority.to_owned(),
            state: "ACTIVATED".to_owned(),
            entities: vec!["apangea".to_owned()],
            activated_at: chrono::DateTime::from_timestamp(1_795_545_000, 0),
        }
    }

    #[test]
    fn status_lists_open_issues_highest_priority_first() {
        let open = OpenIssues {
            app: "apangea".to_owned(),
            open: Some(vec![issue("b", "LOW"), issue("a", "CRITICAL")]),
            error: None,
        };
        assert_eq!(
            open.lines(),
            "Open New Relic issues on apangea:\n  CRITICAL activated since 2026-11-24 18:30 UTC: CRITICAL trouble (a)\n  LOW activated since 2026-11-24 18:30 UTC: LOW trouble (b)\n"
        );
        let unknown = OpenIssues {
            app: "apangea".to_owned(),
            open: None,
            error: Some("HTTP 401".to_owned()),
        };
        assert_eq!(
            unknown.lines(),
            "Open New Relic issues on apangea: unknown: HTTP 401\n"
        );
    }
}
