//! Finds the next deploy windows for `gatekeeper window`: the start times at which
//! the time-dependent checks (`teaching_hours`, `freeze`, `downtime_notice`) pass.
//! It asks the REAL policies, evaluating the decision over candidate starts (a coarse
//! step, then bisection to the minute where the answer changes); it never restates
//! a rule in Rust, so a release manager who edits `policies/` moves the windows too.
//! It never fetches, prints or reads the clock: the facts carry `now`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::decision::{Decision, Status};
use crate::facts::{Facts, Notice, NoticeComment};
use crate::policy::{PolicyError, PolicySet};

/// The checks whose answer depends on when the deploy starts.
pub const TEACHING: &str = "teaching_hours";
pub const NOTICE: &str = "downtime_notice";
pub const FREEZE: &str = "freeze";

/// Candidate starts are this far apart before bisection refines a change to the minute.
const STEP_MINUTES: i64 = 30;

/// What to search for.
#[derive(Debug, Clone)]
pub struct Query {
    /// Zone for the local times of the candidate windows (the facts' zone).
    pub tz: Tz,
    /// Length of the planned window.
    pub minutes: u32,
    /// How far ahead of `facts.now` to look.
    pub days: u32,
    /// A vetter's login, to test a notice sent now (from the policies' settings);
    /// `None` searches only the notices that exist.
    pub vetter: Option<String>,
}

/// The answer: the runs of start times that pass, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub target: String,
    pub downtime: bool,
    pub minutes: u32,
    pub timezone: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Starts at which `teaching_hours` and `freeze` pass (or do not apply).
    pub outside_teaching: Vec<Span>,
    /// Starts at which `downtime_notice` passes too.
    pub notice_allowed: Vec<Span>,
}

/// Every start from `first` to `last` (inclusive, whole minutes) passes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// The run goes on past the end of the search.
    pub open_end: bool,
    /// Why the notice rule allows it: the policy's detail for an existing notice,
    /// or that a notice sent now would. Absent in `outside_teaching`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
}

/// The policies' answer for one candidate start.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    time_ok: bool,
    notice: Option<String>,
}

/// What to call a window that needs a notice the release manager has yet to send.
pub const SEND_NOW: &str = "needs a notice sent now, vetted";
const NOT_NEEDED: &str = "no notice needed";

/// Searches `query.days` ahead of `facts.now` for windows the time-dependent checks allow.
pub fn search(policies: &mut PolicySet, facts: &Facts, query: &Query) -> Result<Plan, PolicyError> {
    let mut probe = Probe {
        policies,
        facts: facts.clone(),
        query,
        cache: HashMap::new(),
        downtime: false,
    };
    let base = probe.policies.evaluate(facts)?.decision;
    probe.downtime = base.downtime;

    let from = ceil_minute(facts.now);
    let until = from + Duration::days(i64::from(query.days));
    let mut candidates = vec![from];
    let step = Duration::minutes(STEP_MINUTES);
    let mut t = from.duration_trunc(step).unwrap_or(from) + step;
    while t < until {
        candidates.push(t);
        t += step;
    }
    candidates.push(until);
    // A notice may allow a single start (its window exactly the planned one): try it.
    for n in facts.notices.iter().flatten() {
        if let (Some(start), Some(end)) = (n.start_unix, n.end_unix) {
            let last = end - i64::from(query.minutes) * 60;
            for unix in [start, last] {
                if let Some(t) = DateTime::from_timestamp(unix, 0).map(ceil_minute)
                    && t > from
                    && t < until
                {
                    candidates.push(t);
                }
            }
        }
    }
    candidates.sort();
    candidates.dedup();

    // Pieces: (first start, key) where the key changes, refined to the minute.
    let mut pieces: Vec<(DateTime<Utc>, Key)> = Vec::new();
    let mut prev: Option<(DateTime<Utc>, Key)> = None;
    for t in candidates {
        let k = probe.key(t)?;
        match prev.take() {
            None => pieces.push((t, k.clone())),
            Some((a, ka)) if ka != k => probe.refine(a, ka, t, k.clone(), &mut pieces)?,
            Some(_) => {}
        }
        prev = Some((t, k));
    }

    let outside_teaching = spans(&pieces, until, |k| k.time_ok.then(String::new))
        .into_iter()
        .map(|s| Span { basis: None, ..s })
        .collect();
    let notice_allowed = spans(&pieces, until, |k| k.notice.clone());
    Ok(Plan {
        target: facts.target.clone(),
        downtime: probe.downtime,
        minutes: query.minutes,
        timezone: query.tz.name().to_owned(),
        from,
        until,
        outside_teaching,
        notice_allowed,
    })
}

struct Probe<'a> {
    policies: &'a mut PolicySet,
    facts: Facts,
    query: &'a Query,
    cache: HashMap<i64, Key>,
    downtime: bool,
}

impl Probe<'_> {
    /// The time-dependent checks' answer for a window starting at `start`. For a
    /// downtime deploy the facts get a vetted notice sent now, announcing exactly
    /// this window (when the settings name a vetter): one evaluation then tells both
    /// lists apart, and a second one runs only when real notices exist, to tell
    /// whether one of them or the one sent now is what the notice check accepted.
    fn key(&mut self, start: DateTime<Utc>) -> Result<Key, PolicyError> {
        if let Some(k) = self.cache.get(&start.timestamp()) {
            return Ok(k.clone());
        }
        let now = self.facts.now;
        self.facts
            .replan(now, Some(start), self.query.minutes, self.query.tz);
        let vetter = self.query.vetter.clone().filter(|_| self.downtime);
        let with_sent_now = vetter.is_some();
        let decision = match vetter {
            Some(vetter) => self.evaluate_with_notice_sent_now(vetter)?,
            None => self.policies.evaluate(&self.facts)?.decision,
        };
        let time_ok = passes(&decision, TEACHING) && passes(&decision, FREEZE);
        let notice = if !time_ok {
            None
        } else {
            match find(&decision, NOTICE) {
                None | Some((Status::Skip, _)) => Some(NOT_NEEDED.to_owned()),
                Some((Status::Fail, _)) => None,
                Some((Status::Pass, detail)) if !with_sent_now => Some(detail),
                Some((Status::Pass, _)) if self.facts.notices.iter().flatten().count() == 0 => {
                    Some(SEND_NOW.to_owned())
                }
                Some((Status::Pass, _)) => {
                    let existing = self.policies.evaluate(&self.facts)?.decision;
                    match find(&existing, NOTICE) {
                        Some((Status::Pass, detail)) => Some(detail),
                        _ => Some(SEND_NOW.to_owned()),
                    }
                }
            }
        };
        let k = Key { time_ok, notice };
        self.cache.insert(start.timestamp(), k.clone());
        Ok(k)
    }

    /// Evaluates the facts plus a vetted notice sent now for the planned window.
    fn evaluate_with_notice_sent_now(&mut self, vetter: String) -> Result<Decision, PolicyError> {
        let saved = self.facts.notices.clone();
        let mut notices = saved.clone().unwrap_or_default();
        notices.push(hypothetical_notice(&self.facts, vetter));
        self.facts.notices = Some(notices);
        let evaluation = self.policies.evaluate(&self.facts);
        self.facts.notices = saved;
        Ok(evaluation?.decision)
    }

    /// Finds, to the minute, where the key changes between `a` and `b`, pushing each
    /// change as a piece.
    fn refine(
        &mut self,
        a: DateTime<Utc>,
        ka: Key,
        b: DateTime<Utc>,
        kb: Key,
        pieces: &mut Vec<(DateTime<Utc>, Key)>,
    ) -> Result<(), PolicyError> {
        let gap = (b - a).num_minutes();
        if gap <= 1 {
            pieces.push((b, kb));
            return Ok(());
        }
        let mid = a + Duration::minutes(gap / 2);
        let km = self.key(mid)?;
        if km != ka {
            self.refine(a, ka, mid, km.clone(), pieces)?;
        }
        if km != kb {
            self.refine(mid, km, b, kb, pieces)?;
        }
        Ok(())
    }
}

/// A notice sent at `facts.now` announcing exactly the planned window, vetted at once.
fn hypothetical_notice(facts: &Facts, vetter: String) -> Notice {
    let w = &facts.window;
    Notice {
        number: 0,
        url: String::new(),
        title: "a notice sent now".to_owned(),
        sent_at: facts.now,
        sent_unix: facts.now_unix,
        created_at: facts.now,
        edited_at: None,
        target: Some(facts.target.clone()),
        start: Some(w.start),
        start_unix: Some(w.start_unix),
        start_local: Some(w.start_local.clone()),
        minutes: Some(w.minutes),
        end_unix: Some(w.end_unix),
        nature: Some("planned".to_owned()),
        affected: Some("planned".to_owned()),
        experience: Some("planned".to_owned()),
        problems: Vec::new(),
        // Vetting counts only after the notice was sent: a second later.
        comments: vec![NoticeComment {
            user: Some(vetter),
            at: facts.now + Duration::seconds(1),
            at_unix: facts.now_unix + 1,
            proceed: true,
            reschedule: false,
            not_commands: Vec::new(),
        }],
    }
}

fn find(decision: &Decision, id: &str) -> Option<(Status, String)> {
    decision
        .checks
        .iter()
        .find(|c| c.id == id)
        .map(|c| (c.status, c.detail.clone()))
}

/// The check does not fail (a policy set without it does not constrain the time).
fn passes(decision: &Decision, id: &str) -> bool {
    find(decision, id).is_none_or(|(s, _)| s != Status::Fail)
}

/// Runs of consecutive pieces with the same `Some` label, as spans of starts.
fn spans(
    pieces: &[(DateTime<Utc>, Key)],
    until: DateTime<Utc>,
    label: impl Fn(&Key) -> Option<String>,
) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut open: Option<(DateTime<Utc>, String)> = None;
    for (i, (start, key)) in pieces.iter().enumerate() {
        let next = pieces.get(i + 1).map(|(t, _)| *t);
        let this = label(key);
        match (&open, this) {
            (Some((_, l)), Some(t)) if *l == t => {}
            (_, this) => {
                if let Some((first, basis)) = open.take() {
                    out.push(span(first, *start - Duration::minutes(1), false, basis));
                }
                open = this.map(|l| (*start, l));
            }
        }
        if next.is_none()
            && let Some((first, basis)) = open.take()
        {
            out.push(span(first, until, true, basis));
        }
    }
    out
}

fn span(first: DateTime<Utc>, last: DateTime<Utc>, open_end: bool, basis: String) -> Span {
    Span {
        first,
        last,
        open_end,
        basis: (!basis.is_empty()).then_some(basis),
    }
}

fn ceil_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    let minute = Duration::minutes(1);
    match t.duration_trunc(minute) {
        Ok(down) if down == t => t,
        Ok(down) => down + minute,
        Err(_) => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn key(time_ok: bool, notice: Option<&str>) -> Key {
        Key {
            time_ok,
            notice: notice.map(str::to_owned),
        }
    }

    #[test]
    fn ceil_minute_rounds_seconds_up_only() {
        assert_eq!(
            ceil_minute(at("2026-11-24T19:00:00Z")),
            at("2026-11-24T19:00:00Z")
        );
        assert_eq!(
            ceil_minute(at("2026-11-24T19:00:01Z")),
            at("2026-11-24T19:01:00Z")
        );
    }

    #[test]
    fn spans_merge_equal_labels_and_end_a_minute_before_the_change() {
        let pieces = vec![
            (at("2026-11-24T19:00:00Z"), key(false, None)),
            (at("2026-11-25T02:00:00Z"), key(true, None)),
            (at("2026-11-27T19:00:00Z"), key(true, Some("x"))),
            (at("2026-11-28T12:01:00Z"), key(false, None)),
        ];
        let until = at("2026-12-08T19:00:00Z");
        let outside = spans(&pieces, until, |k| k.time_ok.then(String::new));
        assert_eq!(outside.len(), 1);
        assert_eq!(outside[0].first, at("2026-11-25T02:00:00Z"));
        assert_eq!(outside[0].last, at("2026-11-28T12:00:00Z"));
        assert!(!outside[0].open_end);
        let notice = spans(&pieces, until, |k| k.notice.clone());
        assert_eq!(notice.len(), 1);
        assert_eq!(notice[0].basis.as_deref(), Some("x"));
    }

    #[test]
    fn a_run_to_the_end_is_open() {
        let pieces = vec![(at("2026-11-24T19:00:00Z"), key(true, Some("y")))];
        let until = at("2026-11-25T19:00:00Z");
        let s = spans(&pieces, until, |k| k.notice.clone());
        assert_eq!(s.len(), 1);
        assert!(s[0].open_end);
        assert_eq!(s[0].last, until);
    }
}
