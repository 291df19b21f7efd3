// @generated from negotiation.json by tests/snapshots.rs (QMP_SNAPSHOTS=overwrite rewrites it).

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

/// Leaves capabilities negotiation.
///
/// Features: `qmp-negotiation`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct QmpSwitchMode {
    /// capabilities to turn on
    pub enable: Option<Vec<String>>,
}

impl QmpSwitchMode {
    /// A value with the given members, every optional member absent.
    pub fn new() -> Self {
        Self {
            enable: ::core::option::Option::None,
        }
    }
}

impl ::serde::Serialize for QmpSwitchMode {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for QmpSwitchMode {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::optional_member(map, "enable", &self.enable)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for QmpSwitchMode {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for QmpSwitchMode {
    const WHAT: &'static str = "command qmp_switch_mode";
    const MEMBERS: &'static [&'static str] = &["enable"];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut enable = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut enable)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(QmpSwitchMode { enable })
    }
}

impl ::qmp_types::Command for QmpSwitchMode {
    const NAME: &'static str = "qmp_switch_mode";
    const MODES: ::qmp_types::mode::Modes = ::qmp_types::mode::Modes::Negotiation;
    const ALLOW_OOB: bool = false;
    type Returns = ::qmp_types::Empty;
}

impl NegotiationCommand for QmpSwitchMode {}
/// Answers, in any mode.
///
/// Features: `qmp-any-mode`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Hello {}
impl Hello {
    /// A value with the given members, every optional member absent.
    pub fn new() -> Self {
        Self {}
    }
}

impl ::serde::Serialize for Hello {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for Hello {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        _map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for Hello {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_empty(deserializer, "command hello")?;
        ::core::result::Result::Ok(Hello {})
    }
}

impl ::qmp_types::Command for Hello {
    const NAME: &'static str = "hello";
    const MODES: ::qmp_types::mode::Modes = ::qmp_types::mode::Modes::Both;
    const ALLOW_OOB: bool = false;
    type Returns = ::qmp_types::Empty;
}

impl HandshakeCommand for Hello {}
impl OperationalCommand for Hello {}
/// Stops at once, overtaking queued commands.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Halt {}
impl Halt {
    /// A value with the given members, every optional member absent.
    pub fn new() -> Self {
        Self {}
    }
}

impl ::serde::Serialize for Halt {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for Halt {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        _map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for Halt {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_empty(deserializer, "command halt")?;
        ::core::result::Result::Ok(Halt {})
    }
}

impl ::qmp_types::Command for Halt {
    const NAME: &'static str = "halt";
    const MODES: ::qmp_types::mode::Modes = ::qmp_types::mode::Modes::Operational;
    const ALLOW_OOB: bool = true;
    type Returns = ::qmp_types::Empty;
}

impl OperationalCommand for Halt {}
impl OobCommand for Halt {}
/// Does nothing, after negotiation.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Status {}
impl Status {
    /// A value with the given members, every optional member absent.
    pub fn new() -> Self {
        Self {}
    }
}

impl ::serde::Serialize for Status {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for Status {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        _map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for Status {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_empty(deserializer, "command status")?;
        ::core::result::Result::Ok(Status {})
    }
}

impl ::qmp_types::Command for Status {
    const NAME: &'static str = "status";
    const MODES: ::qmp_types::mode::Modes = ::qmp_types::mode::Modes::Operational;
    const ALLOW_OOB: bool = false;
    type Returns = ::qmp_types::Empty;
}

impl OperationalCommand for Status {}
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
