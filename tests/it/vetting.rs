//! Downtime notices read as people write them, through the binary: one GraphQL
//! query for the notices with their comments and edit times; a command is a line
//! of its own; the vetters' latest comment decides, after the notice's last edit;
//! a field given twice is a problem; `--at` sees only what existed then.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::support::server::{self, GREEN_AT, Services, paths};
use crate::support::{assert_exit, live};
use crate::support::{check, failing};

/// The Saturday-night window the recorded notice #7 announces.
const SATURDAY: [&str; 4] = ["--start", "2026-11-28T02:00:00-05:00", "--minutes", "120"];

/// `check production --format json` at `at` for the Saturday window: exit code and
/// decision. No secret may show.
fn decide_at(services: &Services, at: &str) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let run = live::decide_at(services, dir.path(), at, &SATURDAY, &[]);
    (run.code, run.decision)
}

fn notice_detail(decision: &Value) -> String {
    check(decision, "downtime_notice")["detail"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Denied on `downtime_notice` alone, with `reason` in its detail.
fn assert_notice_fails(code: i32, decision: &Value, reason: &str) {
    assert_exit!(code, 1, "{decision:#}");
    assert_eq!(failing(decision), ["downtime_notice"], "{decision:#}");
    let detail = notice_detail(decision);
    assert!(detail.contains(reason), "{reason:?} not in {detail:?}");
}

/// The recorded GraphQL answer: notice #7 (vetted by jim) and notice #5.
fn recorded() -> Value {
    serde_json::from_str(&server::fixture_text("github/graphql-notices-vetted.json")).unwrap()
}

/// Notice #7 of the recorded answer, alone.
fn notice_7(answer: &mut Value) -> &mut Value {
    let issues = &mut answer["data"]["repository"]["issues"];
    issues["totalCount"] = json!(1);
    let nodes = issues["nodes"].as_array_mut().unwrap();
    nodes.truncate(1);
    &mut nodes[0]
}

/// A comment node as GitHub's GraphQL answers it (edited, by its author).
fn comment(login: &str, body: &str, created: &str, edited: Option<&str>) -> Value {
    let mut node = json!({
        "id": "IC_kwDOKx7a2c6Xy999",
        "databaseId": 2500000999u64,
        "url": "https://github.com/thinkthroughmath/deploy-notices/issues/7#issuecomment-2500000999",
        "author": {"login": login},
        "editor": null,
        "authorAssociation": "MEMBER",
        "body": body,
        "createdAt": created,
        "lastEditedAt": edited,
        "includesCreatedEdit": edited.is_some(),
        "isMinimized": false,
        "minimizedReason": null,
        "userContentEdits": {"totalCount": 0, "nodes": []}
    });
    if edited.is_some() {
        edit(&mut node, login, edited);
    }
    node
}

/// The comment last edited by `editor` at `at`, as GitHub records it: its
/// `editor`, and the edit among its `userContentEdits` (newest first).
fn edit(node: &mut Value, editor: &str, at: Option<&str>) {
    node["lastEditedAt"] = json!(at);
    node["editor"] = json!({"login": editor});
    node["includesCreatedEdit"] = json!(true);
    let author = node["author"].clone();
    let created = node["createdAt"].clone();
    node["userContentEdits"] = json!({
        "totalCount": 2,
        "nodes": [
            {"editedAt": at, "editor": {"login": editor}},
            {"editedAt": created, "editor": author}
        ]
    });
}

fn set_comments(notice: &mut Value, comments: Vec<Value>) {
    notice["comments"]["totalCount"] = json!(comments.len());
    notice["comments"]["nodes"] = Value::Array(comments);
}

/// The green services, with migrations pending (a downtime deploy) and `notices`
/// as GitHub's GraphQL answer.
async fn services_with(notices: Value) -> Services {
    let services = server::start_green().await;
    services
        .answer_fixture(
            paths::APANGEA_COMPARE,
            "github/compare-apangea-migrations.json",
        )
        .await;
    services
        .answer_notices(ResponseTemplate::new(200).set_body_json(notices))
        .await;
    services
}

/// Notice #7 with only these comments.
async fn notice_7_with(comments: Vec<Value>) -> Services {
    let mut answer = recorded();
    set_comments(notice_7(&mut answer), comments);
    services_with(answer).await
}

#[tokio::test]
async fn migrations_with_a_vetted_notice_on_saturday_night_are_allowed() {
    let services = services_with(recorded()).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_exit!(code, 0, "{decision:#}");
    assert_eq!(decision["downtime"], true);
    assert_eq!(check(&decision, "downtime_notice")["status"], "pass");
    assert!(notice_detail(&decision).contains("notice #7 sent 89 h ahead, vetted by jim"));
    assert_eq!(check(&decision, "teaching_hours")["status"], "pass");
}

#[tokio::test]
async fn notices_are_read_in_one_graphql_query() {
    let services = services_with(recorded()).await;
    let (code, _) = decide_at(&services, GREEN_AT);
    assert_exit!(code, 0);
    let requests = services.requests().await;
    let graphql: Vec<_> = requests
        .iter()
        .filter(|r| {
            r.url.path() == paths::GITHUB_GRAPHQL
                && String::from_utf8_lossy(&r.body).contains(server::NOTICES_QUERY)
        })
        .collect();
    assert_eq!(
        graphql.len(),
        1,
        "one round trip for every notice and comment"
    );
    let sent: Value = serde_json::from_slice(&graphql[0].body).unwrap();
    assert_eq!(sent["variables"]["owner"], "thinkthroughmath", "{sent:#}");
    assert_eq!(sent["variables"]["name"], "deploy-notices");
    assert_eq!(sent["variables"]["labels"], json!(["downtime-notice"]));
    let query = sent["query"].as_str().unwrap();
    for field in [
        "lastEditedAt",
        "createdAt",
        "states: OPEN",
        "hasNextPage",
        "editor { login }",
        "userContentEdits(first: $edits) { totalCount nodes { editedAt editor { login } } }",
    ] {
        assert!(query.contains(field), "{field} not asked for:\n{query}");
    }
    assert!(
        !requests
            .iter()
            .any(|r| r.url.path().contains("deploy-notices/issues")),
        "no REST call for the notices"
    );
}

#[tokio::test]
async fn a_notice_vetted_only_by_a_non_vetter_fails() {
    let services = notice_7_with(vec![comment(
        "dev",
        "/proceed",
        "2026-11-24T15:10:00Z",
        None,
    )])
    .await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "notice #7: not vetted: a vetter (tim, jim)",
    );
}

#[tokio::test]
async fn proceed_on_a_line_of_its_own_after_other_words_vets() {
    let services = notice_7_with(vec![comment(
        "jim",
        "Field says OK.\r\n/proceed",
        "2026-11-24T18:21:40Z",
        None,
    )])
    .await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_exit!(code, 0, "{decision:#}");
    assert!(notice_detail(&decision).contains("vetted by jim"));
}

#[tokio::test]
async fn proceed_with_more_words_does_not_vet_and_says_why() {
    let services = notice_7_with(vec![comment(
        "jim",
        "/proceed NOT until support signs off",
        "2026-11-24T18:21:40Z",
        None,
    )])
    .await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "\"/proceed NOT until support signs off\" is not a command",
    );
    // The evidence carries the comment as read.
    let evidence = &check(&decision, "downtime_notice")["evidence"][0];
    assert_eq!(evidence["latest_vetter_comment"]["proceed"], false);
    assert_eq!(
        evidence["latest_vetter_comment"]["not_commands"],
        json!(["/proceed NOT until support signs off"])
    );
}

#[tokio::test]
async fn a_vetters_later_objection_without_a_command_withdraws_vetting() {
    let services = notice_7_with(vec![
        comment("jim", "/proceed", "2026-11-24T18:21:40Z", None),
        comment(
            "tim",
            "Hold on: support is not staffed that night.",
            "2026-11-24T18:40:00Z",
            None,
        ),
    ])
    .await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "the latest comment by a vetter, tim's at 2026-11-24T18:40:00Z, has no line that is exactly /proceed",
    );
}

#[tokio::test]
async fn a_notice_edited_after_vetting_counts_from_its_edit_and_needs_new_vetting() {
    // Start moved earlier at 18:30, after jim's /proceed at 18:21:40.
    let mut answer = recorded();
    let notice = notice_7(&mut answer);
    let body = notice["body"].as_str().unwrap().replace(
        "Start: 2026-11-28T02:00:00-05:00",
        "Start: 2026-11-28T01:00:00-05:00",
    );
    notice["body"] = json!(body);
    notice["lastEditedAt"] = json!("2026-11-24T18:30:00Z");
    let services = services_with(answer.clone()).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "vetted by jim at 2026-11-24T18:21:40Z, before the notice was sent in its current words at 2026-11-24T18:30:00Z",
    );
    let evidence = &check(&decision, "downtime_notice")["evidence"][0];
    assert_eq!(evidence["sent_at"], "2026-11-24T18:30:00Z");
    assert_eq!(evidence["created_at"], "2026-11-24T14:00:00Z");
    assert_eq!(evidence["edited_at"], "2026-11-24T18:30:00Z");

    // Edited two days later and vetted again: the 72 h lead counts from the edit.
    let notice = notice_7(&mut answer);
    notice["lastEditedAt"] = json!("2026-11-26T00:00:00Z");
    set_comments(
        notice,
        vec![comment("jim", "/proceed", "2026-11-26T00:30:00Z", None)],
    );
    let services = services_with(answer).await;
    let (code, decision) = decide_at(&services, "2026-11-26T01:00:00Z");
    assert_notice_fails(
        code,
        &decision,
        "notice #7: sent 54 h before its start, needs 72 h (it was last edited at 2026-11-26T00:00:00Z",
    );
}

#[tokio::test]
async fn a_field_given_twice_is_a_problem_not_the_first() {
    let mut answer = recorded();
    let notice = notice_7(&mut answer);
    let body = format!(
        "{}Start: 2026-11-28T08:00:00-05:00\r\n",
        notice["body"].as_str().unwrap()
    );
    notice["body"] = json!(body);
    let services = services_with(answer).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "notice #7: Start is given 2 times (\"2026-11-28T02:00:00-05:00\", \"2026-11-28T08:00:00-05:00\"): give it once",
    );
    assert!(!notice_detail(&decision).contains("no Start field"));
}

#[tokio::test]
async fn with_at_later_notices_and_comments_do_not_count_yet() {
    let services = services_with(recorded()).await;
    // Before jim's /proceed (18:21:40): only dev's, who is no vetter.
    let (code, decision) = decide_at(&services, "2026-11-24T18:00:00Z");
    assert_notice_fails(code, &decision, "notice #7: not vetted");
    // Before notice #7 was opened: there is no notice for production that counts.
    let (code, decision) = decide_at(&services, "2026-11-24T13:00:00Z");
    assert_exit!(code, 1, "{decision:#}");
    let evidence = check(&decision, "downtime_notice")["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["number"].as_u64().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(evidence, [5], "only notice #5 existed then");

    // jim's comment was edited after the instant: it existed then, its text unknown.
    let mut answer = recorded();
    let notice = notice_7(&mut answer);
    notice["comments"]["nodes"][2]["lastEditedAt"] = json!("2026-11-24T20:00:00Z");
    let services = services_with(answer).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "notice #7: comment by jim at 2026-11-24T18:21:40Z was edited after the moment checked (2026-11-24T19:00:00Z): its text then is unknown, so vetting is not proved",
    );
}

/// A vetter's `/proceed` that GitHub hides (minimized) does not vet.
#[tokio::test]
async fn a_hidden_proceed_does_not_vet() {
    let mut answer = recorded();
    let jim = &mut notice_7(&mut answer)["comments"]["nodes"][2];
    jim["isMinimized"] = json!(true);
    jim["minimizedReason"] = json!("OUTDATED");
    let services = services_with(answer).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "notice #7: the latest comment by a vetter, jim's /proceed at 2026-11-24T18:21:40Z, is hidden on GitHub (minimized)",
    );
}

/// An earlier `/proceed` of the same vetter does not decide past a later comment
/// whose text at the instant is unknown; nor does a notice edited after it pass.
#[tokio::test]
async fn with_at_a_comment_or_notice_edited_later_is_kept_with_its_text_unknown() {
    let mut answer = recorded();
    let notice = notice_7(&mut answer);
    let mut later = notice["comments"]["nodes"][2].clone();
    later["id"] = json!("IC_later");
    later["databaseId"] = json!(9001);
    later["createdAt"] = json!("2026-11-24T18:40:00Z");
    later["lastEditedAt"] = json!("2026-11-25T09:00:00Z");
    later["body"] = json!("/proceed");
    notice["comments"]["nodes"]
        .as_array_mut()
        .unwrap()
        .push(later);
    notice["comments"]["totalCount"] = json!(4);
    let services = services_with(answer).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "notice #7: comment by jim at 2026-11-24T18:40:00Z was edited after the moment checked",
    );

    let mut answer = recorded();
    notice_7(&mut answer)["lastEditedAt"] = json!("2026-11-25T09:00:00Z");
    let services = services_with(answer).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "notice #7 was edited at 2026-11-25T09:00:00Z, after the moment checked (2026-11-24T19:00:00Z): its text then is unknown, so it cannot pass",
    );
}

#[tokio::test]
async fn more_notices_or_comments_than_one_page_fail_with_the_reason() {
    let mut answer = recorded();
    answer["data"]["repository"]["issues"]["pageInfo"]["hasNextPage"] = json!(true);
    let services = services_with(answer).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(code, &decision, "more than 50 open downtime-notice issues");

    let mut answer = recorded();
    notice_7(&mut answer)["comments"]["pageInfo"]["hasNextPage"] = json!(true);
    let services = services_with(answer).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(code, &decision, "issue #7 has more than 100 comments");
}

#[tokio::test]
async fn graphql_errors_fail_the_notice_check_naming_them() {
    let services = server::start_green().await;
    services
        .answer_fixture(
            paths::APANGEA_COMPARE,
            "github/compare-apangea-migrations.json",
        )
        .await;
    services
        .answer_notices(server::json_fixture(
            "github/graphql-repository-not-found.json",
        ))
        .await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "Could not resolve to a Repository with the name 'thinkthroughmath/deploy-notices'",
    );
    assert!(notice_detail(&decision).contains("GITHUB_TOKEN"));
}

/// Recorded facts replayed `--at` an earlier instant drop what came later, as a
/// live collection at that instant would.
#[test]
fn recorded_facts_at_an_earlier_instant_drop_later_comments_and_notices() {
    let facts = crate::support::fixture("facts/migrations-saturday-vetted.json");
    let run = |at: &str| {
        crate::support::decide(
            crate::support::gatekeeper()
                .args(["check", "production", "--format", "json", "--facts"])
                .arg(&facts)
                .args(["--at", at])
                .args(SATURDAY),
        )
    };
    let (code, decision) = run(GREEN_AT);
    assert_exit!(code, 0, "{decision:#}");
    // Before jim's /proceed at 18:21:40.
    let (code, decision) = run("2026-11-24T18:00:00Z");
    assert_notice_fails(code, &decision, "notice #7: not vetted");
    // Before the notice was sent (and before the builds and reviews: they did not
    // exist yet either, so tests and approval fail too).
    let (code, decision) = run("2026-11-24T13:00:00Z");
    assert_exit!(code, 1, "{decision:#}");
    assert_eq!(
        failing(&decision),
        ["tests", "approval", "downtime_notice"],
        "{decision:#}"
    );
    assert!(notice_detail(&decision).contains("no downtime notice for production"));
}

/// Recorded facts replayed `--at` an instant before a comment's or the notice's
/// last edit keep them with their text unknown, which never passes.
#[test]
fn recorded_facts_at_an_instant_before_an_edit_have_the_text_unknown() {
    let text = std::fs::read_to_string(crate::support::fixture(
        "facts/migrations-saturday-vetted.json",
    ))
    .unwrap();
    let mut recorded: Value = serde_json::from_str(&text).unwrap();
    // Recorded the next day, after the edits below; replayed at GREEN_AT, before them.
    recorded["now"] = json!("2026-11-25T12:00:00Z");
    recorded["now_unix"] = json!(1795608000);
    let dir = tempfile::tempdir().unwrap();
    let run = |facts: &Value| {
        let path = dir.path().join("facts.json");
        std::fs::write(&path, facts.to_string()).unwrap();
        crate::support::decide(
            crate::support::gatekeeper()
                .args(["check", "production", "--format", "json", "--facts"])
                .arg(&path)
                .args(["--at", GREEN_AT])
                .args(SATURDAY),
        )
    };
    // jim's /proceed, written at 18:21:40 and edited the next morning.
    let mut facts = recorded.clone();
    let jim = &mut facts["notices"][0]["comments"][0];
    jim["at"] = json!("2026-11-25T09:00:00Z");
    jim["at_unix"] = json!(1795597200);
    jim["edited_at"] = json!("2026-11-25T09:00:00Z");
    let (code, decision) = run(&facts);
    assert_notice_fails(
        code,
        &decision,
        "notice #7: comment by jim at 2026-11-24T18:21:40Z was edited after the moment checked",
    );
    // The notice, edited the next morning: its later words never pass.
    let mut facts = recorded.clone();
    let notice = &mut facts["notices"][0];
    notice["edited_at"] = json!("2026-11-25T09:00:00Z");
    notice["sent_at"] = json!("2026-11-25T09:00:00Z");
    notice["sent_unix"] = json!(1795597200);
    let (code, decision) = run(&facts);
    assert_notice_fails(
        code,
        &decision,
        "notice #7 was edited at 2026-11-25T09:00:00Z, after the moment checked",
    );
    // The recording itself, unchanged, passes.
    let (code, decision) = run(&recorded);
    assert_exit!(code, 0, "{decision:#}");
}

/// Live, everything GitHub answers exists: a local clock a little behind GitHub's
/// must not hide a vetter's /reschedule posted a moment ago (dated "in the future"
/// by the local clock), which withdraws the notice.
#[tokio::test]
async fn a_withdrawal_dated_after_the_local_clock_still_withdraws() {
    let s = crate::support::world::World::new(true).await;
    let check = |s: &crate::support::world::World| {
        crate::support::decide(&mut s.gatekeeper(&["check", "production", "--format", "json"]))
    };
    // Without the withdrawal this notice allows a deploy now
    // (deploy::downtime_deploy_wraps_migrate_in_maintenance).
    let mut answer = crate::support::release::vetted_notice_now();
    let comments = &mut answer["data"]["repository"]["issues"]["nodes"][0]["comments"];
    let ahead = (chrono::Utc::now() + chrono::Duration::seconds(90))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let count = comments["nodes"].as_array().unwrap().len();
    let mut withdrawal = comments["nodes"][count - 1].clone();
    withdrawal["id"] = json!("IC_kwDOKx7a2c6Xy009");
    withdrawal["databaseId"] = json!(2500000009u64);
    withdrawal["body"] = json!("/reschedule\r\nSupport says Saturday is the district test day.");
    withdrawal["createdAt"] = json!(ahead);
    comments["nodes"].as_array_mut().unwrap().push(withdrawal);
    comments["totalCount"] = json!(count + 1);
    s.services
        .answer_notices(ResponseTemplate::new(200).set_body_json(answer))
        .await;
    let (code, decision) = check(&s);
    // The clock judged is at least the withdrawal's, and the window starts then.
    let evaluated: chrono::DateTime<chrono::Utc> =
        decision["evaluated_at"].as_str().unwrap().parse().unwrap();
    let ahead_at: chrono::DateTime<chrono::Utc> = ahead.parse().unwrap();
    assert!(evaluated > ahead_at, "{decision:#}");
    let teaching = decision["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "teaching_hours")
        .unwrap();
    let start: chrono::DateTime<chrono::FixedOffset> =
        teaching["evidence"]["window"]["start_local"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    assert_eq!(start, evaluated, "{teaching:#}");
    assert_notice_fails(code, &decision, "/reschedule by jim");
}

/// Anyone with write access can edit a vetter's comment: an objection edited into
/// `/proceed` by someone else is not the vetter's word, and does not vet.
#[tokio::test]
async fn a_vetters_comment_edited_by_someone_else_is_not_the_vetters_word() {
    let mut objection = comment(
        "jim",
        "/proceed",
        "2026-11-24T18:00:00Z",
        Some("2026-11-24T18:10:00Z"),
    );
    edit(&mut objection, "dev", Some("2026-11-24T18:10:00Z"));
    let services = notice_7_with(vec![objection.clone()]).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "notice #7: not vetted: a vetter (tim, jim) must comment a line that is exactly /proceed \
         (jim's comment at 2026-11-24T18:10:00Z was last edited by dev, so it is not jim's word)",
    );
    // GitHub's `editor` and its content edits disagree: nobody's word either.
    let mut unsure = comment(
        "jim",
        "/proceed",
        "2026-11-24T18:00:00Z",
        Some("2026-11-24T18:10:00Z"),
    );
    unsure["userContentEdits"]["nodes"][0]["editor"]["login"] = json!("dev");
    let services = notice_7_with(vec![unsure]).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "was last edited by someone GitHub does not name, so it is not jim's word",
    );
    // The editor's own earlier word still stands: jim's /proceed, then his
    // objection edited away by dev, is jim's /proceed.
    let mut later = comment(
        "jim",
        "Not yet: support is not ready.",
        "2026-11-24T18:30:00Z",
        None,
    );
    edit(&mut later, "dev", Some("2026-11-24T18:40:00Z"));
    later["body"] = json!("Support is ready.");
    let proceed = comment("jim", "/proceed", "2026-11-24T18:00:00Z", None);
    let services = notice_7_with(vec![proceed, later]).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_exit!(code, 0, "{decision:#}");
}

/// A comment a vetter edited last is the vetter's word, and vets as theirs.
#[tokio::test]
async fn a_comment_edited_into_proceed_by_a_vetter_vets_as_the_editors() {
    let mut c = comment("dev", "/proceed", "2026-11-24T18:00:00Z", None);
    edit(&mut c, "tim", Some("2026-11-24T18:10:00Z"));
    let services = notice_7_with(vec![c]).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_exit!(code, 0, "{decision:#}");
    assert!(
        notice_detail(&decision).contains("vetted by tim"),
        "{}",
        notice_detail(&decision)
    );
}

/// Notice #7 with `body`, vetted by jim after it was sent.
async fn notice_7_saying(body: &str) -> Services {
    let mut answer = recorded();
    notice_7(&mut answer)["body"] = json!(body);
    services_with(answer).await
}

/// A notice field GitHub does not show (a link reference definition's title, a
/// multi-line attribute, a comment) is never read: the start a reader sees, and
/// jim vetted, is the notice's start.
#[tokio::test]
async fn a_notice_field_github_does_not_show_is_not_read() {
    let rest = "Length: 120 minutes\r\nNature: database migrations\r\nAffected: all users\r\nExperience: maintenance page\r\n";
    let covering = "Start: 2026-11-28T02:00:00-05:00";
    let shown = "<p>Start: 2026-12-05T02:00:00-05:00</p>";
    for (case, body) in [
        (
            "link reference definition's title",
            format!(
                "Target: production\r\n{shown}\r\n\r\n[ref]: https://example.com\r\n'\r\n{covering}\r\n'\r\n\r\n{rest}"
            ),
        ),
        (
            "multi-line attribute",
            format!(
                "Target: production\r\n<p title=\"\r\n{covering}\r\n\">Start: 2026-12-05T02:00:00-05:00</p>\r\n\r\n{rest}"
            ),
        ),
    ] {
        let services = notice_7_saying(&body).await;
        let (code, decision) = decide_at(&services, GREEN_AT);
        assert_notice_fails(
            code,
            &decision,
            "notice #7 announces 2026-12-05T02:00:00-05:00 for 120 minutes, which does not cover the planned window",
        );
        let _ = case;
    }
    // HTML that runs two fields together shows them on one line: what a reader
    // sees is one unreadable Start.
    let body = format!(
        "Target: production\r\n<div>{covering}\r\nLength: 120 minutes</div>\r\n\r\nNature: database migrations\r\nAffected: all users\r\nExperience: maintenance page\r\n"
    );
    let services = notice_7_saying(&body).await;
    let (code, decision) = decide_at(&services, GREEN_AT);
    assert_notice_fails(
        code,
        &decision,
        "notice #7: Start \"2026-11-28T02:00:00-05:00 Length: 120 minutes\" is not an RFC 3339 time",
    );
}
