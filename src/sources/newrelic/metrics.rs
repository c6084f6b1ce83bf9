//! The guard's figures from New Relic: the app's error rate (percent of
//! transactions with an error) and apdex score, over a span (the baseline) or per
//! minute (a time series), by NRQL through NerdGraph. Owns the NRQL and the answer's
//! field paths. The app name is quoted into NRQL and the NRQL travels as a
//! variable. A missing row, a null or a figure of the wrong type is "no data" for
//! that span, never a quiet app.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{QUERY, quote};

/// Where the rows are in the answer.
const RESULTS: &str = "/data/actor/account/nrql/results";

/// The figures of one span; `None` where New Relic had no data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Percent of transactions with an error (0 to 100).
    pub error_pct: Option<f64>,
    /// Apdex score (0 to 1).
    pub apdex: Option<f64>,
    /// Transactions counted; 0 or absent is no data.
    pub count: Option<f64>,
}

/// The NRQL for the app's figures over the last `since`, e.g. `30 minutes` or
/// `60 seconds`; with `timeseries`, a row per minute (`TIMESERIES 1 minute`).
pub fn nrql(app: &str, since: &str, apdex_t: f64, timeseries: bool) -> String {
    format!(
        "SELECT percentage(count(*), WHERE error IS true) AS error_pct, apdex(duration, t: {apdex_t}) AS apdex, count(*) AS requests FROM Transaction WHERE appName = {} SINCE {since} ago{}",
        quote(app),
        if timeseries {
            " TIMESERIES 1 minute"
        } else {
            ""
        }
    )
}

/// The JSON body of the request.
pub fn request_body(account_id: u64, nrql: &str) -> Value {
    json!({"query": QUERY, "variables": {"accountId": account_id, "nrql": nrql}})
}

/// What in an answer is not what New Relic answers, said in a few words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

/// The figures of a single-value answer (one row).
pub fn parse_single(v: &Value) -> Result<Figures, Unreadable> {
    let rows = rows(v).map_err(Unreadable)?;
    Ok(rows.first().map_or(Figures::NONE, figures))
}

/// The figures of each minute of a time-series answer, oldest first.
pub fn parse_series(v: &Value) -> Result<Vec<Figures>, Unreadable> {
    let mut rows: Vec<&Value> = rows(v).map_err(Unreadable)?.iter().collect();
    rows.sort_by_key(|r| r.get("beginTimeSeconds").and_then(Value::as_i64));
    Ok(rows.into_iter().map(figures).collect())
}

fn rows(v: &Value) -> Result<&Vec<Value>, String> {
    if let Some(message) = super::graphql_errors(v) {
        return Err(format!("GraphQL errors: {message}"));
    }
    v.pointer(RESULTS)
        .and_then(Value::as_array)
        .ok_or_else(|| "no NRQL results in the answer".to_owned())
}

impl Figures {
    const NONE: Figures = Figures {
        error_pct: None,
        apdex: None,
        count: None,
    };

    /// Whether the span had traffic and both figures.
    pub fn has_data(&self) -> bool {
        self.count.is_some_and(|c| c > 0.0) && self.error_pct.is_some() && self.apdex.is_some()
    }
}

/// A row's figures: apdex comes back as an object with `score` (and `s`, `t`, `f`,
/// `count`); a bare number is read too.
fn figures(row: &Value) -> Figures {
    let number = |v: Option<&Value>| v.and_then(Value::as_f64).filter(|f| f.is_finite());
    let apdex = match row.get("apdex") {
        Some(Value::Object(o)) => number(o.get("score")),
        other => number(other),
    };
    Figures {
        error_pct: number(row.get("error_pct")).filter(|p| (0.0..=100.0).contains(p)),
        apdex: apdex.filter(|a| (0.0..=1.0).contains(a)),
        count: number(row.get("requests")),
    }
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
    fn a_single_value_reads_error_rate_apdex_score_and_count() {
        let f = parse_single(&fixture("guard-baseline.json")).unwrap();
        assert_eq!(f.error_pct, Some(0.42));
        assert_eq!(f.apdex, Some(0.94));
        assert!(f.has_data());
    }

    #[test]
    fn a_time_series_is_a_row_per_minute_oldest_first_with_gaps_as_no_data() {
        let minutes = parse_series(&fixture("guard-series.json")).unwrap();
        assert_eq!(minutes.len(), 3);
        assert_eq!(minutes[0].error_pct, Some(0.5));
        assert_eq!(minutes[2].error_pct, Some(6.25));
        assert!(!minutes[1].has_data(), "{:?}", minutes[1]);
    }

    #[test]
    fn no_rows_or_errors_are_no_data_or_errors() {
        assert!(!parse_single(&fixture("empty.json")).unwrap().has_data());
        assert!(parse_single(&fixture("error-200.json")).is_err());
    }

    #[test]
    fn the_app_is_quoted_and_the_series_asked_per_minute() {
        let q = nrql("o'hare", "30 minutes", 0.5, true);
        assert!(q.contains("appName = 'o\\'hare'"), "{q}");
        assert!(
            q.ends_with("SINCE 30 minutes ago TIMESERIES 1 minute"),
            "{q}"
        );
        assert_eq!(request_body(7, &q)["variables"]["nrql"], q);
    }
}
