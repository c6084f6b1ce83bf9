//! Whether a facts document says one consistent thing: every `*_unix` field equals
//! its RFC 3339 twin, the window's end, local times and segments are what its start,
//! length and zone give, a notice's end is its start plus its length, nothing is
//! dated after `now`, the zone is an IANA zone and the throughput is a positive rate
//! — and, with a config, that it is about the target the config describes. The
//! policies judge the `*_unix` copies while people read the others, so a document
//! whose copies disagree is refused, never judged. Also the clock's cut ([`Facts::as_of`]):
//! what did not exist yet at `now` is left out. This module never fetches.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::{Facts, Window, plan_window};

/// The longest planned window, in minutes (a week), as `--minutes` allows.
pub const MAX_WINDOW_MINUTES: u32 = 10_080;

/// What a config says a facts document for one of its targets must hold.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub timezone: &'a str,
    /// The release repos, in config order.
    pub repos: Vec<ExpectedRepo<'a>>,
    /// The deploy repo and its base branch: where the production SHA is read.
    pub deploy_repo: &'a str,
    pub base_branch: &'a str,
    /// The New Relic app and the minutes its throughput is averaged over (when the
    /// config has a `[newrelic]` section).
    pub app: &'a str,
    pub throughput_minutes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedRepo<'a> {
    pub name: &'a str,
    pub jenkins_job: &'a str,
    pub release_branch: &'a str,
    pub base_branch: &'a str,
}

fn rfc(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Every inconsistency of the document, and its zone when that is an IANA zone.
pub(super) fn problems(facts: &Facts) -> (Option<Tz>, Vec<String>) {
    let mut out = Vec::new();
    // The config's rule: a fixed offset or legacy alias (`EST`) is wrong half the year.
    let tz = match crate::config::zone(&facts.timezone) {
        Ok(tz) => Some(tz),
        Err(why) => {
            out.push(format!("`timezone` {why}"));
            None
        }
    };
    let now = facts.now;
    twin(&mut out, "now_unix", facts.now_unix, "now", &now);
    for (field, t) in [("now", &now), ("window.start", &facts.window.start)] {
        if t.timestamp_subsec_nanos() != 0 {
            out.push(format!(
                "`{field}` is {}, with a fraction of a second: gatekeeper records whole seconds",
                rfc(t)
            ));
        }
    }
    if let Some(tz) = tz {
        window(&mut out, &facts.window, tz);
    }
    if let Some(t) = &facts.throughput {
        if !(t.rpm.is_finite() && t.rpm > 0.0) {
            out.push(format!(
                "`throughput.rpm` is {}, which is not a positive number of requests per minute (New Relic reports an app without traffic as no data, never as 0)",
                t.rpm
            ));
        }
        if t.window_minutes == 0 {
            out.push(
                "`throughput.window_minutes` is 0: a rate is averaged over at least one minute"
                    .to_owned(),
            );
        }
    }
    for (fact, present) in [
        ("incidents", facts.incidents.is_some()),
        ("throughput", facts.throughput.is_some()),
    ] {
        let said = facts
            .errors
            .iter()
            .any(|e| e.repo.is_none() && e.fact.as_deref() == Some(fact));
        if present && said {
            out.push(format!(
                "an error of `errors` says `{fact}` is unknown, but the document gives it"
            ));
        }
    }
    for (i, incident) in facts.incidents.iter().flatten().enumerate() {
        if let Some(t) = &incident.activated_at {
            after_now(&mut out, &format!("incidents[{i}].activated_at"), t, &now);
        }
    }
    if let Some(p) = &facts.production {
        full_sha(&mut out, "production.sha", &p.sha);
    }
    for (r, repo) in facts.repos.iter().enumerate() {
        // What the checks compare must be whole commit SHAs: `"" == ""` is no match.
        if let Some(sha) = &repo.release_sha {
            full_sha(&mut out, &format!("repos[{r}].release_sha"), sha);
        }
        if let Some(sha) = repo.ci.as_ref().and_then(|c| c.sha.as_ref()) {
            full_sha(&mut out, &format!("repos[{r}].ci.sha"), sha);
        }
        for (p, pull) in repo.pull_requests.iter().flatten().enumerate() {
            full_sha(
                &mut out,
                &format!("repos[{r}].pull_requests[{p}].head_sha"),
                &pull.head_sha,
            );
        }
        if repo.migrations.is_some() && repo.migrations_base.is_none() {
            out.push(format!(
                "`repos[{r}].migrations` is given but `migrations_base` is not: migrations are counted from a base, so they cannot be known without one"
            ));
        }
        // An error that says a field is unknown, beside that field: one of them lies.
        for e in facts
            .errors
            .iter()
            .filter(|e| e.repo.as_deref() == Some(repo.name.as_str()))
        {
            let present = match e.fact.as_deref() {
                Some("ci") => repo.ci.is_some(),
                Some("release_sha") => repo.release_sha.is_some(),
                Some("behind_by") => repo.behind_by.is_some(),
                Some("migrations") => repo.migrations.is_some(),
                Some("pull_requests") => repo.pull_requests.is_some(),
                _ => false,
            };
            if present {
                out.push(format!(
                    "an error of `errors` says `{}` of {} is unknown, but the document gives it",
                    e.fact.as_deref().unwrap_or_default(),
                    repo.name
                ));
            }
        }
        if let Some(started) = repo.ci.as_ref().and_then(|c| c.started_at) {
            after_now(
                &mut out,
                &format!("repos[{r}].ci.started_at"),
                &started,
                &now,
            );
        }
        for (p, pull) in repo.pull_requests.iter().flatten().enumerate() {
            for (i, review) in pull.reviews.iter().flatten().enumerate() {
                if let Some(at) = review.submitted_at {
                    let field = format!("repos[{r}].pull_requests[{p}].reviews[{i}].submitted_at");
                    after_now(&mut out, &field, &at, &now);
                }
            }
        }
    }
    for (n, notice) in facts.notices.iter().flatten().enumerate() {
        notice_problems(&mut out, n, notice, tz, &now);
    }
    (tz, out)
}

fn notice_problems(
    out: &mut Vec<String>,
    n: usize,
    notice: &super::Notice,
    tz: Option<Tz>,
    now: &DateTime<Utc>,
) {
    let at = |field: &str| format!("notices[{n}].{field}");
    twin(
        out,
        &at("sent_unix"),
        notice.sent_unix,
        &at("sent_at"),
        &notice.sent_at,
    );
    // A notice whose text at `now` is unknown counts as sent at its creation; its
    // later edit is recorded (after `now`), never read.
    let sent = match notice.edited_at {
        Some(e) if notice.text_known => e.max(notice.created_at),
        _ => notice.created_at,
    };
    if notice.sent_at != sent {
        out.push(format!(
            "`{}` is {}, but the later of `created_at` and `edited_at` is {}",
            at("sent_at"),
            rfc(&notice.sent_at),
            rfc(&sent)
        ));
    }
    after_now(out, &at("sent_at"), &notice.sent_at, now);
    after_now(out, &at("created_at"), &notice.created_at, now);
    if let Some(edited) = &notice.edited_at
        && notice.text_known
    {
        after_now(out, &at("edited_at"), edited, now);
    }
    match notice.start {
        Some(start) => {
            let unix = start.timestamp();
            if notice.start_unix != Some(unix) {
                out.push(format!(
                    "`{}` is {}, but `{}` ({}) is {unix}",
                    at("start_unix"),
                    shown(notice.start_unix),
                    at("start"),
                    rfc(&start)
                ));
            }
            if let Some(tz) = tz {
                let local = start.with_timezone(&tz).to_rfc3339();
                if notice.start_local.as_deref() != Some(local.as_str()) {
                    out.push(format!(
                        "`{}` is {}, but `{}` ({}) is {local:?} in {tz}",
                        at("start_local"),
                        shown(notice.start_local.as_ref().map(|s| format!("{s:?}"))),
                        at("start"),
                        rfc(&start)
                    ));
                }
            }
            let end = notice
                .minutes
                .map(|m| (start + Duration::minutes(i64::from(m))).timestamp());
            if notice.end_unix != end {
                out.push(format!(
                    "`{}` is {}, but `{}` plus `{}` gives {}",
                    at("end_unix"),
                    shown(notice.end_unix),
                    at("start"),
                    at("minutes"),
                    shown(end)
                ));
            }
        }
        None => {
            for (field, given) in [
                ("start_unix", notice.start_unix.is_some()),
                ("start_local", notice.start_local.is_some()),
                ("end_unix", notice.end_unix.is_some()),
            ] {
                if given {
                    out.push(format!(
                        "`{}` is given, but `{}` is not: it has nothing to be derived from",
                        at(field),
                        at("start")
                    ));
                }
            }
        }
    }
    let mut last: Option<DateTime<Utc>> = None;
    for (i, comment) in notice.comments.iter().enumerate() {
        let field = at(&format!("comments[{i}].at"));
        twin(
            out,
            &at(&format!("comments[{i}].at_unix")),
            comment.at_unix,
            &field,
            &comment.at,
        );
        after_now(out, &field, &comment.at, now);
        if let Some(before) = last.filter(|before| comment.at < *before) {
            out.push(format!(
                "`{field}` is {}, before the comment above it ({}): comments are listed oldest first",
                rfc(&comment.at),
                rfc(&before)
            ));
        }
        last = Some(comment.at);
    }
}

fn shown<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "absent".to_owned(), |v| v.to_string())
}

/// A `*_unix` field against its RFC 3339 twin.
fn twin(out: &mut Vec<String>, field: &str, unix: i64, of: &str, t: &DateTime<Utc>) {
    if unix != t.timestamp() {
        out.push(format!(
            "`{field}` is {unix}, but `{of}` ({}) is {}",
            rfc(t),
            t.timestamp()
        ));
    }
}

fn full_sha(out: &mut Vec<String>, field: &str, sha: &str) {
    if !(sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit())) {
        out.push(format!(
            "`{field}` is {sha:?}, not a whole commit SHA (40 hex digits)"
        ));
    }
}

fn after_now(out: &mut Vec<String>, field: &str, t: &DateTime<Utc>, now: &DateTime<Utc>) {
    if t > now {
        out.push(format!(
            "`{field}` is {}, after `now` ({}): a document records what existed at its `now`",
            rfc(t),
            rfc(now)
        ));
    }
}

/// The window against what its start, length and zone give.
fn window(out: &mut Vec<String>, w: &Window, tz: Tz) {
    if w.minutes == 0 || w.minutes > MAX_WINDOW_MINUTES {
        out.push(format!(
            "`window.minutes` is {}, not a length from 1 to {MAX_WINDOW_MINUTES} minutes",
            w.minutes
        ));
        return;
    }
    let want = plan_window(w.start, w.minutes, tz);
    let given = format!(
        "`window.start` ({}) and `window.minutes` ({})",
        rfc(&w.start),
        w.minutes
    );
    if w.end != want.end {
        out.push(format!(
            "`window.end` is {}, but {given} give {}",
            rfc(&w.end),
            rfc(&want.end)
        ));
    }
    if w.start_unix != want.start_unix {
        out.push(format!(
            "`window.start_unix` is {}, but `window.start` ({}) is {}",
            w.start_unix,
            rfc(&w.start),
            want.start_unix
        ));
    }
    if w.end_unix != want.end_unix {
        out.push(format!(
            "`window.end_unix` is {}, but {given} give {}",
            w.end_unix, want.end_unix
        ));
    }
    for (field, found, wanted) in [
        ("start_local", &w.start_local, &want.start_local),
        ("end_local", &w.end_local, &want.end_local),
    ] {
        if found != wanted {
            out.push(format!(
                "`window.{field}` is {found:?}, but {given} give {wanted:?} in {tz}"
            ));
        }
    }
    if w.segments != want.segments {
        let json = |s: &[super::Segment]| serde_json::to_string(s).unwrap_or_default();
        let at = w
            .segments
            .iter()
            .zip(&want.segments)
            .position(|(a, b)| a != b)
            .unwrap_or(w.segments.len().min(want.segments.len()));
        out.push(format!(
            "`window.segments` are not what {given} give in {tz} (from segment {at} on): found {}, expected {}",
            json(w.segments.get(at..).unwrap_or_default()),
            json(want.segments.get(at..).unwrap_or_default())
        ));
    }
}

impl Facts {
    /// The latest moment anything in the facts is dated: a notice or comment written
    /// or edited, a review submitted, a build started. What a live source answers
    /// exists, so the clock of live facts is at least this (a local clock a little
    /// behind GitHub's must not hide a withdrawal posted a moment ago).
    pub fn latest_evidence(&self) -> Option<DateTime<Utc>> {
        let notices = self.notices.iter().flatten().flat_map(|n| {
            [Some(n.sent_at), Some(n.created_at), n.edited_at]
                .into_iter()
                .chain(
                    n.comments
                        .iter()
                        .flat_map(|c| [Some(c.at), Some(c.created_at), c.edited_at]),
                )
        });
        let repos = self.repos.iter().flat_map(|r| {
            r.pull_requests
                .iter()
                .flatten()
                .flat_map(|p| p.reviews.iter().flatten().map(|v| v.submitted_at))
                .chain([r.ci.as_ref().and_then(|c| c.started_at)])
        });
        let incidents = self.incidents.iter().flatten().map(|i| i.activated_at);
        notices.chain(repos).chain(incidents).flatten().max()
    }

    /// The facts as they stood at `now`: notices sent, comments written and reviews
    /// submitted after it did not exist yet (an edit after it hides the earlier text,
    /// which is unknown), and a build started after it was not the last one then
    /// (which one was is unknown: an error about the repo's `ci`).
    pub fn as_of(&mut self, now: DateTime<Utc>) {
        // A notice or comment created later did not exist; one edited later is kept
        // with its text unknown (it existed, saying something else).
        if let Some(notices) = self.notices.take() {
            self.notices = Some(notices.into_iter().filter_map(|n| n.as_of(now)).collect());
        }
        // An issue activated later was not open yet (one closed since is not known).
        if let Some(incidents) = &mut self.incidents {
            incidents.retain(|i| i.activated_at.is_none_or(|t| t <= now));
        }
        let mut unknown = Vec::new();
        for repo in &mut self.repos {
            for pull in repo.pull_requests.iter_mut().flatten() {
                if let Some(reviews) = &mut pull.reviews {
                    reviews.retain(|r| r.submitted_at.is_none_or(|t| t <= now));
                }
            }
            let later = repo
                .ci
                .as_ref()
                .and_then(|c| c.started_at.filter(|t| *t > now).map(|t| (c.number, t)));
            if let Some((number, started)) = later {
                repo.ci = None;
                unknown.push((
                    repo.name.clone(),
                    format!(
                        "{}: build #{number} of Jenkins job {} started at {}, after the clock ({}); which build was the last one then is unknown",
                        repo.name,
                        repo.jenkins_job,
                        rfc(&started),
                        rfc(&now)
                    ),
                ));
            }
        }
        for (repo, message) in unknown {
            self.add_repo_error("jenkins", &repo, Some("ci"), message);
        }
    }

    /// How the document differs from what the config says of its target: the
    /// release repos (names, order, jobs, branches), the zone, the deploy repo, the
    /// New Relic app. Empty when it is about the configured target.
    pub fn differences(&self, want: &Expected<'_>) -> Vec<String> {
        let mut out = Vec::new();
        if self.timezone != want.timezone {
            out.push(format!(
                "`timezone` is {:?}, the config's is {:?}",
                self.timezone, want.timezone
            ));
        }
        let found: Vec<ExpectedRepo<'_>> = self
            .repos
            .iter()
            .map(|r| ExpectedRepo {
                name: &r.name,
                jenkins_job: &r.jenkins_job,
                release_branch: &r.release_branch,
                base_branch: &r.base_branch,
            })
            .collect();
        if found != want.repos {
            let names = |repos: &[ExpectedRepo<'_>]| {
                repos.iter().map(|r| r.name).collect::<Vec<_>>().join(", ")
            };
            let same_names = found.len() == want.repos.len()
                && found.iter().zip(&want.repos).all(|(a, b)| a.name == b.name);
            if same_names {
                for (i, (a, b)) in found.iter().zip(&want.repos).enumerate() {
                    for (field, x, y) in [
                        ("jenkins_job", a.jenkins_job, b.jenkins_job),
                        ("release_branch", a.release_branch, b.release_branch),
                        ("base_branch", a.base_branch, b.base_branch),
                    ] {
                        if x != y {
                            out.push(format!(
                                "`repos[{i}].{field}` of {} is {x:?}, the config's is {y:?}",
                                a.name
                            ));
                        }
                    }
                }
            } else {
                let missing: Vec<&str> = want
                    .repos
                    .iter()
                    .filter(|w| found.iter().all(|f| f.name != w.name))
                    .map(|w| w.name)
                    .collect();
                let foreign: Vec<&str> = found
                    .iter()
                    .filter(|f| want.repos.iter().all(|w| w.name != f.name))
                    .map(|f| f.name)
                    .collect();
                let mut detail = Vec::new();
                if !missing.is_empty() {
                    detail.push(format!("it lacks {}", missing.join(", ")));
                }
                if !foreign.is_empty() {
                    detail.push(format!("the config has no {}", foreign.join(", ")));
                }
                if detail.is_empty() {
                    detail.push("the order or the count differs".to_owned());
                }
                out.push(format!(
                    "`repos` are [{}], the config's are [{}] ({})",
                    names(&found),
                    names(&want.repos),
                    detail.join("; ")
                ));
            }
        }
        if let Some(p) = self
            .production
            .as_ref()
            .filter(|p| p.repo != want.deploy_repo || p.branch != want.base_branch)
        {
            out.push(format!(
                "`production` is read from {}@{}, the config's deploy repo is {}@{}",
                p.repo, p.branch, want.deploy_repo, want.base_branch
            ));
        }
        if let Some(t) = &self.throughput {
            if t.app != want.app {
                out.push(format!(
                    "`throughput.app` is {:?}, the config's app is {:?}",
                    t.app, want.app
                ));
            }
            if let Some(minutes) = want.throughput_minutes.filter(|m| *m != t.window_minutes) {
                out.push(format!(
                    "`throughput.window_minutes` is {}, the config's `[newrelic] window_minutes` is {minutes}",
                    t.window_minutes
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident_critical() -> Facts {
        serde_json::from_str(include_str!("../../fixtures/facts/incident-critical.json")).unwrap()
    }

    #[test]
    fn an_incident_activated_after_the_clock_was_not_open_yet() {
        let mut facts = incident_critical();
        let earlier: DateTime<Utc> = "2026-11-24T18:00:00Z".parse().unwrap();
        facts.as_of(earlier);
        let left: Vec<&str> = facts
            .incidents
            .iter()
            .flatten()
            .map(|i| i.priority.as_str())
            .collect();
        assert_eq!(left, ["LOW"]);
    }

    #[test]
    fn a_recorded_incident_activated_after_now_is_inconsistent() {
        let mut facts = incident_critical();
        let (_, found) = problems(&facts);
        assert!(found.is_empty(), "{found:?}");
        facts.now = "2026-11-24T18:00:00Z".parse().unwrap();
        facts.now_unix = facts.now.timestamp();
        let (_, found) = problems(&facts);
        assert!(
            found
                .iter()
                .any(|p| p.contains("`incidents[0].activated_at`")),
            "{found:?}"
        );
    }
}
