//! The settings a release manager edits (`data.gatekeeper.settings`, shipped in
//! `policies/settings.rego`), validated into a typed [`Settings`] before any
//! evaluation: every key known and present, every value of its type and form. A
//! slip (a quoted number, `"7:00"`, `"monday"`, a freeze with `"form"`) is reported
//! with the key, the value and the expected form, all problems at once; it never
//! reaches a policy, where Rego would compare it without complaint. This module only
//! judges a value already read from the engine; it never evaluates a decision.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

use chrono::{NaiveDate, Weekday};
use serde_json::{Map, Value};

/// The check ids of the decision, in the runbook's order.
pub const CHECK_IDS: [&str; 8] = [
    "tests",
    "release_dependencies",
    "approval",
    "throughput",
    "teaching_hours",
    "downtime_notice",
    "freeze",
    "no_open_incident",
];

/// New Relic issue priorities, highest first.
pub const PRIORITIES: [&str; 4] = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];

/// Checks no person may override: what ships must be tested and approved.
pub const NEVER_OVERRIDABLE: [&str; 2] = ["tests", "approval"];
/// The checks that only a downtime deploy needs: the only ones an allow may skip,
/// and only when the decision says the deploy needs no downtime.
pub const DOWNTIME_ONLY: [&str; 2] = ["teaching_hours", "downtime_notice"];

/// Weekday names as the settings and the facts write them: English, exact case.
pub const WEEKDAYS: [(&str, Weekday); 7] = [
    ("Monday", Weekday::Mon),
    ("Tuesday", Weekday::Tue),
    ("Wednesday", Weekday::Wed),
    ("Thursday", Weekday::Thu),
    ("Friday", Weekday::Fri),
    ("Saturday", Weekday::Sat),
    ("Sunday", Weekday::Sun),
];

/// Every setting, with the form its value must have (shown when it does not).
pub const SCHEMA: [(&str, &str); 14] = [
    (
        "throughput_limit_rpm",
        "an unquoted number of requests per minute from 1 to 10000000, e.g. 15000",
    ),
    (
        "notice_lead_hours",
        "an unquoted whole number of hours from 1 to 720, e.g. 72",
    ),
    (
        "approvers",
        "a non-empty list of GitHub logins (letters, digits and hyphens), e.g. [\"tim\"]",
    ),
    (
        "vetters",
        "a non-empty list of GitHub logins (letters, digits and hyphens), e.g. [\"tim\", \"jim\"]",
    ),
    (
        "teaching_days",
        "a non-empty list of weekday names from \"Monday\", \"Tuesday\", \"Wednesday\", \"Thursday\", \"Friday\", \"Saturday\", \"Sunday\" (exact case, not abbreviated)",
    ),
    (
        "teaching_start",
        "a local time \"HH:MM\" with two digits each, from \"00:00\" to \"23:59\", e.g. \"07:00\"",
    ),
    (
        "teaching_end",
        "a local time \"HH:MM\" with two digits each, from \"00:01\" to \"24:00\", after teaching_start, e.g. \"21:00\"",
    ),
    (
        "holidays",
        "a set or list of local dates \"YYYY-MM-DD\", e.g. {\"2026-11-26\"}",
    ),
    (
        "freezes",
        "a list of {\"from\": \"YYYY-MM-DD\", \"to\": \"YYYY-MM-DD\", \"reason\": \"why\"} with from on or before to",
    ),
    (
        "overridable",
        "a set of check ids from \"release_dependencies\", \"throughput\", \"teaching_hours\", \"downtime_notice\", \"freeze\", \"no_open_incident\" (never \"tests\" or \"approval\"), e.g. {\"throughput\"}",
    ),
    (
        "incident_priorities",
        "a set of New Relic issue priorities from \"CRITICAL\", \"HIGH\", \"MEDIUM\", \"LOW\" (exact case), e.g. {\"CRITICAL\", \"HIGH\"}",
    ),
    (
        "guard_error_rate_rise_points",
        "an unquoted number of percentage points from 0 to 100, e.g. 2",
    ),
    (
        "guard_apdex_drop",
        "an unquoted apdex difference from 0 to 1, e.g. 0.05",
    ),
    (
        "non_blocking_sections",
        "a list of release-note section names (non-empty strings), e.g. [\"QA\"]; [] when every unticked task item blocks",
    ),
];

/// Settings a release manager may leave out: absent, the rule they turn on is off
/// (or, for `advisory`, no check is advisory).
pub const OPTIONAL: [(&str, &str); 3] = [
    (
        "deployers",
        "a list of GitHub logins who may ask for a deploy in a comment (empty: anyone the repository role admits), e.g. [\"tim\"]",
    ),
    (
        "asker_not_only_approver",
        "true or false: a deploy asked in a comment needs an approver's approval from someone other than the asker",
    ),
    (
        "advisory",
        "a set of check ids from \"release_dependencies\", \"throughput\", \"teaching_hours\", \"downtime_notice\", \"freeze\" (never \"tests\" or \"approval\"), e.g. {\"throughput\"}",
    ),
];

/// The validated settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub throughput_limit_rpm: f64,
    pub notice_lead_hours: u32,
    pub approvers: Vec<String>,
    pub vetters: Vec<String>,
    pub teaching_days: Vec<Weekday>,
    pub teaching_start: ClockTime,
    pub teaching_end: ClockTime,
    pub holidays: BTreeSet<NaiveDate>,
    pub freezes: Vec<Freeze>,
    pub overridable: BTreeSet<String>,
    /// Who may ask for a deploy in a comment; empty: anyone the role admits.
    pub deployers: Vec<String>,
    /// A deploy asked in a comment needs an approval by someone else than the asker.
    pub asker_not_only_approver: bool,
    /// Checks shown but never counted towards a deny (optional `advisory`).
    pub advisory: BTreeSet<String>,
    pub incident_priorities: BTreeSet<String>,
    /// The guard fails when the error rate rises more than this many points over
    /// the baseline.
    pub guard_error_rate_rise_points: f64,
    /// The guard fails when the apdex drops more than this below the baseline.
    pub guard_apdex_drop: f64,
    /// Release-note sections whose unticked task items do not block.
    pub non_blocking_sections: Vec<String>,
}

/// A local time of day, `HH:MM`, as minutes after midnight (`24:00` is 1440).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime(pub u16);

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// A range of local dates, both inclusive, in which no deploy may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freeze {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

/// One thing wrong with one setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingProblem {
    #[error("`{key}` is missing: add it, as {expected}")]
    Missing { key: String, expected: String },
    #[error("`{key}` is not a known setting{}: remove it or correct its name", nearest.as_ref().map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default())]
    Unknown {
        key: String,
        nearest: Option<String>,
    },
    #[error("`{key}` is {value}, which is not {expected}")]
    Invalid {
        key: String,
        value: String,
        expected: String,
    },
}

impl SettingProblem {
    /// The setting the problem is about (`freezes[0].from` for a part of one).
    pub fn key(&self) -> &str {
        match self {
            Self::Missing { key, .. } | Self::Unknown { key, .. } | Self::Invalid { key, .. } => {
                key
            }
        }
    }
}

/// Every problem of the settings of a policy directory.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the settings (data.gatekeeper.settings, in {}) are not valid; nothing was evaluated. Fix each and run `gatekeeper policy check`:\n{}",
    .file.display(),
    .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
)]
pub struct SettingsError {
    pub file: PathBuf,
    pub problems: Vec<SettingProblem>,
}

impl Settings {
    /// Validates the value of `data.gatekeeper.settings` (as JSON: sets arrive as
    /// arrays), reporting every problem at once.
    pub fn from_json(value: &Value) -> Result<Self, Vec<SettingProblem>> {
        let Some(object) = value.as_object() else {
            return Err(vec![SettingProblem::Invalid {
                key: "data.gatekeeper.settings".to_owned(),
                value: show(value),
                expected: "a package of settings (package gatekeeper.settings)".to_owned(),
            }]);
        };
        let mut v = Validator {
            object,
            problems: Vec::new(),
        };
        for key in object.keys() {
            if !SCHEMA
                .iter()
                .chain(&OPTIONAL)
                .any(|(known, _)| known == key)
            {
                v.problems.push(SettingProblem::Unknown {
                    key: key.clone(),
                    nearest: nearest_key(key),
                });
            }
        }
        let throughput_limit_rpm = v.number("throughput_limit_rpm", 1.0, 10_000_000.0);
        let notice_lead_hours = v.whole("notice_lead_hours", 1, 720);
        let approvers = v.logins("approvers");
        let vetters = v.logins("vetters");
        let teaching_days = v.weekdays("teaching_days");
        let teaching_start = v.time("teaching_start", 0, 23 * 60 + 59);
        let teaching_end = v.time("teaching_end", 1, 24 * 60);
        if let (Some(start), Some(end)) = (teaching_start, teaching_end)
            && start >= end
        {
            v.invalid(
                "teaching_end",
                &Value::String(end.to_string()),
                &format!("after teaching_start ({start})"),
            );
        }
        let holidays = v.dates("holidays");
        let freezes = v.freezes("freezes");
        let overridable = v.overridable("overridable");
        let deployers = v.optional_logins("deployers");
        let asker_not_only_approver = v.optional_bool("asker_not_only_approver");
        let advisory = if object.contains_key("advisory") {
            v.overridable("advisory")
        } else {
            Some(BTreeSet::new())
        };
        let incident_priorities = v
            .each(
                "incident_priorities",
                false,
                "a New Relic issue priority: CRITICAL, HIGH, MEDIUM or LOW (exact case)",
                |item| {
                    item.as_str()
                        .filter(|p| PRIORITIES.contains(p))
                        .map(str::to_owned)
                },
            )
            .map(|p| p.into_iter().collect::<BTreeSet<_>>());
        let guard_error_rate_rise_points = v.number("guard_error_rate_rise_points", 0.0, 100.0);
        let guard_apdex_drop = v.number("guard_apdex_drop", 0.0, 1.0);
        let guard = match (guard_error_rate_rise_points, guard_apdex_drop) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        let non_blocking_sections = v.each(
            "non_blocking_sections",
            false,
            "a section name: a string with a letter in it, e.g. \"QA\"",
            |item| {
                item.as_str()
                    .filter(|s| s.chars().any(char::is_alphabetic))
                    .map(str::to_owned)
            },
        );
        match (
            throughput_limit_rpm,
            notice_lead_hours,
            approvers,
            vetters,
            teaching_days,
            teaching_start,
            teaching_end,
            holidays,
            freezes,
            (
                overridable,
                advisory,
                incident_priorities,
                guard,
                non_blocking_sections,
            ),
        ) {
            (
                Some(throughput_limit_rpm),
                Some(notice_lead_hours),
                Some(approvers),
                Some(vetters),
                Some(teaching_days),
                Some(teaching_start),
                Some(teaching_end),
                Some(holidays),
                Some(freezes),
                (
                    Some(overridable),
                    Some(advisory),
                    Some(incident_priorities),
                    Some((guard_error_rate_rise_points, guard_apdex_drop)),
                    Some(non_blocking_sections),
                ),
            ) if v.problems.is_empty() => Ok(Self {
                throughput_limit_rpm,
                notice_lead_hours,
                approvers,
                vetters,
                teaching_days,
                teaching_start,
                teaching_end,
                holidays,
                freezes,
                overridable,
                deployers,
                asker_not_only_approver,
                advisory,
                incident_priorities,
                guard_error_rate_rise_points,
                guard_apdex_drop,
                non_blocking_sections,
            }),
            _ => Err(v.problems),
        }
    }
}

struct Validator<'a> {
    object: &'a Map<String, Value>,
    problems: Vec<SettingProblem>,
}

impl Validator<'_> {
    fn expected(key: &str) -> &'static str {
        SCHEMA
            .iter()
            .chain(&OPTIONAL)
            .find(|(known, _)| *known == key)
            .map_or("a value", |(_, form)| form)
    }

    /// The value of a key, or a Missing problem.
    fn get(&mut self, key: &str) -> Option<&Value> {
        let value = self.object.get(key);
        if value.is_none() {
            self.problems.push(SettingProblem::Missing {
                key: key.to_owned(),
                expected: Self::expected(key).to_owned(),
            });
        }
        value
    }

    fn invalid(&mut self, key: &str, value: &Value, expected: &str) {
        self.problems.push(SettingProblem::Invalid {
            key: key.to_owned(),
            value: show(value),
            expected: expected.to_owned(),
        });
    }

    /// Invalid with the schema's form for a whole key.
    fn wrong<T>(&mut self, key: &str, value: &Value) -> Option<T> {
        self.invalid(key, value, Self::expected(key));
        None
    }

    fn number(&mut self, key: &str, min: f64, max: f64) -> Option<f64> {
        let value = self.get(key)?.clone();
        match value.as_f64() {
            Some(n) if value.is_number() && (min..=max).contains(&n) => Some(n),
            _ => self.wrong(key, &value),
        }
    }

    fn whole(&mut self, key: &str, min: u64, max: u64) -> Option<u32> {
        let value = self.get(key)?.clone();
        // 72.0 is a whole number too (Rego arithmetic may produce one).
        let whole = value.as_u64().or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u32::MAX as f64)
                .map(|f| f as u64)
        });
        match whole {
            Some(n) if (min..=max).contains(&n) => u32::try_from(n).ok(),
            _ => self.wrong(key, &value),
        }
    }

    /// A list (or set) of items; `None` with a problem when it is not one.
    fn items(&mut self, key: &str, non_empty: bool) -> Option<Vec<Value>> {
        let value = self.get(key)?.clone();
        match value.as_array() {
            Some(items) if !(non_empty && items.is_empty()) => Some(items.clone()),
            _ => self.wrong(key, &value),
        }
    }

    /// Every item of a list read by `parse`; each bad item is a problem of its own.
    fn each<T>(
        &mut self,
        key: &str,
        non_empty: bool,
        form: &str,
        parse: impl Fn(&Value) -> Option<T>,
    ) -> Option<Vec<T>> {
        let items = self.items(key, non_empty)?;
        let mut parsed = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match parse(item) {
                Some(value) => parsed.push(value),
                None => {
                    ok = false;
                    self.invalid(&format!("{key}[{i}]"), item, form);
                }
            }
        }
        ok.then_some(parsed)
    }

    fn logins(&mut self, key: &str) -> Option<Vec<String>> {
        self.each(
            key,
            true,
            "a GitHub login: 1 to 39 letters, digits or hyphens, not starting with a hyphen",
            |item| item.as_str().filter(|s| is_login(s)).map(str::to_owned),
        )
    }

    /// A list of logins that may be empty, or absent (then empty).
    fn optional_logins(&mut self, key: &str) -> Vec<String> {
        if !self.object.contains_key(key) {
            return Vec::new();
        }
        self.each(
            key,
            false,
            "a GitHub login: 1 to 39 letters, digits or hyphens, not starting with a hyphen",
            |item| item.as_str().filter(|s| is_login(s)).map(str::to_owned),
        )
        .unwrap_or_default()
    }

    /// `true` or `false`, or absent (then false).
    fn optional_bool(&mut self, key: &str) -> bool {
        match self.object.get(key).cloned() {
            None => false,
            Some(Value::Bool(b)) => b,
            Some(other) => {
                let expected = OPTIONAL
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or("true or false", |(_, form)| form);
                self.invalid(key, &other, expected);
                false
            }
        }
    }

    fn weekdays(&mut self, key: &str) -> Option<Vec<Weekday>> {
        let items = self.items(key, true)?;
        let mut days = Vec::new();
        for item in &items {
            let day = item
                .as_str()
                .and_then(|s| WEEKDAYS.iter().find(|(name, _)| *name == s));
            match day {
                Some((_, day)) if !days.contains(day) => days.push(*day),
                _ => return self.wrong(key, &Value::Array(items.clone())),
            }
        }
        Some(days)
    }

    fn time(&mut self, key: &str, min: u16, max: u16) -> Option<ClockTime> {
        let value = self.get(key)?.clone();
        match value.as_str().and_then(parse_hhmm) {
            Some(t) if (min..=max).contains(&t.0) => Some(t),
            _ => self.wrong(key, &value),
        }
    }

    fn dates(&mut self, key: &str) -> Option<BTreeSet<NaiveDate>> {
        self.each(
            key,
            false,
            "a local date \"YYYY-MM-DD\" that exists, e.g. \"2026-11-26\"",
            |item| item.as_str().and_then(parse_date),
        )
        .map(|dates| dates.into_iter().collect())
    }

    fn freezes(&mut self, key: &str) -> Option<Vec<Freeze>> {
        let items = self.items(key, false)?;
        let mut freezes = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.freeze(&format!("{key}[{i}]"), item) {
                Some(freeze) => freezes.push(freeze),
                None => ok = false,
            }
        }
        ok.then_some(freezes)
    }

    fn freeze(&mut self, key: &str, item: &Value) -> Option<Freeze> {
        const FORM: &str = "an object with exactly \"from\", \"to\" and \"reason\", e.g. {\"from\": \"2027-04-12\", \"to\": \"2027-04-23\", \"reason\": \"state testing weeks\"}";
        let Some(fields) = item.as_object() else {
            return self.wrong_form(key, item, FORM);
        };
        let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
        names.sort_unstable();
        if names != ["from", "reason", "to"] {
            return self.wrong_form(key, item, FORM);
        }
        let date = |name: &str| {
            fields
                .get(name)
                .and_then(Value::as_str)
                .and_then(parse_date)
        };
        let (from, to) = (date("from"), date("to"));
        let reason = fields
            .get("reason")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let mut ok = true;
        for (name, parsed) in [("from", from), ("to", to)] {
            if parsed.is_none() {
                ok = false;
                let value = fields.get(name).cloned().unwrap_or(Value::Null);
                self.invalid(
                    &format!("{key}.{name}"),
                    &value,
                    "a local date \"YYYY-MM-DD\" that exists, e.g. \"2027-04-12\"",
                );
            }
        }
        if reason.is_none() {
            ok = false;
            let value = fields.get("reason").cloned().unwrap_or(Value::Null);
            self.invalid(
                &format!("{key}.reason"),
                &value,
                "a non-empty string saying why, shown to whoever is stopped",
            );
        }
        let (Some(from), Some(to), Some(reason)) = (from, to, reason) else {
            return None;
        };
        if from > to {
            return self.wrong_form(
                key,
                item,
                "a freeze whose \"from\" is on or before its \"to\"",
            );
        }
        ok.then(|| Freeze {
            from,
            to,
            reason: reason.to_owned(),
        })
    }

    fn wrong_form<T>(&mut self, key: &str, value: &Value, form: &str) -> Option<T> {
        self.invalid(key, value, form);
        None
    }

    fn overridable(&mut self, key: &str) -> Option<BTreeSet<String>> {
        let items = self.items(key, false)?;
        let mut ids = BTreeSet::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let id = item.as_str().unwrap_or_default();
            if NEVER_OVERRIDABLE.contains(&id) {
                ok = false;
                self.invalid(
                    &format!("{key}[{i}]"),
                    item,
                    "a check a person may override: tests and approval never are (what ships must be tested and approved)",
                );
            } else if CHECK_IDS.contains(&id) {
                ids.insert(id.to_owned());
            } else {
                ok = false;
                self.invalid(
                    &format!("{key}[{i}]"),
                    item,
                    "a check id: one of release_dependencies, throughput, teaching_hours, downtime_notice, freeze, no_open_incident",
                );
            }
        }
        ok.then_some(ids)
    }
}

/// `HH:MM`, two digits each, 00:00 to 24:00.
fn parse_hhmm(s: &str) -> Option<ClockTime> {
    let b = s.as_bytes();
    let [h1, h2, b':', m1, m2] = *b else {
        return None;
    };
    if ![h1, h2, m1, m2].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let hours = u16::from(h1 - b'0') * 10 + u16::from(h2 - b'0');
    let minutes = u16::from(m1 - b'0') * 10 + u16::from(m2 - b'0');
    let valid = (hours < 24 && minutes < 60) || (hours == 24 && minutes == 0);
    valid.then_some(ClockTime(hours * 60 + minutes))
}

/// `YYYY-MM-DD`, zero-padded, a date that exists.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let shape = s.len() == 10
        && s.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// GitHub's rule for a login: 1 to 39 letters, digits or single hyphens, not at the start.
fn is_login(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && !s.starts_with('-')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The known key nearest to a misspelled one, when it is close.
fn nearest_key(key: &str) -> Option<String> {
    let known: Vec<&str> = SCHEMA.iter().chain(&OPTIONAL).map(|(k, _)| *k).collect();
    crate::field_names::nearest(key, &known, 3).map(str::to_owned)
}

/// A value as the release manager would recognise it, kept short.
fn show(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 100 {
        let cut: String = text.chars().take(97).collect();
        format!("{cut}...")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A setting's name misspelled or cut short is named with the nearest known one,
    /// as a config key or a facts field would be.
    #[test]
    fn a_misspelled_or_shortened_setting_is_named_with_the_nearest() {
        assert_eq!(
            nearest_key("notice_lead").as_deref(),
            Some("notice_lead_hours")
        );
        assert_eq!(nearest_key("aprovers").as_deref(), Some("approvers"));
        assert_eq!(nearest_key("colour_scheme"), None);
    }
    use serde_json::json;

    fn shipped() -> Value {
        json!({
            "throughput_limit_rpm": 15000,
            "notice_lead_hours": 72,
            "approvers": ["tim"],
            "vetters": ["tim", "jim"],
            "teaching_days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            "teaching_start": "07:00",
            "teaching_end": "21:00",
            "holidays": [],
            "freezes": [],
            "overridable": ["teaching_hours", "throughput"],
            "incident_priorities": ["CRITICAL", "HIGH"],
            "guard_error_rate_rise_points": 2,
            "guard_apdex_drop": 0.05,
            "non_blocking_sections": ["QA"],
        })
    }

    #[test]
    fn non_blocking_sections_are_names_and_may_be_none() {
        assert_eq!(
            Settings::from_json(&shipped())
                .unwrap()
                .non_blocking_sections,
            ["QA"]
        );
        assert!(Settings::from_json(&with("non_blocking_sections", json!([]))).is_ok());
        for bad in [
            json!("QA"),
            json!([""]),
            json!(["  "]),
            json!([7]),
            json!(null),
        ] {
            assert!(
                Settings::from_json(&with("non_blocking_sections", bad.clone())).is_err(),
                "{bad}"
            );
        }
    }

    fn with(key: &str, value: Value) -> Value {
        let mut s = shipped();
        s[key] = value;
        s
    }

    fn problems(value: &Value) -> Vec<SettingProblem> {
        Settings::from_json(value).expect_err("the settings must be refused")
    }

    #[test]
    fn the_chatops_settings_are_off_when_absent_and_checked_when_given() {
        let s = Settings::from_json(&shipped()).unwrap();
        assert!(s.deployers.is_empty());
        assert!(!s.asker_not_only_approver);
        let mut on = with("deployers", json!(["tim", "jim"]));
        on["asker_not_only_approver"] = json!(true);
        let s = Settings::from_json(&on).unwrap();
        assert_eq!(s.deployers, ["tim", "jim"]);
        assert!(s.asker_not_only_approver);
        let empty = Settings::from_json(&with("deployers", json!([]))).unwrap();
        assert!(empty.deployers.is_empty());
        let bad = problems(&with("asker_not_only_approver", json!("yes")));
        assert_eq!(bad.len(), 1, "{bad:?}");
        let bad = problems(&with("deployers", json!(["-x"])));
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert_eq!(nearest_key("deployer").as_deref(), Some("deployers"));
    }

    #[test]
    fn shipped_settings_are_valid_and_typed() {
        let s = Settings::from_json(&shipped()).unwrap();
        assert_eq!(s.throughput_limit_rpm, 15000.0);
        assert_eq!(s.notice_lead_hours, 72);
        assert_eq!(s.teaching_start, ClockTime(420));
        assert_eq!(s.teaching_end.to_string(), "21:00");
        assert_eq!(s.teaching_days.len(), 5);
        assert!(s.overridable.contains("throughput"));
        assert!(s.incident_priorities.contains("CRITICAL"));
        assert_eq!(s.guard_apdex_drop, 0.05);
    }

    #[test]
    fn incident_priorities_are_new_relic_priorities_in_exact_case() {
        let p = problems(&with("incident_priorities", json!(["critical"])));
        assert_eq!(p[0].key(), "incident_priorities[0]");
        let p = problems(&with("incident_priorities", json!("CRITICAL")));
        assert_eq!(p[0].key(), "incident_priorities");
        assert!(Settings::from_json(&with("incident_priorities", json!([]))).is_ok());
    }

    #[test]
    fn guard_thresholds_are_numbers_in_range() {
        for (key, bad) in [
            ("guard_error_rate_rise_points", json!("2")),
            ("guard_error_rate_rise_points", json!(101)),
            ("guard_apdex_drop", json!(1.5)),
            ("guard_apdex_drop", json!(-0.1)),
        ] {
            let p = problems(&with(key, bad));
            assert_eq!(p[0].key(), key);
        }
    }

    #[test]
    fn quoted_number_names_key_value_and_form() {
        let p = problems(&with("throughput_limit_rpm", json!("15000")));
        assert_eq!(p.len(), 1);
        let text = p[0].to_string();
        assert!(
            text.contains("`throughput_limit_rpm` is \"15000\""),
            "{text}"
        );
        assert!(text.contains("unquoted number"), "{text}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut s = with("teaching_start", json!("7:00"));
        s["teaching_days"] = json!(["Mon", "Tue"]);
        s["freezes"] = json!([{"form": "2026-11-20", "to": "2026-11-30", "reason": "x"}]);
        s.as_object_mut().unwrap().remove("vetters");
        s["vetter"] = json!(["jim"]);
        let keys: Vec<String> = problems(&s).iter().map(|p| p.key().to_owned()).collect();
        assert_eq!(
            keys,
            [
                "vetter",
                "vetters",
                "teaching_days",
                "teaching_start",
                "freezes[0]"
            ]
        );
    }

    #[test]
    fn misspelled_key_suggests_the_known_one() {
        let mut s = shipped();
        s["vetter"] = json!(["jim"]);
        let text = problems(&s)[0].to_string();
        assert!(text.contains("did you mean `vetters`"), "{text}");
    }

    #[test]
    fn times_need_two_digits_and_a_real_clock_time() {
        for bad in [
            "7:00", "07:0", "0700", "25:00", "07:60", "24:01", " 07:00", "07.00",
        ] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
        assert_eq!(parse_hhmm("24:00"), Some(ClockTime(1440)));
        assert_eq!(parse_hhmm("00:00"), Some(ClockTime(0)));
        let p = problems(&with("teaching_start", json!("24:00")));
        assert_eq!(p[0].key(), "teaching_start");
        let p = problems(&with("teaching_end", json!("06:00")));
        assert!(p[0].to_string().contains("after teaching_start (07:00)"));
    }

    #[test]
    fn dates_must_be_iso_and_exist() {
        for bad in [
            "11/20/2026",
            "2026-2-3",
            "2026-02-30",
            "20261120",
            "2026-11-20T00:00",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        let p = problems(&with("holidays", json!(["2026-11-26", "11/26/2026"])));
        assert_eq!(p[0].key(), "holidays[1]");
    }

    #[test]
    fn freezes_have_exactly_from_to_reason_in_order() {
        let cases = [
            (
                json!([{"from": "2026-11-30", "to": "2026-11-20", "reason": "x"}]),
                "freezes[0]",
            ),
            (
                json!([{"from": "11/20/2026", "to": "2026-11-30", "reason": "x"}]),
                "freezes[0].from",
            ),
            (
                json!([{"from": "2026-11-20", "to": "2026-11-30"}]),
                "freezes[0]",
            ),
            (
                json!([{"from": "2026-11-20", "to": "2026-11-30", "reason": ""}]),
                "freezes[0].reason",
            ),
            (json!(["2026-11-20 to 2026-11-30"]), "freezes[0]"),
            (json!({"from": "2026-11-20"}), "freezes"),
        ];
        for (value, key) in cases {
            let p = problems(&with("freezes", value.clone()));
            assert_eq!(p[0].key(), key, "{value}");
        }
        let ok = with(
            "freezes",
            json!([{"from": "2026-11-20", "to": "2026-11-20", "reason": "one day"}]),
        );
        assert_eq!(Settings::from_json(&ok).unwrap().freezes.len(), 1);
    }

    #[test]
    fn overridable_names_known_checks_and_never_tests_or_approval() {
        let p = problems(&with(
            "overridable",
            json!(["throughput", "thruput", "tests"]),
        ));
        assert_eq!(p.len(), 2);
        assert!(p[0].to_string().contains("a check id"), "{}", p[0]);
        assert!(p[1].to_string().contains("never are"), "{}", p[1]);
    }

    #[test]
    fn logins_are_non_empty_github_logins() {
        for bad in [
            json!([]),
            json!([""]),
            json!(["tim "]),
            json!([7]),
            json!("tim"),
        ] {
            assert!(
                Settings::from_json(&with("approvers", bad.clone())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn numbers_have_sane_ranges() {
        for bad in [json!(0), json!(-5), json!(1e12), json!(null), json!(true)] {
            assert!(
                Settings::from_json(&with("throughput_limit_rpm", bad.clone())).is_err(),
                "{bad}"
            );
        }
        for bad in [json!(0), json!(72.5), json!("72"), json!(10000)] {
            assert!(
                Settings::from_json(&with("notice_lead_hours", bad.clone())).is_err(),
                "{bad}"
            );
        }
        assert!(Settings::from_json(&with("notice_lead_hours", json!(72.0))).is_ok());
    }

    #[test]
    fn weekdays_are_the_english_names_in_exact_case() {
        for bad in [
            json!(["monday"]),
            json!(["Mon"]),
            json!(["MONDAY"]),
            json!([]),
            json!(["Monday", "Monday"]),
        ] {
            assert!(
                Settings::from_json(&with("teaching_days", bad.clone())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn no_settings_package_is_every_key_missing() {
        let p = problems(&json!({}));
        assert_eq!(p.len(), SCHEMA.len());
        assert!(
            p.iter()
                .all(|p| matches!(p, SettingProblem::Missing { .. }))
        );
    }
}
