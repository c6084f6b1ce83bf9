//! A local stand-in for GitHub's Deployments API on the app repo
//! (thinkthroughmath/apangea) and `GET /user`: it keeps what is POSTed
//! (deployments and their statuses) and serves it back, newest first, as GitHub
//! does, so that several "machines" share one record.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{path, path_regex};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use super::server::Services;

/// The login `GET /user` answers for the test token.
pub const LOGIN: &str = "deploy-bot";
const APP: &str = "/api/v3/repos/thinkthroughmath/apangea/deployments";

/// One deployment as stored: what was POSTed, and its statuses in order.
#[derive(Debug, Clone)]
pub struct Stored {
    pub body: Value,
    pub statuses: Vec<Value>,
    /// Who created it, when not the test token's login.
    pub creator: Option<String>,
}

#[derive(Clone, Default)]
pub struct Store(Arc<Mutex<Vec<Stored>>>, Arc<Mutex<String>>);

impl Store {
    pub fn all(&self) -> Vec<Stored> {
        self.0.lock().unwrap().clone()
    }

    /// Adds a deployment another tool (or person) created as `creator`, with one
    /// status `state`.
    pub fn insert(&self, body: Value, state: &str, creator: &str) {
        self.0.lock().unwrap().push(Stored {
            body,
            statuses: vec![json!({"state": state})],
            creator: Some(creator.to_owned()),
        });
    }

    fn deployment(&self, id: usize, d: &Stored) -> Value {
        let mut created = d.body.clone();
        let map = created.as_object_mut().unwrap();
        map.insert("id".into(), json!(id));
        map.insert("sha".into(), d.body["ref"].clone());
        map.insert(
            "created_at".into(),
            json!(format!("2026-11-25T10:{:02}:00Z", id.min(59))),
        );
        let creator = d.creator.as_deref().unwrap_or(LOGIN);
        map.insert("creator".into(), json!({"login": creator}));
        created
    }
}

impl Respond for Store {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let route = request.url.path().trim_start_matches(APP).to_owned();
        let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
        let post = request.method.as_str() == "POST";
        let body = || serde_json::from_slice::<Value>(&request.body).unwrap();
        let mut all = self.0.lock().unwrap();
        match (post, parts.as_slice()) {
            (true, []) => {
                all.push(Stored {
                    body: body(),
                    statuses: Vec::new(),
                    creator: None,
                });
                let id = all.len();
                ResponseTemplate::new(201).set_body_json(self.deployment(id, &all[id - 1]))
            }
            (false, []) => {
                // As GitHub: filtered by environment and sha, newest first, `per_page`
                // (30 by default) a page, the next page in a `Link` header with the
                // server's full URL.
                let query = |key: &str| {
                    request
                        .url
                        .query_pairs()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.into_owned())
                };
                let env = query("environment");
                let sha = query("sha");
                let per_page: usize = query("per_page").map_or(30, |p| p.parse().unwrap());
                let page: usize = query("page").map_or(1, |p| p.parse().unwrap());
                let listed: Vec<Value> = all
                    .iter()
                    .enumerate()
                    .rev()
                    .filter(|(_, d)| env.as_deref().is_none_or(|e| d.body["environment"] == e))
                    .filter(|(_, d)| sha.as_deref().is_none_or(|s| d.body["ref"] == s))
                    .map(|(i, d)| self.deployment(i + 1, d))
                    .collect();
                let shown: Vec<Value> = listed
                    .iter()
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .cloned()
                    .collect();
                let mut answer = ResponseTemplate::new(200).set_body_json(shown);
                if listed.len() > page * per_page {
                    // The server's own address, as GitHub names its own host.
                    let mut next =
                        url::Url::parse(&format!("{}{}", self.1.lock().unwrap(), APP)).unwrap();
                    let pairs: Vec<(String, String)> = request
                        .url
                        .query_pairs()
                        .filter(|(k, _)| k != "page")
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect();
                    next.query_pairs_mut()
                        .clear()
                        .extend_pairs(pairs)
                        .append_pair("page", &(page + 1).to_string());
                    answer = answer.insert_header("Link", format!("<{next}>; rel=\"next\""));
                }
                answer
            }
            (post, [id, "statuses"]) => {
                let Some(d) = id.parse::<usize>().ok().and_then(|i| all.get_mut(i - 1)) else {
                    return ResponseTemplate::new(404)
                        .set_body_json(json!({"message": "Not Found"}));
                };
                if post {
                    d.statuses.push(body());
                    ResponseTemplate::new(201).set_body_json(d.statuses.last().unwrap())
                } else {
                    let newest: Vec<Value> = d.statuses.iter().rev().cloned().collect();
                    ResponseTemplate::new(200).set_body_json(newest)
                }
            }
            _ => ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})),
        }
    }
}

/// Mounts the stand-in on `services`: what it stores is in the returned [`Store`].
pub async fn mount(services: &Services) -> Store {
    let store = Store::default();
    *store.1.lock().unwrap() = services.uri();
    services
        .mount(Mock::given(path_regex(format!("^{APP}(/.*)?$"))).respond_with(store.clone()))
        .await;
    services
        .mount(
            Mock::given(path("/api/v3/user"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": LOGIN}))),
        )
        .await;
    store
}
