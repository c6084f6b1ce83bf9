//! Every GraphQL query gatekeeper sends to GitHub validates against GitHub's
//! published schema (`fixtures/github/schema.graphql`, from octokit/graphql-schema):
//! a field, argument, enum value or variable type GitHub does not have fails here,
//! not against github.com mid-deploy. The texts are the crate's own (constants, and
//! the release query as built for a chunk of repos), never copies. A guard reads
//! `src/` so that a new query cannot be added without being validated here.
//! New Relic's NerdGraph queries have no published schema here and are not checked.

use std::path::Path;
use std::sync::OnceLock;

use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::response::JsonMap;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use gatekeeper::sources::{github::chatops, notices, releases};

use crate::support::{fixture, root};

/// GitHub's schema, parsed once for the whole test binary (1.2 MB of SDL). The
/// snapshot defines a few fields of a type twice (see `fixtures/github/README.md`),
/// so the SDL itself is not validated and those duplicates (the first definition
/// is kept) are the only error its building may report.
fn schema() -> &'static Valid<Schema> {
    static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = fixture("github/schema.graphql");
        let sdl = std::fs::read_to_string(&path).unwrap();
        let schema = Schema::parse(sdl, &path).unwrap_or_else(|e| {
            for diagnostic in e.errors.iter() {
                let message = diagnostic.error.to_string();
                let duplicate_field = message.starts_with("duplicate definitions for the `")
                    && (message.contains("` field of object type `")
                        || message.contains("` field of interface type `"));
                assert!(
                    duplicate_field,
                    "{} does not build as a GraphQL schema:\n{diagnostic}",
                    path.display()
                );
            }
            e.partial
        });
        assert!(
            schema.get_object("Repository").is_some(),
            "no Repository type in {}",
            path.display()
        );
        Valid::assume_valid(schema)
    })
}

/// Validates `query` as an executable document against GitHub's schema: `Err`
/// holds the diagnostics.
fn validate(name: &str, query: &str) -> Result<(), String> {
    ExecutableDocument::parse_and_validate(schema(), query, name)
        .map(drop)
        .map_err(|e| e.errors.to_string())
}

fn assert_valid(name: &str, query: &str) {
    if let Err(errors) = validate(name, query) {
        panic!("{name} does not validate against GitHub's schema:\n{errors}\n{query}");
    }
}

/// The release query as sent for chunks of 1, 2 and a full chunk of repos.
fn release_queries() -> Vec<(String, String)> {
    [1, 2, releases::CHUNK]
        .into_iter()
        .map(|n| (format!("releases::query({n})"), releases::query(n)))
        .collect()
}

#[test]
fn the_release_query_validates_for_every_chunk_size() {
    for (name, query) in release_queries() {
        assert_valid(&name, &query);
    }
}

/// The release query's variables, as `releases::variables` sends them, have the
/// types its text declares, for a chunk of 1, 2 and 25 repos.
#[test]
fn the_release_variables_fit_the_release_query() {
    for n in [1, 2, releases::CHUNK] {
        let names: Vec<String> = (0..n).map(|i| format!("owner{i}/repo{i}")).collect();
        let repos: Vec<&str> = names.iter().map(String::as_str).collect();
        let variables = releases::variables(&repos, "rc", "master");
        let values: JsonMap = serde_json::from_value(variables).unwrap();
        let document = ExecutableDocument::parse_and_validate(
            schema(),
            releases::query(n),
            format!("releases::query({n})"),
        )
        .unwrap();
        let operation = document.operations.get(Some("Releases")).unwrap();
        if let Err(e) = coerce_variable_values(schema(), operation, &values) {
            panic!("releases::variables for {n} repos do not fit the query: {e:?}");
        }
    }
    // The check can fail: a page size sent as text is refused.
    let mut variables = releases::variables(&["o/n"], "rc", "master");
    variables["pulls"] = serde_json::json!("20");
    let values: JsonMap = serde_json::from_value(variables).unwrap();
    let document =
        ExecutableDocument::parse_and_validate(schema(), releases::query(1), "wrong").unwrap();
    let operation = document.operations.get(Some("Releases")).unwrap();
    assert!(coerce_variable_values(schema(), operation, &values).is_err());
}

#[test]
fn the_notices_query_validates() {
    assert_valid("notices::QUERY", notices::QUERY);
}

#[test]
fn the_chatops_comment_query_validates() {
    assert_valid("chatops::COMMENT_QUERY", chatops::COMMENT_QUERY);
}

/// The check can fail: a field, an argument, an enum value and a variable type
/// GitHub does not have are each refused, with the name in the diagnostics.
#[test]
fn a_query_github_would_refuse_fails_validation() {
    let cases = [
        (
            "query { repository(owner: \"o\", name: \"n\") { nameWithOwnerX } }",
            "nameWithOwnerX",
        ),
        (
            "query { repository(owner: \"o\", name: \"n\", branch: \"x\") { id } }",
            "branch",
        ),
        (
            "query { repository(owner: \"o\", name: \"n\") { issues(states: SHUT, first: 1) { totalCount } } }",
            "SHUT",
        ),
        (
            "query($n: String!) { repository(owner: \"o\", name: \"n\") { issues(first: $n) { totalCount } } }",
            "$n",
        ),
    ];
    for (query, wrong) in cases {
        let errors = validate("wrong", query).expect_err(query);
        assert!(errors.contains(&format!("`{wrong}`")), "{query}: {errors}");
    }
    // The same query with the real field passes: the refusal is about the field.
    assert_valid(
        "right",
        "query { repository(owner: \"o\", name: \"n\") { nameWithOwner } }",
    );
}

/// Every GraphQL operation written in `src/` (a string starting `query`,
/// `mutation` or `subscription`, outside test modules and New Relic's source) is
/// one of those validated above, by its operation name: a new or anonymous query
/// fails here until it is added.
#[test]
fn every_github_query_in_src_is_validated_here() {
    let validated = ["Releases", "Notices", "ChatopsComment"];
    let mut found = Vec::new();
    walk(&root().join("src"), &mut |path, text| {
        // NerdGraph (New Relic's source and its folder): no published schema here.
        if path.ends_with("sources/newrelic.rs")
            || path.components().any(|c| c.as_os_str() == "newrelic")
        {
            return;
        }
        for (line_no, line) in outside_tests(text) {
            for keyword in ["query", "mutation", "subscription"] {
                for (at, _) in line.match_indices(&format!("\"{keyword}")) {
                    let rest = &line[at + 1 + keyword.len()..];
                    let Some(next) = rest.chars().next() else {
                        continue;
                    };
                    if next != ' ' && next != '(' && next != '{' {
                        continue; // `"query_x"`, `"queryFoo"`: not GraphQL.
                    }
                    let name: String = rest
                        .trim_start()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let is_json_key = rest.starts_with("\":") || rest.starts_with("\" :");
                    if !is_json_key {
                        found.push((format!("{}:{line_no}", path.display()), name));
                    }
                }
            }
        }
    });
    for (place, name) in &found {
        assert!(
            validated.contains(&name.as_str()),
            "{place}: GraphQL operation `{name}` (empty: anonymous) is not validated against GitHub's schema; name it and add it to tests/it/graphql_schema.rs"
        );
    }
    // Each validated operation is written once: the list above is not stale, and
    // no second text hides behind a validated name.
    let mut names: Vec<&str> = found.iter().map(|(_, name)| name.as_str()).collect();
    names.sort_unstable();
    let mut expected = validated.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected, "{found:?}");
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path, &str)) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, f);
        } else if path.extension().is_some_and(|e| e == "rs") {
            f(&path, &std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The numbered lines of `text` before its test module (`#[cfg(test)] mod …`).
fn outside_tests(text: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| {
            w[0].trim_start().starts_with("#[cfg(test)]") && w[1].trim_start().starts_with("mod ")
        })
        .unwrap_or(lines.len());
    lines[..end]
        .iter()
        .enumerate()
        .map(|(i, l)| (i + 1, *l))
        .collect()
}
