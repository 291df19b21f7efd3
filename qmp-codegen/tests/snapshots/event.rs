// @generated from event.json by tests/snapshots.rs (QMP_SNAPSHOTS=overwrite rewrites it).

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

/// The tank level fell below its threshold.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TankLow {
    /// which tank
    pub tank: String,
    /// what is left, when the gauge knows
    pub litres: Option<f64>,
}

impl TankLow {
    /// A value with the given members, every optional member absent.
    pub fn new(tank: String) -> Self {
        Self {
            tank,
            litres: ::core::option::Option::None,
        }
    }
}

impl ::serde::Serialize for TankLow {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for TankLow {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::member(map, "tank", &self.tank)?;
        ::qmp_types::support::optional_member(map, "litres", &self.litres)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for TankLow {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for TankLow {
    const WHAT: &'static str = "event TANK_LOW";
    const MEMBERS: &'static [&'static str] = &["tank", "litres"];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut tank = None;
        let mut litres = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut tank)?,
                1 => members.value(&mut litres)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(TankLow {
            tank: members.required(tank, "tank")?,
            litres,
        })
    }
}

impl ::qmp_types::Event for TankLow {
    const NAME: &'static str = "TANK_LOW";
}

/// The supply failed; the machine runs on its battery.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct PowerLost {}
impl PowerLost {
    /// A value with the given members, every optional member absent.
    pub fn new() -> Self {
        Self {}
    }
}

impl ::serde::Serialize for PowerLost {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for PowerLost {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        _map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for PowerLost {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_empty(deserializer, "event POWER_LOST")?;
        ::core::result::Result::Ok(PowerLost {})
    }
}

impl ::qmp_types::Event for PowerLost {
    const NAME: &'static str = "POWER_LOST";
}

/// Any event of the schema, or one it does not know.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AnyEvent {
    /// `TANK_LOW`
    TankLow(TankLow),
    /// `POWER_LOST`
    PowerLost(PowerLost),
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
                "TANK_LOW" => AnyEvent::TankLow(::qmp_types::support::event_data(data)?),
                "POWER_LOST" => {
                    AnyEvent::PowerLost(::qmp_types::support::event_data(data)?)
                }
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
            AnyEvent::TankLow(_) => "TANK_LOW",
            AnyEvent::PowerLost(_) => "POWER_LOST",
            AnyEvent::Unknown(raw) => &raw.name,
        }
    }
}
}
