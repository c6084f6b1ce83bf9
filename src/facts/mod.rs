//! The facts document: the policies' `input`. Its fields are documented, one by one,
//! in `policies/FACTS.md`; change both together and bump [`SCHEMA`] when a field
//! changes meaning. A source that failed leaves its section absent (`None`) and adds
//! an entry to `errors`, so that the checks which need it fail with the reason.
//! This module holds data only: it never fetches and never judges. Beside the
//! types, `load` reads a recorded document strictly and `verify` checks that it is
//! consistent and about the configured target before anything is judged on it.

mod load;
mod request;
mod verify;
mod window;

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use load::FACTS_CAP_MIB;
pub use request::Request;
pub use verify::{Expected, ExpectedRepo, MAX_WINDOW_MINUTES};
pub use window::{Segment, Window, plan_window};

/// The facts document's schema version.
pub const SCHEMA: u32 = 4;

#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("cannot read facts file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "facts file {path} is not a gatekeeper facts document: {message}; record one with `gatekeeper facts TARGET > FILE`"
    )]
    Malformed { path: String, message: String },
    #[error(
        "facts file {path} has schema {found}, this gatekeeper reads schema {SCHEMA}; record it again with `gatekeeper facts TARGET`"
    )]
    Schema { path: String, found: u32 },
    #[error(
        "facts file {path} is {what}, not a regular file of at most {FACTS_CAP_MIB} MiB: pass a facts document recorded with `gatekeeper facts TARGET > FILE`"
    )]
    NotAFile { path: String, what: String },
    #[error(
        "facts file {path} is for target {found:?}, not {wanted:?}: record the facts of {wanted} with `gatekeeper facts {wanted} > FILE`"
    )]
    Target {
        path: String,
        found: String,
        wanted: String,
    },
    #[error(
        "facts file {path} is {found}: save it as UTF-8 (without a byte-order mark), or record it again with `gatekeeper facts TARGET > FILE`"
    )]
    Encoding { path: String, found: String },
    #[error(
        "facts file {path} {problem} (line {line}): a facts document gives each field once, so nobody reads one value where gatekeeper judges another; keep the right one, or record the facts again with `gatekeeper facts TARGET > FILE`"
    )]
    Strict {
        path: String,
        problem: String,
        line: usize,
    },
    #[error(
        "facts file {path} {problem}: correct or remove it, or record the facts again with `gatekeeper facts TARGET > FILE`"
    )]
    Unknown { path: String, problem: String },
    #[error(
        "facts file {path} is not a consistent record (edited by hand, or damaged), and gatekeeper judges none of it:\n  - {problems}\nrecord the facts again with `gatekeeper facts {target} > FILE`"
    )]
    Inconsistent {
        path: String,
        target: String,
        problems: String,
    },
    #[error(
        "facts file {path} is not about target {target} as {config} configures it:\n  - {differences}\nrecord the facts again with `gatekeeper facts {target} > FILE`"
    )]
    Foreign {
        path: String,
        config: String,
        target: String,
        differences: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub schema: u32,
    pub target: String,
    /// The instant the decision is made for (RFC 3339, UTC).
    pub now: DateTime<Utc>,
    pub now_unix: i64,
    /// IANA zone in which teaching hours, holidays and freezes are read.
    pub timezone: String,
    pub window: Window,
    /// `--downtime` was given.
    pub downtime_requested: bool,
    /// Checks a person asked to override, with the reason (break-glass).
    #[serde(default)]
    pub overrides: Vec<OverrideRequest>,
    /// The deploy repo's base branch head: what production runs now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<Production>,
    pub repos: Vec<RepoFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Throughput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notices: Option<Vec<Notice>>,
    /// New Relic issues open (activated or created, not closed) on the app's entity;
    /// `[]` when none; absent when they could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incidents: Option<Vec<Incident>>,
    #[serde(default)]
    pub errors: Vec<SourceError>,
    /// Who asked through a comment (`gatekeeper chatops`); absent at a terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
}

/// An open New Relic issue on the app's entity (NerdGraph `aiIssues`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    pub title: String,
    /// CRITICAL, HIGH, MEDIUM or LOW.
    pub priority: String,
    /// ACTIVATED or CREATED.
    pub state: String,
    /// The entities the issue is about, by name.
    pub entities: Vec<String>,
    /// When it was activated; null while only created.
    pub activated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideRequest {
    pub check: String,
    pub reason: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Production {
    pub repo: String,
    pub branch: String,
    pub sha: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoFacts {
    /// "owner/name".
    pub name: String,
    pub jenkins_job: String,
    pub release_branch: String,
    pub base_branch: String,
    /// Head SHA of the release branch; absent when GitHub could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<CiBuild>,
    /// Open pull requests release_branch -> base_branch (normally one; empty when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_requests: Option<Vec<PullRequest>>,
    /// Files added under db/migrate/ between `migrations_base` and the release head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrations: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrations_base: Option<String>,
    /// Commits of the base branch that the release head lacks (GitHub compare
    /// `base_branch...release head`); absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behind_by: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CiBuild {
    pub number: u64,
    /// SUCCESS, UNSTABLE, FAILURE, NOT_BUILT, ABORTED, or null while building.
    pub result: Option<String>,
    pub building: bool,
    /// The commit of this repo the build built; null when no checkout of it was recorded.
    pub sha: Option<String>,
    pub url: String,
    pub started_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    pub url: String,
    pub title: String,
    pub head_sha: String,
    pub labels: Vec<String>,
    /// What the body says about dependencies.
    #[serde(flatten)]
    pub release_notes: ReleaseNotes,
    /// Every review, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Vec<Review>>,
}

/// A release pull request's body as the `release_dependencies` check reads it,
/// read from what GitHub shows (`sources::rendered`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseNotes {
    /// List items of the body's Dependencies sections (and rows of a table in
    /// them), in order.
    pub dependencies: Vec<Dependency>,
    /// The body has a Dependencies section (a heading, a label paragraph, a list
    /// item or a `<details>` naming it), even an empty one.
    pub dependencies_section: bool,
    /// Every task item outside the Dependencies sections, in order, with the
    /// sections it sits in: the policy decides which sections do not block.
    pub tasks: Vec<Task>,
}

/// A task item outside every Dependencies section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub text: String,
    /// The box is ticked.
    pub done: bool,
    /// The names of the sections around it, outermost first (`["Release", "QA"]`).
    pub sections: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub text: String,
    /// The box is ticked (always false for a plain item).
    pub done: bool,
    /// A task item (`- [ ]`); false for a plain list item, which cannot be ticked.
    pub task: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// Login; null for a deleted account.
    pub user: Option<String>,
    /// APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING.
    pub state: String,
    pub commit_id: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub app: String,
    pub rpm: f64,
    pub window_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub number: u64,
    pub url: String,
    pub title: String,
    /// When the notice in its current words went out: the later of its creation and
    /// the last edit of its body (an edit restarts the lead and needs vetting again).
    pub sent_at: DateTime<Utc>,
    pub sent_unix: i64,
    pub created_at: DateTime<Utc>,
    /// The body's last edit; null when it was never edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// The five fields (and target) as parsed from the body; a field that is missing
    /// or unreadable is absent, and when unreadable or given twice, named in `problems`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_unix: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_local: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_unix: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experience: Option<String>,
    pub problems: Vec<String>,
    /// False when the body was edited after `now`: its text at `now` is unknown, so
    /// the fields are absent and it can never pass.
    pub text_known: bool,
    /// Every comment, oldest first by `at`.
    pub comments: Vec<NoticeComment>,
}

impl Notice {
    /// The notice as it stood at `now`: `None` when it was opened after `now`; its
    /// text unknown (the fields gone, `sent_at` its creation) when its body was
    /// last edited after `now`, since the text it had then is not known. Its
    /// comments likewise.
    pub fn as_of(mut self, now: DateTime<Utc>) -> Option<Notice> {
        if self.created_at > now {
            return None;
        }
        if self.sent_at > now {
            self.text_known = false;
            self.sent_at = self.created_at;
            self.sent_unix = self.created_at.timestamp();
            self.target = None;
            self.start = None;
            self.start_unix = None;
            self.start_local = None;
            self.minutes = None;
            self.end_unix = None;
            self.nature = None;
            self.affected = None;
            self.experience = None;
            self.problems.clear();
        }
        let mut comments: Vec<NoticeComment> = std::mem::take(&mut self.comments)
            .into_iter()
            .filter_map(|c| c.as_of(now))
            .collect();
        comments.sort_by_key(|c| c.at);
        self.comments = comments;
        Some(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeComment {
    /// Login; null for a deleted account.
    pub user: Option<String>,
    /// The comment's last edit, or its creation when never edited (or when its
    /// text is unknown).
    pub at: DateTime<Utc>,
    pub at_unix: i64,
    pub created_at: DateTime<Utc>,
    /// The last edit; null when never edited. After `now` when the text is unknown.
    pub edited_at: Option<DateTime<Utc>>,
    /// Who made the last edit (GitHub's `editor`, confirmed by its content edits);
    /// null when never edited, or when GitHub names no one (a deleted account) or
    /// its edits disagree. A comment last edited by someone other than its author
    /// is not the author's word.
    pub editor: Option<String>,
    /// False when the comment was edited after `now`: it existed then, with a text
    /// that is unknown, so it has no command and the policy cannot count it.
    pub text_known: bool,
    /// GitHub hides the comment (a maintainer minimized it: outdated, resolved,
    /// spam…); the policy does not count its `/proceed`.
    pub minimized: bool,
    /// A line of the comment is exactly `/proceed` (whitespace aside).
    pub proceed: bool,
    /// A line of the comment is exactly `/reschedule` (whitespace aside).
    pub reschedule: bool,
    /// Lines that start with `/proceed` or `/reschedule` but say more: not commands.
    pub not_commands: Vec<String>,
}

impl NoticeComment {
    /// The comment as it stood at `now`: `None` when written after `now`; its text
    /// unknown (no command, `at` its creation) when last edited after `now`.
    pub fn as_of(mut self, now: DateTime<Utc>) -> Option<NoticeComment> {
        if self.created_at > now {
            return None;
        }
        if self.at > now {
            self.text_known = false;
            self.at = self.created_at;
            self.at_unix = self.created_at.timestamp();
            self.proceed = false;
            self.reschedule = false;
            self.not_commands.clear();
        }
        Some(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceError {
    /// "jenkins", "newrelic", "github" or "notices".
    pub source: String,
    pub message: String,
    /// The release repo ("owner/name") the error is about, when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The field of that repo the error left unknown (`release_sha`,
    /// `pull_requests`, `migrations`, `behind_by`, `ci`), when it is about one:
    /// a check names only the errors behind the facts it lacks. Without `repo`,
    /// the top-level fact it left unknown (`incidents`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
}

impl Facts {
    /// Reads a recorded facts document: whole (every key once, each one a facts
    /// field, of its type and schema), consistent (see `verify`) and about `target`.
    pub fn load(path: &Path, target: &str) -> Result<Self, FactsError> {
        let facts = load::read(path)?;
        let shown = path.display().to_string();
        if facts.target != target {
            return Err(FactsError::Target {
                path: shown,
                found: facts.target,
                wanted: target.to_owned(),
            });
        }
        let (_, problems) = verify::problems(&facts);
        if !problems.is_empty() {
            return Err(FactsError::Inconsistent {
                path: shown,
                target: target.to_owned(),
                problems: problems.join("\n  - "),
            });
        }
        Ok(facts)
    }

    /// Refuses a document that is not about the target as the config describes it
    /// (another release's repos, another zone or deploy repo): it would be judged as
    /// if it were.
    pub fn check_configured(
        &self,
        path: &Path,
        config: &Path,
        want: &Expected<'_>,
    ) -> Result<(), FactsError> {
        let differences = self.differences(want);
        if differences.is_empty() {
            return Ok(());
        }
        Err(FactsError::Foreign {
            path: path.display().to_string(),
            config: config.display().to_string(),
            target: self.target.clone(),
            differences: differences.join("\n  - "),
        })
    }

    /// Moves the clock and the planned window (for `--at`, `--start`, `--minutes`);
    /// local times are computed again in the document's zone. What did not exist yet
    /// at the new clock is left out ([`Facts::as_of`]), as when collecting with `--at`.
    pub fn replan(
        &mut self,
        now: DateTime<Utc>,
        start: Option<DateTime<Utc>>,
        minutes: u32,
        tz: chrono_tz::Tz,
    ) {
        self.now = now;
        self.now_unix = now.timestamp();
        self.window = plan_window(start.unwrap_or(now), minutes, tz);
        self.as_of(now);
    }

    pub fn add_error(&mut self, source: &str, message: impl Into<String>) {
        self.errors.push(SourceError {
            source: source.to_owned(),
            message: message.into(),
            repo: None,
            fact: None,
        });
    }

    /// Records a source error that left one top-level fact unknown (`incidents`).
    pub fn add_fact_error(&mut self, source: &str, fact: &str, message: impl Into<String>) {
        self.errors.push(SourceError {
            source: source.to_owned(),
            message: message.into(),
            repo: None,
            fact: Some(fact.to_owned()),
        });
    }

    /// Records a source error about one release repo, and the field of it that the
    /// error left unknown when it is about one.
    pub fn add_repo_error(
        &mut self,
        source: &str,
        repo: &str,
        fact: Option<&str>,
        message: impl Into<String>,
    ) {
        self.errors.push(SourceError {
            source: source.to_owned(),
            message: message.into(),
            repo: Some(repo.to_owned()),
            fact: fact.map(str::to_owned),
        });
    }
}
