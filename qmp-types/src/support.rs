//! Helpers that generated code calls. Not part of the stable API.
//!
//! They decode enums with a fallback for unknown values, and the members of
//! unions and alternates, whose shape depends on a value inside them; every
//! error names the type and the member or branch it happened in.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Decodes a string into an enum that keeps unknown values.
pub fn deserialize_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    struct Visitor<T>(std::marker::PhantomData<T>);
    impl<T: for<'a> From<&'a str>> de::Visitor<'_> for Visitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an enum value (a string)")
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
            Ok(T::from(value))
        }
    }
    deserializer.deserialize_str(Visitor(std::marker::PhantomData))
}

/// The members of an object being decoded piece by piece.
#[derive(Debug)]
pub struct Members {
    map: Map<String, Value>,
    what: &'static str,
}

impl Members {
    /// Reads an object; `what` names the type for messages (`union Foo`).
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
        what: &'static str,
    ) -> Result<Self, D::Error> {
        let map = Map::deserialize(deserializer)
            .map_err(|e| de::Error::custom(format_args!("{what}: {e}")))?;
        Ok(Members { map, what })
    }

    /// Takes and decodes a member that must be present.
    pub fn required<T: DeserializeOwned, E: de::Error>(&mut self, key: &str) -> Result<T, E> {
        match self.map.remove(key) {
            Some(value) => self.decode(value, key),
            None => Err(E::custom(format_args!(
                "{}: missing member '{key}'",
                self.what
            ))),
        }
    }

    /// Takes and decodes a member that may be absent.
    pub fn optional<T: DeserializeOwned, E: de::Error>(
        &mut self,
        key: &str,
    ) -> Result<Option<T>, E> {
        match self.map.remove(key) {
            Some(value) => self.decode(value, key).map(Some),
            None => Ok(None),
        }
    }

    /// Decodes the members not yet taken as branch `branch`'s type.
    pub fn rest<T: DeserializeOwned, E: de::Error>(&mut self, branch: &str) -> Result<T, E> {
        let rest = std::mem::take(&mut self.map);
        T::deserialize(Value::Object(rest))
            .map_err(|e| E::custom(format_args!("{}: branch '{branch}': {e}", self.what)))
    }

    /// The members not yet taken.
    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    fn decode<T: DeserializeOwned, E: de::Error>(&self, value: Value, key: &str) -> Result<T, E> {
        T::deserialize(value)
            .map_err(|e| E::custom(format_args!("{}: member '{key}': {e}", self.what)))
    }
}

/// Decodes `value` as the branch `branch` of `what`.
pub fn decode<T: DeserializeOwned, E: de::Error>(
    value: Value,
    what: &str,
    branch: &str,
) -> Result<T, E> {
    T::deserialize(value).map_err(|e| E::custom(format_args!("{what}: branch {branch}: {e}")))
}

/// The error for a JSON value of a type no branch takes.
pub fn unexpected<E: de::Error>(value: &Value, what: &str, expected: &str) -> E {
    let found = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    E::custom(format_args!("{what}: expected {expected}, found {found}"))
}

/// Decodes an event's data; an event without data has `null` there.
pub fn event_data<T: DeserializeOwned>(data: Value) -> Result<T, serde_json::Error> {
    match data {
        Value::Null => T::deserialize(Value::Object(Map::new())),
        data => T::deserialize(data),
    }
}

/// An object type that can write its members into a map being serialized,
/// so that a union can write its base's and its branch's into one object.
pub trait SerializeMembers {
    /// Writes every member that is present.
    fn serialize_members<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// Serializes an object type as one JSON object.
pub fn serialize_object<T: SerializeMembers, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    value.serialize_members(&mut map)?;
    map.end()
}

/// Writes a member.
pub fn member<M: SerializeMap, T: Serialize + ?Sized>(
    map: &mut M,
    key: &str,
    value: &T,
) -> Result<(), M::Error> {
    map.serialize_entry(key, value)
}

/// Writes an optional member when it is present.
pub fn optional_member<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &str,
    value: &Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(value) => map.serialize_entry(key, value),
        None => Ok(()),
    }
}

/// Writes every member of a JSON object (an unknown union branch).
pub fn all_members<M: SerializeMap>(
    map: &mut M,
    members: &Map<String, Value>,
) -> Result<(), M::Error> {
    for (key, value) in members {
        map.serialize_entry(key, value)?;
    }
    Ok(())
}
