//! `gatekeeper window --format html|markdown`: the deploy calendar's cells, read from
//! the page's structure, for the shipped fixtures, a freeze, a holiday and both DST
//! changes of America/New_York.

use std::collections::BTreeMap;

use crate::support::ExitAssert;
use crate::support::{edited_policies, fixture, gatekeeper};

/// One hour cell of the page.
#[derive(Debug, Clone)]
struct Cell {
    state: String,
    check: Option<String>,
    local: String,
    title: String,
    letter: String,
    notice_mark: bool,
    announced: bool,
}

/// The page, parsed as XML (it is well-formed), and its rows.
struct Page {
    /// Cells by `data-start` (UTC).
    cells: BTreeMap<String, Cell>,
    /// Local date → (hours, header text).
    rows: BTreeMap<String, (usize, String)>,
    text: String,
}

fn parse(html: &str) -> Page {
    let doc = roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("the page is not well-formed: {e}"));
    let mut cells = BTreeMap::new();
    let mut rows = BTreeMap::new();
    for n in doc.descendants() {
        if let Some(start) = n.attribute("data-start") {
            let letter = n
                .children()
                .find(|c| c.attribute("class") == Some("l"))
                .and_then(|c| c.text())
                .unwrap_or_default()
                .to_owned();
            let alt = n
                .children()
                .find(|c| c.attribute("class") == Some("sr"))
                .and_then(|c| c.text())
                .unwrap_or_default();
            let title = n.attribute("title").unwrap().to_owned();
            assert_eq!(alt, title, "the text alternative says what the title says");
            cells.insert(
                start.to_owned(),
                Cell {
                    state: n.attribute("data-state").unwrap().to_owned(),
                    check: n.attribute("data-check").map(str::to_owned),
                    local: n.attribute("data-local").unwrap().to_owned(),
                    title,
                    letter,
                    notice_mark: n.children().any(|c| c.attribute("data-notice").is_some()),
                    announced: n.attribute("data-announced") == Some("yes"),
                },
            );
        }
        if let (Some(date), Some(hours)) = (n.attribute("data-date"), n.attribute("data-hours")) {
            let header = n
                .children()
                .find(|c| c.has_tag_name("th"))
                .and_then(|c| c.text())
                .unwrap_or_default()
                .to_owned();
            let count = n
                .descendants()
                .filter(|c| c.attribute("data-start").is_some())
                .count();
            assert_eq!(hours.parse::<usize>().unwrap(), count, "row {date}");
            rows.insert(date.to_owned(), (count, header));
        }
    }
    Page {
        cells,
        rows,
        text: html.to_owned(),
    }
}

impl Page {
    fn at(&self, utc: &str) -> &Cell {
        self.cells
            .get(utc)
            .unwrap_or_else(|| panic!("no cell starting at {utc}"))
    }
}

fn facts(name: &str) -> String {
    fixture(&format!("facts/{name}.json")).display().to_string()
}

/// `window production --format html` on the migrations fixture at `at`.
fn page(at: &str, extra: &[&str]) -> Page {
    let out = gatekeeper()
        .args(["window", "production", "--downtime", "--minutes", "60"])
        .args(["--facts", &facts("migrations-weekday-no-notice")])
        .args(["--at", at, "--format", "html"])
        .args(extra)
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    parse(&String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_page_shows_teaching_hours_the_notice_lead_and_an_allowed_weekend_night() {
    let p = page("2026-11-24T14:00:00-05:00", &[]);
    // Title and facts line: target, planned length, the facts' time, the digest.
    assert!(
        p.text
            .contains("<title>Deploy calendar: production, 60-minute downtime deploy</title>")
    );
    assert!(p.text.contains("2026-11-24T19:00:00Z"), "the facts' time");
    let digest = p.text.split("<code id=\"digest\">").nth(1).unwrap();
    assert!(
        digest[..64].chars().all(|c| c.is_ascii_hexdigit()),
        "{digest}"
    );
    // 14 days from Tuesday 14:00: 15 local dates, 24 hours each (no DST change).
    assert_eq!(p.rows.len(), 15);
    assert!(p.rows.values().all(|(n, _)| *n == 24));
    // Before the facts' time: outside the search.
    assert_eq!(p.at("2026-11-24T15:00:00Z").state, "outside");
    assert!(
        p.cells.values().all(|c| !c.announced),
        "no notice, no announced window"
    );
    // Wednesday 10:00 EST: live teaching.
    let teaching = p.at("2026-11-25T15:00:00Z");
    assert_eq!(teaching.state, "teaching");
    assert_eq!(teaching.letter, "T");
    assert_eq!(teaching.check.as_deref(), Some("teaching_hours"));
    assert_eq!(teaching.local, "10:00 EST (-05:00)");
    assert!(teaching.title.contains("Wed 2026-11-25 10:00 EST"));
    // Wednesday 22:00 EST: outside teaching, but a notice sent now is too late.
    let lead = p.at("2026-11-26T03:00:00Z");
    assert_eq!(lead.state, "notice-lead");
    assert_eq!(lead.letter, "N");
    assert_eq!(lead.check.as_deref(), Some("downtime_notice"));
    // Saturday 23:00 EST: an allowed weekend night.
    let night = p.at("2026-11-29T04:00:00Z");
    assert_eq!(night.state, "allowed");
    assert_eq!(night.letter, "A");
    // Monday 06:00 EST: only the 06:00 start ends by 07:00.
    let six = p.at("2026-11-30T11:00:00Z");
    assert_eq!(six.state, "partly");
    assert!(
        six.title.contains("allowed from 06:00 to 06:00"),
        "{}",
        six.title
    );
    // The first allowed run starts Friday 21:00 EST: its notice is due 72 h before,
    // Tuesday 21:00 EST, and that hour carries the mark.
    assert!(p.at("2026-11-25T02:00:00Z").notice_mark);
    // One mark per run: Friday to Monday, then each weeknight, then the next weekend
    // and the Monday night after it.
    assert_eq!(p.cells.values().filter(|c| c.notice_mark).count(), 7);
    assert_eq!(p.at("2026-11-28T02:00:00Z").state, "allowed");
}

#[test]
fn a_freeze_closes_its_days_with_its_reason_and_a_holiday_opens_teaching_hours() {
    let dir = edited_policies(
        "settings.rego",
        &[
            (
                "freezes := []",
                r#"freezes := [{"from": "2026-12-02", "to": "2026-12-03", "reason": "State testing"}]"#,
            ),
            ("holidays := set()", r#"holidays := {"2026-11-30"}"#),
        ],
    );
    let policies = dir.path().display().to_string();
    let p = page("2026-11-24T14:00:00-05:00", &["--policies", &policies]);
    // Wednesday 2026-12-02 12:00 EST: frozen, the reason in the text.
    let frozen = p.at("2026-12-02T17:00:00Z");
    assert_eq!(frozen.state, "freeze");
    assert_eq!(frozen.letter, "F");
    assert_eq!(frozen.check.as_deref(), Some("freeze"));
    assert!(frozen.title.contains("State testing"), "{}", frozen.title);
    // A weekday night in the freeze is closed too.
    assert_eq!(p.at("2026-12-03T04:00:00Z").state, "freeze");
    // Monday 2026-11-30 is a holiday: noon is allowed, and the row says so.
    assert_eq!(p.at("2026-11-30T17:00:00Z").state, "allowed");
    assert!(p.rows["2026-11-30"].1.contains("(holiday)"));
    // Tuesday noon, no holiday: teaching.
    assert_eq!(p.at("2026-12-01T17:00:00Z").state, "teaching");
    // The chart labels the frozen days by the freeze's reason, as critical.
    let out = gatekeeper()
        .args(["window", "production", "--downtime", "--minutes", "60"])
        .args(["--facts", &facts("migrations-weekday-no-notice")])
        .args(["--at", "2026-11-24T14:00:00-05:00", "--format", "markdown"])
        .args(["--policies", &policies])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.contains(
            "    section Wed 02\n    freeze State testing :crit, 2026-12-02 00:00, 1440m\n"
        ),
        "{md}"
    );
    assert!(
        md.contains("    section Mon 30 holiday\n    allowed :active, 2026-11-30 00:00, 1440m\n"),
        "{md}"
    );
}

#[test]
fn spring_forward_sunday_has_23_hours_and_both_offsets() {
    let p = page("2027-03-08T12:00:00-05:00", &["--days", "7"]);
    let (hours, header) = &p.rows["2027-03-14"];
    assert_eq!(*hours, 23);
    assert!(header.contains("EST -05:00 → EDT -04:00"), "{header}");
    assert!(
        p.text
            .contains("no 02:00 on this day: the clocks go forward")
    );
    // 01:00 EST is 06:00Z; the next hour is 03:00 EDT, 07:00Z: allowed weekend night.
    assert_eq!(p.at("2027-03-14T06:00:00Z").local, "01:00 EST (-05:00)");
    let three = p.at("2027-03-14T07:00:00Z");
    assert_eq!(three.local, "03:00 EDT (-04:00)");
    assert_eq!(three.state, "allowed");
    assert_eq!(p.rows["2027-03-13"].0, 24);
}

#[test]
fn fall_back_sunday_has_25_hours_with_01_twice() {
    let p = page("2026-10-26T12:00:00-04:00", &["--days", "7"]);
    let (hours, header) = &p.rows["2026-11-01"];
    assert_eq!(*hours, 25);
    assert!(header.contains("EDT -04:00 → EST -05:00"), "{header}");
    let edt = p.at("2026-11-01T05:00:00Z");
    let est = p.at("2026-11-01T06:00:00Z");
    assert_eq!(edt.local, "01:00 EDT (-04:00)");
    assert_eq!(est.local, "01:00 EST (-05:00)");
    assert_eq!(
        (edt.state.as_str(), est.state.as_str()),
        ("allowed", "allowed")
    );
    // Monday 2026-11-02 10:00 EST is teaching again.
    assert_eq!(p.at("2026-11-02T15:00:00Z").state, "teaching");
}

#[test]
fn markdown_keeps_the_text_and_adds_a_mermaid_gantt_chart() {
    let out = gatekeeper()
        .args(["window", "production", "--downtime", "--minutes", "60"])
        .args(["--facts", &facts("migrations-weekday-no-notice")])
        .args(["--at", "2026-11-24T14:00:00-05:00", "--format", "markdown"])
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("Allowed by the notice rule too:"), "{md}");
    let chart = md.split("```mermaid\n").nth(1).unwrap();
    assert!(chart.starts_with("gantt\n"), "{chart}");
    assert!(chart.contains("    dateFormat YYYY-MM-DD HH:mm\n"));
    assert!(chart.contains("    section Wed 25\n"), "{chart}");
    // Wednesday: teaching from 07:00 to 21:00 in one task, then the notice lead.
    assert!(
        chart.contains("    closed by live teaching hours :2026-11-25 07:00, 840m\n"),
        "{chart}"
    );
    // Saturday night is allowed from Friday 21:00 on.
    assert!(
        chart.contains("    allowed :active, 2026-11-28 00:00, 1440m\n"),
        "{chart}"
    );
    // No task name carries a colon of its own (Mermaid splits on it).
    for line in chart
        .lines()
        .filter(|l| l.ends_with('m') && !l.contains("dateFormat"))
    {
        assert_eq!(line.matches(':').count(), 2, "{line}");
    }
}

#[test]
fn output_and_report_write_the_page_and_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("calendar.html");
    let chart = dir.path().join("calendar.md");
    let out = gatekeeper()
        .args(["window", "production", "--downtime"])
        .args(["--facts", &facts("migrations-weekday-no-notice")])
        .args(["--at", "2026-11-24T14:00:00-05:00", "--format", "html"])
        .arg("--output")
        .arg(&page)
        .arg("--report")
        .arg(format!("markdown={}", chart.display()))
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("earliest start"),
        "the terminal keeps the table"
    );
    let html = parse(&std::fs::read_to_string(&page).unwrap());
    assert_eq!(html.rows.len(), 15);
    assert!(
        std::fs::read_to_string(&chart)
            .unwrap()
            .contains("```mermaid\ngantt\n")
    );
    gatekeeper()
        .args(["window", "production", "--facts", &facts("green")])
        .args(["--report", "junit=x.xml"])
        .assert()
        .exits(2);
}
