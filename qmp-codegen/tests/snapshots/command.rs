// @generated from command.json by tests/snapshots.rs (QMP_SNAPSHOTS=overwrite rewrites it).

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

/// The QAPI struct `MountOptions`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MountOptions {
    /// what to mount
    pub source: String,
    /// where
    pub target: String,
    /// mount read-only (default false)
    pub read_only: Option<bool>,
}

impl MountOptions {
    /// A value with the given members, every optional member absent.
    pub fn new(source: String, target: String) -> Self {
        Self {
            source,
            target,
            read_only: ::core::option::Option::None,
        }
    }
}

impl ::serde::Serialize for MountOptions {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for MountOptions {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::member(map, "source", &self.source)?;
        ::qmp_types::support::member(map, "target", &self.target)?;
        ::qmp_types::support::optional_member(map, "read-only", &self.read_only)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for MountOptions {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for MountOptions {
    const WHAT: &'static str = "struct MountOptions";
    const MEMBERS: &'static [&'static str] = &["source", "target", "read-only"];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut source = None;
        let mut target = None;
        let mut read_only = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut source)?,
                1 => members.value(&mut target)?,
                2 => members.value(&mut read_only)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(MountOptions {
            source: members.required(source, "source")?,
            target: members.required(target, "target")?,
            read_only,
        })
    }
}

/// The QAPI struct `UsageInfo`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct UsageInfo {
    /// bytes in use
    pub used: u64,
    /// bytes free
    pub free: u64,
}

impl UsageInfo {
    /// A value with the given members, every optional member absent.
    pub fn new(used: u64, free: u64) -> Self {
        Self { used, free }
    }
}

impl ::serde::Serialize for UsageInfo {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for UsageInfo {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::member(map, "used", &self.used)?;
        ::qmp_types::support::member(map, "free", &self.free)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for UsageInfo {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for UsageInfo {
    const WHAT: &'static str = "struct UsageInfo";
    const MEMBERS: &'static [&'static str] = &["used", "free"];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut used = None;
        let mut free = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut used)?,
                1 => members.value(&mut free)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(UsageInfo {
            used: members.required(used, "used")?,
            free: members.required(free, "free")?,
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

/// Mounts a filesystem.
#[derive(Clone, Debug, PartialEq)]
pub struct Mount(pub types::MountOptions);

impl ::serde::Serialize for Mount {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::serde::Serialize::serialize(&self.0, serializer)
    }
}

impl<'de> ::serde::Deserialize<'de> for Mount {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::serde::Deserialize::deserialize(deserializer).map(Mount)
    }
}

impl ::qmp_types::Command for Mount {
    const NAME: &'static str = "mount";
    const MODES: ::qmp_types::mode::Modes = ::qmp_types::mode::Modes::Operational;
    const ALLOW_OOB: bool = false;
    type Returns = ::qmp_types::Empty;
}

impl OperationalCommand for Mount {}
/// The QAPI command `query-usage`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct QueryUsage {
    /// a mount point
    pub target: String,
}

impl QueryUsage {
    /// A value with the given members, every optional member absent.
    pub fn new(target: String) -> Self {
        Self { target }
    }
}

impl ::serde::Serialize for QueryUsage {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for QueryUsage {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::member(map, "target", &self.target)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for QueryUsage {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for QueryUsage {
    const WHAT: &'static str = "command query-usage";
    const MEMBERS: &'static [&'static str] = &["target"];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut target = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut target)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(QueryUsage {
            target: members.required(target, "target")?,
        })
    }
}

impl ::qmp_types::Command for QueryUsage {
    const NAME: &'static str = "query-usage";
    const MODES: ::qmp_types::mode::Modes = ::qmp_types::mode::Modes::Operational;
    const ALLOW_OOB: bool = false;
    type Returns = types::UsageInfo;
}

impl OperationalCommand for QueryUsage {}
/// The QAPI command `query-mounts`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct QueryMounts {}
impl QueryMounts {
    /// A value with the given members, every optional member absent.
    pub fn new() -> Self {
        Self {}
    }
}

impl ::serde::Serialize for QueryMounts {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for QueryMounts {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        _map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for QueryMounts {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_empty(deserializer, "command query-mounts")?;
        ::core::result::Result::Ok(QueryMounts {})
    }
}

impl ::qmp_types::Command for QueryMounts {
    const NAME: &'static str = "query-mounts";
    const MODES: ::qmp_types::mode::Modes = ::qmp_types::mode::Modes::Operational;
    const ALLOW_OOB: bool = false;
    type Returns = Vec<types::MountOptions>;
}

impl OperationalCommand for QueryMounts {}
/// Flushes every mount.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Sync {}
impl Sync {
    /// A value with the given members, every optional member absent.
    pub fn new() -> Self {
        Self {}
    }
}

impl ::serde::Serialize for Sync {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for Sync {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        _map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for Sync {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_empty(deserializer, "command sync")?;
        ::core::result::Result::Ok(Sync {})
    }
}

impl ::qmp_types::Command for Sync {
    const NAME: &'static str = "sync";
    const MODES: ::qmp_types::mode::Modes = ::qmp_types::mode::Modes::Operational;
    const ALLOW_OOB: bool = false;
    type Returns = ::qmp_types::Empty;
}

impl OperationalCommand for Sync {}
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
