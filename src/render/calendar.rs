//! The deploy calendar of `gatekeeper window --format html` (and `notice --html`):
//! the searched days as a grid of local days by hours, each hour an allowed start or
//! closed by the check that closes it. The cells come from the planner's real search
//! ([`crate::planner::search`]): an hour is allowed where the plan's runs of allowed
//! starts cover it. Where they do not, the policies are asked once more, for a window
//! starting then with a notice sent now (as `notice` asks), which check fails: no rule
//! is restated here. [`build`] makes the model; [`html`] renders it as one
//! self-contained page (inline CSS, no script, no network).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::decision::Status;
use crate::facts::{Facts, plan_window};
use crate::planner::{self, FREEZE, NOTICE, Query, SEND_NOW, SearchError, TEACHING, Windows};
use crate::policy::PolicySet;

/// The calendar of one search.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub target: String,
    pub downtime: bool,
    pub minutes: u32,
    pub timezone: String,
    pub tz: Tz,
    /// The facts' time (`now`).
    pub now: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// SHA-256 of the policy files, as the audit record has it.
    pub digest: Option<String>,
    pub notice_lead_hours: i64,
    pub days: Vec<Day>,
    pub runs: Vec<Stretch>,
    /// Checks that fail in the decision over the facts and do not depend on the
    /// start time: they deny every start, and the cells do not show them.
    pub always_failing: Vec<(String, String)>,
    /// The window a notice announces (`notice --html`), highlighted.
    pub announced: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// One local date: 23, 24 or 25 hours.
#[derive(Debug, Clone)]
pub struct Day {
    pub date: NaiveDate,
    pub holiday: bool,
    /// The zone's names and UTC offsets during the day, e.g. "EST −05:00".
    pub offsets: Vec<String>,
    pub cells: Vec<Cell>,
}

/// The starts in one local hour.
#[derive(Debug, Clone)]
pub struct Cell {
    pub start: DateTime<Utc>,
    /// The local hour of day (0–23); two cells share it on a fall-back day.
    pub hour: u32,
    /// "01:00 EDT (-04:00)".
    pub label: String,
    pub state: CellState,
    /// Starts of allowed runs whose notice must be sent within this hour.
    pub send_notice: Vec<DateTime<Utc>>,
    /// Overlaps the announced window.
    pub announced: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellState {
    /// Before the facts' time or after the search.
    Outside,
    /// Every start in the hour is allowed.
    Allowed,
    /// Some starts are: from `first` to `last`; the others are closed by `rest`.
    Partly {
        first: DateTime<Utc>,
        last: DateTime<Utc>,
        rest: Closing,
    },
    Closed(Closing),
}

/// Why a start is closed: the failing check and its detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    pub kind: Kind,
    pub check: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Teaching,
    Freeze,
    /// The notice check, before the lead time from the facts' time has passed.
    NoticeLead,
    /// A time-dependent check that fails whatever the start (e.g. the notice check
    /// over a release whose migrations are unknown).
    Always,
    /// The planner closed it but the policies named no failing check: shown closed.
    Unknown,
}

/// A run of allowed starts, with when its notice must be sent.
#[derive(Debug, Clone)]
pub struct Stretch {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub open_end: bool,
    pub basis: Option<String>,
    /// For a run that needs a notice not yet sent: send it by then to start at `first`.
    pub send_by: Option<DateTime<Utc>>,
}

impl CellState {
    /// The letter shown in the cell: the state is never told by colour alone.
    pub fn letter(&self) -> &'static str {
        match self {
            CellState::Outside => "·",
            CellState::Allowed => "A",
            CellState::Partly { .. } => "a",
            CellState::Closed(c) => c.kind.letter(),
        }
    }

    /// The CSS class and `data-state` value.
    pub fn name(&self) -> &'static str {
        match self {
            CellState::Outside => "outside",
            CellState::Allowed => "allowed",
            CellState::Partly { .. } => "partly",
            CellState::Closed(c) => c.kind.name(),
        }
    }
}

impl Kind {
    pub fn letter(self) -> &'static str {
        match self {
            Kind::Teaching => "T",
            Kind::Freeze => "F",
            Kind::NoticeLead => "N",
            Kind::Always => "X",
            Kind::Unknown => "?",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Teaching => "teaching",
            Kind::Freeze => "freeze",
            Kind::NoticeLead => "notice-lead",
            Kind::Always => "always",
            Kind::Unknown => "unknown",
        }
    }

    /// What closes the start, in words.
    pub fn words(self) -> &'static str {
        match self {
            Kind::Teaching => "live teaching hours",
            Kind::Freeze => "a freeze",
            Kind::NoticeLead => "the notice lead time",
            Kind::Always => "a check that fails whatever the time",
            Kind::Unknown => "closed, no failing check named",
        }
    }
}

/// The calendar of `plan`, found by [`planner::search`] over `facts` and `query`.
/// Closed hours are asked of the policies once each, for the reason.
pub fn build(
    policies: &mut PolicySet,
    facts: &Facts,
    query: &Query,
    plan: &Windows,
    announced: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<Calendar, SearchError> {
    let tz = query.tz;
    let lead = query.settings.notice_lead;
    let holidays = policies
        .settings()
        .map(|s| s.holidays.clone())
        .unwrap_or_default();
    let digest = crate::audit::policies_digest(policies.files()).ok();
    let base = policies.evaluate(facts)?.decision;
    let always_failing = base
        .checks
        .iter()
        .filter(|c| {
            c.status == Status::Fail && ![TEACHING, FREEZE, NOTICE].contains(&c.id.as_str())
        })
        .map(|c| (c.id.clone(), c.detail.clone()))
        .collect();
    let runs: Vec<Stretch> = plan
        .notice_allowed
        .iter()
        .map(|s| Stretch {
            first: s.first,
            last: s.last,
            open_end: s.open_end,
            basis: s.basis.clone(),
            send_by: (s.basis.as_deref() == Some(SEND_NOW)).then_some(s.first - lead),
        })
        .collect();
    let mut reasons = Reasons {
        policies,
        facts,
        query,
    };
    let mut days = Vec::new();
    let first_day = plan.from.with_timezone(&tz).date_naive();
    let last_day = plan.until.with_timezone(&tz).date_naive();
    for date in first_day.iter_days().take_while(|d| *d <= last_day) {
        let (start, end) = (midnight(date, tz), date.succ_opt().map(|d| midnight(d, tz)));
        let (Some(start), Some(end)) = (start, end.flatten()) else {
            continue;
        };
        let mut cells = Vec::new();
        let mut offsets: Vec<String> = Vec::new();
        let mut t = start;
        while t < end {
            let local = t.with_timezone(&tz);
            let offset = local.format("%Z %:z").to_string();
            if !offsets.contains(&offset) {
                offsets.push(offset);
            }
            let cell_end = (t + Duration::hours(1)).min(end);
            let state = cell_state(&mut reasons, plan, t, cell_end)?;
            let send_notice = runs
                .iter()
                .filter_map(|r| {
                    r.send_by
                        .filter(|s| *s >= t && *s < cell_end)
                        .map(|_| r.first)
                })
                .collect();
            cells.push(Cell {
                start: t,
                hour: local.hour(),
                label: local.format("%H:%M %Z (%:z)").to_string(),
                state,
                send_notice,
                announced: announced.is_some_and(|(a, b)| t < b && cell_end > a),
            });
            t = cell_end;
        }
        days.push(Day {
            date,
            holiday: holidays.contains(&date),
            offsets,
            cells,
        });
    }
    Ok(Calendar {
        target: plan.target.clone(),
        downtime: plan.downtime,
        minutes: plan.minutes,
        timezone: plan.timezone.clone(),
        tz,
        now: facts.now,
        from: plan.from,
        until: plan.until,
        digest,
        notice_lead_hours: lead.num_hours(),
        days,
        runs,
        always_failing,
        announced,
    })
}

/// The first instant of `date` in `tz` (a midnight skipped by DST: the hour after).
fn midnight(date: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    (0..3)
        .filter_map(|h| NaiveTime::from_hms_opt(h, 0, 0))
        .find_map(|t| tz.from_local_datetime(&date.and_time(t)).earliest())
        .map(|t| t.with_timezone(&Utc))
}

/// Asks the policies why a start is closed.
struct Reasons<'a> {
    policies: &'a mut PolicySet,
    facts: &'a Facts,
    query: &'a Query,
}

impl Reasons<'_> {
    fn at(&mut self, start: DateTime<Utc>) -> Result<Closing, SearchError> {
        let mut facts = self.facts.clone();
        facts.window = plan_window(start, self.query.minutes, self.query.tz);
        let failing =
            planner::failing_for_notice_sent_now(self.policies, &facts, &self.query.settings)?;
        let pick = |id: &str| failing.iter().find(|c| c.id == id);
        let (kind, check) = if let Some(c) = pick(FREEZE) {
            (Kind::Freeze, Some(c))
        } else if let Some(c) = pick(TEACHING) {
            (Kind::Teaching, Some(c))
        } else if let Some(c) = pick(NOTICE) {
            if start < self.facts.now + self.query.settings.notice_lead {
                (Kind::NoticeLead, Some(c))
            } else {
                (Kind::Always, Some(c))
            }
        } else {
            (Kind::Unknown, None)
        };
        Ok(Closing {
            kind,
            check: check.map_or_else(String::new, |c| c.id.clone()),
            detail: check.map_or_else(
                || "the search found no allowed start here, and the policies named no failing time check for a notice sent now".to_owned(),
                |c| c.detail.clone(),
            ),
        })
    }
}

/// The state of the starts from `start` to the minute before `end`.
fn cell_state(
    reasons: &mut Reasons<'_>,
    plan: &Windows,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<CellState, SearchError> {
    let minute = Duration::minutes(1);
    let lo = start.max(plan.from);
    let hi = (end - minute).min(plan.until);
    if lo > hi {
        return Ok(CellState::Outside);
    }
    // The allowed starts in the hour, as inclusive ranges in order.
    let overlaps: Vec<(DateTime<Utc>, DateTime<Utc>)> = plan
        .notice_allowed
        .iter()
        .map(|s| (s.first.max(lo), s.last.min(hi)))
        .filter(|(a, b)| a <= b)
        .collect();
    // The first start in the hour that no run covers.
    let mut t = lo;
    for (a, b) in &overlaps {
        if *a <= t && t <= *b {
            t = *b + minute;
        }
    }
    if t > hi {
        return Ok(CellState::Allowed);
    }
    let rest = reasons.at(t)?;
    match (overlaps.first(), overlaps.last()) {
        (Some((first, _)), Some((_, last))) => Ok(CellState::Partly {
            first: *first,
            last: *last,
            rest,
        }),
        _ => Ok(CellState::Closed(rest)),
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "Tue 2026-11-24 21:00 EST (-05:00)": the zone's name and offset, so DST is plain.
pub fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %Y-%m-%d %H:%M %Z (%:z)")
        .to_string()
}

impl Cell {
    /// The cell's text alternative: the time and the state in words.
    pub fn describe(&self, tz: Tz) -> String {
        let when = local(self.start, tz);
        let mut out = match &self.state {
            CellState::Outside => format!("{when}: outside the search"),
            CellState::Allowed => format!("{when}: allowed start"),
            CellState::Partly { first, last, rest } => format!(
                "{when}: allowed from {} to {}; otherwise closed by {} ({}: {})",
                hhmm(*first, tz),
                hhmm(*last, tz),
                rest.kind.words(),
                rest.check,
                rest.detail
            ),
            CellState::Closed(c) if c.check.is_empty() => format!("{when}: {}", c.detail),
            CellState::Closed(c) => format!(
                "{when}: closed by {} ({}: {})",
                c.kind.words(),
                c.check,
                c.detail
            ),
        };
        for first in &self.send_notice {
            let _ = write!(
                out,
                "; send the notice this hour for the run from {}",
                local(*first, tz)
            );
        }
        if self.announced {
            out.push_str("; in the announced window");
        }
        out
    }
}

fn hhmm(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

const CSS: &str = r#"
:root { color-scheme: light dark; --fg:#1b1b1b; --bg:#fff; --line:#888; --allowed:#cdeccd; --partly:#e6f4d8;
  --teaching:#f6d7a7; --freeze:#f2b8b8; --lead:#c9d8f2; --always:#d9c7e8; --unknown:#ddd; --outside:#f2f2f2; --mark:#000; }
@media (prefers-color-scheme: dark) { :root { --fg:#eee; --bg:#161616; --line:#777; --allowed:#1f4d24; --partly:#2b4a1f;
  --teaching:#5a3f12; --freeze:#5e1f1f; --lead:#1f3557; --always:#42285a; --unknown:#444; --outside:#222; --mark:#fff; } }
body { font: 12px/1.35 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 1em; }
h1 { font-size: 1.3em; margin: 0 0 .3em; } p, ul { margin: .3em 0; }
table.grid { border-collapse: collapse; table-layout: fixed; width: 100%; }
.grid th, .grid td { border: 1px solid var(--line); padding: 0; text-align: center; font-size: 11px; }
.grid th.day { text-align: left; padding: 1px 4px; width: 21em; font-weight: normal; white-space: nowrap; overflow: hidden; }
.grid td > div { display: flex; } .c { flex: 1; min-height: 1.7em; line-height: 1.7em; position: relative; font-weight: bold; }
.c + .c { border-left: 1px dashed var(--line); }
.allowed { background: var(--allowed); }
.partly { background: linear-gradient(135deg, var(--allowed) 50%, var(--partly) 50%); }
.teaching { background: repeating-linear-gradient(0deg, var(--teaching) 0 3px, var(--bg) 3px 5px); }
.freeze { background: repeating-linear-gradient(45deg, var(--freeze) 0 3px, var(--bg) 3px 5px),
  var(--freeze); background-blend-mode: multiply; }
.notice-lead { background: radial-gradient(var(--fg) 0.8px, var(--lead) 1px) 0 0 / 5px 5px; }
.always { background: repeating-linear-gradient(-45deg, var(--always) 0 2px, var(--bg) 2px 4px); }
.unknown { background: var(--unknown); } .outside { background: var(--outside); color: var(--line); font-weight: normal; }
.gap { background: repeating-linear-gradient(90deg, var(--line) 0 1px, transparent 1px 4px); min-height: 1.7em; }
.c .l { background: var(--bg); padding: 0 2px; border-radius: 2px; }
.c.ann { outline: 3px solid var(--mark); outline-offset: -3px; }
.c.ann .l::after { content: "★"; }
.c.chg { outline: 3px dashed var(--mark); outline-offset: -3px; }
.pair { display: flex; gap: 1em; } .pair > section { flex: 1; min-width: 0; } .c .m::before { content: "✉"; }
.holiday { font-style: italic; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.legend { display: flex; flex-wrap: wrap; gap: .3em 1.2em; list-style: none; padding: 0; }
.legend .c { display: inline-block; width: 2.2em; text-align: center; border: 1px solid var(--line); }
table.runs { border-collapse: collapse; } .runs td, .runs th { border: 1px solid var(--line); padding: 1px 6px; text-align: left; }
@page { size: A4 landscape; margin: 8mm; }
@media print { body { font-size: 9px; margin: 0; } .grid th, .grid td { font-size: 8px; } .c { min-height: 1.4em; line-height: 1.4em; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; } table.runs { page-break-inside: avoid; } }
"#;

/// The calendar as one self-contained HTML page.
pub fn html(cal: &Calendar) -> String {
    let tz = cal.tz;
    let kind = if cal.downtime {
        "downtime deploy"
    } else {
        "zero-downtime deploy"
    };
    let title = format!(
        "Deploy calendar: {}, {}-minute {kind}",
        cal.target, cal.minutes
    );
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n<meta name=\"color-scheme\" content=\"light dark\" />\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let _ = writeln!(
        o,
        "<p id=\"facts\">Facts of {} ({}); starts searched from {} to {}; zone {}; notice lead {} h; policies sha256 <code id=\"digest\">{}</code>.</p>",
        esc(&local(cal.now, tz)),
        cal.now.format("%Y-%m-%dT%H:%M:%SZ"),
        esc(&local(cal.from, tz)),
        esc(&local(cal.until, tz)),
        esc(&cal.timezone),
        cal.notice_lead_hours,
        esc(cal
            .digest
            .as_deref()
            .unwrap_or("unknown (a policy file could not be read)")),
    );
    if !cal.downtime {
        o.push_str("<p>Not a downtime deploy: teaching hours and notices do not apply.</p>\n");
    }
    if let Some((a, b)) = cal.announced {
        let _ = writeln!(
            o,
            "<p id=\"announced\">The announced window, from {} to {}, is outlined and starred (★).</p>",
            esc(&local(a, tz)),
            esc(&local(b, tz))
        );
    }
    if !cal.always_failing.is_empty() {
        o.push_str("<p id=\"always\"><strong>Failing whatever the time</strong> (not in the cells; the gate denies every start until they pass):</p>\n<ul>\n");
        for (id, detail) in &cal.always_failing {
            let _ = writeln!(o, "<li><code>{}</code>: {}</li>", esc(id), esc(detail));
        }
        o.push_str("</ul>\n");
    }
    legend(&mut o);
    grid(&mut o, cal, tz, &BTreeSet::new());
    runs(&mut o, cal, tz);
    o.push_str("</body>\n</html>\n");
    o
}

/// The starts of the hours whose state differs between two calendars of one search.
pub fn changed(before: &Calendar, after: &Calendar) -> BTreeSet<DateTime<Utc>> {
    let states = |cal: &Calendar| -> BTreeMap<DateTime<Utc>, CellState> {
        cal.days
            .iter()
            .flat_map(|d| &d.cells)
            .map(|c| (c.start, c.state.clone()))
            .collect()
    };
    let (b, a) = (states(before), states(after));
    b.keys()
        .chain(a.keys())
        .filter(|t| b.get(t) != a.get(t))
        .copied()
        .collect()
}

/// One calendar's legend, grid and runs, for a page that shows two side by side
/// (`policy impact --windows --format html`): hours whose start is in `changed` are
/// outlined and carry "Δ" next to their letter.
pub fn section(cal: &Calendar, changed: &BTreeSet<DateTime<Utc>>) -> String {
    let mut o = String::new();
    grid(&mut o, cal, cal.tz, changed);
    runs(&mut o, cal, cal.tz);
    o
}

/// The page's stylesheet and legend, for a page built of [`section`]s.
pub fn page_head(title: &str) -> String {
    let mut o = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n<meta name=\"color-scheme\" content=\"light dark\" />\n<title>{t}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{t}</h1>\n",
        t = esc(title)
    );
    legend(&mut o);
    o
}

/// HTML-escapes text for a page built of [`section`]s.
pub fn escape(s: &str) -> String {
    esc(s)
}

fn legend(o: &mut String) {
    o.push_str("<ul class=\"legend\" aria-label=\"Legend\">\n");
    let items = [
        ("allowed", "A", "every start in the hour is allowed"),
        ("partly", "a", "some starts in the hour are allowed"),
        ("teaching", "T", "closed: live teaching hours"),
        ("freeze", "F", "closed: a freeze (reason in the cell)"),
        (
            "notice-lead",
            "N",
            "closed: less than the notice lead ahead",
        ),
        (
            "always",
            "X",
            "closed: a check that fails whatever the time",
        ),
        ("unknown", "?", "closed: no failing check named"),
        ("outside", "·", "outside the search"),
    ];
    for (class, letter, words) in items {
        let _ = writeln!(
            o,
            "<li><span class=\"c {class}\"><span class=\"l\">{letter}</span></span> {words}</li>"
        );
    }
    o.push_str("<li><span class=\"c\"><span class=\"m\"></span></span> send the notice this hour (for the run listed below)</li>\n");
    o.push_str(
        "<li><span class=\"c ann\"><span class=\"l\"></span></span> in the announced window</li>\n",
    );
    o.push_str("<li><span class=\"holiday\">italic date</span>: a holiday (no live teaching)</li>\n</ul>\n");
}

fn grid(o: &mut String, cal: &Calendar, tz: Tz, changed: &BTreeSet<DateTime<Utc>>) {
    let _ = writeln!(
        o,
        "<table class=\"grid\">\n<caption class=\"sr\">Starts by local day (rows) and hour (columns), {}</caption>",
        esc(&cal.timezone)
    );
    o.push_str("<thead><tr><th class=\"day\" scope=\"col\">Day (hours, UTC offsets)</th>");
    for h in 0..24 {
        let _ = write!(o, "<th scope=\"col\">{h:02}</th>");
    }
    o.push_str("</tr></thead>\n<tbody>\n");
    for day in &cal.days {
        let holiday = if day.holiday { " holiday" } else { "" };
        let _ = write!(
            o,
            "<tr data-date=\"{}\" data-hours=\"{}\"><th class=\"day{holiday}\" scope=\"row\">{}{} · {} h · {}</th>",
            day.date,
            day.cells.len(),
            day.date.format("%a %Y-%m-%d"),
            if day.holiday { " (holiday)" } else { "" },
            day.cells.len(),
            esc(&day.offsets.join(" → "))
        );
        let mut by_hour: BTreeMap<u32, Vec<&Cell>> = BTreeMap::new();
        for c in &day.cells {
            by_hour.entry(c.hour).or_default().push(c);
        }
        for h in 0..24 {
            match by_hour.get(&h) {
                None => {
                    let _ = write!(
                        o,
                        "<td><div class=\"gap\" title=\"no {h:02}:00 on this day: the clocks go forward\"><span class=\"sr\">no {h:02}:00 on this day: the clocks go forward</span></div></td>"
                    );
                }
                Some(cells) => {
                    o.push_str("<td><div>");
                    for c in cells {
                        cell(o, c, tz, changed.contains(&c.start));
                    }
                    o.push_str("</div></td>");
                }
            }
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody>\n</table>\n");
}

fn cell(o: &mut String, c: &Cell, tz: Tz, changed: bool) {
    let mut describe = c.describe(tz);
    if changed {
        describe.push_str("; changed between the sides");
    }
    let describe = esc(&describe);
    let (chg, delta) = if changed {
        (" chg\" data-changed=\"yes", "Δ")
    } else {
        ("", "")
    };
    let ann = if c.announced {
        " ann\" data-announced=\"yes"
    } else {
        ""
    };
    let check = match &c.state {
        CellState::Closed(x) | CellState::Partly { rest: x, .. } => {
            format!(" data-check=\"{}\"", esc(&x.check))
        }
        _ => String::new(),
    };
    let mark = if c.send_notice.is_empty() {
        ""
    } else {
        "<span class=\"m\" data-notice=\"send\"></span>"
    };
    let _ = write!(
        o,
        "<div class=\"c h {state}{ann}{chg}\" data-state=\"{state}\" data-start=\"{start}\" data-local=\"{local}\"{check} title=\"{describe}\"><span class=\"l\" aria-hidden=\"true\">{letter}{delta}</span>{mark}<span class=\"sr\">{describe}</span></div>",
        state = c.state.name(),
        start = c.start.format("%Y-%m-%dT%H:%M:%SZ"),
        local = esc(&c.label),
        letter = c.state.letter(),
    );
}

fn runs(o: &mut String, cal: &Calendar, tz: Tz) {
    o.push_str("<h2>Allowed runs of starts</h2>\n");
    if cal.runs.is_empty() {
        o.push_str("<p>None in the search: try --days, or a shorter --minutes.</p>\n");
        return;
    }
    o.push_str("<table class=\"runs\"><thead><tr><th>earliest start</th><th>latest start</th><th>notice</th><th>send the notice by</th></tr></thead><tbody>\n");
    for r in &cal.runs {
        let last = if r.open_end {
            format!("{} or later", local(r.last, tz))
        } else {
            local(r.last, tz)
        };
        let send = r
            .send_by
            .map_or_else(String::new, |t| format!("✉ {}", local(t, tz)));
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&local(r.first, tz)),
            esc(&last),
            esc(r.basis.as_deref().unwrap_or("")),
            esc(&send)
        );
    }
    o.push_str("</tbody></table>\n");
}
