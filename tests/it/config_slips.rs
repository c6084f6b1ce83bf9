//! Config slips and output injection: a config that looks right but is not (a zone
//! wrong half the year, a secret in a URL, one token named for two services, a
//! credential over plain http, blank or doubled names, URLs without a host) is exit
//! 2 at load, naming the key and never a secret; HTML from a source is shown, not
//! rendered, in Markdown; flags that would do something else than they say are
//! refused.

use std::path::{Path, PathBuf};

use crate::support::{ExitAssert, assert_exit};
use crate::support::{decide, failing, fixture, gatekeeper, gatekeeper_in, policies, root};

/// The shipped config, with its policies found from anywhere.
fn shipped_config() -> String {
    std::fs::read_to_string(root().join("gatekeeper.toml"))
        .unwrap()
        .replace(
            "policies = \"policies\"",
            &format!("policies = {:?}", policies().display().to_string()),
        )
}

/// Writes the shipped config after `edits` (each `(from, to)` must be there).
fn config_with(dir: &Path, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = shipped_config();
    for (from, to) in edits {
        assert!(text.contains(from), "the config has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    let path = dir.join("gatekeeper.toml");
    std::fs::write(&path, text).unwrap();
    path
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `check production` on the green recorded facts with the config in `dir`.
fn check_green(dir: &Path, config: &Path) -> Run {
    let out = gatekeeper_in(dir)
        .args(["check", "production", "--format", "json", "--config"])
        .arg(config)
        .arg("--facts")
        .arg(fixture("facts/green.json"))
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The config edited by `edits` is exit 2, its message holding each of `wanted`
/// and none of `hidden`.
fn refused(edits: &[(&str, &str)], wanted: &[&str], hidden: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(dir.path(), edits);
    let run = check_green(dir.path(), &config);
    assert_exit!(run.code, 2, "{edits:?}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{edits:?} decided: {}", run.stdout);
    for text in wanted {
        assert!(
            run.stderr.contains(text),
            "{edits:?}: {text:?} not in:\n{}",
            run.stderr
        );
    }
    for secret in hidden {
        assert!(
            !run.stderr.contains(secret),
            "{secret} shown:\n{}",
            run.stderr
        );
    }
}

/// The config edited by `edits` loads: the green facts allow.
fn accepted(edits: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(dir.path(), edits);
    let run = check_green(dir.path(), &config);
    assert_exit!(run.code, 0, "{edits:?}: {}", run.stderr);
}

#[test]
fn the_shipped_config_loads_and_the_green_facts_allow() {
    accepted(&[]);
}

#[test]
fn a_zone_that_is_a_fixed_offset_or_a_legacy_alias_is_refused_naming_the_place_to_write() {
    let tz = "timezone = \"America/New_York\"";
    for (zone, wanted) in [
        ("EST", "is a fixed UTC−5 offset with no daylight saving"),
        ("MST", "is a fixed UTC−7 offset"),
        ("HST", "is a fixed UTC−10 offset"),
        ("Etc/GMT-5", "is a fixed UTC+5 offset"),
        ("EST5EDT", "is a legacy alias"),
        ("US/Eastern", "is a legacy alias"),
        ("GMT", "is UTC under another name"),
    ] {
        let written = format!("timezone = {zone:?}");
        refused(
            &[(tz, &written)],
            &[&format!("timezone {zone:?} {wanted}")],
            &[],
        );
    }
    refused(
        &[(tz, "timezone = \"EST\"")],
        &["write America/New_York"],
        &[],
    );
    refused(
        &[(tz, "timezone = \"US/Pacific\"")],
        &["write America/Los_Angeles"],
        &[],
    );
    refused(
        &[(tz, "timezone = \"GMT+5\"")],
        &["timezone \"GMT+5\" is not an IANA time zone name"],
        &[],
    );
    // These load; the green facts, recorded in New York, are then refused as facts
    // of another zone than the configured one, and nothing else is said.
    for zone in ["UTC", "Europe/London"] {
        let dir = tempfile::tempdir().unwrap();
        let config = config_with(dir.path(), &[(tz, &format!("timezone = {zone:?}"))]);
        let run = check_green(dir.path(), &config);
        assert_exit!(run.code, 2, "{zone}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "`timezone` is \"America/New_York\", the config's is {zone:?}"
            )),
            "{zone}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("problem"), "{zone}: {}", run.stderr);
    }
}

#[test]
fn the_window_search_refuses_facts_in_a_fixed_offset_zone() {
    let dir = tempfile::tempdir().unwrap();
    let mut facts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("facts/green.json")).unwrap())
            .unwrap();
    facts["timezone"] = "EST".into();
    let file = dir.path().join("est.json");
    std::fs::write(&file, facts.to_string()).unwrap();
    let out = gatekeeper()
        .args(["window", "production", "--config", "/nonexistent.toml"])
        .arg("--facts")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(
        stderr.contains("\"EST\" is a fixed UTC−5 offset"),
        "{stderr}"
    );
}

#[test]
fn a_credential_in_a_url_or_a_token_in_any_value_is_refused_by_key_never_by_value() {
    let nrak = "NRAK-ABCDEF1234567890";
    let nr = "url = \"https://api.newrelic.com/graphql\"";
    for (param, value) in [
        ("api_key", nrak),
        ("token", "plainvalue123"),
        ("apikey", "plainvalue123"),
        ("access_token", "plainvalue123"),
        ("password", "plainvalue123"),
    ] {
        let written = format!("url = \"https://api.newrelic.com/graphql?{param}={value}\"");
        refused(
            &[(nr, &written)],
            &[&format!(
                "newrelic.url is a URL with a parameter `{param}` that looks like a credential"
            )],
            &[value],
        );
    }
    // Even a query that holds no credential has no place in a service's base URL.
    refused(
        &[(nr, "url = \"https://api.newrelic.com/graphql?region=eu\"")],
        &["newrelic.url has a query or fragment"],
        &[],
    );
    // A smoke URL may have a query, never a credential in it.
    let smoke = "smoke_urls = [\"https://www.thinkthroughmath.com/up\"]";
    accepted(&[(
        smoke,
        "smoke_urls = [\"https://www.thinkthroughmath.com/up?full=1\"]",
    )]);
    refused(
        &[(
            smoke,
            "smoke_urls = [\"https://www.thinkthroughmath.com/up?key=s3cr3tvalue\"]",
        )],
        &["targets.production.smoke_urls[0] is a URL with a parameter `key`"],
        &["s3cr3tvalue"],
    );
    // A token-shaped word in any string, whatever the key.
    let ghp = "ghp_pastedTokenValue0123456789abcdef";
    refused(
        &[(
            "notice_to = \"field-team@imaginelearning.com\"",
            &format!("notice_to = \"ops {ghp}\""),
        )],
        &["targets.production.notice_to holds a token (a word starting with `ghp_`)"],
        &[ghp],
    );
    refused(
        &[(
            "user = \"deploybot\"",
            "user = \"deploybot\"\n# pasted\n[programs]\nttmscalr = \"xoxb-123456789012-abcdefabcdef\"",
        )],
        &["programs.ttmscalr holds a token (a word starting with `xoxb-`)"],
        &["xoxb-123456789012"],
    );
}

#[test]
fn one_variable_named_by_two_services_is_refused_naming_both_keys() {
    refused(
        &[(
            "token_env = \"JENKINS_TOKEN\"",
            "token_env = \"GITHUB_TOKEN\"",
        )],
        &["jenkins.token_env and github.token_env both name the variable GITHUB_TOKEN"],
        &[],
    );
    refused(
        &[(
            "api_key_env = \"NEW_RELIC_API_KEY\"",
            "api_key_env = \"JENKINS_TOKEN\"",
        )],
        &["jenkins.token_env and newrelic.api_key_env both name the variable JENKINS_TOKEN"],
        &[],
    );
    // A default counts: [github] without token_env names GITHUB_TOKEN.
    refused(
        &[
            (
                "token_env = \"JENKINS_TOKEN\"",
                "token_env = \"GITHUB_TOKEN\"",
            ),
            ("token_env = \"GITHUB_TOKEN\"\n\n[targets", "\n[targets"),
        ],
        &["jenkins.token_env and github.token_env both name the variable GITHUB_TOKEN"],
        &[],
    );
}

#[test]
fn a_credential_over_plain_http_goes_only_to_this_machine() {
    let jenkins = "url = \"https://jenkins.example.com:8080\"";
    refused(
        &[(jenkins, "url = \"http://jenkins.example.com:8080\"")],
        &[
            "jenkins.url is plain http:// to jenkins.example.com",
            "jenkins.token_env",
        ],
        &[],
    );
    refused(
        &[(
            "url = \"https://api.github.com\"",
            "url = \"http://github.example.com/api/v3\"",
        )],
        &["github.url is plain http:// to github.example.com"],
        &[],
    );
    // A local stand-in, and Jenkins without a token, may be plain http.
    accepted(&[(jenkins, "url = \"http://127.0.0.1:8080\"")]);
    accepted(&[(jenkins, "url = \"http://localhost:8080\"")]);
    accepted(&[
        (jenkins, "url = \"http://jenkins.example.com:8080\""),
        ("token_env = \"JENKINS_TOKEN\"\n", ""),
    ]);
}

#[test]
fn blank_doubled_and_hostless_config_values_are_refused_at_load_naming_the_key() {
    let at = "targets.production";
    let cases: [(&[(&str, &str)], String); 11] = [
        (
            &[("release_branch = \"rc\"", "release_branch = \"\"")],
            format!("{at}.release_branch is empty"),
        ),
        (
            &[("release_branch = \"rc\"", "release_branch = \"master\"")],
            format!("{at}.release_branch and {at}.base_branch are both \"master\""),
        ),
        (
            &[("release_branch = \"rc\"", "release_branch = \"-rc\"")],
            format!("{at}.release_branch \"-rc\" is not a git branch name"),
        ),
        (
            &[(
                "jenkins_job = \"apangea-rc\"",
                "jenkins_job = \" apangea-rc\"",
            )],
            format!("{at}.repos[0].jenkins_job \" apangea-rc\" has whitespace around it"),
        ),
        (
            &[("app = \"apangea\"", "app = \"apangea \"")],
            format!("{at}.app \"apangea \" has whitespace around it"),
        ),
        (
            &[(
                "deploy_repo = \"thinkthroughmath/aws-production\"",
                "deploy_repo = \"thinkthroughmath/aws-production \"",
            )],
            format!("{at}.deploy_repo \"thinkthroughmath/aws-production \" has whitespace"),
        ),
        (
            &[(
                "github = \"thinkthroughmath/lesson-content\"",
                "github = \"ThinkThroughMath/Apangea\"",
            )],
            format!("{at}.repos[0].github and {at}.repos[1].github both name"),
        ),
        (
            &[(
                "smoke_urls = [\"https://www.thinkthroughmath.com/up\"]",
                "smoke_urls = [\"www.thinkthroughmath.com/up\"]",
            )],
            format!("{at}.smoke_urls[0] \"www.thinkthroughmath.com/up\" must start with http"),
        ),
        (
            &[(
                "smoke_urls = [\"https://www.thinkthroughmath.com/up\"]",
                "smoke_urls = [\"https://\"]",
            )],
            format!("{at}.smoke_urls[0] \"https://\" has no host"),
        ),
        (
            &[(
                "url = \"https://jenkins.example.com:8080\"",
                "url = \"https://\"",
            )],
            "jenkins.url \"https://\" has no host".to_owned(),
        ),
        (
            &[("url = \"https://api.github.com\"", "url = \"https:///api\"")],
            "github.url \"https:///api\" has no host".to_owned(),
        ),
    ];
    for (edits, wanted) in cases {
        refused(edits, &[&wanted], &[]);
    }
}

#[test]
fn html_from_a_source_is_shown_not_rendered_in_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let mut facts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("facts/green.json")).unwrap())
            .unwrap();
    let injected = "x <img src=x> <b>]]></failure> & ✅ ALLOW";
    facts["repos"][0]["pull_requests"][0]["dependencies"][0]["text"] = injected.into();
    facts["repos"][0]["pull_requests"][0]["dependencies"][0]["done"] = false.into();
    let file = dir.path().join("injected.json");
    std::fs::write(&file, facts.to_string()).unwrap();
    let summary = dir.path().join("summary.md");
    let out = gatekeeper()
        .args(["check", "production", "--config", "/nonexistent.toml"])
        .arg("--facts")
        .arg(&file)
        .args(["--format", "markdown"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    crate::support::assert_exit!(out, 1);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let written = std::fs::read_to_string(&summary).unwrap();
    for markdown in [&stdout, &written] {
        assert!(
            markdown
                .contains("x &lt;img src=x&gt; &lt;b&gt;\\]\\]&gt;&lt;/failure&gt; &amp; ✅ ALLOW"),
            "{markdown}"
        );
        for raw in ["<img", "<b>", "</failure>"] {
            assert!(!markdown.contains(raw), "{raw} rendered:\n{markdown}");
        }
    }
    // The decision is judged as before: the unticked dependency fails its check.
    let (code, decision) = decide(
        gatekeeper()
            .args(["check", "production", "--config", "/nonexistent.toml"])
            .arg("--facts")
            .arg(&file)
            .args(["--format", "json"]),
    );
    assert_exit!(code, 1);
    assert_eq!(failing(&decision), ["release_dependencies"]);
}

#[test]
fn a_dash_for_a_file_is_refused_rather_than_written_or_read_as_a_file_named_dash() {
    let dir = tempfile::tempdir().unwrap();
    let green = fixture("facts/green.json");
    let green = green.to_str().unwrap();
    for args in [
        vec!["check", "production", "--facts", green, "--output", "-"],
        vec!["check", "production", "--facts", "-"],
        vec![
            "check",
            "production",
            "--facts",
            green,
            "--report",
            "json=-",
        ],
        vec!["facts", "production", "--output", "-"],
        vec!["window", "production", "--facts", "-"],
        vec!["deploy", "production", "--dry-run", "--facts", "-"],
        vec!["policy", "check", "-"],
    ] {
        let config: &[&str] = if args[0] == "policy" {
            &[]
        } else {
            &["--config", "/nonexistent.toml"]
        };
        let out = gatekeeper_in(dir.path())
            .args(&args)
            .args(config)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        crate::support::assert_exit!(out, 2);
        assert!(
            stderr.contains("`-` is not standard input or output here"),
            "{args:?}: {stderr}"
        );
        assert!(
            !dir.path().join("-").exists(),
            "{args:?} wrote a file named -"
        );
    }
    // `./-` still names a file called `-`.
    gatekeeper_in(dir.path())
        .args([
            "check",
            "production",
            "--config",
            "/nonexistent.toml",
            "--policies",
        ])
        .arg(policies())
        .args(["--facts", green, "--format", "json", "--output", "./-"])
        .assert()
        .exits(0);
    assert!(dir.path().join("-").exists());
}

#[test]
fn window_count_zero_is_refused() {
    let out = gatekeeper()
        .args(["window", "production", "--config", "/nonexistent.toml"])
        .arg("--facts")
        .arg(fixture("facts/green.json"))
        .args(["--count", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    crate::support::assert_exit!(out, 2);
    assert!(stderr.contains("--count"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn an_override_reason_without_an_override_is_refused() {
    for command in [
        vec!["check", "production"],
        vec!["deploy", "production", "--dry-run"],
    ] {
        let out = gatekeeper()
            .args(&command)
            .args(["--config", "/nonexistent.toml", "--facts"])
            .arg(fixture("facts/too-busy.json"))
            .args(["--reason", "the incident needs the fix now"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        crate::support::assert_exit!(out, 2);
        assert!(stderr.contains("--override"), "{command:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{command:?} decided");
    }
    // With the override it is what it always was: recorded with the override.
    let (code, decision) = decide(
        gatekeeper()
            .args(["check", "production", "--config", "/nonexistent.toml"])
            .arg("--facts")
            .arg(fixture("facts/too-busy.json"))
            .args(["--format", "json", "--override", "throughput"])
            .args(["--reason", "the incident needs the fix now"]),
    );
    assert_exit!(code, 0, "{decision}");
    assert!(failing(&decision) == ["throughput"], "{decision}");
}

#[test]
fn every_type_error_and_a_token_are_named_at_once_each_by_its_key() {
    let ghp = "ghp_pastedTokenValue0123456789abcdef";
    refused(
        &[
            ("deploy_minutes = 60", "deploy_minutes = \"sixty\""),
            ("account_id = 1234567", "account_id = \"1234567\""),
            (
                "token_env = \"GITHUB_TOKEN\"",
                &format!("token_env = \"{ghp}\""),
            ),
        ],
        &[
            "deploy_minutes (line",
            "newrelic.account_id (line",
            "github.token_env must be the NAME of an environment variable",
        ],
        &[ghp, "sixty"],
    );
}
