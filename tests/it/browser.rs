//! The deploy calendar in a real browser: Debian's headless Chromium renders the page
//! and a probe reads known cells' rendered state (size, the letter shown, the pattern
//! drawn); the page prints on one landscape page; the run leaves a screenshot.
//!
//! Needs Chromium: `.ci/run` installs it and sets `GATEKEEPER_CHROMIUM` to its path.
//! Without that variable these tests return at once, saying so (a developer machine
//! without Chromium); CI always has it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{edited_policies, fixture, gatekeeper};

fn chromium() -> Option<PathBuf> {
    match std::env::var_os("GATEKEEPER_CHROMIUM") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!(
                "GATEKEEPER_CHROMIUM is not set: the browser test did not run (.ci/run installs Chromium and sets it)"
            );
            None
        }
    }
}

/// Chromium, headless and offline, with a throw-away profile.
fn run_chromium(browser: &Path, profile: &Path, args: &[String], page: &Path) -> String {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", browser.display()));
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Reads every cell's rendered box, shown letter and drawn background.
const PROBE: &str = r#"<script>
const out = {};
const table = document.querySelector('table.grid').getBoundingClientRect();
for (const el of document.querySelectorAll('[data-start]')) {
  const r = el.getBoundingClientRect();
  const cs = getComputedStyle(el);
  out[el.dataset.start] = { state: el.dataset.state, letter: el.querySelector('.l').innerText,
    left: r.left, right: r.right, top: r.top, w: r.width, h: r.height,
    inside: r.left >= table.left - 1 && r.right <= table.right + 1,
    bg: cs.backgroundImage + ' ' + cs.backgroundColor, row: el.closest('tr').dataset.date };
}
out.body = { bg: getComputedStyle(document.body).backgroundColor };
const pre = document.createElement('pre');
pre.id = 'probe';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"#;

fn page(at: &str, days: &str, policies: Option<&Path>) -> String {
    let mut cmd = gatekeeper();
    cmd.args(["window", "production", "--downtime", "--minutes", "60"])
        .arg("--facts")
        .arg(fixture("facts/migrations-weekday-no-notice.json"))
        .args(["--at", at, "--days", days, "--format", "html"]);
    if let Some(p) = policies {
        cmd.arg("--policies").arg(p);
    }
    let out = cmd.output().unwrap();
    crate::support::assert_exit!(out, 0);
    String::from_utf8(out.stdout).unwrap()
}

/// The rendered cells of `html`, by UTC start (and `body`: the page's background).
fn rendered(browser: &Path, dir: &Path, name: &str, html: &str) -> BTreeMap<String, Value> {
    rendered_with(browser, dir, name, html, &[])
}

fn rendered_with(
    browser: &Path,
    dir: &Path,
    name: &str,
    html: &str,
    flags: &[&str],
) -> BTreeMap<String, Value> {
    let path = dir.join(format!("{name}.html"));
    std::fs::write(&path, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
    let dom = run_chromium(
        browser,
        &dir.join(format!("profile-{name}")),
        &[&["--dump-dom"], flags]
            .concat()
            .iter()
            .map(|f| (*f).to_owned())
            .collect::<Vec<_>>(),
        &path,
    );
    let json = dom
        .split("<pre id=\"probe\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("no probe output in the rendered page:\n{dom}"));
    let json = json
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

fn cell<'a>(cells: &'a BTreeMap<String, Value>, start: &str) -> &'a Value {
    cells
        .get(start)
        .unwrap_or_else(|| panic!("no rendered cell at {start}"))
}

/// Every cell is drawn inside the grid, shows its state's letter, and each state
/// draws its own pattern.
fn check_rendered(cells: &BTreeMap<String, Value>) {
    let letters = [
        ("allowed", "A"),
        ("partly", "a"),
        ("teaching", "T"),
        ("freeze", "F"),
        ("notice-lead", "N"),
        ("always", "X"),
        ("outside", "·"),
    ];
    let mut patterns: BTreeMap<String, String> = BTreeMap::new();
    for (start, c) in cells.iter().filter(|(k, _)| *k != "body") {
        assert!(
            c["w"].as_f64().unwrap() > 4.0 && c["h"].as_f64().unwrap() > 4.0,
            "{start}: {c}"
        );
        assert_eq!(c["inside"], true, "{start} is drawn outside the grid: {c}");
        let state = c["state"].as_str().unwrap();
        let letter = letters.iter().find(|(s, _)| *s == state).unwrap().1;
        assert_eq!(c["letter"], letter, "{start}: {c}");
        let bg = c["bg"].as_str().unwrap().to_owned();
        let seen = patterns
            .entry(state.to_owned())
            .or_insert_with(|| bg.clone());
        assert_eq!(*seen, bg, "one pattern per state");
    }
    let distinct: std::collections::BTreeSet<&String> = patterns.values().collect();
    assert_eq!(distinct.len(), patterns.len(), "{patterns:#?}");
}

#[test]
fn the_calendar_renders_in_chromium_with_the_known_cells_and_prints_on_one_page() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let policies = edited_policies(
        "settings.rego",
        &[
            (
                "freezes := []",
                r#"freezes := [{"from": "2026-12-02", "to": "2026-12-03", "reason": "State testing"}]"#,
            ),
            ("holidays := set()", r#"holidays := {"2026-11-30"}"#),
        ],
    );
    let html = page("2026-11-24T14:00:00-05:00", "14", Some(policies.path()));
    let cells = rendered(&browser, dir.path(), "fixture", &html);
    check_rendered(&cells);
    let state = |start: &str| cell(&cells, start)["state"].as_str().unwrap().to_owned();
    assert_eq!(state("2026-11-25T15:00:00Z"), "teaching", "Wed 10:00 EST");
    assert_eq!(state("2026-12-02T17:00:00Z"), "freeze", "Wed 12:00 EST");
    assert_eq!(state("2026-11-30T17:00:00Z"), "allowed", "holiday noon");
    assert_eq!(state("2026-11-29T04:00:00Z"), "allowed", "Sat 23:00 EST");
    assert_eq!(
        state("2026-11-26T03:00:00Z"),
        "notice-lead",
        "Wed 22:00 EST"
    );

    // Both DST changes: the 23 and 25 hours of the Sundays all drawn in one row.
    for (name, at, date, hours) in [
        ("spring", "2027-03-08T12:00:00-05:00", "2027-03-14", 23),
        ("fall", "2026-10-26T12:00:00-04:00", "2026-11-01", 25),
    ] {
        let cells = rendered(&browser, dir.path(), name, &page(at, "7", None));
        check_rendered(&cells);
        let row: Vec<&Value> = cells
            .values()
            .filter(|c| c.get("row") == Some(&Value::from(date)))
            .collect();
        assert_eq!(row.len(), hours, "{name}");
        let top = row[0]["top"].as_f64().unwrap();
        assert!(
            row.iter()
                .all(|c| (c["top"].as_f64().unwrap() - top).abs() < 1.0)
        );
        assert!(
            row.iter().all(|c| c["state"] == "allowed"),
            "{name}: a Sunday after the lead"
        );
    }
    let fall = rendered(
        &browser,
        dir.path(),
        "fall2",
        &page("2026-10-26T12:00:00-04:00", "7", None),
    );
    let (edt, est) = (
        cell(&fall, "2026-11-01T05:00:00Z"),
        cell(&fall, "2026-11-01T06:00:00Z"),
    );
    assert!(edt["right"].as_f64().unwrap() <= est["left"].as_f64().unwrap() + 1.0);

    // One landscape page when printed.
    let plain = dir.path().join("print.html");
    std::fs::write(&plain, &html).unwrap();
    let pdf = dir.path().join("calendar.pdf");
    run_chromium(
        &browser,
        &dir.path().join("profile-print"),
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".to_owned(),
        ],
        &plain,
    );
    let bytes = std::fs::read(&pdf).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/Type /Page\n").count()
        + text.matches("/Type /Page>").count()
        + text.matches("/Type /Page/").count()
        + text.matches("/Type /Page ").count();
    assert_eq!(pages, 1, "the calendar prints on one page");

    // The screenshot README shows.
    let png = dir.path().join("calendar.png");
    run_chromium(
        &browser,
        &dir.path().join("profile-shot"),
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1400,760".to_owned(),
        ],
        &plain,
    );
    let shot = std::fs::read(&png).unwrap();
    assert!(shot.starts_with(b"\x89PNG"), "a PNG");
    if std::env::var_os("GATEKEEPER_UPDATE_SCREENSHOT").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/calendar.png");
        std::fs::write(docs, shot).unwrap();
    }
}

/// Parses and renders `chart` (a Mermaid block's body) with the `mermaid` package in
/// Chromium; returns "ok N" (N tasks drawn) or "error MESSAGE".
fn mermaid_in_chromium(
    browser: &Path,
    mermaid: &Path,
    dir: &Path,
    name: &str,
    chart: &str,
) -> String {
    let escaped = chart
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let page = format!(
        r#"<!DOCTYPE html><html><body><pre id="src">{escaped}</pre>
<script src="file://{}"></script>
<script>
function done(s) {{ const p = document.createElement('pre'); p.id = 'result'; p.textContent = s; document.body.appendChild(p); }}
mermaid.initialize({{ startOnLoad: false }});
const text = document.getElementById('src').textContent;
mermaid.parse(text)
  .then(() => mermaid.render('chart', text))
  .then(r => {{ const d = document.createElement('div'); d.innerHTML = r.svg;
                done('ok ' + d.querySelectorAll('rect.task').length); }},
        e => done('error ' + (e && e.message ? e.message : String(e))));
</script></body></html>"#,
        mermaid.display()
    );
    let path = dir.join(format!("{name}.html"));
    std::fs::write(&path, page).unwrap();
    let dom = run_chromium(
        browser,
        &dir.join(format!("profile-{name}")),
        &[
            "--dump-dom".to_owned(),
            "--virtual-time-budget=20000".to_owned(),
            "--allow-file-access-from-files".to_owned(),
        ],
        &path,
    );
    dom.split("<pre id=\"result\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("mermaid gave no result:\n{dom}"))
        .to_owned()
}

/// The Mermaid block of `window --format markdown` is valid for the `mermaid` parser
/// (what GitHub renders with) and draws a task per run; a broken block is caught.
/// Needs `GATEKEEPER_MERMAID` (the package's `dist/mermaid.min.js`), which `.ci/run`
/// installs with npm and sets, with `GATEKEEPER_CHROMIUM`.
#[test]
fn the_mermaid_chart_parses_and_renders_with_the_mermaid_package() {
    let Some(browser) = chromium() else {
        return;
    };
    let Some(mermaid) = std::env::var_os("GATEKEEPER_MERMAID").map(PathBuf::from) else {
        eprintln!(
            "GATEKEEPER_MERMAID is not set: the Mermaid test did not run (.ci/run installs the package and sets it)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let policies = edited_policies(
        "settings.rego",
        &[(
            "freezes := []",
            r#"freezes := [{"from": "2026-12-02", "to": "2026-12-03", "reason": "State testing"}]"#,
        )],
    );
    for (name, at, days, with_freeze) in [
        ("fixture", "2026-11-24T14:00:00-05:00", "14", true),
        ("fall", "2026-10-26T12:00:00-04:00", "7", false),
        ("spring", "2027-03-08T12:00:00-05:00", "7", false),
    ] {
        let mut cmd = gatekeeper();
        cmd.args(["window", "production", "--downtime", "--minutes", "60"])
            .arg("--facts")
            .arg(fixture("facts/migrations-weekday-no-notice.json"))
            .args(["--at", at, "--days", days, "--format", "markdown"]);
        if with_freeze {
            cmd.arg("--policies").arg(policies.path());
        }
        let out = cmd.output().unwrap();
        crate::support::assert_exit!(out, 0);
        let md = String::from_utf8(out.stdout).unwrap();
        let chart = md
            .split("```mermaid\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        let tasks = chart
            .lines()
            .filter(|l| l.starts_with("    ") && l.ends_with('m') && !l.contains("dateFormat"))
            .count();
        let result = mermaid_in_chromium(&browser, &mermaid, dir.path(), name, chart);
        assert_eq!(result, format!("ok {tasks}"), "{name}:\n{chart}");
    }
    let broken = mermaid_in_chromium(
        &browser,
        &mermaid,
        dir.path(),
        "broken",
        "gantt\n    dateFormat YYYY-MM-DD HH:mm\n    section a\n    allowed :active, 2026-11-28 00:00, 60m\n    )(\n",
    );
    assert!(broken.starts_with("error"), "{broken}");
}
