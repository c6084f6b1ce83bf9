//! `gatekeeper chatops --event FILE` through the real binary: recorded
//! `issue_comment` payloads (`fixtures/events/`), the stand-in services of a green
//! release on real git (`support::world::World`), and a stand-in of the GitHub endpoints a
//! comment touches (the pull request, the collaborator permission, the issue's
//! comments and reactions), which keeps what is written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, path, path_regex};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::support::assert_exit;
use crate::support::deployments::{self, LOGIN};
use crate::support::server::{Services, fixture_text};
use crate::support::world::{World, last_of, run};
use crate::support::{fixture, gatekeeper_in};

const REPO: &str = "/api/v3/repos/thinkthroughmath/apangea";

/// What the stand-in keeps: the issues' comments, the reactions, the roles.
#[derive(Default)]
struct State {
    /// (issue number, comment)
    comments: Vec<(u64, Value)>,
    next: u64,
    /// (comment id, content)
    reactions: Vec<(u64, String)>,
    /// login → (status, answer) of the permission lookup
    roles: HashMap<String, (u16, Value)>,
    /// GraphQL node id → the comment as GraphQL answers it now
    nodes: HashMap<String, Value>,
}

#[derive(Clone, Default)]
struct Chat(Arc<Mutex<State>>);

impl Chat {
    /// The comment `node` as GitHub holds it now.
    fn said(&self, node: &str, body: &str, minimized: bool, edited: bool) {
        let edited = edited.then_some("2026-11-24T19:01:00Z");
        self.0.lock().unwrap().nodes.insert(
            node.to_owned(),
            json!({"body": body, "isMinimized": minimized, "lastEditedAt": edited}),
        );
    }

    fn role(&self, login: &str, role: &str, base: &str) {
        self.0.lock().unwrap().roles.insert(
            login.to_owned(),
            (
                200,
                json!({"permission": base, "role_name": role,
                       "user": {"login": login, "id": 1, "type": "User", "site_admin": false}}),
            ),
        );
    }

    fn replies(&self, issue: u64) -> Vec<String> {
        let state = self.0.lock().unwrap();
        state
            .comments
            .iter()
            .filter(|(n, _)| *n == issue)
            .map(|(_, c)| c["body"].as_str().unwrap().to_owned())
            .collect()
    }

    fn reactions(&self, comment: u64) -> Vec<String> {
        let state = self.0.lock().unwrap();
        state
            .reactions
            .iter()
            .filter(|(id, _)| *id == comment)
            .map(|(_, r)| r.clone())
            .collect()
    }
}

/// GitHub's GraphQL endpoint for the comment query: the node, or NOT_FOUND.
struct Nodes(Chat);

impl Respond for Nodes {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let id = body["variables"]["id"].as_str().unwrap().to_owned();
        let state = self.0.0.lock().unwrap();
        match state.nodes.get(&id) {
            Some(node) => answer(200, &json!({"data": {"node": node}})),
            None => answer(
                200,
                &json!({"data": {"node": null}, "errors": [{"type": "NOT_FOUND", "path": ["node"],
                    "locations": [{"line": 2, "column": 3}],
                    "message": format!("Could not resolve to a node with the global id of '{id}'")}]}),
            ),
        }
    }
}

fn answer(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/json; charset=utf-8")
        .set_body_json(body)
}

impl Respond for Chat {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap();
        let route = request.url.path().trim_start_matches(REPO).to_owned();
        let parts: Vec<&str> = route.trim_start_matches('/').split('/').collect();
        let method = request.method.as_str();
        let body = || serde_json::from_slice::<Value>(&request.body).unwrap();
        let not_found = || answer(404, &json!({"message": "Not Found"}));
        match (method, parts.as_slice()) {
            ("GET", ["pulls", "412"]) => answer(200, &release_pull()),
            ("GET", ["collaborators", login, "permission"]) => match state.roles.get(*login) {
                Some((status, v)) => answer(*status, v),
                None => not_found(),
            },
            ("GET", ["issues", n, "comments"]) => {
                let n: u64 = n.parse().unwrap();
                let list: Vec<Value> = state
                    .comments
                    .iter()
                    .filter(|(i, _)| *i == n)
                    .map(|(_, c)| c.clone())
                    .collect();
                answer(200, &Value::Array(list))
            }
            ("POST", ["issues", n, "comments"]) => {
                state.next += 1;
                let id = 9000 + state.next;
                let comment = json!({
                    "id": id,
                    "node_id": format!("IC_{id}"),
                    "html_url": format!("https://github.com/thinkthroughmath/apangea/pull/{n}#issuecomment-{id}"),
                    "body": body()["body"],
                    "user": {"login": LOGIN, "id": 41898282, "type": "Bot", "site_admin": false},
                    "created_at": "2026-11-24T19:00:05Z",
                    "updated_at": "2026-11-24T19:00:05Z",
                    "author_association": "NONE",
                });
                state.comments.push((n.parse().unwrap(), comment.clone()));
                answer(201, &comment)
            }
            ("PATCH", ["issues", "comments", id]) => {
                let id: u64 = id.parse().unwrap();
                let text = body()["body"].clone();
                match state.comments.iter_mut().find(|(_, c)| c["id"] == id) {
                    Some((_, c)) => {
                        c["body"] = text;
                        answer(200, c)
                    }
                    None => not_found(),
                }
            }
            ("POST", ["issues", "comments", id, "reactions"]) => {
                let content = body()["content"].as_str().unwrap().to_owned();
                state.reactions.push((id.parse().unwrap(), content.clone()));
                answer(
                    201,
                    &json!({"id": 1, "content": content, "user": {"login": LOGIN}}),
                )
            }
            _ => not_found(),
        }
    }
}

/// The release pull request as `GET /repos/…/pulls/412` answers it (trimmed of
/// the many URL fields, none of which is read).
fn release_pull() -> Value {
    json!({
        "url": "https://api.github.com/repos/thinkthroughmath/apangea/pulls/412",
        "id": 2674431190u64, "number": 412, "state": "open", "locked": false,
        "title": "Release 2026-11-24", "draft": false, "merged": false, "mergeable": true,
        "user": {"login": "tim", "id": 1029384, "type": "User"},
        "head": {"label": "thinkthroughmath:rc", "ref": "rc", "sha": "3f2a9c1e8b7d6a5f4e3d2c1b0a99887766554433",
                 "user": {"login": "thinkthroughmath", "type": "Organization"},
                 "repo": {"id": 40123456, "full_name": "thinkthroughmath/apangea", "fork": false}},
        "base": {"label": "thinkthroughmath:master", "ref": "master", "sha": "aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00",
                 "user": {"login": "thinkthroughmath", "type": "Organization"},
                 "repo": {"id": 40123456, "full_name": "thinkthroughmath/apangea", "fork": false}},
        "author_association": "MEMBER", "auto_merge": null, "comments": 3, "commits": 1,
    })
}

async fn mount_chat(services: &Services) -> Chat {
    let chat = Chat::default();
    chat.role("alice", "write", "write");
    chat.role("bob", "maintain", "write");
    chat.role("rob", "read", "read");
    chat.0.lock().unwrap().roles.insert(
        "carol".to_owned(),
        (502, json!({"message": "Server Error"})),
    );
    services
        .mount(
            Mock::given(path_regex(format!(
                "^{REPO}/(pulls/[0-9]+|collaborators/.*|issues/.*)$"
            )))
            .respond_with(chat.clone()),
        )
        .await;
    services
        .mount(
            Mock::given(path("/api/v3/user")).respond_with(answer(200, &json!({"login": LOGIN}))),
        )
        .await;
    services
        .mount(
            Mock::given(path("/api/graphql"))
                .and(body_string_contains("query ChatopsComment("))
                .respond_with(Nodes(chat.clone())),
        )
        .await;
    chat
}

/// A comment event: the recorded one with `edit` applied, written under `dir`.
fn event(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut v: Value =
        serde_json::from_str(&fixture_text("../events/issue-comment-deploy.json")).unwrap();
    edit(&mut v);
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, v.to_string()).unwrap();
    file
}

/// `login` commenting `body` on the release pull request, as comment `id`.
fn comment(chat: &Chat, dir: &Path, id: u64, login: &str, body: &str) -> PathBuf {
    chat.said(&format!("IC_{id}"), body, false, false);
    event(dir, &format!("comment-{id}"), |v| {
        v["comment"]["id"] = json!(id);
        v["comment"]["node_id"] = json!(format!("IC_{id}"));
        v["comment"]["html_url"] = json!(format!(
            "https://github.com/thinkthroughmath/apangea/pull/412#issuecomment-{id}"
        ));
        v["comment"]["user"]["login"] = json!(login);
        v["sender"]["login"] = json!(login);
        v["comment"]["body"] = json!(body);
    })
}

fn chatops(s: &World, event: &Path) -> (i32, String, String) {
    chatops_with(s, event, &[])
}

/// [`chatops`] with more variables for the job (and the runs it starts).
fn chatops_with(s: &World, event: &Path, vars: &[(&str, &str)]) -> (i32, String, String) {
    run(s
        .gatekeeper(&["chatops", "--event", event.to_str().unwrap()])
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "thinkthroughmath/apangea")
        .env("GITHUB_RUN_ID", "777")
        .envs(vars.iter().copied()))
}

fn checks_recorded(s: &World) -> usize {
    s.audit().iter().filter(|r| r["kind"] == "check").count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_user_and_a_failed_permission_lookup_are_refused() {
    let s = World::new(false).await;
    let chat = mount_chat(&s.services).await;
    let dir = s.release.root.clone();

    let (code, stdout, stderr) = chatops(&s, &comment(&chat, &dir, 1, "rob", "/deploy production"));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let replies = chat.replies(412);
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(replies[0].starts_with("<!-- gatekeeper:chatops:production -->\n"));
    assert!(
        replies[0].contains(
            "@rob may not ask: the repository role \"read\" may not ask: write or higher"
        ),
        "{}",
        replies[0]
    );
    assert_eq!(chat.reactions(1), ["-1"]);

    // A lookup that fails refuses too: never a pass on silence.
    let (code, stdout, _) = chatops(&s, &comment(&chat, &dir, 2, "carol", "/check production"));
    assert_exit!(code, 1, "{stdout}");
    let replies = chat.replies(412);
    assert_eq!(replies.len(), 1, "one reply per target: {replies:#?}");
    assert!(
        replies[0].contains("the permission of @carol could not be read"),
        "{}",
        replies[0]
    );
    assert_eq!(chat.reactions(2), ["-1"]);
    assert_eq!(checks_recorded(&s), 0, "nothing was decided");
    assert!(s.ttmscalr().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_comment_on_another_issue_is_answered_without_action() {
    let s = World::new(false).await;
    let chat = mount_chat(&s.services).await;
    chat.said("IC_kwDOAbc1234M6VrT0w", "/deploy production", false, false);
    let file = event(&s.release.root, "issue-7", |v| {
        v["issue"]["number"] = json!(7);
        v["issue"]["pull_request"] = Value::Null;
        v["comment"]["body"] = json!("/deploy production");
    });
    let (code, stdout, stderr) = chatops(&s, &file);
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let replies = chat.replies(7);
    assert_eq!(replies.len(), 1);
    assert!(
        replies[0].contains("commands for this target are taken only on the open pull request from `rc` into `master` of thinkthroughmath/apangea or thinkthroughmath/lesson-content"),
        "{}",
        replies[0]
    );
    assert!(replies[0].contains("Nothing was run."));
    // No role was asked for, nothing decided, nothing run.
    let asked: Vec<String> = s
        .services
        .requests()
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert!(
        !asked.iter().any(|p| p.contains("/collaborators/")),
        "{asked:#?}"
    );
    assert_eq!(checks_recorded(&s), 0);
    assert!(s.ttmscalr().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn check_replies_with_the_decision_in_one_reply_that_later_runs_update() {
    let s = World::new(false).await;
    let chat = mount_chat(&s.services).await;
    let dir = s.release.root.clone();
    let (code, stdout, stderr) =
        chatops(&s, &comment(&chat, &dir, 10, "alice", "/check production"));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let replies = chat.replies(412);
    assert_eq!(replies.len(), 1, "{replies:#?}");
    let reply = &replies[0];
    assert!(
        reply.starts_with("<!-- gatekeeper:chatops:production -->\n"),
        "{reply}"
    );
    assert!(
        reply.contains("`/check production` asked by @alice"),
        "{reply}"
    );
    // The markdown `check --format markdown` renders: a table of the checks.
    assert!(reply.contains("| Tests pass on Jenkins"), "{reply}");
    assert!(
        reply.contains(
            "[the gatekeeper run](https://github.com/thinkthroughmath/apangea/actions/runs/777)"
        ),
        "{reply}"
    );
    assert_eq!(chat.reactions(10), ["eyes", "+1"]);
    // The request is in the facts the decision was made on, and recorded.
    let check = last_of(&s.audit(), "check").clone();
    assert_eq!(check["command"], "chatops");

    // A later run updates the same reply.
    let (code, _, _) = chatops(&s, &comment(&chat, &dir, 11, "bob", "/check production"));
    assert_exit!(code, 0);
    let replies = chat.replies(412);
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(
        replies[0].contains("`/check production` asked by @bob"),
        "{}",
        replies[0]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_runs_only_on_the_askers_confirmation_of_the_judged_sha() {
    let s = World::new(false).await;
    let chat = mount_chat(&s.services).await;
    let store = deployments::mount(&s.services).await;
    let dir = s.release.root.clone();
    let short = &s.apangea_rc[..7];

    let (code, stdout, stderr) =
        chatops(&s, &comment(&chat, &dir, 20, "alice", "/deploy production"));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let reply = chat.replies(412).remove(0);
    assert!(
        reply.contains(&format!(
            "@alice replies `/deploy production confirm {short}`"
        )),
        "{reply}"
    );
    assert!(s.ttmscalr().is_empty(), "asking runs nothing");

    // Another person's confirmation, and one for another SHA, only say so.
    let (code, _, _) = chatops(
        &s,
        &comment(
            &chat,
            &dir,
            21,
            "bob",
            &format!("/deploy production confirm {short}"),
        ),
    );
    assert_exit!(code, 1);
    let reply = chat.replies(412).remove(0);
    assert!(
        reply.contains("@bob: only @alice, who asked, may confirm"),
        "{reply}"
    );
    let (code, _, _) = chatops(
        &s,
        &comment(
            &chat,
            &dir,
            22,
            "alice",
            "/deploy production confirm 9b8a7c6",
        ),
    );
    assert_exit!(code, 1);
    let reply = chat.replies(412).remove(0);
    assert!(
        reply.contains(&format!("another SHA than the one judged ({short})")),
        "{reply}"
    );
    assert_eq!(chat.reactions(21), ["eyes", "-1"]);
    assert!(
        s.ttmscalr().is_empty(),
        "no refused confirmation runs anything"
    );
    assert_eq!(s.release.deploy_head(), s.release.production_sha);

    // The asker's confirmation of the SHA runs the runbook.
    let (code, stdout, stderr) = chatops(
        &s,
        &comment(
            &chat,
            &dir,
            23,
            "alice",
            &format!("/deploy production confirm {short}"),
        ),
    );
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(
        s.ttmscalr().first().map(String::as_str),
        Some("deploy production")
    );
    let new_master = s.release.apangea.origin_head("master");
    assert_eq!(s.release.deploy_head(), new_master);
    let reply = chat.replies(412).remove(0);
    assert!(
        reply.contains(
            "✅ `gatekeeper deploy production --yes --format markdown` ended with exit 0"
        ),
        "{reply}"
    );
    assert!(reply.contains("✔ Deployed production"), "{reply}");
    assert!(
        reply.contains(&format!("Production moved. To put it back: `/rollback production` here, or `gatekeeper rollback production --to {}", &s.release.production_sha[..7])),
        "{reply}"
    );
    assert!(
        !reply.contains("gatekeeper:pending"),
        "a confirmation is used once: {reply}"
    );
    assert_eq!(chat.reactions(23), ["eyes", "+1"]);

    // The audit record and the GitHub deployment say how, who and where.
    let records = s.audit();
    let deploy = last_of(&records, "deploy");
    assert_eq!(deploy["outcome"], "ok");
    assert_eq!(deploy["actor"]["via"], "chatops");
    assert_eq!(deploy["actor"]["ci"], "alice");
    assert_eq!(
        deploy["actor"]["comment_url"],
        "https://github.com/thinkthroughmath/apangea/pull/412#issuecomment-23"
    );
    let shared = store.all();
    assert_eq!(shared.len(), 1);
    assert_eq!(
        shared[0].body["payload"]["gatekeeper"]["actor"]["via"],
        "chatops"
    );
    assert_eq!(
        shared[0].body["payload"]["gatekeeper"]["actor"]["ci"],
        "alice"
    );
}

/// A confirmed deploy that takes longer than `deadline_seconds` still gets its
/// reply and reaction: the answer is written on a deadline of its own, not on the
/// one its connection got before the run.
#[tokio::test(flavor = "multi_thread")]
async fn the_reply_after_a_run_longer_than_deadline_seconds_is_written() {
    let s = World::with_config(false, |text| {
        *text = format!("deadline_seconds = 2\n{text}");
    })
    .await;
    let chat = mount_chat(&s.services).await;
    deployments::mount(&s.services).await;
    let dir = s.release.root.clone();
    let short = &s.apangea_rc[..7];
    let (code, stdout, stderr) =
        chatops(&s, &comment(&chat, &dir, 20, "alice", "/deploy production"));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");

    let confirm = comment(
        &chat,
        &dir,
        23,
        "alice",
        &format!("/deploy production confirm {short}"),
    );
    let (code, stdout, stderr) = chatops_with(&s, &confirm, &[("TTMSCALR_DELAY", "deploy 3")]);
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let reply = chat.replies(412).remove(0);
    assert!(reply.contains("✔ Deployed production"), "{reply}");
    assert_eq!(chat.reactions(23), ["eyes", "+1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_comment_a_command_in_a_code_block_and_a_bot_are_ignored() {
    let services = crate::support::server::start_green().await;
    let chat = mount_chat(&services).await;
    let tmp = tempfile::tempdir().unwrap();
    let config = services.write_config(tmp.path());
    let edited = event(tmp.path(), "edited", |v| v["action"] = json!("edited"));
    let fenced = event(tmp.path(), "fenced", |v| {
        v["comment"]["body"] = json!("```\n/deploy production\n```");
    });
    let bot = event(tmp.path(), "bot", |v| {
        v["comment"]["user"]["login"] = json!("renovate[bot]");
        v["comment"]["user"]["type"] = json!("Bot");
    });
    for (file, says) in [
        (&edited, "the comment was edited, not created"),
        (&fenced, "the comment's first line is no command"),
        (&bot, "renovate[bot] is a bot"),
    ] {
        let out = gatekeeper_in(tmp.path())
            .args(["chatops", "--event"])
            .arg(file)
            .arg("--config")
            .arg(&config)
            .envs(Services::env())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_exit!(out, 0, "{stdout}");
        assert!(stdout.contains(says), "{stdout}");
    }
    assert!(
        services.requests().await.is_empty(),
        "nothing was asked of GitHub"
    );
    assert!(chat.replies(412).is_empty());
}

#[test]
fn an_event_of_another_kind_is_no_decision() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("push.json");
    std::fs::write(&file, r#"{"ref": "refs/heads/master", "commits": []}"#).unwrap();
    let out = gatekeeper_in(tmp.path())
        .args(["chatops", "--event"])
        .arg(&file)
        .output()
        .unwrap();
    assert_exit!(out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("give the issue_comment event"), "{stderr}");
    let _ = fixture("events/issue-comment-deploy.json");
}

#[test]
fn the_example_workflow_reads_the_rules_from_the_default_branch_one_run_at_a_time() {
    let text =
        std::fs::read_to_string(crate::support::root().join("examples/chatops.yml")).unwrap();
    assert!(text.contains("issue_comment:"));
    // Config and policies from the default branch, never the commented pull request.
    assert!(
        text.contains("ref: ${{ github.event.repository.default_branch }}"),
        "{text}"
    );
    assert!(
        !text.contains("refs/pull/") && !text.contains("pull_request.head"),
        "{text}"
    );
    for permission in [
        "issues: write",
        "pull-requests: write",
        "deployments: write",
        "contents: read",
    ] {
        assert!(text.contains(permission), "no `{permission}`");
    }
    assert!(
        text.contains("group: deploy-production") && text.contains("cancel-in-progress: false")
    );
    assert!(text.contains("environment: production"));
    assert!(text.contains("gatekeeper chatops --event \"$GITHUB_EVENT_PATH\""));
    // Every line it runs is explained in docs/chatops.md.
    let docs = std::fs::read_to_string(crate::support::root().join("docs/chatops.md")).unwrap();
    for line in [
        "permissions:",
        "concurrency:",
        "environment: production",
        "persist-credentials",
        "startsWith(",
    ] {
        assert!(
            docs.contains(line),
            "docs/chatops.md does not explain `{line}`"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_minimized_comment_and_one_edited_before_the_job_ran_are_ignored() {
    let services = crate::support::server::start_green().await;
    let chat = mount_chat(&services).await;
    let tmp = tempfile::tempdir().unwrap();
    let config = services.write_config(tmp.path());
    let dir = tmp.path();
    let minimized = comment(&chat, dir, 30, "alice", "/deploy production");
    chat.said("IC_30", "/deploy production", true, false);
    let edited = comment(&chat, dir, 31, "alice", "/deploy production");
    chat.said("IC_31", "/check production", false, true);
    let gone = comment(&chat, dir, 32, "alice", "/deploy production");
    chat.0.lock().unwrap().nodes.remove("IC_32");
    for (file, code, says) in [
        (&minimized, 0, "the comment is minimized"),
        (&edited, 0, "the comment was edited after it was made"),
        // A comment that cannot be read again is no decision: nothing runs.
        (&gone, 2, "Could not resolve to a node"),
    ] {
        let out = gatekeeper_in(dir)
            .args(["chatops", "--event"])
            .arg(file)
            .arg("--config")
            .arg(&config)
            .envs(Services::env())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_exit!(out, code, "{text}");
        assert!(text.contains(says), "{text}");
    }
    assert!(chat.replies(412).is_empty(), "no reply, no reaction");
    assert!(chat.0.lock().unwrap().reactions.is_empty());
}

/// A deploy the gate allows but a comment confirmed for another release head is
/// refused, and its record says why and who asked: not a bare "denied" under an
/// allow.
#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_refused_after_an_allow_records_why_and_who() {
    let s = World::new(false).await;
    deployments::mount(&s.services).await;
    let request = s.release.root.join("request.json");
    std::fs::write(
        &request,
        json!({
            "via": "chatops",
            "actor": "alice",
            "role": "write",
            "comment_url": "https://github.com/thinkthroughmath/apangea/pull/412#issuecomment-23",
            "command": "/deploy production confirm 0000000",
        })
        .to_string(),
    )
    .unwrap();
    let (code, stdout, stderr) = s.run(&[
        "deploy",
        "production",
        "--yes",
        "--chatops-request",
        request.to_str().unwrap(),
    ]);
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("refused: "), "{stdout}");
    assert!(s.ttmscalr().is_empty(), "nothing ran");
    let records = s.audit();
    let deploy = last_of(&records, "deploy");
    assert_eq!(deploy["outcome"], "denied");
    assert!(
        deploy["message"]
            .as_str()
            .is_some_and(|m| m.contains("but @alice confirmed 0000000")),
        "{deploy}"
    );
    assert_eq!(deploy["actor"]["ci"], "alice");
}
