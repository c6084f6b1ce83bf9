//! Waiting for a gate instead of retrying by hand (`deploy --wait`): when to look
//! again and when to go, from the decisions seen so far. Pure: the caller collects,
//! decides, sleeps and prints; this module only paces.
//!
//! - While denied: look again at the next allowed start the window search finds
//!   (when only time-dependent checks fail), else after `interval`.
//! - Go only after the allows have held for `steady` (decisions `interval` apart), so
//!   that one sample between two throughput spikes is not taken at face value.
//! - Give up when `timeout` has passed without that.

use std::time::Duration;

use crate::decision::Decision;

/// How long to wait, how often to look, how long an allow must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    pub timeout: Duration,
    pub interval: Duration,
    pub steady: Duration,
}

/// What to do after a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The allows held for `steady`: go on.
    Go,
    /// Look again after this long.
    Sleep(Duration),
    /// `timeout` passed.
    GiveUp,
}

/// The decisions seen so far, by time since the wait began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacer {
    pacing: Pacing,
    /// When the current run of allows began.
    allowed_since: Option<Duration>,
}

impl Pacer {
    pub fn new(pacing: Pacing) -> Self {
        Self {
            pacing,
            allowed_since: None,
        }
    }

    /// After a decision at `elapsed` (since the wait began) that allowed or not;
    /// `opens_in`: how far off the next allowed start is, when the window search
    /// could say (only time-dependent checks failed).
    pub fn next(&mut self, elapsed: Duration, allow: bool, opens_in: Option<Duration>) -> Next {
        let wanted = if allow {
            let since = *self.allowed_since.get_or_insert(elapsed);
            let held = elapsed.saturating_sub(since);
            if held >= self.pacing.steady {
                return Next::Go;
            }
            // The next sample, never past the moment the allows will have held.
            self.pacing.interval.min(self.pacing.steady - held)
        } else {
            self.allowed_since = None;
            opens_in.unwrap_or(self.pacing.interval)
        };
        if elapsed >= self.pacing.timeout {
            return Next::GiveUp;
        }
        // One last look at the deadline.
        let left = self.pacing.timeout - elapsed;
        Next::Sleep(wanted.max(Duration::from_secs(1)).min(left))
    }

    /// How long the allows have held at `elapsed`.
    pub fn held(&self, elapsed: Duration) -> Option<Duration> {
        self.allowed_since.map(|s| elapsed.saturating_sub(s))
    }
}

/// A duration as people write it: `90s`, `5m`, `2h`, `1h30m`, `30d`, `2w` (whole
/// units, at least one; a bare number is refused, its unit would be a guess). The
/// one reading of every `DURATION` flag.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration: write it like 30s, 5m, 2h, 1h30m or 2w");
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut units = 0;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let scale = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        units += 1;
        total = n
            .checked_mul(scale)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() || units == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// A duration as [`parse_duration`] reads it back.
pub fn show(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, 0) => format!("{h}h{m}m"),
        (h, m, s) => format!("{h}h{m}m{s}s"),
    }
}

/// One decision's line: when, the verdict, what fails, and what happens next.
pub fn line(decision: &Decision, next: Next, held: Option<Duration>, pacing: Pacing) -> String {
    let at = &decision.evaluated_at;
    let verdict = if decision.allow {
        "allow".to_owned()
    } else {
        let failing: Vec<&str> = decision.failing().map(|c| c.id.as_str()).collect();
        format!("deny ({})", failing.join(", "))
    };
    let then = match next {
        Next::Go if pacing.steady.is_zero() => "going on".to_owned(),
        Next::Go => format!("allowed for {}: going on", show(pacing.steady)),
        Next::GiveUp => format!("gave up after {} (--timeout)", show(pacing.timeout)),
        Next::Sleep(d) => match held {
            Some(h) if decision.allow => format!(
                "allowed for {} of {} (--steady); deciding again in {}",
                show(h),
                show(pacing.steady),
                show(d)
            ),
            _ => format!("deciding again in {}", show(d)),
        },
    };
    format!("gatekeeper: {at} {} {verdict}; {then}", decision.target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn pacer() -> Pacer {
        Pacer::new(Pacing {
            timeout: secs(600),
            interval: secs(60),
            steady: secs(120),
        })
    }

    #[test]
    fn a_deny_looks_again_at_the_interval_or_when_the_window_opens() {
        let mut p = pacer();
        assert_eq!(p.next(secs(0), false, None), Next::Sleep(secs(60)));
        assert_eq!(
            p.next(secs(60), false, Some(secs(200))),
            Next::Sleep(secs(200))
        );
        // Never past the deadline: one last look there.
        assert_eq!(
            p.next(secs(500), false, Some(secs(3600))),
            Next::Sleep(secs(100))
        );
        assert_eq!(p.next(secs(600), false, None), Next::GiveUp);
    }

    #[test]
    fn an_allow_goes_only_after_it_held_for_the_steady_period() {
        let mut p = pacer();
        assert_eq!(p.next(secs(0), true, None), Next::Sleep(secs(60)));
        assert_eq!(p.next(secs(60), true, None), Next::Sleep(secs(60)));
        // A spike in between starts the count again.
        assert_eq!(p.next(secs(120), false, None), Next::Sleep(secs(60)));
        assert_eq!(p.next(secs(180), true, None), Next::Sleep(secs(60)));
        assert_eq!(p.held(secs(240)), Some(secs(60)));
        assert_eq!(p.next(secs(240), true, None), Next::Sleep(secs(60)));
        assert_eq!(p.next(secs(300), true, None), Next::Go);
    }

    #[test]
    fn without_a_steady_period_the_first_allow_goes() {
        let mut p = Pacer::new(Pacing {
            timeout: secs(60),
            interval: secs(10),
            steady: Duration::ZERO,
        });
        assert_eq!(p.next(secs(0), true, None), Next::Go);
    }

    #[test]
    fn an_allow_not_yet_steady_at_the_deadline_gives_up() {
        let mut p = pacer();
        assert_eq!(p.next(secs(590), true, None), Next::Sleep(secs(10)));
        assert_eq!(p.next(secs(600), true, None), Next::GiveUp);
    }

    #[test]
    fn durations_read_as_written_and_nothing_else() {
        assert_eq!(parse_duration("90s"), Ok(secs(90)));
        assert_eq!(parse_duration("5m"), Ok(secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(secs(172_800)));
        assert_eq!(parse_duration("2w"), Ok(secs(1_209_600)));
        for bad in [
            "",
            "5",
            "m",
            "5x",
            "-5m",
            "1.5h",
            "5 m",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        for d in [
            secs(5),
            secs(300),
            secs(330),
            secs(3600),
            secs(5400),
            secs(3661),
        ] {
            assert_eq!(parse_duration(&show(d)), Ok(d));
        }
    }
}
