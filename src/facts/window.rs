//! The planned deploy window and its local times. Policies never do time-zone
//! arithmetic: here the window is cut into segments of one local date and one UTC
//! offset each, so that "Monday 20:30 to 21:30" is plain data even across midnight
//! or a DST change.

use chrono::{DateTime, Duration, NaiveTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub start_unix: i64,
    pub end_unix: i64,
    pub minutes: u32,
    /// Start and end in the configured zone, RFC 3339 with offset.
    pub start_local: String,
    pub end_local: String,
    /// The window cut at local midnights and offset changes, in order.
    pub segments: Vec<Segment>,
}

/// A stretch of the window on one local date with one UTC offset: wall-clock time
/// runs from `from_minute` to `to_minute` (minutes after local midnight, `to_minute`
/// up to 1440).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Local date, YYYY-MM-DD.
    pub date: String,
    /// "Monday" … "Sunday".
    pub weekday: String,
    pub from_minute: u32,
    pub to_minute: u32,
    /// "HH:MM" forms of the two minutes, for messages.
    pub from: String,
    pub to: String,
    pub utc_offset: String,
    /// Zone abbreviation, e.g. EST or EDT.
    pub zone: String,
}

/// Plans a window of `minutes` from `start`, with its local segments in `tz`.
pub fn plan_window(start: DateTime<Utc>, minutes: u32, tz: Tz) -> Window {
    let end = start + Duration::minutes(i64::from(minutes));
    Window {
        start,
        end,
        start_unix: start.timestamp(),
        end_unix: end.timestamp(),
        minutes,
        start_local: start.with_timezone(&tz).to_rfc3339(),
        end_local: end.with_timezone(&tz).to_rfc3339(),
        segments: segments(start, end, tz),
    }
}

fn segments(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut cur = start;
    while cur < end {
        let local = cur.with_timezone(&tz);
        let midnight = next_local_midnight(cur, tz);
        let mut seg_end = end.min(midnight);
        if offset_seconds(seg_end - Duration::seconds(1), tz) != offset_seconds(cur, tz) {
            seg_end = first_offset_change(cur, seg_end, tz);
        }
        let from_minute = minute_of_day(local.time());
        let elapsed = (seg_end - cur).num_seconds();
        // Round the end up, so that a partial minute still counts as overlapping.
        let to_minute = if seg_end == midnight {
            1440
        } else {
            let from_seconds = i64::from(from_minute) * 60 + i64::from(local.second());
            u32::try_from((from_seconds + elapsed + 59) / 60)
                .unwrap_or(1440)
                .min(1440)
        };
        out.push(Segment {
            date: local.date_naive().format("%Y-%m-%d").to_string(),
            weekday: local.format("%A").to_string(),
            from_minute,
            to_minute,
            from: hhmm(from_minute),
            to: hhmm(to_minute),
            utc_offset: local.format("%:z").to_string(),
            zone: local.format("%Z").to_string(),
        });
        if seg_end <= cur {
            break; // cannot happen; guards the loop against a zone database surprise
        }
        cur = seg_end;
    }
    out
}

fn minute_of_day(t: NaiveTime) -> u32 {
    t.hour() * 60 + t.minute()
}

fn hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn offset_seconds(t: DateTime<Utc>, tz: Tz) -> i32 {
    tz.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The first instant after `cur`'s local date begins its next day, in UTC.
fn next_local_midnight(cur: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = cur.with_timezone(&tz);
    let fallback = cur + Duration::hours(24);
    let Some(next_date) = local.date_naive().succ_opt() else {
        return fallback;
    };
    // A zone may skip midnight itself (a DST change at 00:00): take the first hour that exists.
    (0..4)
        .filter_map(|h| next_date.and_hms_opt(h, 0, 0))
        .find_map(|naive| tz.from_local_datetime(&naive).earliest())
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| *t > cur)
        .unwrap_or(fallback)
}

/// The first second in (from, to] whose UTC offset differs from `from`'s.
fn first_offset_change(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let base = offset_seconds(from, tz);
    let (mut lo, mut hi) = (from, to);
    while (hi - lo).num_seconds() > 1 {
        let mid = lo + Duration::seconds((hi - lo).num_seconds() / 2);
        if offset_seconds(mid, tz) == base {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn winter_evening_is_one_segment_in_est() {
        let w = plan_window(at("2026-11-24T20:30:00-05:00"), 60, New_York);
        assert_eq!(w.segments.len(), 1);
        let s = &w.segments[0];
        assert_eq!((s.from_minute, s.to_minute), (20 * 60 + 30, 21 * 60 + 30));
        assert_eq!(s.weekday, "Tuesday");
        assert_eq!(s.zone, "EST");
        assert_eq!(w.start_local, "2026-11-24T20:30:00-05:00");
    }

    #[test]
    fn summer_morning_uses_edt() {
        let w = plan_window(at("2026-07-14T10:30:00Z"), 20, New_York);
        let s = &w.segments[0];
        assert_eq!((s.from.as_str(), s.to.as_str()), ("06:30", "06:50"));
        assert_eq!(s.utc_offset, "-04:00");
    }

    #[test]
    fn window_across_midnight_is_cut_into_two_local_days() {
        let w = plan_window(at("2026-11-27T23:30:00-05:00"), 90, New_York);
        assert_eq!(w.segments.len(), 2);
        assert_eq!(w.segments[0].date, "2026-11-27");
        assert_eq!(w.segments[0].to_minute, 1440);
        assert_eq!(w.segments[1].date, "2026-11-28");
        assert_eq!(w.segments[1].weekday, "Saturday");
        assert_eq!(
            (w.segments[1].from_minute, w.segments[1].to_minute),
            (0, 60)
        );
    }

    #[test]
    fn fall_back_change_is_cut_at_the_offset_change() {
        // 2026-11-01 02:00 EDT becomes 01:00 EST.
        let w = plan_window(at("2026-11-01T01:30:00-04:00"), 60, New_York);
        assert_eq!(w.segments.len(), 2, "{:?}", w.segments);
        assert_eq!(
            (w.segments[0].from.as_str(), w.segments[0].to.as_str()),
            ("01:30", "02:00")
        );
        assert_eq!(w.segments[0].zone, "EDT");
        assert_eq!(
            (w.segments[1].from.as_str(), w.segments[1].to.as_str()),
            ("01:00", "01:30")
        );
        assert_eq!(w.segments[1].zone, "EST");
    }

    #[test]
    fn spring_forward_change_skips_the_missing_hour() {
        // 2026-03-08 02:00 EST becomes 03:00 EDT.
        let w = plan_window(at("2026-03-08T01:30:00-05:00"), 60, New_York);
        assert_eq!(w.segments.len(), 2, "{:?}", w.segments);
        assert_eq!(w.segments[0].to, "02:00");
        assert_eq!(
            (w.segments[1].from.as_str(), w.segments[1].to.as_str()),
            ("03:00", "03:30")
        );
    }

    #[test]
    fn partial_minute_rounds_the_end_up() {
        let w = plan_window(at("2026-11-24T20:59:30-05:00"), 1, New_York);
        assert_eq!(
            (w.segments[0].from_minute, w.segments[0].to_minute),
            (1259, 1261)
        );
    }
}
