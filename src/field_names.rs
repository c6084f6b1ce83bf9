//! The names a serde type reads, and the known name a misspelled one is most
//! likely a slip of: one answer for the config and the facts document, so that an
//! unknown key is found and named the same way in both.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// The field names serde derives for `T`, asked of a deserializer that answers
/// nothing but notes what the struct asks for; empty for a type that is no plain
/// struct (one with a flattened part, say).
pub(crate) fn fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    match T::deserialize(FieldNames) {
        Err(Asked(Some(fields))) => fields,
        _ => &[],
    }
}

/// The known key closest to `key` by edit distance, when it is a likely slip: at
/// most a third of the key's length away (at least `least`), or a shortening of it.
pub(crate) fn nearest<'k>(key: &str, known: &[&'k str], least: usize) -> Option<&'k str> {
    let limit = (key.chars().count() / 3).max(least);
    known
        .iter()
        .map(|k| (strsim::levenshtein(key, k), *k))
        .filter(|(d, k)| *d <= limit || (key.len() >= 3 && k.starts_with(key)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

struct FieldNames;

#[derive(Debug)]
struct Asked(Option<&'static [&'static str]>);

impl std::fmt::Display for Asked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the field names were noted")
    }
}

impl std::error::Error for Asked {}

impl de::Error for Asked {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Asked(None)
    }
}

impl<'de> Deserializer<'de> for FieldNames {
    type Error = Asked;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Asked> {
        Err(Asked(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Asked> {
        Err(Asked(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}
