//! New Relic issues open on the app: the app's APM entity found by name
//! (`entitySearch`), then its issues that are activated or created, not closed
//! (`aiIssues`), every page. Owns both queries and the answers' field paths. Inputs
//! travel as GraphQL variables, never spliced into the query; an app with no entity,
//! an answer without the list, or more pages than are read are errors, never "no
//! incident".
//!
//! The query shapes follow New Relic's "NerdGraph tutorial: Issue and alert event
//! query APIs", <https://docs.newrelic.com/docs/apis/nerdgraph/examples/nerdgraph-issues-api-via-github/>
//! (the `Issue` type: `issueId`, `title` a list of incident titles, `priority` one of
//! LOW, MEDIUM, HIGH, CRITICAL, `state` one of CREATED, ACTIVATED, DEACTIVATED,
//! CLOSED, `activatedAt` epoch milliseconds), and its workflow action "List New Relic
//! issues" (filter `states`, `entityGuids`, cursor pagination).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{NewRelicError, post};
use crate::facts::Incident;
use crate::net::{Credential, Transport};

/// The app's APM entities by name (a fuzzy search: the exact name is chosen here).
pub const ENTITY_QUERY: &str = "query Entity($name: String!) { actor { entitySearch(queryBuilder: {name: $name, domain: APM}) { results { entities { guid name accountId } } } } }";
/// Open issues of the entities, one page.
pub const ISSUES_QUERY: &str = "query OpenIssues($accountId: Int!, $guids: [EntityGuid!], $cursor: String) { actor { account(id: $accountId) { aiIssues { issues(filter: {states: [ACTIVATED, CREATED], entityGuids: $guids}, cursor: $cursor) { issues { issueId title priority state entityGuids entityNames activatedAt createdAt closedAt } nextCursor } } } } }";

const ENTITIES: &str = "/data/actor/entitySearch/results/entities";
const ISSUES: &str = "/data/actor/account/aiIssues/issues";

/// More pages than this and the list is not judged (gatekeeper never judges on
/// part of a list).
pub const MAX_PAGES: usize = 10;

fn answer(url: &str, message: String) -> NewRelicError {
    NewRelicError::Answer {
        url: url.to_owned(),
        message,
    }
}

/// The open issues on `app`'s APM entity in `account_id`.
pub async fn open_issues(
    transport: &Transport,
    url: &str,
    api_key: &Credential,
    account_id: u64,
    app: &str,
) -> Result<Vec<Incident>, NewRelicError> {
    let body = json!({"query": ENTITY_QUERY, "variables": {"name": app}});
    let found = post(transport, url, api_key, &body).await?;
    let guids = entity_guids(&found, app, account_id).map_err(|m| answer(url, m))?;
    let mut incidents = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let body = json!({
            "query": ISSUES_QUERY,
            "variables": {"accountId": account_id, "guids": guids, "cursor": cursor},
        });
        let page = post(transport, url, api_key, &body).await?;
        let (mut more, next) = parse_issues(&page).map_err(|m| answer(url, m))?;
        incidents.append(&mut more);
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(incidents),
        }
    }
    Err(answer(
        url,
        format!(
            "more than {MAX_PAGES} pages of open issues for app {app:?}: gatekeeper judges no part of a list; close or merge issues in New Relic, or override no_open_incident"
        ),
    ))
}

/// The GUIDs of the APM entities named exactly `app` in `account_id`.
pub fn entity_guids(v: &Value, app: &str, account_id: u64) -> Result<Vec<String>, String> {
    let entities = v
        .pointer(ENTITIES)
        .and_then(Value::as_array)
        .ok_or("no entitySearch results in the answer")?;
    let guids: Vec<String> = entities
        .iter()
        .filter(|e| e.get("name").and_then(Value::as_str) == Some(app))
        .filter(|e| e.get("accountId").and_then(Value::as_u64) == Some(account_id))
        .filter_map(|e| e.get("guid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    if guids.is_empty() {
        return Err(format!(
            "no APM entity named {app:?} in account {account_id}: check targets.*.app against New Relic's appName"
        ));
    }
    Ok(guids)
}

/// One page of issues and the cursor of the next, if any.
pub fn parse_issues(v: &Value) -> Result<(Vec<Incident>, Option<String>), String> {
    let page = v
        .pointer(ISSUES)
        .filter(|p| p.is_object())
        .ok_or("no aiIssues issues in the answer")?;
    let items = page
        .get("issues")
        .and_then(Value::as_array)
        .ok_or("the aiIssues answer holds no list of issues")?;
    let incidents = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            incident(item)
                .ok_or_else(|| format!("issue {i} of the answer lacks its id, priority or state"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let next = page
        .get("nextCursor")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    Ok((incidents, next))
}

fn incident(item: &Value) -> Option<Incident> {
    let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
    let strings = |key: &str| -> Vec<String> {
        item.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    // `title` is a list of the incidents' titles; an older shape gave one string.
    let title = match item.get("title") {
        Some(Value::String(s)) => s.clone(),
        _ => strings("title").join("; "),
    };
    let activated_at = item
        .get("activatedAt")
        .and_then(Value::as_i64)
        .and_then(DateTime::<Utc>::from_timestamp_millis);
    Some(Incident {
        id: text("issueId")?,
        title,
        priority: text("priority")?,
        state: text("state")?,
        entities: strings("entityNames"),
        activated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> Value {
        let text = std::fs::read_to_string(format!(
            "{}/fixtures/api/newrelic/{rel}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn the_entity_is_the_one_named_exactly_in_the_account() {
        let guids = entity_guids(&fixture("entity-apangea.json"), "apangea", 1234567).unwrap();
        assert_eq!(guids, ["MTIzNDU2N3xBUE18QVBQTElDQVRJT058NDI0MjQy"]);
        let err = entity_guids(&fixture("entity-apangea.json"), "apangea", 7).unwrap_err();
        assert!(
            err.contains("no APM entity named \"apangea\" in account 7"),
            "{err}"
        );
    }

    #[test]
    fn open_issues_are_read_with_their_priority() {
        let (issues, next) = parse_issues(&fixture("issues-critical.json")).unwrap();
        assert_eq!(next, None);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].priority, "CRITICAL");
        assert_eq!(issues[0].state, "ACTIVATED");
        assert_eq!(issues[0].entities, ["apangea"]);
        assert!(
            issues[0].title.contains("Error percentage"),
            "{}",
            issues[0].title
        );
        assert!(issues[0].activated_at.is_some());
        let (none, _) = parse_issues(&fixture("issues-none.json")).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn an_answer_without_the_list_is_an_error() {
        assert!(parse_issues(&fixture("error-200.json")).is_err());
        let broken = json!({"data": {"actor": {"account": {"aiIssues": {"issues": {"issues": [{"title": ["x"]}]}}}}}});
        assert!(parse_issues(&broken).unwrap_err().contains("issue 0"));
    }

    #[test]
    fn a_next_cursor_asks_for_another_page() {
        let page = json!({"data": {"actor": {"account": {"aiIssues": {"issues": {"issues": [], "nextCursor": "abc"}}}}}});
        assert_eq!(parse_issues(&page).unwrap().1.as_deref(), Some("abc"));
    }
}
