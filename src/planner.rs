//! Finds the next deploy windows for `gatekeeper window`: the start times at which
//! the time-dependent checks (`teaching_hours`, `freeze`, `downtime_notice`) pass.
//! It asks the REAL policies; it never restates a rule in Rust, so a release manager
//! who edits `policies/` moves the windows too. What it knows is only where the
//! time-dependent inputs change, and which check reads which (`Edge`): local
//! midnights (the dates teaching hours and freezes read), the teaching-hours edges of
//! the settings, DST changes, each notice's start and end and the notice lead (the
//! instants the notice rule compares). Between two edges a check reads its answer
//! cannot change, so each check is asked only at its own edges and the minutes after
//! them, and the runs of allowed starts are exact to the minute.
//! It never fetches, prints or reads the clock: the facts carry `now`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::decision::{Check, Decision, Status};
use crate::facts::{Facts, Notice, NoticeComment, Window, plan_window};
use crate::policy::{PolicyError, PolicySet, PreparedFacts};

/// The checks whose answer depends on when the deploy starts.
pub const TEACHING: &str = "teaching_hours";
pub const NOTICE: &str = "downtime_notice";
pub const FREEZE: &str = "freeze";

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(
        "the setting data.gatekeeper.settings.{name} {problem}, so gatekeeper cannot tell when the \
         decision changes; fix it in the policies' settings.rego and run `gatekeeper policy test`"
    )]
    Setting { name: &'static str, problem: String },
}

/// What the planner reads from the policies' settings: where, besides local
/// midnights, the time-dependent checks may change their answer, and who would vet a
/// notice sent now. Read by [`read_settings`], the one place that knows their names.
#[derive(Debug, Clone)]
pub struct TimeSettings {
    /// Local times of day at which an answer may change (the teaching-hours edges).
    pub local_edges: Vec<NaiveTime>,
    /// How long before its start a notice must be sent.
    pub notice_lead: Duration,
    /// The logins who vet a notice; the first one vets the notice assumed sent now.
    /// With none, only the notices that exist are searched.
    pub vetters: Vec<String>,
}

impl TimeSettings {
    fn vetter(&self) -> Option<&str> {
        self.vetters.first().map(String::as_str)
    }
}

/// The planner's [`TimeSettings`] (teaching-hours edges, notice lead, vetters) from the
/// validated settings of the policies; policies without them are an error: guessing
/// would report windows the gate denies.
pub fn read_settings(policies: &mut PolicySet) -> Result<TimeSettings, SearchError> {
    // The shipped settings arrive validated and typed: trust them.
    if let Some(typed) = policies.settings() {
        let local_edges = [typed.teaching_start, typed.teaching_end]
            .iter()
            // 24:00 is a local midnight, an edge already.
            .filter_map(|t| NaiveTime::from_hms_opt(u32::from(t.0 / 60), u32::from(t.0 % 60), 0))
            .collect();
        return Ok(TimeSettings {
            local_edges,
            notice_lead: Duration::hours(i64::from(typed.notice_lead_hours)),
            vetters: typed.vetters.clone(),
        });
    }
    // Policies without the settings the gate validates: nothing to plan edges from.
    Err(SearchError::Setting {
        name: "data.gatekeeper.settings",
        problem: "is not declared by these policies; `window` and `notice` plan from the teaching hours and notice lead it sets".to_owned(),
    })
}

/// What to search for.
#[derive(Debug, Clone)]
pub struct Query {
    /// Zone for the local times of the candidate windows (the facts' zone).
    pub tz: Tz,
    /// Length of the planned window.
    pub minutes: u32,
    /// How far ahead of `facts.now` to look.
    pub days: u32,
    pub settings: TimeSettings,
}

/// The answer: the runs of start times that pass, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Windows {
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
pub fn search(
    policies: &mut PolicySet,
    facts: &Facts,
    query: &Query,
) -> Result<Windows, SearchError> {
    let from = ceil_minute(facts.now);
    let until = from + Duration::days(i64::from(query.days));
    let starts = Starts::at_edges(facts, query, from, until);
    search_between(policies, facts, query, from, until, &starts)
}

/// The kinds of instant at which a time-dependent input changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    /// A local midnight: the date and weekday of a window's segments change.
    Midnight,
    /// A teaching-hours edge of the settings, in local time.
    Teaching,
    /// The zone's UTC offset changes: local times jump.
    Offset,
    /// An existing notice's announced start or end.
    Notice,
    /// `now` plus the notice lead: the earliest start a notice sent now can announce.
    Lead,
}

/// The edges each time-dependent check reads: teaching hours read the local dates
/// and times of the window; freezes its local dates; the notice rule compares
/// instants (sent, lead, announced start and end), never local dates.
const TEACHING_EDGES: &[Edge] = &[Edge::Midnight, Edge::Teaching, Edge::Offset];
const FREEZE_EDGES: &[Edge] = &[Edge::Midnight, Edge::Offset];
const NOTICE_EDGES: &[Edge] = &[Edge::Notice, Edge::Lead, Edge::Offset];

/// The starts at which each check is asked, in order, `from` first: a check's answer
/// at a start is its answer at the latest of its own starts not after it.
#[derive(Debug, Clone)]
struct Starts {
    teaching: Vec<DateTime<Utc>>,
    freeze: Vec<DateTime<Utc>>,
    notice: Vec<DateTime<Utc>>,
}

impl Starts {
    /// Each check's starts from its own edges (see [`candidates`]).
    fn at_edges(facts: &Facts, query: &Query, from: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        let edges = edges(facts, query, from, until);
        let of = |kinds: &[Edge]| {
            let mine = edges.iter().filter(|(_, kind)| kinds.contains(kind));
            candidates(
                mine.map(|(t, kind)| (*t, *kind != Edge::Midnight)),
                query,
                from,
                until,
            )
        };
        Self {
            teaching: of(TEACHING_EDGES),
            freeze: of(FREEZE_EDGES),
            notice: of(NOTICE_EDGES),
        }
    }

    /// Every start of any check, in order, without repeats.
    fn all(&self) -> Vec<DateTime<Utc>> {
        let mut all: Vec<_> = [&self.teaching, &self.freeze, &self.notice]
            .into_iter()
            .flatten()
            .copied()
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// The latest of one check's starts not after a start, for starts met in order.
struct Cursor<'s> {
    starts: &'s [DateTime<Utc>],
    next: usize,
}

impl<'s> Cursor<'s> {
    fn new(starts: &'s [DateTime<Utc>]) -> Self {
        Self { starts, next: 0 }
    }

    /// `None` only before the first start (never, for starts from `from` on).
    fn at(&mut self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        while self.starts.get(self.next).is_some_and(|s| *s <= t) {
            self.next += 1;
        }
        self.next
            .checked_sub(1)
            .and_then(|i| self.starts.get(i))
            .copied()
    }
}

/// [`search`] over the starts from `from` to `until` (whole minutes, inclusive),
/// asking each check at its own `starts`: each answer stands until its next start.
fn search_between(
    policies: &mut PolicySet,
    facts: &Facts,
    query: &Query,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    starts: &Starts,
) -> Result<Windows, SearchError> {
    let full = PreparedFacts::new(facts)?;
    // The plan's kind (downtime or not) comes from the policies, held to the facts
    // by the same guards as every decision.
    let base = policies.evaluate_prepared(&full)?.decision;
    let mut probe = Probe::new(policies, facts, query, &base, full)?;
    let (mut teaching, mut freeze, mut notice) = (
        Cursor::new(&starts.teaching),
        Cursor::new(&starts.freeze),
        Cursor::new(&starts.notice),
    );
    let mut pieces: Vec<(DateTime<Utc>, Key)> = Vec::new();
    for t in starts.all() {
        let k = probe.key(teaching.at(t), freeze.at(t), notice.at(t))?;
        if pieces.last().is_none_or(|(_, last)| *last != k) {
            pieces.push((t, k));
        }
    }
    let outside_teaching = spans(&pieces, until, |k| k.time_ok.then(String::new))
        .into_iter()
        .map(|s| Span { basis: None, ..s })
        .collect();
    let notice_allowed = spans(&pieces, until, |k| k.notice.clone());
    Ok(Windows {
        target: facts.target.clone(),
        downtime: base.downtime,
        minutes: query.minutes,
        timezone: query.tz.name().to_owned(),
        from,
        until,
        outside_teaching,
        notice_allowed,
    })
}

/// Every instant in reach of the search at which a time-dependent input changes,
/// with its kind.
fn edges(
    facts: &Facts,
    query: &Query,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, Edge)> {
    let length = Duration::minutes(i64::from(query.minutes));
    let tz = query.tz;
    let mut edges: Vec<(DateTime<Utc>, Edge)> = Vec::new();
    // Local dates whose edges a window starting in the search can touch.
    let first_day = (from - Duration::days(1)).with_timezone(&tz).date_naive();
    let last_day = (until + length + Duration::days(1))
        .with_timezone(&tz)
        .date_naive();
    for day in first_day.iter_days().take_while(|d| *d <= last_day) {
        edges.extend(local_instants(day, NaiveTime::MIN, tz).map(|t| (t, Edge::Midnight)));
        for time in &query.settings.local_edges {
            edges.extend(local_instants(day, *time, tz).map(|t| (t, Edge::Teaching)));
        }
    }
    let changes = offset_changes(
        from - Duration::days(1),
        until + length + Duration::days(1),
        tz,
    );
    edges.extend(changes.into_iter().map(|t| (t, Edge::Offset)));
    for n in facts.notices.iter().flatten() {
        let unix = [n.start_unix, n.end_unix];
        edges.extend(
            unix.into_iter()
                .flatten()
                .filter_map(|u| DateTime::from_timestamp(u, 0))
                .map(|t| (t, Edge::Notice)),
        );
    }
    edges.push((facts.now + query.settings.notice_lead, Edge::Lead));
    edges
}

/// The starts at which an answer that reads `edges` may differ from the start a
/// minute before, plus `from` and `until`, in order. Every edge is met by the
/// window's start (a start at the edge) or by its end (a window ending at the edge).
/// Where the policies compare with the edge (`compared`), a start on the edge and
/// the minute after it may be judged apart (`<` or `<=`), so both are asked; a local
/// date changes exactly at midnight, so there only the first start on the new date
/// and the first window to reach into it are.
fn candidates(
    edges: impl Iterator<Item = (DateTime<Utc>, bool)>,
    query: &Query,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let length = Duration::minutes(i64::from(query.minutes));
    let minute = Duration::minutes(1);
    let mut out = vec![from, until];
    for (edge, compared) in edges {
        // The start on the edge (and the minute after it); the window ending on the
        // edge and the one ending a minute later, which is the first to reach past it.
        let sides: [(DateTime<Utc>, &[i32]); 2] = if compared {
            [(edge, &[0, 1]), (edge - length, &[0, 1])]
        } else {
            [(edge, &[0]), (edge - length, &[1])]
        };
        for (at, offsets) in sides {
            let Ok(floor) = at.duration_trunc(minute) else {
                continue;
            };
            // Between two minutes: either may be the first judged apart.
            let offsets: &[i32] = if floor == at { offsets } else { &[0, 1, 2] };
            for k in offsets {
                let t = floor + minute * *k;
                if t > from && t < until {
                    out.push(t);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The instants at which the local clock of `tz` reads `time` on `day`: none in a
/// spring-forward gap (the offset change is an edge of its own), two in the repeated
/// hour of a fall-back.
fn local_instants(day: NaiveDate, time: NaiveTime, tz: Tz) -> impl Iterator<Item = DateTime<Utc>> {
    let local = tz.from_local_datetime(&day.and_time(time));
    let (earliest, latest) = (local.earliest(), local.latest());
    let latest = latest.filter(|l| Some(*l) != earliest);
    [earliest, latest]
        .into_iter()
        .flatten()
        .map(|t| t.with_timezone(&Utc))
}

/// The instants in `(from, to]` at which the zone's UTC offset changes, to the second.
fn offset_changes(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> Vec<DateTime<Utc>> {
    let offset = |t: DateTime<Utc>| {
        tz.offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc()
    };
    let mut out = Vec::new();
    let mut lo = from;
    while lo < to {
        let hi = (lo + Duration::hours(1)).min(to);
        if offset(lo) != offset(hi) {
            let (mut a, mut b) = (lo, hi);
            while (b - a).num_seconds() > 1 {
                let mid = a + Duration::seconds((b - a).num_seconds() / 2);
                if offset(mid) == offset(a) {
                    a = mid;
                } else {
                    b = mid;
                }
            }
            out.push(b);
        }
        lo = hi;
    }
    out
}

/// Evaluates the policies for candidate starts over the facts encoded once: only the
/// window (and the notice sent now) changes between evaluations, and only the
/// time-dependent checks are evaluated when the policies build them in rules of
/// their own that agree with the decision. Either shortcut is checked against the
/// whole decision over the facts before it is taken.
struct Probe<'a> {
    policies: &'a mut PolicySet,
    facts: &'a Facts,
    query: &'a Query,
    /// The facts as they are; without the release repos when that changes none of
    /// the time-dependent checks (see [`without_repos`]).
    existing: PreparedFacts,
    /// The facts plus a vetted notice sent now announcing the candidate window; `None`
    /// when it is not a downtime deploy or no vetter is set.
    sent_now: Option<PreparedFacts>,
    /// Evaluate the time-dependent checks' own rules instead of the whole decision.
    checks_alone: bool,
    /// Each check's answer at the starts it was asked at.
    teaching: HashMap<DateTime<Utc>, bool>,
    freeze: HashMap<DateTime<Utc>, bool>,
    notice: HashMap<DateTime<Utc>, Option<String>>,
}

/// The checks a start time can change.
const TIME_CHECKS: [&str; 3] = [TEACHING, FREEZE, NOTICE];

impl<'a> Probe<'a> {
    /// A probe for the facts, prepared as `full`, whose decision as they are is `base`.
    fn new(
        policies: &'a mut PolicySet,
        facts: &'a Facts,
        query: &'a Query,
        base: &Decision,
        full: PreparedFacts,
    ) -> Result<Self, PolicyError> {
        let alone = policies.evaluate_checks(&full, &TIME_CHECKS)?;
        let checks_alone = alone.is_some_and(|alone| agree(&base.checks, &alone));
        let mut existing = full.clone();
        if checks_alone {
            let reduced = without_repos(&full, base.downtime)?;
            if same_time_checks(policies, facts, query, [&full, &reduced])? {
                existing = reduced;
            }
        }
        let sent_now =
            (base.downtime && query.settings.vetter().is_some()).then(|| existing.clone());
        Ok(Self {
            policies,
            facts,
            query,
            existing,
            sent_now,
            checks_alone,
            teaching: HashMap::new(),
            freeze: HashMap::new(),
            notice: HashMap::new(),
        })
    }

    /// The prepared facts for `window`, as they are or with the notice sent now
    /// (`None` when there is no notice sent now to test). A clone shares the
    /// encoded facts: it costs a reference count.
    fn prepare(
        &mut self,
        window: &Window,
        sent_now: bool,
    ) -> Result<Option<PreparedFacts>, PolicyError> {
        if !sent_now {
            self.existing.set("window", window)?;
            return Ok(Some(self.existing.clone()));
        }
        let (Some(prepared), Some(vetter)) = (&mut self.sent_now, self.query.settings.vetter())
        else {
            return Ok(None);
        };
        prepared.set("window", window)?;
        prepared.set("notices", &sent_now_notices(self.facts, window, vetter))?;
        Ok(Some(prepared.clone()))
    }

    /// The checks `ids` for `window` (with the notice sent now when asked and
    /// possible): from their own rules, or all the decision's checks.
    fn checks(
        &mut self,
        window: &Window,
        sent_now: bool,
        ids: &[&str],
    ) -> Result<Vec<Check>, PolicyError> {
        let prepared = match self.prepare(window, sent_now)? {
            Some(p) => p,
            None => self
                .prepare(window, false)?
                .unwrap_or(self.existing.clone()),
        };
        if self.checks_alone
            && let Some(checks) = self.policies.evaluate_checks(&prepared, ids)?
        {
            return Ok(checks);
        }
        Ok(self.policies.evaluate_prepared(&prepared)?.decision.checks)
    }

    /// The time-dependent checks' answer for a start whose latest starts of each
    /// check are `teaching`, `freeze` and `notice` (see [`Starts`]). The notice
    /// check is asked only when teaching hours and freezes let the start through;
    /// freezes first, as their answers last for days.
    fn key(
        &mut self,
        teaching: Option<DateTime<Utc>>,
        freeze: Option<DateTime<Utc>>,
        notice: Option<DateTime<Utc>>,
    ) -> Result<Key, PolicyError> {
        let (Some(teaching), Some(freeze), Some(notice)) = (teaching, freeze, notice) else {
            return Ok(Key {
                time_ok: false,
                notice: None,
            });
        };
        let time_ok = self.passes(FREEZE, freeze)? && self.passes(TEACHING, teaching)?;
        let notice = if time_ok { self.notice(notice)? } else { None };
        Ok(Key { time_ok, notice })
    }

    /// Whether the check `id` (teaching hours or freeze) lets a window starting at
    /// `start` through, with the notice sent now when there is one.
    fn passes(&mut self, id: &str, start: DateTime<Utc>) -> Result<bool, PolicyError> {
        let cache = if id == FREEZE {
            &self.freeze
        } else {
            &self.teaching
        };
        if let Some(pass) = cache.get(&start) {
            return Ok(*pass);
        }
        let window = plan_window(start, self.query.minutes, self.query.tz);
        let with_sent_now = self.sent_now.is_some();
        let pass = passes(&self.checks(&window, with_sent_now, &[id])?, id);
        let cache = if id == FREEZE {
            &mut self.freeze
        } else {
            &mut self.teaching
        };
        cache.insert(start, pass);
        Ok(pass)
    }

    /// The notice rule's answer for a window starting at `start`. For a downtime
    /// deploy the facts get a vetted notice sent now, announcing exactly this window
    /// (when the settings name a vetter); a second evaluation runs only when real
    /// notices exist, to tell whether one of them or the one sent now is what the
    /// notice check accepted.
    fn notice(&mut self, start: DateTime<Utc>) -> Result<Option<String>, PolicyError> {
        if let Some(answer) = self.notice.get(&start) {
            return Ok(answer.clone());
        }
        let window = plan_window(start, self.query.minutes, self.query.tz);
        let with_sent_now = self.sent_now.is_some();
        let answer = match find(&self.checks(&window, with_sent_now, &[NOTICE])?, NOTICE) {
            Some((Status::Skip, _)) => Some(NOT_NEEDED.to_owned()),
            None | Some((Status::Fail, _)) => None,
            Some((Status::Pass, detail)) if !with_sent_now => Some(detail),
            Some((Status::Pass, _)) if self.facts.notices.iter().flatten().count() == 0 => {
                Some(SEND_NOW.to_owned())
            }
            Some((Status::Pass, _)) => {
                match find(&self.checks(&window, false, &[NOTICE])?, NOTICE) {
                    Some((Status::Pass, detail)) => Some(detail),
                    _ => Some(SEND_NOW.to_owned()),
                }
            }
        };
        self.notice.insert(start, answer.clone());
        Ok(answer)
    }
}

/// The facts' notices plus the one assumed sent now for `window`.
fn sent_now_notices(facts: &Facts, window: &Window, vetter: &str) -> Vec<Notice> {
    let mut notices = facts.notices.clone().unwrap_or_default();
    notices.push(assumed_notice(
        &facts.target,
        facts.now,
        window,
        Some(vetter),
    ));
    notices
}

/// The prepared facts without their release repos, `downtime_requested` set to what
/// the decision made of them: the repos do not change with the start time, and
/// without them a candidate's evaluation does not grow with the release. Used only
/// where [`same_time_checks`] shows the time-dependent checks cannot tell the two
/// apart.
fn without_repos(full: &PreparedFacts, downtime: bool) -> Result<PreparedFacts, PolicyError> {
    let mut reduced = full.clone();
    reduced.set("repos", &Vec::<serde_json::Value>::new())?;
    reduced.set("downtime_requested", &downtime)?;
    Ok(reduced)
}

/// Whether the time-dependent checks (status and detail) are the same over both
/// prepared facts, for the facts' own window, as they are and with a notice sent now.
fn same_time_checks(
    policies: &mut PolicySet,
    facts: &Facts,
    query: &Query,
    pair: [&PreparedFacts; 2],
) -> Result<bool, PolicyError> {
    let mut variants = vec![pair.map(PreparedFacts::clone)];
    if let Some(vetter) = query.settings.vetter() {
        let notices = sent_now_notices(facts, &facts.window, vetter);
        let mut with_notice = pair.map(PreparedFacts::clone);
        for p in &mut with_notice {
            p.set("notices", &notices)?;
        }
        variants.push(with_notice);
    }
    for [a, b] in variants {
        let a = policies.evaluate_checks(&a, &TIME_CHECKS)?;
        let b = policies.evaluate_checks(&b, &TIME_CHECKS)?;
        match (a, b) {
            (Some(a), Some(b)) if a.len() == b.len() && agree(&a, &b) => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Whether the time-dependent checks evaluated `alone` say what the decision's
/// `whole` list says about them (status and detail).
fn agree(whole: &[Check], alone: &[Check]) -> bool {
    TIME_CHECKS
        .iter()
        .all(|id| match (find(whole, id), find(alone, id)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        })
}

/// The facts for judging a downtime window of `target` on its time alone, before any
/// is collected: `--downtime` with no release repos and no existing notices. Only the
/// time-dependent checks of a decision over them mean anything.
pub fn announced_facts(
    target: &str,
    now: DateTime<Utc>,
    tz: Tz,
    start: DateTime<Utc>,
    minutes: u32,
) -> Facts {
    Facts {
        schema: crate::facts::SCHEMA,
        target: target.to_owned(),
        now,
        now_unix: now.timestamp(),
        timezone: tz.name().to_owned(),
        window: plan_window(start, minutes, tz),
        downtime_requested: true,
        overrides: Vec::new(),
        production: None,
        repos: Vec::new(),
        throughput: None,
        incidents: None,
        notices: Some(Vec::new()),
        errors: Vec::new(),
        request: None,
    }
}

/// The time-dependent checks (`teaching_hours`, `freeze`, `downtime_notice`) that
/// fail for the window of `facts` when a notice announcing exactly it is sent at
/// `facts.now` and vetted at once (by the settings' first vetter: with none, it stays
/// unvetted and the notice check says so). Empty: the gate would let it through on
/// the day, as far as time goes.
pub fn failing_for_notice_sent_now(
    policies: &mut PolicySet,
    facts: &Facts,
    settings: &TimeSettings,
) -> Result<Vec<Check>, SearchError> {
    let mut facts = facts.clone();
    let mut notices = facts.notices.take().unwrap_or_default();
    notices.push(assumed_notice(
        &facts.target,
        facts.now,
        &facts.window,
        settings.vetter(),
    ));
    facts.notices = Some(notices);
    let decision = policies.evaluate(&facts)?.decision;
    Ok(decision
        .checks
        .into_iter()
        .filter(|c| [TEACHING, FREEZE, NOTICE].contains(&c.id.as_str()) && c.status == Status::Fail)
        .collect())
}

/// The notice the gate assumes when planning: sent at `now`, announcing exactly
/// `window` for `target`, with its five fields, and vetted at once by `vetter` (with
/// none, not vetted). The one place that builds it, for `window` and for `notice`.
pub fn assumed_notice(
    target: &str,
    now: DateTime<Utc>,
    window: &Window,
    vetter: Option<&str>,
) -> Notice {
    Notice {
        number: 0,
        url: String::new(),
        title: "a notice sent now".to_owned(),
        sent_at: now,
        sent_unix: now.timestamp(),
        created_at: now,
        edited_at: None,
        target: Some(target.to_owned()),
        start: Some(window.start),
        start_unix: Some(window.start_unix),
        start_local: Some(window.start_local.clone()),
        minutes: Some(window.minutes),
        end_unix: Some(window.end_unix),
        nature: Some("planned".to_owned()),
        affected: Some("planned".to_owned()),
        experience: Some("planned".to_owned()),
        problems: Vec::new(),
        text_known: true,
        // Vetting counts only after the notice was sent: a second later.
        comments: vetter
            .map(|v| NoticeComment {
                user: Some(v.to_owned()),
                at: now + Duration::seconds(1),
                at_unix: now.timestamp() + 1,
                created_at: now + Duration::seconds(1),
                edited_at: None,
                editor: None,
                text_known: true,
                minimized: false,
                proceed: true,
                reschedule: false,
                not_commands: Vec::new(),
            })
            .into_iter()
            .collect(),
    }
}

fn find(checks: &[Check], id: &str) -> Option<(Status, String)> {
    checks
        .iter()
        .find(|c| c.id == id)
        .map(|c| (c.status, c.detail.clone()))
}

/// The check is there and does not fail: a check the policies did not give is no
/// evidence that a start is allowed.
fn passes(checks: &[Check], id: &str) -> bool {
    find(checks, id).is_some_and(|(s, _)| s != Status::Fail)
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

/// How far off the next allowed start is, when only time-dependent checks fail and
/// the window search finds one: the start `gatekeeper window` would print first.
pub fn opens_in(
    policies: &mut PolicySet,
    facts: &Facts,
    decision: &Decision,
) -> Option<std::time::Duration> {
    let timed = [TEACHING, NOTICE, FREEZE];
    let mut failing = decision.failing().peekable();
    failing.peek()?;
    if !failing.all(|c| timed.contains(&c.id.as_str())) {
        return None;
    }
    let tz = crate::config::zone(&facts.timezone).ok()?;
    let settings = read_settings(policies).ok()?;
    let query = Query {
        tz,
        minutes: facts.window.minutes,
        days: 14,
        settings,
    };
    let plan = search(policies, facts, &query).ok()?;
    let spans = if plan.downtime {
        &plan.notice_allowed
    } else {
        &plan.outside_teaching
    };
    let next = spans
        .iter()
        .find(|s| s.last >= facts.now)?
        .first
        .max(facts.now);
    (next - facts.now).to_std().ok().filter(|d| !d.is_zero())
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

    /// A small seeded generator (xorshift), so that a failing case can be replayed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        /// In `lo..=hi`.
        fn range(&mut self, lo: i64, hi: i64) -> i64 {
            lo + (self.next() % ((hi - lo + 1) as u64)) as i64
        }

        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }
    }

    /// A random calendar around a short span of starts: teaching hours, holidays,
    /// freezes, the notice lead, notices and the span itself all have edges inside
    /// it, and half the spans straddle one of America/New_York's DST changes.
    struct Case {
        settings: String,
        now: DateTime<Utc>,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        minutes: u32,
        notices: Vec<Notice>,
    }

    const SPAN_MINUTES: i64 = 90;

    fn hhmm(t: DateTime<Utc>) -> String {
        t.with_timezone(&chrono_tz::America::New_York)
            .format("%H:%M")
            .to_string()
    }

    fn date(t: DateTime<Utc>) -> String {
        t.with_timezone(&chrono_tz::America::New_York)
            .format("%Y-%m-%d")
            .to_string()
    }

    fn case(rng: &mut Rng) -> Case {
        let anchors = [
            at("2026-03-08T07:00:00Z"), // spring forward, 02:00 EST
            at("2026-11-01T06:00:00Z"), // fall back, 02:00 EDT
            at("2026-11-25T05:00:00Z"), // a plain local midnight
            at("2026-12-08T12:00:00Z"), // a plain Tuesday morning
        ];
        let anchor = anchors[rng.range(0, 3) as usize];
        let from = anchor + Duration::minutes(rng.range(-SPAN_MINUTES, 0));
        let until = from + Duration::minutes(SPAN_MINUTES);
        let minutes = rng.range(1, 120) as u32;
        let length = Duration::minutes(i64::from(minutes));
        // An instant whose edges a window starting in the span can meet.
        let near = |rng: &mut Rng| from + Duration::minutes(rng.range(-120, SPAN_MINUTES + 120));
        let (a, b) = (near(rng), near(rng));
        let (start, end) = if rng.chance(80) {
            (a.min(b), a.max(b))
        } else {
            (a, b)
        };
        let days = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        let teaching_days: Vec<String> = days
            .iter()
            .filter(|_| rng.chance(70))
            .map(|d| format!("{d:?}"))
            .collect();
        let dates: Vec<String> = (-1..=1)
            .map(|d| date(from + Duration::days(d)))
            .chain([date(until + length)])
            .collect();
        let holidays: Vec<String> = dates
            .iter()
            .filter(|_| rng.chance(25))
            .map(|d| format!("{d:?}"))
            .collect();
        let freezes: Vec<String> = (0..rng.range(0, 1))
            .map(|_| {
                let i = rng.range(0, 3) as usize;
                let j = rng.range(i as i64, 3) as usize;
                // ISO dates sort as text; the schema wants from <= to.
                let (from, to) = (
                    dates[i].clone().min(dates[j].clone()),
                    dates[i].clone().max(dates[j].clone()),
                );
                format!(r#"{{"from": {from:?}, "to": {to:?}, "reason": "testing"}}"#)
            })
            .collect();
        // Whole hours: the settings schema takes nothing else.
        let lead_half_hours = 2 * rng.range(1, 4);
        let lead = Duration::minutes(lead_half_hours * 30);
        // The lead ends inside the span (or close to it), at an odd second.
        let now = from - lead + Duration::minutes(rng.range(-30, SPAN_MINUTES))
            - Duration::seconds(rng.range(0, 59));
        // The settings schema wants teaching_end after teaching_start (local times).
        let (start_hhmm, end_hhmm) = match (hhmm(start), hhmm(end)) {
            (s, e) if s < e => (s, e),
            (s, e) if e < s => (e, s),
            (s, _) => (s, "24:00".to_owned()),
        };
        let settings = format!(
            "package gatekeeper.settings\n\
             throughput_limit_rpm := 15000\n\
             notice_lead_hours := {}\n\
             approvers := [\"tim\"]\n\
             vetters := [\"tim\", \"jim\"]\n\
             teaching_days := [{}]\n\
             teaching_start := {:?}\n\
             teaching_end := {:?}\n\
             holidays := {}\n\
             freezes := [{}]\n\
             overridable := {{\"throughput\", \"teaching_hours\"}}\n\
             incident_priorities := {{\"CRITICAL\", \"HIGH\"}}\n\
             guard_error_rate_rise_points := 2\n\
             guard_apdex_drop := 0.05\n\
             non_blocking_sections := [\"QA\"]\n",
            lead_half_hours / 2,
            teaching_days.join(", "),
            start_hhmm,
            end_hhmm,
            if holidays.is_empty() {
                "set()".to_owned()
            } else {
                format!("{{{}}}", holidays.join(", "))
            },
            freezes.join(", "),
        );
        let notices = (0..rng.range(0, 2))
            .map(|i| {
                let start = near(rng);
                let minutes = rng.range(1, 240) as u32;
                let window = plan_window(start, minutes, chrono_tz::America::New_York);
                let sent = start - Duration::minutes(rng.range(0, 2 * lead_half_hours * 30));
                let mut n = assumed_notice("production", sent, &window, Some("tim"));
                n.number = 10 + i as u64;
                if rng.chance(20) {
                    n.comments.clear();
                }
                n
            })
            .collect();
        Case {
            settings,
            now,
            from,
            until,
            minutes,
            notices,
        }
    }

    fn policies_with(settings: &str) -> (tempfile::TempDir, PolicySet) {
        let dir = tempfile::tempdir().unwrap();
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        for entry in std::fs::read_dir(&shipped).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".rego") && !name.ends_with("_test.rego") && name != "settings.rego" {
                std::fs::copy(&path, dir.path().join(&name)).unwrap();
            }
        }
        std::fs::write(dir.path().join("settings.rego"), settings).unwrap();
        let policies = PolicySet::load(dir.path(), false).unwrap();
        (dir, policies)
    }

    /// Compares the boundary search with a minute-by-minute one over random calendars.
    /// Each case costs about a hundred evaluations of the policies in a debug build, so
    /// `cargo test` runs a few; `PLANNER_CASES=500 cargo test --lib boundaries` runs more.
    #[test]
    fn boundaries_find_exactly_what_a_minute_by_minute_search_finds() {
        let tz = chrono_tz::America::New_York;
        let cases: u64 = std::env::var("PLANNER_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(8);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut allowed = 0;
        for seed in 0..cases {
            let c = case(&mut rng);
            let (_dir, mut policies) = policies_with(&c.settings);
            // No release repos: the checks that read them fail at once, whatever the time.
            let mut facts = announced_facts("production", c.now, tz, c.from, c.minutes);
            facts.notices = Some(c.notices.clone());
            let query = Query {
                tz,
                minutes: c.minutes,
                days: 1,
                settings: read_settings(&mut policies).unwrap(),
            };
            let every: Vec<_> = (0..=SPAN_MINUTES)
                .map(|m| c.from + Duration::minutes(m))
                .collect();
            let every = Starts {
                teaching: every.clone(),
                freeze: every.clone(),
                notice: every,
            };
            let brute =
                search_between(&mut policies, &facts, &query, c.from, c.until, &every).unwrap();
            let starts = Starts::at_edges(&facts, &query, c.from, c.until);
            let exact =
                search_between(&mut policies, &facts, &query, c.from, c.until, &starts).unwrap();
            let context = format!(
                "case {seed}: now {}, starts {} to {}, {} minutes\n{}\nnotices {:#?}",
                c.now, c.from, c.until, c.minutes, c.settings, c.notices
            );
            assert_eq!(exact.outside_teaching, brute.outside_teaching, "{context}");
            assert_eq!(exact.notice_allowed, brute.notice_allowed, "{context}");
            allowed += usize::from(!exact.notice_allowed.is_empty());
        }
        assert!(allowed > 0, "the generator should find some allowed runs");
    }

    /// Each check is asked only at the edges it reads: freezes at local midnights,
    /// never at a teaching-hours edge; the notice rule at the lead, never at a
    /// midnight; teaching hours at both. The windows are the same as when every
    /// check is asked at every edge.
    #[test]
    fn each_check_is_asked_only_at_the_edges_it_reads() {
        let tz = chrono_tz::America::New_York;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut policies = PolicySet::load(&root.join("policies"), false).unwrap();
        let now = at("2026-11-24T19:00:00Z");
        let facts = announced_facts("production", now, tz, now, 60);
        let query = Query {
            tz,
            minutes: 60,
            days: 7,
            settings: read_settings(&mut policies).unwrap(),
        };
        let (from, until) = (now, now + Duration::days(7));
        let starts = Starts::at_edges(&facts, &query, from, until);
        let local = |t: &DateTime<Utc>| t.with_timezone(&tz).time();
        let at_teaching_edge = |t: &DateTime<Utc>| query.settings.local_edges.contains(&local(t));
        let inside = |t: &&DateTime<Utc>| **t != from && **t != until;
        assert!(starts.teaching.iter().any(at_teaching_edge));
        assert!(starts.teaching.iter().any(|t| local(t) == NaiveTime::MIN));
        assert!(!starts.freeze.iter().filter(inside).any(at_teaching_edge));
        assert!(starts.freeze.iter().any(|t| local(t) == NaiveTime::MIN));
        assert!(!starts.notice.iter().filter(inside).any(at_teaching_edge));
        assert!(
            !starts
                .notice
                .iter()
                .filter(inside)
                .any(|t| local(t) == NaiveTime::MIN)
        );
        assert!(starts.notice.contains(&(now + query.settings.notice_lead)));

        let edges = edges(&facts, &query, from, until);
        let everything = candidates(
            edges.iter().map(|(t, kind)| (*t, *kind != Edge::Midnight)),
            &query,
            from,
            until,
        );
        let every_edge = Starts {
            teaching: everything.clone(),
            freeze: everything.clone(),
            notice: everything,
        };
        let own = search_between(&mut policies, &facts, &query, from, until, &starts).unwrap();
        let all = search_between(&mut policies, &facts, &query, from, until, &every_edge).unwrap();
        assert_eq!(own.outside_teaching, all.outside_teaching);
        assert_eq!(own.notice_allowed, all.notice_allowed);
        assert!(!own.notice_allowed.is_empty());
    }

    /// With the shipped policies the probe evaluates the three checks alone; when a
    /// policy author builds a check in a rule of another name, it falls back to the
    /// whole decision, and the windows are the same.
    #[test]
    fn checks_built_under_other_names_fall_back_to_the_whole_decision() {
        let tz = chrono_tz::America::New_York;
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        let settings = std::fs::read_to_string(shipped.join("settings.rego")).unwrap();
        let (_a, mut plain) = policies_with(&settings);
        let (dir, _) = policies_with(&settings);
        for file in ["gatekeeper.rego", "freeze.rego"] {
            let path = dir.path().join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, text.replace("check_freeze", "freeze_check")).unwrap();
        }
        let mut renamed = PolicySet::load(dir.path(), false).unwrap();
        let now = at("2026-11-24T19:00:00Z");
        let facts = announced_facts("production", now, tz, now, 60);
        let query = Query {
            tz,
            minutes: 60,
            days: 4,
            settings: read_settings(&mut plain).unwrap(),
        };
        let full = PreparedFacts::new(&facts).unwrap();
        let base = plain.evaluate(&facts).unwrap().decision;
        let probe = Probe::new(&mut plain, &facts, &query, &base, full.clone()).unwrap();
        assert!(probe.checks_alone);
        let base = renamed.evaluate(&facts).unwrap().decision;
        let probe = Probe::new(&mut renamed, &facts, &query, &base, full).unwrap();
        assert!(!probe.checks_alone);
        let a = search(&mut plain, &facts, &query).unwrap();
        let b = search(&mut renamed, &facts, &query).unwrap();
        assert_eq!(a.outside_teaching, b.outside_teaching);
        assert_eq!(a.notice_allowed, b.notice_allowed);
        assert_eq!(
            a.notice_allowed[0].first,
            at("2026-11-28T02:00:00Z"),
            "Friday 21:00 EST, 72 h on and out of teaching hours"
        );
    }

    /// The candidates are judged without the release repos only when that changes
    /// nothing: a repo whose migrations are unknown fails the notice check at every
    /// start, and must still do so.
    #[test]
    fn a_repo_with_unknown_migrations_still_fails_the_notice_check_everywhere() {
        let tz = chrono_tz::America::New_York;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut policies = PolicySet::load(&root.join("policies"), false).unwrap();
        let mut facts = Facts::load(
            &root.join("fixtures/facts/migrations-weekday-no-notice.json"),
            "production",
        )
        .unwrap();
        facts.replan(at("2026-11-24T19:00:00Z"), None, 60, tz);
        let query = Query {
            tz,
            minutes: 60,
            days: 7,
            settings: read_settings(&mut policies).unwrap(),
        };
        let known = search(&mut policies, &facts, &query).unwrap();
        assert!(!known.notice_allowed.is_empty());
        facts.repos[0].migrations = None;
        let unknown = search(&mut policies, &facts, &query).unwrap();
        assert_eq!(unknown.outside_teaching, known.outside_teaching);
        assert_eq!(unknown.notice_allowed, Vec::new());
    }
}
