//! Reading a recorded facts document: the file (a regular file under the cap, UTF-8,
//! a byte-order mark dropped), its JSON read strictly (a key given twice anywhere,
//! or a key no facts field is called, is refused with its line), its schema, then
//! its types. Whether what it says is consistent is `verify`'s work. This module
//! never judges and never fetches.

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{
    CiBuild, Dependency, Facts, FactsError, Incident, Notice, NoticeComment, OverrideRequest,
    Production, ReleaseNotes, RepoFacts, Review, SCHEMA, Segment, SourceError, Task, Throughput,
    Window,
};

/// The largest facts document read.
pub const FACTS_CAP_MIB: u64 = 16;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

enum Capped {
    Io(std::io::Error),
    Not(String),
}

/// A regular file's bytes, refused at once when it is something else (a FIFO would
/// block, a device never ends) or larger than the cap.
fn read_capped(path: &Path) -> Result<Vec<u8>, Capped> {
    use std::io::Read;
    let cap = FACTS_CAP_MIB * 1024 * 1024;
    let meta = std::fs::metadata(path).map_err(Capped::Io)?;
    if !meta.is_file() {
        return Err(Capped::Not(if meta.is_dir() {
            "a directory".to_owned()
        } else {
            "a device, FIFO or socket".to_owned()
        }));
    }
    if meta.len() > cap {
        return Err(Capped::Not(format!("{} bytes", meta.len())));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(Capped::Io)?
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(Capped::Io)?;
    if u64::try_from(bytes.len()).map_or(true, |n| n > cap) {
        return Err(Capped::Not("larger than the cap".to_owned()));
    }
    Ok(bytes)
}

/// The document's text: UTF-8, without the byte-order mark some editors and
/// PowerShell put first (it says nothing but "UTF-8").
fn text(path: &Path, shown: &str) -> Result<String, FactsError> {
    let bytes = read_capped(path).map_err(|e| match e {
        Capped::Io(source) => FactsError::Read {
            path: shown.to_owned(),
            source,
        },
        Capped::Not(what) => FactsError::NotAFile {
            path: shown.to_owned(),
            what,
        },
    })?;
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(&bytes);
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(FactsError::Encoding {
            path: shown.to_owned(),
            found: "UTF-16 (it starts with a UTF-16 byte-order mark)".to_owned(),
        });
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| FactsError::Encoding {
        path: shown.to_owned(),
        found: format!(
            "not UTF-8 (byte {} is not valid UTF-8)",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// Reads a recorded facts document: strictly, then into its types. Consistency is
/// checked by the caller ([`Facts::load`]).
pub(super) fn read(path: &Path) -> Result<Facts, FactsError> {
    let shown = path.display().to_string();
    let text = text(path, &shown)?;
    let raw = strict(&text).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            // Only our own checks raise data errors while reading into a `Value`.
            Category::Data => {
                let full = e.to_string();
                let suffix = format!(" at line {} column {}", e.line(), e.column());
                FactsError::Strict {
                    path: shown.clone(),
                    problem: full.strip_suffix(&suffix).unwrap_or(&full).to_owned(),
                    line: e.line(),
                }
            }
            _ => FactsError::Malformed {
                path: shown.clone(),
                message: e.to_string(),
            },
        }
    })?;
    // The schema first, so that an old document gets the right message.
    match raw.get("schema").and_then(Value::as_u64) {
        Some(found) if found == u64::from(SCHEMA) => {}
        Some(found) => {
            return Err(FactsError::Schema {
                path: shown,
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        None => {
            return Err(FactsError::Malformed {
                path: shown,
                message: "no \"schema\" number".to_owned(),
            });
        }
    }
    // Only now unknown keys: a document of another schema may well have other fields.
    if let Some(problem) = unknown_key(&raw, Node::Facts, "") {
        return Err(FactsError::Unknown {
            path: shown,
            problem,
        });
    }
    serde_json::from_value(raw).map_err(|e| FactsError::Malformed {
        path: shown,
        message: e.to_string(),
    })
}

/// The document as a JSON value, refusing a key given twice in any object: JSON
/// allows it, but a reader (or `grep`) sees the first value where a parser keeps the
/// last, so a merge leftover or a crafted file would be judged on what nobody read.
fn strict(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Strict {
        path: String::new(),
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Reads any JSON value, carrying where in the document it is (for messages).
struct Strict {
    path: String,
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| {
                E::custom(format!(
                    "has a number at {} that is not finite",
                    self.place()
                ))
            })
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Strict {
            path: format!("{}[{}]", self.path, items.len()),
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "has key {key:?} twice {}",
                    self.within()
                )));
            }
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            let value = map.next_value_seed(Strict { path })?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

impl Strict {
    fn place(&self) -> String {
        if self.path.is_empty() {
            "the top level".to_owned()
        } else {
            format!("`{}`", self.path)
        }
    }

    fn within(&self) -> String {
        if self.path.is_empty() {
            "at the top level".to_owned()
        } else {
            format!("in `{}`", self.path)
        }
    }
}

/// The kinds of object a facts document holds, to know which keys each may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Facts,
    Window,
    Segment,
    Override,
    Production,
    Repo,
    Ci,
    Pull,
    Dependency,
    Task,
    Review,
    Throughput,
    Notice,
    Comment,
    Incident,
    Error,
    /// A value whose keys are not ours to know (none today).
    Free,
}

impl Node {
    /// The keys serde reads for the node's type: taken from the types themselves,
    /// so that a field added to one is known here at once.
    fn fields(self) -> Vec<&'static str> {
        let own: &[&str] = match self {
            Node::Facts => fields::<Facts>(),
            Node::Window => fields::<Window>(),
            Node::Segment => fields::<Segment>(),
            Node::Override => fields::<OverrideRequest>(),
            Node::Production => fields::<Production>(),
            Node::Repo => fields::<RepoFacts>(),
            Node::Ci => fields::<CiBuild>(),
            // serde learns no names of a struct with a flattened part: the pull
            // request's own keys are listed (a write-and-read-back test keeps them
            // true), its release notes' come from their type.
            Node::Pull => PULL_OWN_FIELDS,
            Node::Dependency => fields::<Dependency>(),
            Node::Task => fields::<Task>(),
            Node::Review => fields::<Review>(),
            Node::Throughput => fields::<Throughput>(),
            Node::Notice => fields::<Notice>(),
            Node::Comment => fields::<NoticeComment>(),
            Node::Incident => fields::<Incident>(),
            Node::Error => fields::<SourceError>(),
            Node::Free => &[],
        };
        let flattened: &[&str] = match self {
            Node::Pull => fields::<ReleaseNotes>(),
            _ => &[],
        };
        [own, flattened].concat()
    }

    /// The node of the object (or of each element of the array) under `key`.
    fn child(self, key: &str) -> Node {
        match (self, key) {
            (Node::Facts, "window") => Node::Window,
            (Node::Facts, "overrides") => Node::Override,
            (Node::Facts, "production") => Node::Production,
            (Node::Facts, "repos") => Node::Repo,
            (Node::Facts, "throughput") => Node::Throughput,
            (Node::Facts, "notices") => Node::Notice,
            (Node::Facts, "incidents") => Node::Incident,
            (Node::Facts, "errors") => Node::Error,
            (Node::Window, "segments") => Node::Segment,
            (Node::Repo, "ci") => Node::Ci,
            (Node::Repo, "pull_requests") => Node::Pull,
            (Node::Pull, "dependencies") => Node::Dependency,
            (Node::Pull, "tasks") => Node::Task,
            (Node::Pull, "reviews") => Node::Review,
            (Node::Notice, "comments") => Node::Comment,
            _ => Node::Free,
        }
    }
}

/// The first key of the document that no facts field is called, said with where it
/// is and the known key it is likely a slip of. A hand-edited `"throughtput"` would
/// otherwise be ignored while the reader believes it judged.
fn unknown_key(value: &Value, node: Node, path: &str) -> Option<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| unknown_key(item, node, &format!("{path}[{i}]"))),
        Value::Object(map) => {
            let known = node.fields();
            // A type whose keys cannot be learnt (none today) is not judged here.
            if node != Node::Free && !known.is_empty() {
                for key in map.keys() {
                    if known.contains(&key.as_str()) {
                        continue;
                    }
                    let place = if path.is_empty() {
                        "at the top level".to_owned()
                    } else {
                        format!("in `{path}`")
                    };
                    let hint = match nearest(key, &known) {
                        Some(near) => format!("did you mean {near:?}?"),
                        None => format!("the known keys there are {}", known.join(", ")),
                    };
                    return Some(format!(
                        "has key {key:?} {place}, which no facts field is called ({hint})"
                    ));
                }
            }
            map.iter().find_map(|(key, child)| {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                unknown_key(child, node.child(key), &path)
            })
        }
        _ => None,
    }
}

fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    crate::field_names::nearest(key, known, 2)
}

/// The keys of [`super::PullRequest`] besides its flattened [`ReleaseNotes`].
const PULL_OWN_FIELDS: &[&str] = &["number", "url", "title", "head_sha", "labels", "reviews"];

fn fields<T: DeserializeOwned>() -> &'static [&'static str] {
    crate::field_names::fields::<T>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_given_twice_is_refused_with_where_it_is() {
        let e = strict("{\"a\": {\"rpm\": 1,\n \"rpm\": 2}}").unwrap_err();
        assert_eq!(e.line(), 2);
        assert!(e.to_string().contains("\"rpm\" twice in `a`"), "{e}");
        let e = strict("{\"x\": [{}, {\"k\": 1, \"k\": 1}]}").unwrap_err();
        assert!(e.to_string().contains("in `x[1]`"), "{e}");
    }

    #[test]
    fn every_object_of_a_full_document_has_its_node() {
        // Each node knows its type's keys: none is left without them.
        for node in [
            Node::Facts,
            Node::Window,
            Node::Segment,
            Node::Override,
            Node::Production,
            Node::Repo,
            Node::Ci,
            Node::Pull,
            Node::Dependency,
            Node::Review,
            Node::Throughput,
            Node::Notice,
            Node::Comment,
            Node::Incident,
            Node::Error,
        ] {
            assert!(!node.fields().is_empty(), "{node:?}");
        }
        assert!(Node::Facts.fields().contains(&"throughput"));
        assert!(Node::Notice.fields().contains(&"sent_unix"));
    }

    #[test]
    fn what_gatekeeper_writes_reads_back_strictly() {
        // The recorded fixtures hold every kind of object; what serde writes of them
        // must pass the strict reading (a node mapped to the wrong type would not).
        for text in [
            include_str!("../../fixtures/facts/migrations-saturday-vetted.json"),
            include_str!("../../fixtures/facts/source-down.json"),
            include_str!("../../fixtures/facts/green.json"),
            include_str!("../../fixtures/facts/incident-critical.json"),
        ] {
            let facts: Facts = serde_json::from_str(text).unwrap();
            let written = serde_json::to_string_pretty(&facts).unwrap();
            let value = strict(&written).unwrap();
            assert_eq!(unknown_key(&value, Node::Facts, ""), None);
        }
    }

    #[test]
    fn a_slip_of_a_key_is_named_with_the_known_one() {
        let doc: Value =
            serde_json::from_str(r#"{"repos": [{"name": "a", "jenkins_jbo": "j"}]}"#).unwrap();
        let problem = unknown_key(&doc, Node::Facts, "").unwrap();
        assert!(
            problem.contains("\"jenkins_jbo\" in `repos[0]`"),
            "{problem}"
        );
        assert!(
            problem.contains("did you mean \"jenkins_job\"?"),
            "{problem}"
        );
    }
}
