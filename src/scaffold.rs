//! What `gatekeeper init` writes for a new team: a commented `gatekeeper.toml` with
//! every key and its default, the shipped policies (carried in the binary) with the
//! team's settings, and demo facts that match that config. The answers are checked
//! in [`answers`] and the files written by [`write`]; the command
//! (`commands/init.rs`) asks at a terminal.

pub mod answers;
pub mod write;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::facts::plan_window;

/// The shipped policy files, carried in the binary so that an installed
/// `gatekeeper` can set up a repository anywhere. `settings.rego` and
/// `settings_test.rego` are rendered with the team's values.
pub const SHIPPED_POLICIES: &[(&str, &str)] = &[
    ("FACTS.md", include_str!("../policies/FACTS.md")),
    (
        "advisory_test.rego",
        include_str!("../policies/advisory_test.rego"),
    ),
    ("approval.rego", include_str!("../policies/approval.rego")),
    (
        "approval_test.rego",
        include_str!("../policies/approval_test.rego"),
    ),
    (
        "decision_test.rego",
        include_str!("../policies/decision_test.rego"),
    ),
    (
        "downtime_notice.rego",
        include_str!("../policies/downtime_notice.rego"),
    ),
    (
        "downtime_notice_test.rego",
        include_str!("../policies/downtime_notice_test.rego"),
    ),
    (
        "engine_guards_test.rego",
        include_str!("../policies/engine_guards_test.rego"),
    ),
    ("freeze.rego", include_str!("../policies/freeze.rego")),
    (
        "freeze_test.rego",
        include_str!("../policies/freeze_test.rego"),
    ),
    (
        "gatekeeper.rego",
        include_str!("../policies/gatekeeper.rego"),
    ),
    ("guard.rego", include_str!("../policies/guard.rego")),
    (
        "guard_test.rego",
        include_str!("../policies/guard_test.rego"),
    ),
    (
        "no_open_incident.rego",
        include_str!("../policies/no_open_incident.rego"),
    ),
    (
        "no_open_incident_test.rego",
        include_str!("../policies/no_open_incident_test.rego"),
    ),
    (
        "release_dependencies.rego",
        include_str!("../policies/release_dependencies.rego"),
    ),
    (
        "release_dependencies_test.rego",
        include_str!("../policies/release_dependencies_test.rego"),
    ),
    ("request.rego", include_str!("../policies/request.rego")),
    (
        "request_test.rego",
        include_str!("../policies/request_test.rego"),
    ),
    ("settings.rego", include_str!("../policies/settings.rego")),
    (
        "settings_test.rego",
        include_str!("../policies/settings_test.rego"),
    ),
    (
        "teaching_hours.rego",
        include_str!("../policies/teaching_hours.rego"),
    ),
    (
        "teaching_hours_test.rego",
        include_str!("../policies/teaching_hours_test.rego"),
    ),
    (
        "testdata_test.rego",
        include_str!("../policies/testdata_test.rego"),
    ),
    ("tests.rego", include_str!("../policies/tests.rego")),
    (
        "tests_test.rego",
        include_str!("../policies/tests_test.rego"),
    ),
    (
        "throughput.rego",
        include_str!("../policies/throughput.rego"),
    ),
    (
        "throughput_test.rego",
        include_str!("../policies/throughput_test.rego"),
    ),
];

const GREEN_FACTS: &str = include_str!("../fixtures/facts/green.json");

/// One release repo of the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// "owner/name" on GitHub.
    pub github: String,
    pub jenkins_job: String,
}

/// The team's answers.
#[derive(Debug, Clone)]
pub struct Answers {
    pub target: String,
    /// The release repos, the app first.
    pub repos: Vec<Repo>,
    pub app: String,
    pub deploy_repo: String,
    pub deploy_remote: String,
    pub notices_repo: String,
    pub release_branch: String,
    pub base_branch: String,
    pub smoke_urls: Vec<String>,
    pub notice_to: String,
    pub timezone: Tz,
    pub jenkins_url: String,
    pub newrelic_account: u64,
    pub approvers: Vec<String>,
    pub vetters: Vec<String>,
    pub teaching_days: Vec<String>,
    pub teaching_start: String,
    pub teaching_end: String,
}

/// The throughput limit the shipped settings hold (the demo's busy facts exceed it).
pub const SHIPPED_LIMIT_RPM: f64 = 15000.0;

/// Every file `init` writes, relative to its directory, with its text.
pub fn files(a: &Answers) -> Vec<(PathBuf, String)> {
    let mut out = vec![(PathBuf::from("gatekeeper.toml"), config(a))];
    for (name, text) in SHIPPED_POLICIES {
        let text = match *name {
            "settings.rego" => settings(text, a),
            "settings_test.rego" => settings_test(text, a),
            _ => (*text).to_owned(),
        };
        out.push((PathBuf::from("policies").join(name), text));
    }
    let green = demo_facts(a, 9800.4);
    let busy = demo_facts(a, SHIPPED_LIMIT_RPM * 1.15);
    for (name, doc) in [("green.json", green), ("too-busy.json", busy)] {
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
        out.push((PathBuf::from("fixtures/facts").join(name), text));
    }
    out
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

fn rego_list(items: &[String]) -> String {
    toml_list(items)
}

/// The starter config: every key, with its default where the team gave nothing.
pub fn config(a: &Answers) -> String {
    let mut repos = String::new();
    for r in &a.repos {
        repos.push_str(&format!(
            "\n[[targets.{t}.repos]]\ngithub = {:?}\njenkins_job = {:?}\n\
             # path = \"../NAME\"        # an existing clone; without it the clone lives in workdir\n\
             # clone_url = \"…\"         # default: the repo on the GitHub host of [github] url\n",
            r.github,
            r.jenkins_job,
            t = a.target
        ));
    }
    format!(
        r#"# gatekeeper's config, written by `gatekeeper init` (every key: docs/config.md).
# Secrets are never written here: only the NAMES of the environment variables
# that hold them. Commented keys show their defaults.
timezone = "{tz}"             # the zone of teaching hours, freezes and notices
policies = "policies"         # the Rego rules; settings in policies/settings.rego
audit_log = ".gatekeeper/audit.jsonl"
workdir = "clones"            # where deploy clones a repo that names no path
# deploy_minutes = 60         # planned window when --minutes is not given
# timeout_seconds = 10        # per request, every source
# step_grace_seconds = 30     # a step's time to stop after SIGTERM, then SIGKILL (1-3600)
# deadline_seconds = 60       # one deadline for collecting every fact
# max_in_flight = 32          # requests in flight at most, per service

[jenkins]
url = "{jenkins}"
# user = "deploybot"          # with token_env: HTTP basic auth
# token_env = "JENKINS_TOKEN"

[newrelic]
# url = "https://api.newrelic.com/graphql"
account_id = {account}
# api_key_env = "NEW_RELIC_API_KEY"
# window_minutes = 5          # throughput is averaged over this many minutes

[github]
# url = "https://api.github.com"
# token_env = "GITHUB_TOKEN"

[programs]
# git = "git"
# ttmscalr = "ttmscalr"       # the deploy tool the default runbook runs

[targets.{t}]
app = "{app}"                 # the New Relic appName
deploy_repo = "{deploy_repo}"  # its base branch head is the production SHA
deploy_remote = "{deploy_remote}"
# deploy_remote_url = "git@github.com:{deploy_repo}.git"  # added to a fresh clone of the app
notices_repo = "{notices_repo}"  # its issues are the downtime notices
release_branch = "{release_branch}"
base_branch = "{base_branch}"
smoke_urls = {smoke}
notice_to = "{notice_to}"     # To of the downtime e-mail
# notice_cc = []
# The runbook: the default steps (docs/runbook.md) run unless
# [[targets.{t}.steps]] replaces them; extra_steps run after them, before verify.
# [[targets.{t}.extra_steps]]
# name = "tell the team production is on the new release"
# manual = true
{repos}"#,
        tz = a.timezone.name(),
        jenkins = a.jenkins_url,
        account = a.newrelic_account,
        t = a.target,
        app = a.app,
        deploy_repo = a.deploy_repo,
        deploy_remote = a.deploy_remote,
        notices_repo = a.notices_repo,
        release_branch = a.release_branch,
        base_branch = a.base_branch,
        smoke = toml_list(&a.smoke_urls),
        notice_to = a.notice_to,
    )
}

/// Replaces the value of each `NAME := …` line whose name `values` holds.
fn set_lines(text: &str, values: &[(&str, String)], prefix: &str, sep: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let replaced = values.iter().find_map(|(name, value)| {
            line.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix(name))
                .filter(|rest| rest.starts_with(sep))
                .map(|_| format!("{prefix}{name}{sep}{value}"))
        });
        out.push_str(replaced.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

fn team_values(a: &Answers) -> Vec<(&'static str, String)> {
    vec![
        ("approvers", rego_list(&a.approvers)),
        ("vetters", rego_list(&a.vetters)),
        ("teaching_days", rego_list(&a.teaching_days)),
        ("teaching_start", format!("{:?}", a.teaching_start)),
        ("teaching_end", format!("{:?}", a.teaching_end)),
    ]
}

/// The shipped settings with the team's approvers, vetters and teaching hours.
pub fn settings(shipped: &str, a: &Answers) -> String {
    set_lines(shipped, &team_values(a), "", " := ")
}

/// The shipped settings test, pinning the team's values instead.
pub fn settings_test(shipped: &str, a: &Answers) -> String {
    set_lines(shipped, &team_values(a), "\tsettings.", " == ")
}

/// Sets the value at a JSON pointer when the place exists (the template has it).
fn set(doc: &mut Value, pointer: &str, value: Value) {
    if let Some(slot) = doc.pointer_mut(pointer) {
        *slot = value;
    }
}

/// The shipped green facts, made about the team's target: its zone, repos, deploy
/// repo, app and approver, with New Relic at `rpm`.
pub fn demo_facts(a: &Answers, rpm: f64) -> Value {
    let mut doc: Value = serde_json::from_str(GREEN_FACTS).unwrap_or(Value::Null);
    let now: DateTime<Utc> = doc
        .pointer("/now")
        .and_then(Value::as_str)
        .and_then(|t| t.parse().ok())
        .unwrap_or_default();
    let minutes = doc
        .pointer("/window/minutes")
        .and_then(Value::as_u64)
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(60);
    let templates: Vec<Value> = doc
        .pointer("/repos")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let approver = a.approvers.first().cloned().unwrap_or_default();
    let commenter = a.vetters.first().cloned().unwrap_or_default();
    let jenkins = a.jenkins_url.trim_end_matches('/');
    let repos: Vec<Value> = a
        .repos
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut repo = templates
                .get(i.min(templates.len().saturating_sub(1)))
                .cloned()
                .unwrap_or(Value::Null);
            set(&mut repo, "/name", json!(r.github));
            set(&mut repo, "/jenkins_job", json!(r.jenkins_job));
            set(&mut repo, "/release_branch", json!(a.release_branch));
            set(&mut repo, "/base_branch", json!(a.base_branch));
            let number = repo
                .pointer("/ci/number")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            set(
                &mut repo,
                "/ci/url",
                json!(format!("{jenkins}/job/{}/{number}/", r.jenkins_job)),
            );
            let prs = repo
                .pointer_mut("/pull_requests")
                .and_then(Value::as_array_mut);
            for pr in prs.into_iter().flatten() {
                let n = pr.pointer("/number").and_then(Value::as_u64).unwrap_or(1);
                set(
                    pr,
                    "/url",
                    json!(format!("https://github.com/{}/pull/{n}", r.github)),
                );
                set(pr, "/dependencies", json!([]));
                set(pr, "/dependencies_section", json!(false));
                set(pr, "/tasks_outside", json!(0));
                let reviews = pr.pointer_mut("/reviews").and_then(Value::as_array_mut);
                for review in reviews.into_iter().flatten() {
                    let approved = review.pointer("/state") == Some(&json!("APPROVED"));
                    let user = if approved { &approver } else { &commenter };
                    set(review, "/user", json!(user));
                }
            }
            repo
        })
        .collect();
    let window = serde_json::to_value(plan_window(now, minutes, a.timezone)).unwrap_or_default();
    set(&mut doc, "/timezone", json!(a.timezone.name()));
    set(&mut doc, "/target", json!(a.target));
    set(&mut doc, "/window", window);
    set(&mut doc, "/production/repo", json!(a.deploy_repo));
    set(&mut doc, "/production/branch", json!(a.base_branch));
    set(&mut doc, "/repos", Value::Array(repos));
    set(&mut doc, "/throughput/app", json!(a.app));
    set(&mut doc, "/throughput/rpm", json!(rpm));
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> Answers {
        Answers {
            target: "production".to_owned(),
            repos: vec![
                Repo {
                    github: "acme/web".to_owned(),
                    jenkins_job: "web".to_owned(),
                },
                Repo {
                    github: "acme/worker".to_owned(),
                    jenkins_job: "worker".to_owned(),
                },
            ],
            app: "web".to_owned(),
            deploy_repo: "acme/web-deploy".to_owned(),
            deploy_remote: "production".to_owned(),
            notices_repo: "acme/notices".to_owned(),
            release_branch: "rc".to_owned(),
            base_branch: "main".to_owned(),
            smoke_urls: vec!["https://acme.example/up".to_owned()],
            notice_to: "ops@acme.example".to_owned(),
            timezone: chrono_tz::Europe::Berlin,
            jenkins_url: "https://ci.acme.example".to_owned(),
            newrelic_account: 42,
            approvers: vec!["ada".to_owned()],
            vetters: vec!["ada".to_owned(), "grace".to_owned()],
            teaching_days: vec!["Monday".to_owned(), "Friday".to_owned()],
            teaching_start: "08:00".to_owned(),
            teaching_end: "18:00".to_owned(),
        }
    }

    #[test]
    fn every_shipped_policy_file_is_carried() {
        let mut shipped: Vec<String> = std::fs::read_dir("policies")
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        shipped.sort();
        let carried: Vec<String> = SHIPPED_POLICIES
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .collect();
        assert_eq!(carried, shipped);
    }

    #[test]
    fn the_written_config_parses_with_the_teams_values() {
        let text = config(&acme());
        let parsed =
            crate::config::Config::parse(&text, std::path::Path::new("gatekeeper.toml")).unwrap();
        let t = parsed.target("production").unwrap();
        assert_eq!(t.repos.len(), 2);
        assert_eq!(t.notice_to.as_deref(), Some("ops@acme.example"));
        assert_eq!(parsed.timezone, "Europe/Berlin");
    }

    #[test]
    fn settings_hold_the_teams_people_and_hours() {
        let a = acme();
        let s = settings(include_str!("../policies/settings.rego"), &a);
        assert!(s.contains("\napprovers := [\"ada\"]\n"), "{s}");
        assert!(s.contains("\nvetters := [\"ada\", \"grace\"]\n"), "{s}");
        assert!(s.contains("\nteaching_start := \"08:00\"\n"), "{s}");
        assert!(!s.contains("\"tim\""), "{s}");
        let t = settings_test(include_str!("../policies/settings_test.rego"), &a);
        assert!(t.contains("\tsettings.approvers == [\"ada\"]\n"), "{t}");
        assert!(
            t.contains("\tsettings.teaching_days == [\"Monday\", \"Friday\"]\n"),
            "{t}"
        );
    }
}
