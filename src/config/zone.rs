//! Which time zone names gatekeeper accepts: `UTC`, or a place's `Area/Location`
//! name (`America/New_York`), whose rules follow that place's civil time, daylight
//! saving included. Everything else chrono-tz knows is refused with the name to
//! write instead: abbreviations and fixed offsets (`EST` is UTC−5 all year, so a
//! summer window would be judged an hour early; `Etc/GMT-5` is UTC+5, POSIX signs
//! being reversed), POSIX-style rules (`EST5EDT`) and legacy country aliases
//! (`US/Eastern`), which the time zone database keeps only for old systems.
//! Never guesses: a refused name is an error, not a silent replacement.

use chrono::{Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// The areas of the time zone database whose names are places.
const AREAS: [&str; 10] = [
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

/// The zone people most likely meant by a legacy name of North America.
const INTENDED: [(&str, &str); 22] = [
    ("EST", "America/New_York"),
    ("EST5EDT", "America/New_York"),
    ("US/Eastern", "America/New_York"),
    ("US/East-Indiana", "America/Indiana/Indianapolis"),
    ("US/Michigan", "America/Detroit"),
    ("CST6CDT", "America/Chicago"),
    ("US/Central", "America/Chicago"),
    ("US/Indiana-Starke", "America/Indiana/Knox"),
    (
        "MST",
        "America/Denver (or America/Phoenix for Arizona, which keeps no daylight saving)",
    ),
    ("MST7MDT", "America/Denver"),
    ("US/Mountain", "America/Denver"),
    ("US/Arizona", "America/Phoenix"),
    ("PST8PDT", "America/Los_Angeles"),
    ("US/Pacific", "America/Los_Angeles"),
    ("US/Alaska", "America/Anchorage"),
    ("US/Aleutian", "America/Adak"),
    ("HST", "Pacific/Honolulu"),
    ("US/Hawaii", "Pacific/Honolulu"),
    ("US/Samoa", "Pacific/Pago_Pago"),
    ("Canada/Eastern", "America/Toronto"),
    ("Canada/Central", "America/Winnipeg"),
    ("Canada/Pacific", "America/Vancouver"),
];

/// Why a zone name is refused, with what to write instead (each message starts with
/// the quoted name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error(
        "{name:?} is not an IANA time zone name: write the place's name, e.g. \"America/New_York\" (exact case), or \"UTC\""
    )]
    Unknown { name: String },
    #[error(
        "{name:?} is UTC under another name: write \"UTC\", or the place's Area/Location name (e.g. Europe/London) if you mean a local time with daylight saving"
    )]
    UtcAlias { name: String },
    #[error(
        "{name:?} is a fixed UTC{hours} offset with no daylight saving, so local times would be wrong half the year: write {instead}"
    )]
    FixedOffset {
        name: String,
        hours: String,
        instead: String,
    },
    #[error(
        "{name:?} is a legacy alias the time zone database keeps for old systems: write {instead}"
    )]
    Legacy { name: String, instead: String },
}

/// The zone `name` names, when gatekeeper accepts it; else why not and what to
/// write instead.
pub fn zone(name: &str) -> Result<Tz, ZoneError> {
    let Ok(tz) = name.parse::<Tz>() else {
        return Err(ZoneError::Unknown {
            name: name.to_owned(),
        });
    };
    if name == "UTC" || is_place(name) {
        return Ok(tz);
    }
    let instead = INTENDED
        .iter()
        .find(|(legacy, _)| *legacy == name)
        .map_or_else(
            || {
                "the place's Area/Location name (e.g. America/New_York, Europe/London), or UTC"
                    .to_owned()
            },
            |(_, place)| (*place).to_owned(),
        );
    let name = name.to_owned();
    Err(match fixed_offset(tz) {
        Some(0) => ZoneError::UtcAlias { name },
        Some(seconds) => ZoneError::FixedOffset {
            name,
            hours: hours(seconds),
            instead,
        },
        None => ZoneError::Legacy { name, instead },
    })
}

/// `Area/Location` with a place's area.
fn is_place(name: &str) -> bool {
    name.split_once('/')
        .is_some_and(|(area, location)| AREAS.contains(&area) && !location.is_empty())
}

/// The zone's UTC offset in seconds when it is the same all year (and in the
/// years around this one); `None` when it changes.
fn fixed_offset(tz: Tz) -> Option<i32> {
    let year = chrono::Datelike::year(&Utc::now());
    let mut offsets = (year - 1..=year + 1).flat_map(|y| {
        (1..=12).filter_map(move |month| {
            Utc.with_ymd_and_hms(y, month, 1, 12, 0, 0)
                .single()
                .map(|t| {
                    tz.offset_from_utc_datetime(&t.naive_utc())
                        .fix()
                        .local_minus_utc()
                })
        })
    });
    let first = offsets.next()?;
    offsets.all(|o| o == first).then_some(first)
}

/// `−5` or `+5:30`, with a real minus sign.
fn hours(seconds: i32) -> String {
    let sign = if seconds < 0 { '−' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    match minutes % 60 {
        0 => format!("{sign}{}", minutes / 60),
        m => format!("{sign}{}:{m:02}", minutes / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_utc_are_accepted() {
        for name in [
            "America/New_York",
            "Europe/London",
            "America/Argentina/Buenos_Aires",
            "Asia/Kolkata",
            "America/Phoenix",
            "UTC",
        ] {
            assert_eq!(zone(name).unwrap().name(), name);
        }
    }

    #[test]
    fn abbreviations_fixed_offsets_and_legacy_aliases_are_refused_with_the_place_to_write() {
        let cases = [
            ("EST", "fixed UTC−5", "America/New_York"),
            ("MST", "fixed UTC−7", "America/Phoenix"),
            ("HST", "fixed UTC−10", "Pacific/Honolulu"),
            ("Etc/GMT-5", "fixed UTC+5", "Area/Location"),
            ("Etc/GMT+5", "fixed UTC−5", "Area/Location"),
            ("EST5EDT", "legacy alias", "America/New_York"),
            ("US/Eastern", "legacy alias", "America/New_York"),
            ("US/Pacific", "legacy alias", "America/Los_Angeles"),
            ("GMT", "UTC under another name", "\"UTC\""),
            ("Etc/UTC", "UTC under another name", "\"UTC\""),
            ("Japan", "fixed UTC+9", "Area/Location"),
        ];
        for (name, why, instead) in cases {
            let message = zone(name).unwrap_err().to_string();
            assert!(message.starts_with(&format!("{name:?}")), "{message}");
            assert!(message.contains(why), "{name}: {message}");
            assert!(message.contains(instead), "{name}: {message}");
        }
        let message = zone("Mars/Olympus").unwrap_err().to_string();
        assert!(message.contains("not an IANA time zone name"), "{message}");
        assert!(zone("america/new_york").is_err());
        assert!(zone("").is_err());
    }

    #[test]
    fn offsets_are_written_in_hours_and_minutes() {
        assert_eq!(hours(-5 * 3600), "−5");
        assert_eq!(hours(5 * 3600 + 30 * 60), "+5:30");
        assert_eq!(hours(0), "+0");
    }
}
