//! `[guard]`: the watch on the app's numbers after a deploy (see `crate::guard`).
//! Without the section, or with `minutes = 0`, there is no guard; `auto_rollback`
//! lives on each target.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardConfig {
    /// Samples taken after the deploy, one each `interval_seconds` (0: no guard).
    #[serde(default = "default_minutes")]
    pub minutes: u32,
    /// Minutes before the deploy that the baseline covers.
    #[serde(default = "default_baseline_minutes")]
    pub baseline_minutes: u32,
    /// Seconds between samples; each sample covers that span. 60 in production.
    #[serde(default = "default_interval_seconds")]
    pub interval_seconds: u64,
    /// Apdex's T, in seconds.
    #[serde(default = "default_apdex_t")]
    pub apdex_t: f64,
}

fn default_minutes() -> u32 {
    10
}
fn default_baseline_minutes() -> u32 {
    30
}
fn default_interval_seconds() -> u64 {
    60
}
fn default_apdex_t() -> f64 {
    0.5
}

impl GuardConfig {
    /// Every problem of the section.
    pub fn problems(&self, problems: &mut Vec<String>) {
        if self.minutes > 120 {
            problems.push(format!(
                "guard.minutes is {}: watch at most 120 samples (0 turns the guard off)",
                self.minutes
            ));
        }
        if !(1..=1440).contains(&self.baseline_minutes) {
            problems.push(format!(
                "guard.baseline_minutes is {}: give 1 to 1440 minutes before the deploy",
                self.baseline_minutes
            ));
        }
        if !(1..=3600).contains(&self.interval_seconds) {
            problems.push(format!(
                "guard.interval_seconds is {}: give 1 to 3600 (60 samples each minute)",
                self.interval_seconds
            ));
        }
        if !(self.apdex_t.is_finite() && self.apdex_t > 0.0 && self.apdex_t <= 60.0) {
            problems.push(format!(
                "guard.apdex_t is {}: give apdex's T in seconds, e.g. 0.5",
                self.apdex_t
            ));
        }
    }

    /// Whether a deploy is guarded at all.
    pub fn on(&self) -> bool {
        self.minutes > 0
    }
}
