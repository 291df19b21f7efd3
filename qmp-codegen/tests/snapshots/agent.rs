// @generated from agent.json by tests/snapshots.rs (QMP_SNAPSHOTS=overwrite rewrites it).

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

/// The QAPI struct `HostName`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct HostName {
    /// the machine's name
    pub name: String,
}

impl HostName {
    /// A value with the given members, every optional member absent.
    pub fn new(name: String) -> Self {
        Self { name }
    }
}

impl ::serde::Serialize for HostName {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for HostName {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::member(map, "name", &self.name)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for HostName {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for HostName {
    const WHAT: &'static str = "struct HostName";
    const MEMBERS: &'static [&'static str] = &["name"];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut name = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut name)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(HostName {
            name: members.required(name, "name")?,
        })
    }
}
}
pub mod commands {
//! Commands of the guest agent's schema: each struct holds a command's arguments.
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

/// Tells the machine's name.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct GetHostName {}
impl GetHostName {
    /// A value with the given members, every optional member absent.
    pub fn new() -> Self {
        Self {}
    }
}

impl ::serde::Serialize for GetHostName {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for GetHostName {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        _map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for GetHostName {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_empty(deserializer, "command get-host-name")?;
        ::core::result::Result::Ok(GetHostName {})
    }
}

impl ::qmp_types::agent::AgentCommand for GetHostName {
    const NAME: &'static str = "get-host-name";
    type Returns = types::HostName;
}

/// Sets the machine's clock.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SetClock {
    /// since the epoch
    pub seconds: i64,
}

impl SetClock {
    /// A value with the given members, every optional member absent.
    pub fn new(seconds: i64) -> Self {
        Self { seconds }
    }
}

impl ::serde::Serialize for SetClock {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for SetClock {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::member(map, "seconds", &self.seconds)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for SetClock {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for SetClock {
    const WHAT: &'static str = "command set-clock";
    const MEMBERS: &'static [&'static str] = &["seconds"];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut seconds = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut seconds)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(SetClock {
            seconds: members.required(seconds, "seconds")?,
        })
    }
}

impl ::qmp_types::agent::AgentCommand for SetClock {
    const NAME: &'static str = "set-clock";
    type Returns = ::qmp_types::Empty;
}

/// Turns the machine off; it answers only if it cannot.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct PowerOff {}
impl PowerOff {
    /// A value with the given members, every optional member absent.
    pub fn new() -> Self {
        Self {}
    }
}

impl ::serde::Serialize for PowerOff {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for PowerOff {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        _map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for PowerOff {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_empty(deserializer, "command power-off")?;
        ::core::result::Result::Ok(PowerOff {})
    }
}

impl ::qmp_types::agent::AgentCommand for PowerOff {
    const NAME: &'static str = "power-off";
    const SUCCESS_RESPONSE: bool = false;
    type Returns = ::qmp_types::Empty;
}
}
