//! New Relic (NerdGraph): the app's requests per minute over the configured window.
//! Owns the NRQL, the GraphQL query and the answer's field paths. Never builds the
//! GraphQL text from input (the NRQL travels as a variable) and never passes "no
//! data" off as a quiet app.

use serde_json::{Value, json};

use crate::facts::Throughput;
use crate::net::{Call, Credential, HttpError, Service, Transport};

pub mod blocking;
pub mod issues;
pub mod metrics;

/// The NRQL travels as a variable, so no input is ever spliced into GraphQL.
const QUERY: &str = "query($accountId: Int!, $nrql: Nrql!) { actor { account(id: $accountId) { nrql(query: $nrql) { results } } } }";
/// Where the rows are in the answer.
const RESULTS: &str = "/data/actor/account/nrql/results";
/// The alias of the value in each row (`AS rpm`).
const ALIAS: &str = "rpm";

#[derive(Debug, thiserror::Error)]
pub enum NewRelicError {
    #[error("{0}")]
    Http(#[from] HttpError),
    #[error("{url} answered {message}")]
    Answer { url: String, message: String },
}

/// The NRQL for the app's throughput, with the app name quoted safely.
pub fn nrql(app: &str, window_minutes: u32) -> String {
    format!(
        "SELECT rate(count(*), 1 minute) AS {ALIAS} FROM Transaction WHERE appName = {} SINCE {window_minutes} minutes ago",
        quote(app)
    )
}

/// A NRQL string literal: single quotes, with `\` and `'` escaped.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The JSON body of the request.
pub fn request_body(account_id: u64, app: &str, window_minutes: u32) -> Value {
    json!({
        "query": QUERY,
        "variables": {"accountId": account_id, "nrql": nrql(app, window_minutes)},
    })
}

/// The rpm of `app`; `api_key` is the `API-Key` credential for the NerdGraph origin.
/// The query only reads, so it may be retried.
pub async fn throughput(
    transport: &Transport,
    url: &str,
    api_key: &Credential,
    account_id: u64,
    app: &str,
    window_minutes: u32,
) -> Result<Throughput, NewRelicError> {
    let body = request_body(account_id, app, window_minutes);
    let json = post(transport, url, api_key, &body).await?;
    let rpm = parse_rpm(&json, app).map_err(|message| NewRelicError::Answer {
        url: url.to_owned(),
        message,
    })?;
    Ok(Throughput {
        app: app.to_owned(),
        rpm,
        window_minutes,
    })
}

/// Sends one NerdGraph query (it only reads, so it may be retried) and returns the
/// answer's JSON: GraphQL errors (with 200 or 401 alike), another status, or a body
/// that is not JSON are errors naming the URL and what to do.
pub async fn post(
    transport: &Transport,
    url: &str,
    api_key: &Credential,
    body: &Value,
) -> Result<Value, NewRelicError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| NewRelicError::Answer {
        url: url.to_owned(),
        message: format!("nothing: newrelic.url is no URL ({e})"),
    })?;
    let answer = transport
        .send(
            Call::post_json(Service::NewRelic, parsed, Some(api_key), body, true),
            url,
        )
        .await?;
    // Read once: GraphQL errors come with 200 or 401 alike, so before the status.
    let json: Result<Value, String> =
        serde_json::from_str(&answer.body).map_err(|e| format!("something not JSON ({e})"));
    if let Some(message) = json.as_ref().ok().and_then(graphql_errors) {
        return Err(NewRelicError::Answer {
            url: url.to_owned(),
            message: format!(
                "HTTP {} with GraphQL errors: {message}{}",
                answer.status,
                if answer.status == 401 || message.contains("API Key") {
                    ": check the key in the variable newrelic.api_key_env names"
                } else {
                    ""
                }
            ),
        });
    }
    answer.require_ok(
        url,
        "check the key in the variable newrelic.api_key_env names",
    )?;
    json.map_err(|message| NewRelicError::Answer {
        url: url.to_owned(),
        message,
    })
}

/// The messages of a GraphQL `errors[]`, when there are any.
pub fn graphql_errors(v: &Value) -> Option<String> {
    let errors = v.get("errors")?.as_array()?;
    let messages: Vec<&str> = errors
        .iter()
        .map(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .unwrap_or("(no message)")
        })
        .collect();
    (!messages.is_empty()).then(|| crate::secrets::scrub(&messages.join("; ")))
}

/// The rpm of a NerdGraph answer. No rows, a null, or a 0 is "no data": an app name
/// that matches nothing looks exactly like that, so it is an error, not a quiet app.
pub fn parse_rpm(v: &Value, app: &str) -> Result<f64, String> {
    if let Some(message) = graphql_errors(v) {
        return Err(format!("GraphQL errors: {message}"));
    }
    let rows = v
        .pointer(RESULTS)
        .and_then(Value::as_array)
        .ok_or("no NRQL results in the answer")?;
    let no_data = || {
        format!(
            "no data for app {app:?} over the window: check targets.*.app against New Relic's appName"
        )
    };
    let rpm = rows
        .first()
        .ok_or_else(no_data)?
        .get(ALIAS)
        .and_then(Value::as_f64)
        .ok_or_else(no_data)?;
    if rpm <= 0.0 || !rpm.is_finite() {
        return Err(no_data());
    }
    Ok(rpm)
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
    fn reads_the_aliased_rate() {
        assert_eq!(parse_rpm(&fixture("rpm.json"), "apangea").unwrap(), 9800.4);
    }

    #[test]
    fn empty_rows_and_zero_are_no_data() {
        for rel in ["empty.json", "rpm-zero.json"] {
            let err = parse_rpm(&fixture(rel), "apangea").unwrap_err();
            assert!(err.contains("no data"), "{rel}: {err}");
        }
    }

    #[test]
    fn graphql_errors_with_status_200_are_errors() {
        let err = parse_rpm(&fixture("error-200.json"), "apangea").unwrap_err();
        assert!(err.contains("NRQL Syntax Error"), "{err}");
        assert!(
            graphql_errors(&fixture("bad-key-401.json"))
                .unwrap()
                .contains("Bad API Key")
        );
    }

    #[test]
    fn app_name_is_quoted_and_travels_as_a_variable() {
        let body = request_body(1234567, "o'hare\\x\" }", 5);
        assert_eq!(body["query"], QUERY);
        assert_eq!(
            body["variables"]["nrql"],
            "SELECT rate(count(*), 1 minute) AS rpm FROM Transaction WHERE appName = 'o\\'hare\\\\x\" }' SINCE 5 minutes ago"
        );
        assert_eq!(body["variables"]["accountId"], 1234567);
    }
}
