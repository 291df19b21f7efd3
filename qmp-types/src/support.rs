//! Helpers that generated code calls. Not part of the stable API.
//!
//! They decode enums with a fallback for unknown values; object types member
//! by member as the deserializer reads them ([`DecodeMembers`]); and the
//! members of unions and alternates, whose shape depends on a value inside
//! them. Every error names the type and the member or branch it happened in.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess,
};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use content::Content;

mod content;

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

/// An object type that decodes its members as they stream by, with no
/// intermediate map: its `Deserialize` impl calls [`deserialize_object`].
pub trait DecodeMembers: Sized {
    /// The type, for messages: `struct Foo`.
    const WHAT: &'static str;
    /// The wire names of the members it keeps; [`Members::next`] returns
    /// indices into this list.
    const MEMBERS: &'static [&'static str];

    /// Builds the value from the members, reading them with
    /// [`Members::next`] and [`Members::value`] until the end.
    fn decode_members<'de, A: MapAccess<'de>>(members: &mut Members<A>) -> Result<Self, A::Error>;
}

/// Decodes an object into `T`, member by member.
pub fn deserialize_object<'de, D: Deserializer<'de>, T: DecodeMembers>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct Visitor<T>(PhantomData<T>);
    impl<'de, T: DecodeMembers> de::Visitor<'de> for Visitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}, an object", T::WHAT)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::decode_members(&mut Members {
                map,
                what: T::WHAT,
                names: T::MEMBERS,
                current: 0,
            })
        }
    }
    deserializer.deserialize_map(Visitor(PhantomData))
}

/// Decodes an object of which no member is kept (a command without
/// arguments): whatever members it has are skipped.
pub fn deserialize_empty<'de, D: Deserializer<'de>>(
    deserializer: D,
    what: &'static str,
) -> Result<(), D::Error> {
    struct Visitor(&'static str);
    impl<'de> de::Visitor<'de> for Visitor {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}, an object", self.0)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(())
        }
    }
    deserializer.deserialize_map(Visitor(what))
}

/// The members of an object being read, for [`DecodeMembers`].
#[derive(Debug)]
pub struct Members<A> {
    map: A,
    what: &'static str,
    names: &'static [&'static str],
    /// The index of the member whose value comes next.
    current: usize,
}

impl<'de, A: MapAccess<'de>> Members<A> {
    /// The next member the type keeps, as its index in
    /// [`DecodeMembers::MEMBERS`]; `None` at the end of the object. Members
    /// the type does not know (a newer QEMU's) are skipped.
    // Not an `Iterator`: it can fail, and `value` must come in between.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<usize>, A::Error> {
        loop {
            match self.map.next_key_seed(MemberIndex(self.names))? {
                Some(Some(index)) => {
                    self.current = index;
                    return Ok(Some(index));
                }
                Some(None) => {
                    self.map.next_value::<IgnoredAny>()?;
                }
                None => return Ok(None),
            }
        }
    }

    /// Decodes the value of the member [`next`](Self::next) returned into
    /// `slot`. A member sent twice keeps its last value, as serde_json's
    /// `Map` (which decoding used to go through) does.
    pub fn value<T: Deserialize<'de>>(&mut self, slot: &mut Option<T>) -> Result<(), A::Error> {
        match self.map.next_value() {
            Ok(value) => {
                *slot = Some(value);
                Ok(())
            }
            Err(error) => Err(context(
                format_args!("{}: member '{}'", self.what, self.names[self.current]),
                error,
            )),
        }
    }

    /// The value of a required member, or the error saying it is missing.
    pub fn required<T>(&self, slot: Option<T>, key: &str) -> Result<T, A::Error> {
        match slot {
            Some(value) => Ok(value),
            None => Err(de::Error::custom(format_args!(
                "{}: missing member '{key}'",
                self.what
            ))),
        }
    }
}

/// Reads an object's key as its index in a list of names, or `None` for a
/// name not in the list; without allocating.
struct MemberIndex(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for MemberIndex {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl de::Visitor<'_> for MemberIndex {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|name| *name == key))
    }
}

/// The error `error` with where it happened in front (`place`: `struct
/// Foo: member 'bar'`).
///
/// serde_json ends an error with its position (`at line 1 column 9`) and
/// adds the position again to the error this makes, when it passes through
/// the enclosing object; the inner one is dropped so it is said once.
#[cold]
fn context<E: de::Error>(place: fmt::Arguments<'_>, error: impl fmt::Display) -> E {
    let text = error.to_string();
    E::custom(format_args!("{place}: {}", without_position(&text)))
}

/// `text` without a trailing ` at line N column M`.
fn without_position(text: &str) -> &str {
    let strip = || {
        let (rest, column) = text.rsplit_once(" column ")?;
        let (rest, line) = rest.rsplit_once(" at line ")?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        (digits(column) && digits(line)).then_some(rest)
    };
    strip().unwrap_or(text)
}

/// The members of a union, held until its discriminator says which branch
/// the others belong to. QEMU often sends a branch's members first.
#[derive(Debug)]
pub struct Buffered<'de> {
    entries: Vec<(Cow<'de, str>, Content<'de>)>,
    what: &'static str,
}

impl<'de> Buffered<'de> {
    /// Reads an object; `what` names the type for messages (`union Foo`).
    pub fn deserialize<D: Deserializer<'de>>(
        deserializer: D,
        what: &'static str,
    ) -> Result<Self, D::Error> {
        struct Visitor(&'static str);
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = Buffered<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}, an object", self.0)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(key) = map.next_key_seed(content::Key)? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Buffered {
                    entries,
                    what: self.0,
                })
            }
        }
        deserializer.deserialize_map(Visitor(what))
    }

    /// Takes and decodes a member that must be present.
    pub fn required<T: Deserialize<'de>, E: de::Error>(&mut self, key: &str) -> Result<T, E> {
        match self.take(key) {
            Some(value) => self.decode(value, key),
            None => Err(E::custom(format_args!(
                "{}: missing member '{key}'",
                self.what
            ))),
        }
    }

    /// Takes and decodes a member that may be absent.
    pub fn optional<T: Deserialize<'de>, E: de::Error>(
        &mut self,
        key: &str,
    ) -> Result<Option<T>, E> {
        match self.take(key) {
            Some(value) => self.decode(value, key).map(Some),
            None => Ok(None),
        }
    }

    /// Decodes the members not yet taken as branch `branch`'s type.
    pub fn rest<T: Deserialize<'de>, E: de::Error>(&mut self, branch: &str) -> Result<T, E> {
        let rest = Content::Map(std::mem::take(&mut self.entries));
        T::deserialize(rest.into_deserializer())
            .map_err(|e: E| context(format_args!("{}: branch '{branch}'", self.what), e))
    }

    /// The members not yet taken, with the discriminator `key` put back
    /// as `tag`: an unknown branch.
    pub fn unrecognized<E: de::Error>(
        self,
        key: &str,
        tag: String,
    ) -> Result<Map<String, Value>, E> {
        let mut map = Map::new();
        for (name, value) in self.entries {
            map.insert(
                name.into_owned(),
                Value::deserialize(value.into_deserializer())?,
            );
        }
        map.insert(key.to_owned(), Value::String(tag));
        Ok(map)
    }

    /// Removes member `key`. A member sent twice keeps its last value, as
    /// in a struct.
    fn take(&mut self, key: &str) -> Option<Content<'de>> {
        let mut found = None;
        let mut i = 0;
        while i < self.entries.len() {
            if self.entries[i].0 == key {
                found = Some(self.entries.remove(i).1);
            } else {
                i += 1;
            }
        }
        found
    }

    fn decode<T: Deserialize<'de>, E: de::Error>(
        &self,
        value: Content<'de>,
        key: &str,
    ) -> Result<T, E> {
        T::deserialize(value.into_deserializer())
            .map_err(|e: E| context(format_args!("{}: member '{key}'", self.what), e))
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
