//! A recorded facts document (`--facts FILE`) is judged only when it is whole (each
//! key once, each key a facts field), consistent (every `*_unix` field equals its
//! readable twin, the window is what its start, length and zone give, nothing is
//! dated after `now`), holds values no recording can lack (an IANA zone, a positive
//! rpm), and, with a config, is about the target the config describes. Anything
//! else is exit 2, naming what is wrong.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use crate::support::assert_exit;
use crate::support::{check, decide, failing, fixture, gatekeeper, policies, root};

/// A recorded fixture as JSON, to edit.
fn doc(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("facts/{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The fixture's text, to edit as text (what JSON parsers would collapse).
fn text(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("facts/{name}.json"))).unwrap()
}

fn write(dir: &Path, bytes: &[u8]) -> PathBuf {
    let path = dir.join("facts.json");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `check production --format json --facts FILE` with no config (the file named by
/// `--config` does not exist), so that only the document itself is judged.
fn check_alone(bytes: &[u8], extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), bytes);
    gatekeeper()
        .args(["check", "production", "--format", "json", "--config"])
        .arg(dir.path().join("none.toml"))
        .arg("--facts")
        .arg(&path)
        .args(extra)
        .output()
        .unwrap()
}

fn refused(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_exit!(out, 2, "not exit 2; stderr:\n{stderr}");
    assert!(out.stdout.is_empty(), "a decision was printed");
    stderr
}

fn json_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap()
}

// --- whole: every key once, every key a facts field -------------------------------

#[test]
fn a_key_given_twice_is_refused_with_its_line() {
    let original = text("too-busy");
    let line = original
        .lines()
        .position(|l| l.contains("\"rpm\": 17250"))
        .unwrap()
        + 1;
    // The reader sees 17250 (a deny); a parser that keeps the last value sees 100.
    let edited = original.replace("\"rpm\": 17250", "\"rpm\": 17250, \"rpm\": 100");
    let stderr = refused(&check_alone(edited.as_bytes(), &[]));
    assert!(
        stderr.contains("has key \"rpm\" twice in `throughput`"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("(line {line})")), "{stderr}");

    // Anywhere in the document: a second "result" in a repo's build.
    let edited = text("green").replacen(
        "\"result\": \"SUCCESS\",",
        "\"result\": \"FAILURE\", \"result\": \"SUCCESS\",",
        1,
    );
    let stderr = refused(&check_alone(edited.as_bytes(), &[]));
    assert!(
        stderr.contains("has key \"result\" twice in `repos[0].ci`"),
        "{stderr}"
    );
}

#[test]
fn a_key_no_facts_field_is_called_is_refused_with_the_nearest_one() {
    // (where the slip is, the misspelled key, the key it is a slip of)
    let cases: &[(&str, &str, &str)] = &[
        ("", "throughtput", "throughput"),
        ("/repos/1", "behind", "behind_by"),
        ("/notices/0/comments/0", "procede", "proceed"),
    ];
    for (at, key, near) in cases {
        let name = if at.starts_with("/notices") {
            "migrations-saturday-vetted"
        } else {
            "green"
        };
        let mut d = doc(name);
        let object = d.pointer_mut(at).unwrap().as_object_mut().unwrap();
        object.insert((*key).to_owned(), json!({"rpm": 1}));
        let stderr = refused(&check_alone(&json_bytes(&d), &[]));
        assert!(stderr.contains(&format!("has key {key:?}")), "{stderr}");
        assert!(
            stderr.contains(&format!("did you mean {near:?}?")),
            "{stderr}"
        );
    }
}

#[test]
fn every_recorded_fixture_still_loads_and_decides() {
    // (fixture, exit code, failing checks): unchanged by the stricter reading.
    let table: &[(&str, i32, &[&str])] = &[
        ("green", 0, &[]),
        ("too-busy", 1, &["throughput"]),
        (
            "migrations-weekday-no-notice",
            1,
            &["teaching_hours", "downtime_notice"],
        ),
        ("migrations-saturday-vetted", 0, &[]),
        (
            "source-down",
            1,
            &["tests", "throughput", "no_open_incident"],
        ),
        ("incident-critical", 1, &["no_open_incident"]),
    ];
    for (name, code, fails) in table {
        let out = check_alone(text(name).as_bytes(), &[]);
        let decision: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_exit!(out, *code, "{name}");
        assert_eq!(failing(&decision), *fails, "{name}");
    }
}

// --- consistent: redundant fields agree, nothing after `now` ----------------------

#[test]
fn a_field_that_disagrees_with_its_twin_is_refused_naming_both_values() {
    // (fixture, JSON pointer, new value, words the refusal must hold)
    let cases: &[(&str, &str, Value, &[&str])] = &[
        (
            "green",
            "/now",
            json!("2026-11-28T07:00:00Z"),
            &["`now_unix` is 1795546800", "`now` (2026-11-28T07:00:00Z)"],
        ),
        (
            "migrations-weekday-no-notice",
            "/window/start_unix",
            json!(1795849200),
            &["`window.start_unix` is 1795849200"],
        ),
        (
            "migrations-weekday-no-notice",
            "/window/end",
            json!("2026-11-24T23:00:00Z"),
            &[
                "`window.end` is 2026-11-24T23:00:00Z",
                "2026-11-24T20:00:00Z",
            ],
        ),
        (
            "migrations-weekday-no-notice",
            "/window/segments/0/weekday",
            json!("Saturday"),
            &["`window.segments` are not what", "\"Tuesday\""],
        ),
        (
            "migrations-weekday-no-notice",
            "/window/segments/0/from_minute",
            json!(1270),
            &[
                "`window.segments`",
                "\"from_minute\":1270",
                "\"from_minute\":840",
            ],
        ),
        (
            "migrations-weekday-no-notice",
            "/window/start_local",
            json!("2026-11-24T02:00:00-05:00"),
            &["`window.start_local` is \"2026-11-24T02:00:00-05:00\""],
        ),
        (
            "migrations-saturday-vetted",
            "/notices/0/sent_at",
            json!("2026-11-20T14:00:00Z"),
            &["`notices[0].sent_unix` is 1795528800", "1795183200"],
        ),
        (
            "migrations-saturday-vetted",
            "/notices/0/start",
            json!("2026-11-28T09:00:00Z"),
            &[
                "`notices[0].start_unix` is 1795849200",
                "`notices[0].start_local`",
                "`notices[0].end_unix` is 1795856400",
            ],
        ),
        (
            "migrations-saturday-vetted",
            "/notices/0/end_unix",
            json!(1795870800),
            &["`notices[0].end_unix` is 1795870800", "gives 1795856400"],
        ),
        (
            "migrations-saturday-vetted",
            "/notices/0/comments/0/at",
            json!("2026-11-24T12:00:00Z"),
            &["`notices[0].comments[0].at_unix`"],
        ),
    ];
    for (name, pointer, value, words) in cases {
        let mut d = doc(name);
        *d.pointer_mut(pointer).unwrap() = value.clone();
        let stderr = refused(&check_alone(&json_bytes(&d), &[]));
        for word in *words {
            assert!(stderr.contains(word), "{pointer}: no {word:?} in\n{stderr}");
        }
        assert!(
            stderr.contains("record the facts again with `gatekeeper facts production > FILE`"),
            "{stderr}"
        );
    }
}

#[test]
fn the_red_team_notice_edited_to_look_timely_is_refused_not_allowed() {
    // The readable times say 11 h ahead and a window it does not cover; the unix
    // copies, which the policy reads, still said 89 h: this was an ALLOW.
    let mut d = doc("migrations-saturday-vetted");
    let n = &mut d["notices"][0];
    n["sent_at"] = json!("2026-11-27T20:00:00Z");
    n["created_at"] = json!("2026-11-27T20:00:00Z");
    n["start"] = json!("2026-11-28T09:00:00Z");
    let stderr = refused(&check_alone(&json_bytes(&d), &[]));
    assert!(stderr.contains("`notices[0].sent_unix`"), "{stderr}");
    assert!(
        stderr.contains("`notices[0].sent_at` is 2026-11-27T20:00:00Z, after `now`"),
        "{stderr}"
    );
}

#[test]
fn anything_dated_after_now_is_refused() {
    // (fixture, JSON pointer, its companion unix field if any, the field named)
    let cases: &[(&str, &str, Option<&str>, &str)] = &[
        (
            "green",
            "/repos/0/pull_requests/0/reviews/1/submitted_at",
            None,
            "repos[0].pull_requests[0].reviews[1].submitted_at",
        ),
        (
            "green",
            "/repos/1/ci/started_at",
            None,
            "repos[1].ci.started_at",
        ),
        (
            "migrations-saturday-vetted",
            "/notices/0/comments/0/at",
            Some("/notices/0/comments/0/at_unix"),
            "notices[0].comments[0].at",
        ),
    ];
    let later = "2026-11-24T19:00:01Z";
    for (name, pointer, unix, field) in cases {
        let mut d = doc(name);
        *d.pointer_mut(pointer).unwrap() = json!(later);
        if let Some(unix) = unix {
            *d.pointer_mut(unix).unwrap() = json!(1_795_546_801);
        }
        let stderr = refused(&check_alone(&json_bytes(&d), &[]));
        assert!(
            stderr.contains(&format!("`{field}` is {later}, after `now`")),
            "{field}: {stderr}"
        );
    }
}

#[test]
fn moving_the_clock_back_leaves_out_later_reviews_and_builds() {
    // Before tim approved (16:40:57) the pull requests had no approval.
    let (code, decision) = decide(
        gatekeeper()
            .args(["check", "production", "--format", "json", "--facts"])
            .arg(fixture("facts/green.json"))
            .args(["--at", "2026-11-24T16:30:00Z"]),
    );
    assert_exit!(code, 1, "{decision:#}");
    assert!(
        failing(&decision).contains(&"approval".to_owned()),
        "{decision:#}"
    );
    // Before the builds started (16:10), which build was the last is unknown.
    let (code, decision) = decide(
        gatekeeper()
            .args(["check", "production", "--format", "json", "--facts"])
            .arg(fixture("facts/green.json"))
            .args(["--at", "2026-11-24T16:00:00Z"]),
    );
    assert_exit!(code, 1);
    let tests = check(&decision, "tests");
    assert_eq!(tests["status"], "fail");
    assert!(
        tests["detail"]
            .as_str()
            .unwrap()
            .contains("after the clock"),
        "{tests:#}"
    );
}

// --- values no recording holds ---------------------------------------------------

#[test]
fn a_throughput_that_is_no_positive_rate_is_refused() {
    for (field, value) in [
        ("rpm", json!(0)),
        ("rpm", json!(-17250)),
        ("rpm", json!(0.0)),
        ("window_minutes", json!(0)),
    ] {
        let mut d = doc("too-busy");
        d["throughput"][field] = value.clone();
        let stderr = refused(&check_alone(&json_bytes(&d), &[]));
        assert!(
            stderr.contains(&format!("`throughput.{field}` is")),
            "{field}={value}: {stderr}"
        );
    }
}

#[test]
fn a_time_zone_that_is_not_an_iana_zone_is_refused_at_load() {
    // Without --at/--start the zone was never parsed: this was an ALLOW.
    let mut d = doc("green");
    d["timezone"] = json!("Mars/Olympus");
    let stderr = refused(&check_alone(&json_bytes(&d), &[]));
    assert!(
        stderr.contains("`timezone` \"Mars/Olympus\" is not an IANA time zone name"),
        "{stderr}"
    );
}

#[test]
fn a_clock_with_a_fraction_of_a_second_is_refused() {
    let mut d = doc("green");
    d["now"] = json!("2026-11-24T19:00:00.250Z");
    let stderr = refused(&check_alone(&json_bytes(&d), &[]));
    assert!(
        stderr.contains("`now` is 2026-11-24T19:00:00.250Z, with a fraction of a second"),
        "{stderr}"
    );
}

#[test]
fn a_window_of_no_minutes_is_refused() {
    let mut d = doc("green");
    d["window"]["minutes"] = json!(0);
    let stderr = refused(&check_alone(&json_bytes(&d), &[]));
    assert!(stderr.contains("`window.minutes` is 0"), "{stderr}");
}

// --- the encoding ----------------------------------------------------------------

#[test]
fn a_byte_order_mark_is_read_past() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text("green").as_bytes());
    let out = check_alone(&bytes, &[]);
    crate::support::assert_exit!(out, 0);
    let decision: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(decision["allow"], true);
}

#[test]
fn a_utf16_document_says_to_save_it_as_utf8() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text("green").encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let stderr = refused(&check_alone(&bytes, &[]));
    assert!(stderr.contains("is UTF-16"), "{stderr}");
    assert!(stderr.contains("save it as UTF-8"), "{stderr}");
}

// --- whole seconds ---------------------------------------------------------------

#[test]
fn the_clock_and_the_start_are_cut_to_whole_seconds() {
    let (code, decision) = decide(
        gatekeeper()
            .args(["check", "production", "--format", "json", "--facts"])
            .arg(fixture("facts/migrations-saturday-vetted.json"))
            .args(["--at", "2026-11-24T19:00:00.987654321Z"])
            .args(["--start", "2026-11-28T07:00:00.5Z"]),
    );
    assert_exit!(code, 0, "{decision:#}");
    assert_eq!(decision["evaluated_at"], "2026-11-24T19:00:00Z");
    let evidence = check(&decision, "teaching_hours")["evidence"].to_string();
    assert!(
        !evidence.contains(".5"),
        "the window kept a fraction: {evidence}"
    );
}

// --- about the configured target --------------------------------------------------

/// A throw-away copy of the repository's config, with `edits` applied to its text.
fn config(edits: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string(root().join("gatekeeper.toml")).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "the config has no {from:?}");
        text = text.replace(from, to);
    }
    let path = dir.path().join("gatekeeper.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn check_configured(config: &Path, facts: &[u8]) -> Output {
    let dir = config.parent().unwrap();
    let path = write(dir, facts);
    gatekeeper()
        .args(["check", "production", "--format", "json", "--config"])
        .arg(config)
        .arg("--policies")
        .arg(policies())
        .arg("--facts")
        .arg(&path)
        .output()
        .unwrap()
}

#[test]
fn a_document_of_another_release_than_the_configured_one_is_refused() {
    let (_dir, cfg) = config(&[]);
    let two = |f: &dyn Fn(&mut Value)| {
        let mut d = doc("green");
        // The left-out repo fails its tests: trimming it was an ALLOW.
        d["repos"][1]["ci"]["result"] = json!("FAILURE");
        f(&mut d);
        json_bytes(&d)
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            two(&|d| {
                d["repos"].as_array_mut().unwrap().truncate(1);
            }),
            "it lacks thinkthroughmath/lesson-content",
        ),
        (
            two(&|d| d["repos"][1]["name"] = json!("someone/else")),
            "the config has no someone/else",
        ),
        (
            two(&|d| d["repos"].as_array_mut().unwrap().swap(0, 1)),
            "the order or the count differs",
        ),
        (
            two(&|d| d["repos"][0]["jenkins_job"] = json!("apangea-main")),
            "`repos[0].jenkins_job` of thinkthroughmath/apangea is \"apangea-main\", the config's is \"apangea-rc\"",
        ),
        (
            two(&|d| d["repos"][1]["release_branch"] = json!("release")),
            "`repos[1].release_branch` of thinkthroughmath/lesson-content is \"release\"",
        ),
        (
            two(&|d| d["repos"][0]["base_branch"] = json!("main")),
            "`repos[0].base_branch`",
        ),
        (
            two(&|d| d["production"]["repo"] = json!("thinkthroughmath/aws-staging")),
            "the config's deploy repo is thinkthroughmath/aws-production@master",
        ),
        (
            two(&|d| d["throughput"]["app"] = json!("apangea-staging")),
            "`throughput.app` is \"apangea-staging\"",
        ),
    ];
    for (facts, words) in cases {
        let stderr = refused(&check_configured(&cfg, &facts));
        assert!(stderr.contains(words), "no {words:?} in\n{stderr}");
        assert!(
            stderr.contains("record the facts again with `gatekeeper facts production > FILE`"),
            "{stderr}"
        );
    }
}

#[test]
fn a_document_of_another_time_zone_than_the_configured_one_is_refused() {
    let (_dir, cfg) = config(&[(
        "timezone = \"America/New_York\"",
        "timezone = \"America/Chicago\"",
    )]);
    let stderr = refused(&check_configured(&cfg, text("green").as_bytes()));
    assert!(
        stderr.contains("`timezone` is \"America/New_York\", the config's is \"America/Chicago\""),
        "{stderr}"
    );
}

#[test]
fn a_target_the_config_does_not_have_is_refused() {
    let (_dir, cfg) = config(&[("targets.production", "targets.prod")]);
    let stderr = refused(&check_configured(&cfg, text("green").as_bytes()));
    assert!(
        stderr.contains("production") && stderr.contains("prod"),
        "{stderr}"
    );
}

#[test]
fn the_configured_document_decides_and_without_a_config_only_the_document_counts() {
    // With the config the fixtures were recorded under: decided.
    let (_dir, cfg) = config(&[]);
    let out = check_configured(&cfg, text("green").as_bytes());
    crate::support::assert_exit!(out, 0);
    // Without any config (documented: offline commands on recorded facts need none),
    // a document of one repo is judged as it stands.
    let mut d = doc("green");
    d["repos"].as_array_mut().unwrap().truncate(1);
    let out = check_alone(&json_bytes(&d), &[]);
    crate::support::assert_exit!(out, 0);
}

#[test]
fn window_refuses_a_foreign_document_too() {
    let (_dir, cfg) = config(&[]);
    let mut d = doc("green");
    d["repos"].as_array_mut().unwrap().truncate(1);
    let path = write(cfg.parent().unwrap(), &json_bytes(&d));
    // (`deploy --dry-run --facts` reads the document the same way, after its clones.)
    for command in [&["window", "production"][..], &["check", "production"][..]] {
        let out = gatekeeper()
            .args(command)
            .arg("--config")
            .arg(&cfg)
            .arg("--policies")
            .arg(policies())
            .arg("--facts")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        crate::support::assert_exit!(out, 2);
        assert!(
            stderr.contains("it lacks thinkthroughmath/lesson-content"),
            "{command:?}: {stderr}"
        );
    }
}

// --- what `gatekeeper facts` writes stays loadable --------------------------------

/// Recorded before tim approved (16:40:57): the live collection leaves the later
/// review out, as a replay at that instant does, so the document loads and gives
/// the live decision.
#[tokio::test]
async fn facts_recorded_at_an_earlier_instant_load_and_decide_as_live() {
    use crate::support::gatekeeper_in;
    use crate::support::server::{self, Services};

    let at = "2026-11-24T16:30:00Z";
    let services = server::start_green().await;
    let dir = tempfile::tempdir().unwrap();
    let config = services.write_config(dir.path());
    let out = gatekeeper_in(dir.path())
        .args(["facts", "production", "--config"])
        .arg(&config)
        .args(["--at", at])
        .envs(Services::env())
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 0);
    let facts: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reviews = &facts["repos"][0]["pull_requests"][0]["reviews"];
    assert_eq!(reviews.as_array().unwrap().len(), 1, "{reviews:#}");
    assert_eq!(reviews[0]["submitted_at"], "2026-11-24T15:02:11Z");
    std::fs::write(dir.path().join("facts.json"), &out.stdout).unwrap();

    let run = |args: &[&str]| {
        decide(
            gatekeeper_in(dir.path())
                .args(["check", "production", "--format", "json", "--config"])
                .arg(&config)
                .args(["--at", at])
                .args(args)
                .envs(Services::env()),
        )
    };
    let (live_code, live) = run(&[]);
    let (code, recorded) = run(&["--facts", "facts.json"]);
    assert_exit!(code, 1, "{recorded:#}");
    assert_eq!(failing(&recorded), ["approval"], "{recorded:#}");
    assert_exit!(live_code, code);
    assert_eq!(recorded["checks"], live["checks"]);
}

/// A document that contradicts itself is not judged: an error saying a field is
/// unknown beside that field, migrations without the base they count from, and
/// SHAs that are no whole commit (`"" == ""` would match).
#[test]
fn a_document_that_contradicts_itself_or_holds_no_whole_sha_is_refused() {
    let mut d = doc("green");
    d["errors"] = json!([{"source": "github", "repo": "thinkthroughmath/apangea",
        "fact": "migrations", "message": "migrations unknown: HTTP 502"}]);
    let stderr = refused(&check_alone(&json_bytes(&d), &[]));
    assert!(
        stderr.contains(
            "says `migrations` of thinkthroughmath/apangea is unknown, but the document gives it"
        ),
        "{stderr}"
    );

    let mut d = doc("green");
    d["repos"][0]["migrations_base"] = Value::Null;
    let stderr = refused(&check_alone(&json_bytes(&d), &[]));
    assert!(stderr.contains("`migrations_base` is not"), "{stderr}");

    let mut d = doc("green");
    for repo in d["repos"].as_array_mut().unwrap() {
        repo["release_sha"] = json!("");
        repo["ci"]["sha"] = json!("");
        repo["pull_requests"][0]["head_sha"] = json!("");
    }
    let stderr = refused(&check_alone(&json_bytes(&d), &[]));
    assert!(
        stderr.contains("`repos[0].release_sha` is \"\", not a whole commit SHA"),
        "{stderr}"
    );
}
