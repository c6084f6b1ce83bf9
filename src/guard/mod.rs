//! The guard after a deploy: the app judged by its numbers. Before the first step
//! the baseline (error rate and apdex over `guard.baseline_minutes`) is read from New
//! Relic; after the runbook (the deploy step and the smoke URLs) one sample is taken
//! each `guard.interval_seconds`, `guard.minutes` times, each judged with the ones
//! before by the policies (`data.gatekeeper.guard.verdict`): the first failing
//! verdict ends the watch. Missing or unreadable figures fail. A signal ends the
//! watch like any step. This module reads and judges; it never rolls back, never
//! records and never picks an exit code (the deploy command does, once).

pub mod hooks;

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::config::{Config, TargetConfig};
use crate::policy::{PolicySet, Settings};
use crate::runbook::signals::{Interruption, Watch};
use crate::sources::newrelic::NewRelicError;
use crate::sources::newrelic::blocking::NewRelic;
use crate::sources::newrelic::metrics::{self, Figures};

/// Why the guard could not read New Relic's figures.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    NewRelic(#[from] NewRelicError),
    #[error(
        "New Relic has no error rate and apdex for {app} over the last {minutes} minutes: check targets.*.app against its appName"
    )]
    NoBaseline { app: String, minutes: u32 },
}

/// What the guard of a deploy will do, resolved from the config and the settings.
#[derive(Debug, Clone)]
pub struct Terms {
    pub app: String,
    pub minutes: u32,
    pub interval: Duration,
    pub baseline_minutes: u32,
    pub apdex_t: f64,
    pub auto_rollback: bool,
    pub error_rate_rise_points: f64,
    pub apdex_drop: f64,
}

/// Why there is no guard, when there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Off {
    /// No `[guard]` section, or `guard.minutes = 0`.
    NotConfigured,
    /// `--no-guard`.
    Skipped,
}

/// The guard of `target`, or why there is none.
pub fn terms(
    config: &Config,
    target: &TargetConfig,
    settings: &Settings,
    no_guard: bool,
) -> Result<Terms, Off> {
    let Some(g) = config.guard.as_ref().filter(|g| g.on()) else {
        return Err(Off::NotConfigured);
    };
    if no_guard {
        return Err(Off::Skipped);
    }
    Ok(Terms {
        app: target.app.clone(),
        minutes: g.minutes,
        interval: Duration::from_secs(g.interval_seconds),
        baseline_minutes: g.baseline_minutes,
        apdex_t: g.apdex_t,
        auto_rollback: target.auto_rollback,
        error_rate_rise_points: settings.guard_error_rate_rise_points,
        apdex_drop: settings.guard_apdex_drop,
    })
}

impl Terms {
    /// One paragraph for `deploy --dry-run` and before the run.
    pub fn describe(&self) -> String {
        format!(
            "Guard: after the deploy, {} sample(s) of {}'s error rate and apdex, one every {} s, against the {} minutes before it; fails on an error-rate rise of more than {} points, an apdex drop of more than {}, or a sample without data. On failure: {}.",
            self.minutes,
            self.app,
            self.interval.as_secs(),
            self.baseline_minutes,
            self.error_rate_rise_points,
            self.apdex_drop,
            if self.auto_rollback {
                "one automatic rollback (auto_rollback = true)"
            } else {
                "stop with exit 1 and the rollback command (auto_rollback = false)"
            }
        )
    }

    /// Reads the baseline: the figures of the last `baseline_minutes`. No data is
    /// an error (a guard without a baseline judges nothing).
    pub fn baseline(&self, nr: &NewRelic) -> Result<Figures, ReadError> {
        let since = format!("{} minutes", self.baseline_minutes);
        let figures = self.read(nr, &since)?;
        if !figures.has_data() {
            return Err(ReadError::NoBaseline {
                app: self.app.clone(),
                minutes: self.baseline_minutes,
            });
        }
        Ok(figures)
    }

    fn read(&self, nr: &NewRelic, since: &str) -> Result<Figures, ReadError> {
        let nrql = metrics::nrql(&self.app, since, self.apdex_t, false);
        let answer = nr.query(&metrics::request_body(nr.account_id, &nrql))?;
        metrics::parse_single(&answer).map_err(|e| {
            ReadError::NewRelic(NewRelicError::Answer {
                url: nr.url().to_owned(),
                message: e.to_string(),
            })
        })
    }
}

/// One sample after the deploy.
#[derive(Debug, Clone)]
pub struct Sample {
    pub minute: u32,
    pub figures: Figures,
    /// Why it has no figures, when it could not be read.
    pub error: Option<String>,
}

/// How the watch ended.
#[derive(Debug, Clone)]
pub enum WatchEnd {
    Passed,
    Failed(Vec<String>),
    Interrupted(Interruption),
}

/// What the guard saw and how it ended.
#[derive(Debug, Clone)]
pub struct Watched {
    pub baseline: Figures,
    pub samples: Vec<Sample>,
    pub ended: WatchEnd,
}

impl Watched {
    /// The figures as the audit record keeps them.
    pub fn samples_json(&self) -> Vec<Value> {
        self.samples.iter().map(sample_json).collect()
    }

    pub fn baseline_json(&self) -> Value {
        figures_json(&self.baseline)
    }
}

fn figures_json(f: &Figures) -> Value {
    json!({"error_pct": f.error_pct, "apdex": f.apdex, "count": f.count})
}

fn sample_json(s: &Sample) -> Value {
    let mut v = figures_json(&s.figures);
    if let Some(map) = v.as_object_mut() {
        map.insert("minute".to_owned(), json!(s.minute));
        if let Some(e) = &s.error {
            map.insert("error".to_owned(), json!(e));
        }
    }
    v
}

/// Takes the samples, a line each on `out`, judging after each; the first failing
/// verdict (or a verdict that cannot be made) ends it.
pub fn watch(
    plan: &Terms,
    nr: &NewRelic,
    baseline: Figures,
    policies: &mut PolicySet,
    out: &mut dyn Write,
    signals: &Watch,
) -> Watched {
    let mut report = Watched {
        baseline,
        samples: Vec::new(),
        ended: WatchEnd::Passed,
    };
    let since = format!("{} seconds", plan.interval.as_secs());
    for minute in 1..=plan.minutes {
        if let Some(signal) = wait(plan.interval, signals) {
            report.ended = WatchEnd::Interrupted(signal);
            return report;
        }
        let sample = match plan.read(nr, &since) {
            Ok(figures) => Sample {
                minute,
                figures,
                error: None,
            },
            Err(e) => Sample {
                minute,
                figures: metrics::Figures {
                    error_pct: None,
                    apdex: None,
                    count: None,
                },
                error: Some(e.to_string()),
            },
        };
        let _ = writeln!(out, "{}", line(plan, &report.baseline, &sample));
        let _ = out.flush();
        report.samples.push(sample);
        let input = json!({
            "baseline": report.baseline_json(),
            "samples": report.samples_json(),
        });
        match policies.judge_guard(&input) {
            Ok((true, _)) => {}
            Ok((false, reasons)) => {
                let mut reasons = reasons;
                if reasons.is_empty() {
                    reasons.push("no evidence that the deploy is healthy".to_owned());
                }
                report.ended = WatchEnd::Failed(with_errors(reasons, &report.samples));
                return report;
            }
            Err(e) => {
                report.ended = WatchEnd::Failed(vec![format!("the guard could not judge: {e}")]);
                return report;
            }
        }
    }
    report
}

/// The reasons, with why a sample without data could not be read.
fn with_errors(mut reasons: Vec<String>, samples: &[Sample]) -> Vec<String> {
    for s in samples {
        if let Some(e) = &s.error {
            reasons.push(format!("minute {}: {e}", s.minute));
        }
    }
    reasons
}

/// Waits `interval`, or until a signal arrives (returned).
fn wait(interval: Duration, signals: &Watch) -> Option<Interruption> {
    let until = Instant::now() + interval;
    loop {
        if let Some(signal) = signals.received() {
            return Some(signal);
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

fn shown(v: Option<f64>, digits: usize, unit: &str) -> String {
    v.map_or_else(|| "no data".to_owned(), |v| format!("{v:.digits$}{unit}"))
}

/// A sample's line: `guard 3/10: error rate 0.51% (baseline 0.42%), apdex 0.93 (baseline 0.94)`.
pub fn line(plan: &Terms, baseline: &Figures, s: &Sample) -> String {
    format!(
        "guard {}/{}: error rate {} (baseline {}), apdex {} (baseline {}){}",
        s.minute,
        plan.minutes,
        shown(s.figures.error_pct, 2, "%"),
        shown(baseline.error_pct, 2, "%"),
        shown(s.figures.apdex, 2, ""),
        shown(baseline.apdex, 2, ""),
        s.error
            .as_ref()
            .map_or_else(String::new, |e| format!(": {e}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_line_shows_both_figures_beside_the_baseline() {
        let plan = Terms {
            app: "apangea".to_owned(),
            minutes: 10,
            interval: Duration::from_secs(60),
            baseline_minutes: 30,
            apdex_t: 0.5,
            auto_rollback: false,
            error_rate_rise_points: 2.0,
            apdex_drop: 0.05,
        };
        let base = Figures {
            error_pct: Some(0.42),
            apdex: Some(0.94),
            count: Some(1.0),
        };
        let s = Sample {
            minute: 3,
            figures: Figures {
                error_pct: None,
                apdex: None,
                count: None,
            },
            error: Some("HTTP 500".to_owned()),
        };
        assert_eq!(
            line(&plan, &base, &s),
            "guard 3/10: error rate no data (baseline 0.42%), apdex no data (baseline 0.94): HTTP 500"
        );
        assert!(plan.describe().contains("stop with exit 1"));
    }
}
