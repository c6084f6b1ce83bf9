//! The one reply gatekeeper keeps per target on an issue: found again by its first
//! line (a marker), it says what was asked, the answer, the run's link, and, while
//! a `/deploy` or `/rollback` waits for its confirmation, what it waits for (in an
//! HTML comment nobody sees). Also the judgement of a confirmation against it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The first line of the reply for `target`.
pub fn marker(target: &str) -> String {
    format!("<!-- gatekeeper:chatops:{target} -->")
}

const PENDING: &str = "<!-- gatekeeper:pending ";

/// What a confirmation must match: the same person, the same SHA, in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// `deploy` or `rollback`.
    pub command: String,
    /// The login that asked, the only one who may confirm.
    pub actor: String,
    /// The full SHA judged (the app's release head; for a rollback, what production runs).
    pub sha: String,
    pub until: DateTime<Utc>,
}

impl Pending {
    pub fn short(&self) -> &str {
        short(&self.sha)
    }

    fn line(&self) -> String {
        // Logins, hex and a time never hold `-->`.
        format!(
            "{PENDING}{} -->",
            serde_json::to_string(self).unwrap_or_default()
        )
    }
}

/// The first seven characters of a SHA.
pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// The pending confirmation a reply's body holds, if any.
pub fn pending_of(body: &str) -> Option<Pending> {
    body.lines().find_map(|line| {
        let json = line.strip_prefix(PENDING)?.strip_suffix(" -->")?;
        serde_json::from_str(json).ok()
    })
}

/// A reply, before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub target: String,
    /// What was asked, by whom (`/check production` by @alice).
    pub asked: String,
    pub body: String,
    pub pending: Option<Pending>,
    /// How to put production back, when the run moved it.
    pub rollback: Option<String>,
    /// The CI run that wrote the reply.
    pub run_url: Option<String>,
}

impl Reply {
    pub fn render(&self) -> String {
        let mut out = marker(&self.target);
        out.push('\n');
        if let Some(p) = &self.pending {
            out.push_str(&p.line());
            out.push('\n');
        }
        out.push_str(&format!("**gatekeeper** · {}\n\n", self.asked));
        out.push_str(self.body.trim_end());
        out.push('\n');
        if let Some(run) = &self.run_url {
            out.push_str(&format!("\n<sub>[the gatekeeper run]({run})</sub>\n"));
        }
        if let Some(rollback) = &self.rollback {
            out.push_str(&format!("\nProduction moved. To put it back: {rollback}\n"));
        }
        out
    }
}

/// `existing` (a reply's body) with `note` added at the end, its pending
/// confirmation kept: a refused confirmation changes nothing else.
pub fn with_note(existing: &str, note: &str) -> String {
    format!("{}\n\n> {note}\n", existing.trim_end())
}

/// Why a confirmation does nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No `/deploy` (or `/rollback`) waits in the reply.
    NothingPending,
    OtherPerson {
        asker: String,
    },
    OtherSha {
        expected: String,
    },
    TooLate {
        until: DateTime<Utc>,
    },
}

impl Refusal {
    /// The sentence the reply adds, for `login` confirming `command` of `target`.
    pub fn say(&self, login: &str, command: &str, target: &str) -> String {
        match self {
            Self::NothingPending => format!(
                "@{login}: no `/{command} {target}` waits for a confirmation here: ask `/{command} {target}` first. Nothing was run."
            ),
            Self::OtherPerson { asker } => format!(
                "@{login}: only @{asker}, who asked, may confirm this `/{command} {target}`. Nothing was run."
            ),
            Self::OtherSha { expected } => format!(
                "@{login}: the confirmation names another SHA than the one judged ({expected}): reply `/{command} {target} confirm {expected}` to go on. Nothing was run."
            ),
            Self::TooLate { until } => format!(
                "@{login}: the confirmation came after {}, when this `/{command} {target}` expired: ask `/{command} {target}` again. Nothing was run.",
                until.format("%Y-%m-%d %H:%M UTC")
            ),
        }
    }
}

/// Whether `login`'s confirmation of `command` naming `sha` at `now` goes on.
pub fn judge(
    pending: Option<&Pending>,
    command: &str,
    login: &str,
    sha: &str,
    now: DateTime<Utc>,
) -> Result<Pending, Refusal> {
    let Some(p) = pending.filter(|p| p.command == command) else {
        return Err(Refusal::NothingPending);
    };
    // GitHub logins are case-insensitive.
    if !p.actor.eq_ignore_ascii_case(login) {
        return Err(Refusal::OtherPerson {
            asker: p.actor.clone(),
        });
    }
    if now > p.until {
        return Err(Refusal::TooLate { until: p.until });
    }
    if sha.len() < 7 || !p.sha.starts_with(sha) {
        return Err(Refusal::OtherSha {
            expected: p.short().to_owned(),
        });
    }
    Ok(p.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Pending {
        Pending {
            command: "deploy".to_owned(),
            actor: "alice".to_owned(),
            sha: "3f2a9c1e8b7d6a5f4e3d2c1b0a99887766554433".to_owned(),
            until: "2026-11-24T19:10:00Z".parse().unwrap(),
        }
    }

    fn at(t: &str) -> DateTime<Utc> {
        t.parse().unwrap()
    }

    #[test]
    fn a_reply_keeps_its_pending_confirmation_through_a_note() {
        let reply = Reply {
            target: "production".to_owned(),
            asked: "`/deploy production` by @alice".to_owned(),
            body: "The gate allows.".to_owned(),
            pending: Some(pending()),
            rollback: None,
            run_url: Some("https://github.com/o/r/actions/runs/1".to_owned()),
        };
        let text = reply.render();
        assert!(
            text.starts_with("<!-- gatekeeper:chatops:production -->\n"),
            "{text}"
        );
        assert_eq!(pending_of(&text), Some(pending()));
        let noted = with_note(&text, "@bob: only @alice may confirm");
        assert_eq!(pending_of(&noted), Some(pending()));
        assert!(noted.ends_with("> @bob: only @alice may confirm\n"));
    }

    #[test]
    fn only_the_asker_with_the_judged_sha_in_time_goes_on() {
        let p = pending();
        let now = at("2026-11-24T19:05:00Z");
        assert!(judge(Some(&p), "deploy", "Alice", "3f2a9c1", now).is_ok());
        assert_eq!(
            judge(Some(&p), "deploy", "bob", "3f2a9c1", now),
            Err(Refusal::OtherPerson {
                asker: "alice".to_owned()
            })
        );
        assert_eq!(
            judge(Some(&p), "deploy", "alice", "9b8a7c6", now),
            Err(Refusal::OtherSha {
                expected: "3f2a9c1".to_owned()
            })
        );
        assert_eq!(
            judge(
                Some(&p),
                "deploy",
                "alice",
                "3f2a9c1",
                at("2026-11-24T19:10:01Z")
            ),
            Err(Refusal::TooLate { until: p.until })
        );
        assert_eq!(
            judge(Some(&p), "rollback", "alice", "3f2a9c1", now),
            Err(Refusal::NothingPending)
        );
        assert_eq!(
            judge(None, "deploy", "alice", "3f2a9c1", now),
            Err(Refusal::NothingPending)
        );
    }
}
