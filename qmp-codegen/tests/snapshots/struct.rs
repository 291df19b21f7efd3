// @generated from struct.json by tests/snapshots.rs (QMP_SNAPSHOTS=overwrite rewrites it).

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

/// A label printed on a parcel.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Label {
    /// what it says
    pub text: String,
    /// how many to print (default 1)
    pub copies: Option<u16>,
    /// the label stock
    pub type_: Option<String>,
    /// extra lines below the text
    pub lines: Option<Vec<String>>,
    /// ink colour
    #[deprecated]
    pub colour: Option<String>,
}

impl Label {
    /// A value with the given members, every optional member absent.
    pub fn new(text: String) -> Self {
        Self {
            text,
            copies: ::core::option::Option::None,
            type_: ::core::option::Option::None,
            lines: ::core::option::Option::None,
            colour: ::core::option::Option::None,
        }
    }
}

impl ::serde::Serialize for Label {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for Label {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::member(map, "text", &self.text)?;
        ::qmp_types::support::optional_member(map, "copies", &self.copies)?;
        ::qmp_types::support::optional_member(map, "type", &self.type_)?;
        ::qmp_types::support::optional_member(map, "lines", &self.lines)?;
        ::qmp_types::support::optional_member(map, "colour", &self.colour)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for Label {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for Label {
    const WHAT: &'static str = "struct Label";
    const MEMBERS: &'static [&'static str] = &[
        "text",
        "copies",
        "type",
        "lines",
        "colour",
    ];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut text = None;
        let mut copies = None;
        let mut type_ = None;
        let mut lines = None;
        let mut colour = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut text)?,
                1 => members.value(&mut copies)?,
                2 => members.value(&mut type_)?,
                3 => members.value(&mut lines)?,
                4 => members.value(&mut colour)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(Label {
            text: members.required(text, "text")?,
            copies,
            type_,
            lines,
            colour,
        })
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
