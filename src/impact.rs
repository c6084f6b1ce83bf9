//! `policy impact`: replays facts documents (the archive, recorded fixtures, files
//! given) under a base and a candidate policy set and classes each document by how
//! the decision moved; optionally compares the windows the two sets allow over the
//! next days. Each document is judged at its own recorded `now` and window: nothing
//! is collected, and the clock is never read here. It never prints: the report is
//! data, rendered by `render::impact`.

pub mod inputs;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::audit::{Event, Record, ShadowVerdict, Verdict as RecordedVerdict, sha256};
use crate::decision::{Decision, Status};
use crate::facts::{Facts, plan_window};
use crate::planner::{self, Query, SearchError};
use crate::policy::{PolicySet, PreparedFacts};

/// The version of the report's JSON.
pub const SCHEMA: u32 = 1;

/// How a document's decision moved from the base to the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Deny under the base, allow under the candidate.
    Loosened,
    /// Allow under the base, deny under the candidate.
    Tightened,
    /// Same verdict, a check's status changed.
    CheckChanged,
    Unchanged,
    /// Either side could not decide (exit 2 for that document).
    Undecided,
    /// Another facts schema, or a digest that does not match the file.
    NotReplayable,
    /// The base's policies are the recorded ones, yet the replay differs from the record.
    Drift,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Loosened => "loosened",
            Class::Tightened => "tightened",
            Class::CheckChanged => "check_changed",
            Class::Unchanged => "unchanged",
            Class::Undecided => "undecided",
            Class::NotReplayable => "not_replayable",
            Class::Drift => "drift",
        }
    }
}

pub use crate::cli::FailOn;

/// Whether a document of `class` fails the run under `--fail-on`.
fn fails(fail_on: FailOn, class: Class) -> bool {
    match fail_on {
        FailOn::Loosened => class == Class::Loosened,
        FailOn::Tightened => class == Class::Tightened,
        FailOn::Any => !matches!(class, Class::Unchanged | Class::NotReplayable),
        FailOn::None => false,
    }
}

/// Where a document of the corpus comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Archive,
    Fixture,
    File,
}

/// One facts document to replay.
#[derive(Debug, Clone)]
pub struct Doc {
    pub path: PathBuf,
    pub origin: Origin,
}

/// What the audit log says was decided on a facts digest (the newest such record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub allow: bool,
    pub failing: Vec<String>,
    pub policies_sha256: Option<String>,
    pub shadow: Option<ShadowVerdict>,
}

/// The newest recorded decision per facts digest.
pub fn recorded_decisions(records: &[Record]) -> BTreeMap<String, Recorded> {
    let mut out = BTreeMap::new();
    for record in records {
        let gate = match &record.event {
            Event::Check(gate) => gate,
            _ => continue,
        };
        let Some(digest) = &gate.facts_sha256 else {
            continue;
        };
        let mut failing = gate.failing_checks.clone();
        failing.sort();
        out.insert(
            digest.clone(),
            Recorded {
                allow: gate.decision == RecordedVerdict::Allow,
                failing,
                policies_sha256: gate.policies_sha256.clone(),
                shadow: gate.shadow.clone(),
            },
        );
    }
    out
}

/// A side of the comparison, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct SideInfo {
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    pub dir: String,
    pub policies_sha256: String,
}

/// A verdict as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub allow: bool,
    pub failing: Vec<String>,
}

impl Finding {
    fn of(decision: &Decision) -> Self {
        let mut failing: Vec<String> = decision
            .failing()
            .filter(|c| c.overridden.is_none() && !c.advisory)
            .map(|c| c.id.clone())
            .collect();
        failing.sort();
        Self {
            allow: decision.allow,
            failing,
        }
    }
}

/// A check whose status or detail differs between the sides.
#[derive(Debug, Clone, Serialize)]
pub struct CheckChange {
    pub id: String,
    pub before: String,
    pub after: String,
    pub detail_before: String,
    pub detail_after: String,
}

/// One replayed document and how it moved.
#[derive(Debug, Clone, Serialize)]
pub struct Flip {
    pub class: Class,
    pub facts_sha256: String,
    pub source: String,
    pub origin: Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<Finding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub replayed: usize,
    pub unchanged: usize,
    pub loosened: usize,
    pub tightened: usize,
    pub check_changed: usize,
    pub undecided: usize,
    pub not_replayable: usize,
    pub drift: usize,
}

impl Summary {
    fn add(&mut self, class: Class) {
        self.replayed += 1;
        let slot = match class {
            Class::Unchanged => &mut self.unchanged,
            Class::Loosened => &mut self.loosened,
            Class::Tightened => &mut self.tightened,
            Class::CheckChanged => &mut self.check_changed,
            Class::Undecided => &mut self.undecided,
            Class::NotReplayable => &mut self.not_replayable,
            Class::Drift => &mut self.drift,
        };
        *slot += 1;
    }

    pub fn count(&self, class: Class) -> usize {
        match class {
            Class::Unchanged => self.unchanged,
            Class::Loosened => self.loosened,
            Class::Tightened => self.tightened,
            Class::CheckChanged => self.check_changed,
            Class::Undecided => self.undecided,
            Class::NotReplayable => self.not_replayable,
            Class::Drift => self.drift,
        }
    }
}

/// A range of start times whose state differs between the sides.
#[derive(Debug, Clone, Serialize)]
pub struct WindowChange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `from` in the facts' zone, for people.
    pub from_local: String,
    pub to_local: String,
    pub before: &'static str,
    pub after: &'static str,
    /// The checks whose status differs at `from`.
    pub because: Vec<String>,
    /// What the side that denies says about them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// How often the shadow policies agreed with the base's replay.
#[derive(Debug, Clone, Serialize)]
pub struct ShadowSummary {
    pub dir: String,
    pub policies_sha256: String,
    pub compared: usize,
    pub agreed: usize,
    /// Documents where they disagreed, by facts digest.
    pub disagreed: Vec<String>,
    /// Archived decisions that recorded a shadow verdict, and how many of them agreed.
    pub recorded: usize,
    pub recorded_agreed: usize,
}

/// The whole report (JSON `"schema": 1`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: u32,
    pub base: SideInfo,
    pub candidate: SideInfo,
    pub summary: Summary,
    pub flips: Vec<Flip>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows: Option<Vec<WindowChange>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shadow: Option<ShadowSummary>,
}

impl Report {
    pub fn new(base: SideInfo, candidate: SideInfo) -> Self {
        Self {
            schema: SCHEMA,
            base,
            candidate,
            summary: Summary::default(),
            flips: Vec::new(),
            windows: None,
            shadow: None,
        }
    }

    /// Adds a replayed document (every class but `unchanged` is listed in `flips`).
    pub fn add(&mut self, flip: Flip) {
        self.summary.add(flip.class);
        if flip.class != Class::Unchanged {
            self.flips.push(flip);
        }
    }

    /// Whether some document is in a class `fail_on` names.
    pub fn fails(&self, fail_on: FailOn) -> bool {
        self.flips.iter().any(|f| fails(fail_on, f.class))
    }
}

/// A document read and judged loadable, or why it is not replayable.
pub struct Loaded {
    pub facts: Facts,
    pub digest: String,
}

/// Reads a document as `check --facts` does; an archive file must also hash to the
/// digest its name gives.
pub fn load(doc: &Doc) -> Result<Loaded, (String, String)> {
    let bytes =
        std::fs::read(&doc.path).map_err(|e| (String::new(), format!("cannot read it: {e}")))?;
    let digest = sha256(&bytes);
    if doc.origin == Origin::Archive {
        let named = doc
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(crate::archive::digest_of_name);
        if named != Some(digest.as_str()) {
            return Err((
                digest,
                "digest mismatch: the file's sha256 is not the one its name gives (altered or truncated)"
                    .to_owned(),
            ));
        }
    }
    let target = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("target").and_then(|t| t.as_str()).map(str::to_owned))
        .ok_or_else(|| {
            (
                digest.clone(),
                "not a facts document: no \"target\" string".to_owned(),
            )
        })?;
    let facts = Facts::load(&doc.path, &target).map_err(|e| (digest.clone(), e.to_string()))?;
    Ok(Loaded { facts, digest })
}

/// Replays one document under both sides and classes it.
pub fn replay(
    base: &mut PolicySet,
    base_sha256: &str,
    candidate: &mut PolicySet,
    doc: &Doc,
    recorded: &BTreeMap<String, Recorded>,
) -> Flip {
    let source = doc.path.display().to_string();
    let mut flip = Flip {
        class: Class::Unchanged,
        facts_sha256: String::new(),
        source,
        origin: doc.origin,
        target: None,
        evaluated_at: None,
        before: None,
        after: None,
        recorded: None,
        checks: Vec::new(),
        reason: None,
    };
    let loaded = match load(doc) {
        Ok(loaded) => loaded,
        Err((digest, reason)) => {
            flip.class = Class::NotReplayable;
            flip.facts_sha256 = digest;
            flip.reason = Some(reason);
            return flip;
        }
    };
    flip.facts_sha256 = loaded.digest.clone();
    flip.target = Some(loaded.facts.target.clone());
    flip.evaluated_at = Some(
        loaded
            .facts
            .now
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    let before = base.evaluate(&loaded.facts);
    let after = candidate.evaluate(&loaded.facts);
    let (before, after) = match (before, after) {
        (Ok(b), Ok(a)) => (b.decision, a.decision),
        (b, a) => {
            flip.class = Class::Undecided;
            let mut why = Vec::new();
            if let Err(e) = &b {
                why.push(format!("base: {e}"));
            }
            if let Err(e) = &a {
                why.push(format!("candidate: {e}"));
            }
            flip.before = b.ok().map(|e| Finding::of(&e.decision));
            flip.after = a.ok().map(|e| Finding::of(&e.decision));
            flip.reason = Some(why.join("; "));
            return flip;
        }
    };
    let (vb, va) = (Finding::of(&before), Finding::of(&after));
    flip.checks = check_changes(&before, &after);
    let record = recorded.get(&loaded.digest);
    flip.class = match record {
        Some(r)
            if r.policies_sha256.as_deref() == Some(base_sha256)
                && (r.allow != vb.allow || r.failing != vb.failing) =>
        {
            flip.reason = Some(
                "the base policies are the ones recorded, yet the replay does not reproduce the recorded decision (the engine or gatekeeper changed)"
                    .to_owned(),
            );
            Class::Drift
        }
        _ if !vb.allow && va.allow => Class::Loosened,
        _ if vb.allow && !va.allow => Class::Tightened,
        _ if flip.checks.iter().any(|c| c.before != c.after) => Class::CheckChanged,
        _ => Class::Unchanged,
    };
    flip.recorded = record.map(|r| Finding {
        allow: r.allow,
        failing: r.failing.clone(),
    });
    flip.before = Some(vb);
    flip.after = Some(va);
    flip
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Skip => "skip",
    }
}

/// The checks whose status differs, by id (a check only one side has counts).
fn check_changes(before: &Decision, after: &Decision) -> Vec<CheckChange> {
    let mut ids: Vec<&str> = before.checks.iter().map(|c| c.id.as_str()).collect();
    for c in &after.checks {
        if !ids.contains(&c.id.as_str()) {
            ids.push(&c.id);
        }
    }
    let find = |d: &Decision, id: &str| {
        d.checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| (status(c.status), c.detail.clone()))
            .unwrap_or(("absent", String::new()))
    };
    ids.into_iter()
        .filter_map(|id| {
            let (b, db) = find(before, id);
            let (a, da) = find(after, id);
            (b != a).then(|| CheckChange {
                id: id.to_owned(),
                before: b.to_owned(),
                after: a.to_owned(),
                detail_before: db,
                detail_after: da,
            })
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum WindowsError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("the facts' timezone {0}")]
    Zone(crate::config::ZoneError),
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
}

/// The ranges of start times over the next `days` (from the document's `now`) whose
/// state, allowed or denied by the time-dependent checks, differs between the sides.
pub fn window_changes(
    base: &mut PolicySet,
    candidate: &mut PolicySet,
    facts: &Facts,
    days: u32,
) -> Result<Vec<WindowChange>, WindowsError> {
    let tz = crate::config::zone(&facts.timezone).map_err(WindowsError::Zone)?;
    let timeline = |set: &mut PolicySet| -> Result<(DateTime<Utc>, Vec<bool>), WindowsError> {
        let settings = planner::read_settings(set)?;
        let query = Query {
            tz,
            minutes: facts.window.minutes,
            days,
            settings,
        };
        let plan = planner::search(set, facts, &query)?;
        let n = usize::try_from((plan.until - plan.from).num_minutes().max(0)).unwrap_or(0);
        let mut allowed = vec![false; n];
        for span in &plan.notice_allowed {
            let first = (span.first - plan.from).num_minutes().max(0);
            let last = (span.last - plan.from).num_minutes();
            for m in first..=last {
                if let Some(slot) = usize::try_from(m).ok().and_then(|m| allowed.get_mut(m)) {
                    *slot = true;
                }
            }
        }
        Ok((plan.from, allowed))
    };
    let (from, before) = timeline(base)?;
    let (_, after) = timeline(candidate)?;
    let mut prepared = PreparedFacts::new(facts)?;
    let mut changes = Vec::new();
    let mut i = 0;
    let n = before.len().min(after.len());
    while i < n {
        let (b, a) = (
            before.get(i).copied().unwrap_or(false),
            after.get(i).copied().unwrap_or(false),
        );
        if a == b {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && before.get(j).copied() == Some(b) && after.get(j).copied() == Some(a) {
            j += 1;
        }
        let start = from + Duration::minutes(i64::try_from(i).unwrap_or(0));
        let end = from + Duration::minutes(i64::try_from(j).unwrap_or(0));
        prepared.set("window", &plan_window(start, facts.window.minutes, tz))?;
        let db = base.evaluate_prepared(&prepared)?.decision;
        let da = candidate.evaluate_prepared(&prepared)?.decision;
        let changed = check_changes(&db, &da);
        let denying = if a { &db } else { &da };
        let details = changed
            .iter()
            .filter_map(|c| {
                denying
                    .checks
                    .iter()
                    .find(|k| k.id == c.id && k.status == Status::Fail)
                    .map(|k| format!("{}: {}", k.id, k.detail))
            })
            .collect();
        changes.push(WindowChange {
            from: start,
            to: end,
            from_local: start.with_timezone(&tz).to_rfc3339(),
            to_local: end.with_timezone(&tz).to_rfc3339(),
            before: if b { "allowed" } else { "denied" },
            after: if a { "allowed" } else { "denied" },
            because: changed.into_iter().map(|c| c.id).collect(),
            details,
        });
        i = j;
    }
    Ok(changes)
}

/// The documents of a directory (`*.json`, sorted), none when it does not exist.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Whether an archived document is kept by `--since`/`--target` (read from the
/// document itself; one that cannot be read is kept, to be reported).
pub fn archive_filter(path: &Path, since: Option<DateTime<Utc>>, target: Option<&str>) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return true;
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return true;
    };
    let now_ok = since.is_none_or(|since| {
        value
            .get("now")
            .and_then(|n| n.as_str())
            .and_then(|n| DateTime::parse_from_rfc3339(n).ok())
            .is_none_or(|n| n.with_timezone(&Utc) >= since)
    });
    let target_ok = target.is_none_or(|t| value.get("target").and_then(|v| v.as_str()) == Some(t));
    now_ok && target_ok
}

/// The shadow set replayed over the corpus and compared with the base's replay and
/// with the shadow verdicts recorded in the audit log.
pub fn shadow_summary(
    dir: &Path,
    shadow: &mut PolicySet,
    shadow_sha256: &str,
    docs: &[Doc],
    base: &mut PolicySet,
    recorded: &BTreeMap<String, Recorded>,
) -> ShadowSummary {
    let mut summary = ShadowSummary {
        dir: dir.display().to_string(),
        policies_sha256: shadow_sha256.to_owned(),
        compared: 0,
        agreed: 0,
        disagreed: Vec::new(),
        recorded: 0,
        recorded_agreed: 0,
    };
    for doc in docs {
        let Ok(loaded) = load(doc) else { continue };
        if let Some(r) = recorded.get(&loaded.digest)
            && let Some(s) = &r.shadow
        {
            summary.recorded += 1;
            if s.allow == r.allow {
                summary.recorded_agreed += 1;
            }
        }
        let (Ok(s), Ok(b)) = (shadow.evaluate(&loaded.facts), base.evaluate(&loaded.facts)) else {
            continue;
        };
        summary.compared += 1;
        if s.decision.allow == b.decision.allow {
            summary.agreed += 1;
        } else {
            summary.disagreed.push(loaded.digest);
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_and_target_filter_archived_documents_by_their_own_now_and_target() {
        let dir = tempfile::tempdir().unwrap();
        let doc = dir.path().join("d.json");
        std::fs::write(
            &doc,
            r#"{"target":"production","now":"2026-11-24T19:00:00Z"}"#,
        )
        .unwrap();
        let at = |s: &str| Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc));
        assert!(archive_filter(
            &doc,
            at("2026-11-24T00:00:00Z"),
            Some("production")
        ));
        assert!(!archive_filter(&doc, at("2026-11-25T00:00:00Z"), None));
        assert!(!archive_filter(&doc, None, Some("staging")));
        assert!(archive_filter(&doc, None, None));
    }

    #[test]
    fn fail_on_any_counts_every_change_but_not_unreplayable_documents() {
        assert!(fails(FailOn::Any, Class::Tightened));
        assert!(fails(FailOn::Any, Class::Drift));
        assert!(!fails(FailOn::Any, Class::Unchanged));
        assert!(!fails(FailOn::Any, Class::NotReplayable));
        assert!(!fails(FailOn::Loosened, Class::Tightened));
        assert!(!fails(FailOn::None, Class::Loosened));
    }
}
