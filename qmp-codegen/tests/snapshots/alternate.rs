// @generated from alternate.json by tests/snapshots.rs (QMP_SNAPSHOTS=overwrite rewrites it).

pub mod types {
//! Types of the schema: enums, structs, unions and alternates.
#![allow(
    dead_code,
    deprecated,
    non_camel_case_types,
    clippy::large_enum_variant,
    clippy::enum_variant_names,
    clippy::derive_partial_eq_without_eq,
    clippy::upper_case_acronyms,
    clippy::match_single_binding,
    clippy::too_many_arguments
)]

/// The QAPI struct `Range`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Range {
    /// first
    pub from: i64,
    /// last
    pub to: i64,
}

impl Range {
    /// A value with the given members, every optional member absent.
    pub fn new(from: i64, to: i64) -> Self {
        Self { from, to }
    }
}

impl ::serde::Serialize for Range {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for Range {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::member(map, "from", &self.from)?;
        ::qmp_types::support::member(map, "to", &self.to)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for Range {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for Range {
    const WHAT: &'static str = "struct Range";
    const MEMBERS: &'static [&'static str] = &["from", "to"];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut from = None;
        let mut to = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut from)?,
                1 => members.value(&mut to)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(Range {
            from: members.required(from, "from")?,
            to: members.required(to, "to")?,
        })
    }
}

/// Which pages to print.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PageSelection {
    /// one page, by number
    Single(i64),
    /// every page (true) or none (false)
    All(bool),
    /// a range of pages
    Range(Range),
}

impl ::serde::Serialize for PageSelection {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        match self {
            PageSelection::Single(value) => {
                ::serde::Serialize::serialize(value, serializer)
            }
            PageSelection::All(value) => ::serde::Serialize::serialize(value, serializer),
            PageSelection::Range(value) => {
                ::serde::Serialize::serialize(value, serializer)
            }
        }
    }
}

impl<'de> ::serde::Deserialize<'de> for PageSelection {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(
            deserializer,
        )?;
        match value {
            ::serde_json::Value::Object(_) => {
                ::qmp_types::support::decode(value, "alternate PageSelection", "Range")
                    .map(PageSelection::Range)
            }
            ::serde_json::Value::Bool(_) => {
                ::qmp_types::support::decode(value, "alternate PageSelection", "All")
                    .map(PageSelection::All)
            }
            ::serde_json::Value::Number(_) => {
                ::qmp_types::support::decode(value, "alternate PageSelection", "Single")
                    .map(PageSelection::Single)
            }
            other => {
                ::core::result::Result::Err(
                    ::qmp_types::support::unexpected(
                        &other,
                        "alternate PageSelection",
                        "an integer or a boolean or an object",
                    ),
                )
            }
        }
    }
}
}
pub mod commands {
//! Commands of the schema: each struct holds a command's arguments.
#![allow(
    dead_code,
    deprecated,
    non_camel_case_types,
    clippy::large_enum_variant,
    clippy::enum_variant_names,
    clippy::derive_partial_eq_without_eq,
    clippy::upper_case_acronyms,
    clippy::match_single_binding,
    clippy::too_many_arguments
)]

#[allow(unused_imports)]
use super::types;

#[allow(unused_imports)]
use ::qmp_types::mode::{
    HandshakeCommand, NegotiationCommand, OobCommand, OperationalCommand,
};
}
pub mod events {
//! Events of the schema: each struct holds an event's data.
#![allow(
    dead_code,
    deprecated,
    non_camel_case_types,
    clippy::large_enum_variant,
    clippy::enum_variant_names,
    clippy::derive_partial_eq_without_eq,
    clippy::upper_case_acronyms,
    clippy::match_single_binding,
    clippy::too_many_arguments
)]

#[allow(unused_imports)]
use super::types;

/// Any event of the schema, or one it does not know.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AnyEvent {
    /// An event this schema does not describe, as it arrived.
    Unknown(::qmp_types::RawEvent),
}

impl ::qmp_types::EventSet for AnyEvent {
    fn decode(
        name: &str,
        data: ::serde_json::Value,
    ) -> ::core::result::Result<Self, ::serde_json::Error> {
        ::core::result::Result::Ok(
            match name {
                _ => {
                    AnyEvent::Unknown(::qmp_types::RawEvent {
                        name: name.into(),
                        data,
                    })
                }
            },
        )
    }
    fn name(&self) -> &str {
        match self {
            AnyEvent::Unknown(raw) => &raw.name,
        }
    }
}
}
