// @generated from union.json by tests/snapshots.rs (QMP_SNAPSHOTS=overwrite rewrites it).

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

/// The QAPI enum `ShapeKind`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ShapeKind {
    /// a circle
    Circle,
    /// a rectangle
    Rectangle,
    /// a point
    Dot,
    /// A value this version of the schema does not know, as sent.
    Unrecognized(String),
}

impl ShapeKind {
    /// Every value the schema defines, in schema order.
    pub const VALUES: &'static [ShapeKind] = &[
        ShapeKind::Circle,
        ShapeKind::Rectangle,
        ShapeKind::Dot,
    ];
    /// The value as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ShapeKind::Circle => "circle",
            ShapeKind::Rectangle => "rectangle",
            ShapeKind::Dot => "dot",
            ShapeKind::Unrecognized(value) => value,
        }
    }
}

impl ::core::convert::From<&str> for ShapeKind {
    fn from(value: &str) -> Self {
        match value {
            "circle" => ShapeKind::Circle,
            "rectangle" => ShapeKind::Rectangle,
            "dot" => ShapeKind::Dot,
            other => ShapeKind::Unrecognized(other.into()),
        }
    }
}

impl ::core::fmt::Display for ShapeKind {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ::serde::Serialize for ShapeKind {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> ::serde::Deserialize<'de> for ShapeKind {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_enum(deserializer)
    }
}

/// The QAPI struct `ShapeBase`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ShapeBase {
    /// which shape
    pub kind: ShapeKind,
    /// a name for it
    pub label: Option<String>,
}

impl ShapeBase {
    /// A value with the given members, every optional member absent.
    pub fn new(kind: ShapeKind) -> Self {
        Self {
            kind,
            label: ::core::option::Option::None,
        }
    }
}

impl ::serde::Serialize for ShapeBase {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for ShapeBase {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::member(map, "kind", &self.kind)?;
        ::qmp_types::support::optional_member(map, "label", &self.label)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for ShapeBase {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for ShapeBase {
    const WHAT: &'static str = "struct ShapeBase";
    const MEMBERS: &'static [&'static str] = &["kind", "label"];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut kind = None;
        let mut label = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut kind)?,
                1 => members.value(&mut label)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(ShapeBase {
            kind: members.required(kind, "kind")?,
            label,
        })
    }
}

/// The QAPI struct `Circle`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Circle {
    /// in millimetres
    pub radius: f64,
}

impl Circle {
    /// A value with the given members, every optional member absent.
    pub fn new(radius: f64) -> Self {
        Self { radius }
    }
}

impl ::serde::Serialize for Circle {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for Circle {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::member(map, "radius", &self.radius)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for Circle {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for Circle {
    const WHAT: &'static str = "struct Circle";
    const MEMBERS: &'static [&'static str] = &["radius"];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut radius = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut radius)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(Circle {
            radius: members.required(radius, "radius")?,
        })
    }
}

/// The QAPI struct `Rectangle`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Rectangle {
    /// in millimetres
    pub width: f64,
    /// in millimetres
    pub height: f64,
}

impl Rectangle {
    /// A value with the given members, every optional member absent.
    pub fn new(width: f64, height: f64) -> Self {
        Self { width, height }
    }
}

impl ::serde::Serialize for Rectangle {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for Rectangle {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::member(map, "width", &self.width)?;
        ::qmp_types::support::member(map, "height", &self.height)?;
        ::core::result::Result::Ok(())
    }
}

impl<'de> ::serde::Deserialize<'de> for Rectangle {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        ::qmp_types::support::deserialize_object(deserializer)
    }
}

impl ::qmp_types::support::DecodeMembers for Rectangle {
    const WHAT: &'static str = "struct Rectangle";
    const MEMBERS: &'static [&'static str] = &["width", "height"];
    fn decode_members<'de, A: ::serde::de::MapAccess<'de>>(
        members: &mut ::qmp_types::support::Members<A>,
    ) -> ::core::result::Result<Self, A::Error> {
        let mut width = None;
        let mut height = None;
        while let Some(index) = members.next()? {
            match index {
                0 => members.value(&mut width)?,
                1 => members.value(&mut height)?,
                _ => ::core::unreachable!(),
            }
        }
        ::core::result::Result::Ok(Rectangle {
            width: members.required(width, "width")?,
            height: members.required(height, "height")?,
        })
    }
}

/// A shape to draw.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Shape {
    /// a name for it
    pub label: Option<String>,
    /// The branch, chosen by `kind`, with its members.
    pub kind: ShapeBranch,
}

impl Shape {
    /// A value with the given members, every optional member absent.
    pub fn new(kind: ShapeBranch) -> Self {
        Self {
            label: ::core::option::Option::None,
            kind,
        }
    }
}

/// The branches of [`Shape`], one per value of `kind`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ShapeBranch {
    /// `kind`: `circle`
    Circle(Circle),
    /// `kind`: `rectangle`
    Rectangle(Rectangle),
    /// `kind`: `dot`
    Dot,
    /// A branch this schema does not know: every member outside
    /// the base, the discriminator included.
    Unrecognized(::serde_json::Map<String, ::serde_json::Value>),
}

impl ShapeBranch {
    /// The discriminator value that selects this branch.
    pub fn tag(&self) -> ShapeKind {
        match self {
            ShapeBranch::Circle(_) => ShapeKind::Circle,
            ShapeBranch::Rectangle(_) => ShapeKind::Rectangle,
            ShapeBranch::Dot => ShapeKind::Dot,
            ShapeBranch::Unrecognized(members) => {
                members
                    .get("kind")
                    .and_then(|tag| tag.as_str())
                    .map_or_else(
                        || ShapeKind::Unrecognized(String::new()),
                        ShapeKind::from,
                    )
            }
        }
    }
}

impl ::serde::Serialize for Shape {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::core::result::Result<S::Ok, S::Error> {
        ::qmp_types::support::serialize_object(self, serializer)
    }
}

impl ::qmp_types::support::SerializeMembers for Shape {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        ::qmp_types::support::optional_member(map, "label", &self.label)?;
        ::qmp_types::support::SerializeMembers::serialize_members(&self.kind, map)?;
        ::core::result::Result::Ok(())
    }
}

impl ::qmp_types::support::SerializeMembers for ShapeBranch {
    fn serialize_members<M: ::serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> ::core::result::Result<(), M::Error> {
        match self {
            ShapeBranch::Circle(branch) => {
                ::qmp_types::support::member(map, "kind", "circle")?;
                ::qmp_types::support::SerializeMembers::serialize_members(branch, map)
            }
            ShapeBranch::Rectangle(branch) => {
                ::qmp_types::support::member(map, "kind", "rectangle")?;
                ::qmp_types::support::SerializeMembers::serialize_members(branch, map)
            }
            ShapeBranch::Dot => ::qmp_types::support::member(map, "kind", "dot"),
            ShapeBranch::Unrecognized(members) => {
                ::qmp_types::support::all_members(map, members)
            }
        }
    }
}

impl<'de> ::serde::Deserialize<'de> for Shape {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::core::result::Result<Self, D::Error> {
        let mut members = ::qmp_types::support::Buffered::deserialize(
            deserializer,
            "union Shape",
        )?;
        let tag: ShapeKind = members.required("kind")?;
        let label = members.optional("label")?;
        let kind = match tag {
            ShapeKind::Circle => ShapeBranch::Circle(members.rest("circle")?),
            ShapeKind::Rectangle => ShapeBranch::Rectangle(members.rest("rectangle")?),
            ShapeKind::Dot => ShapeBranch::Dot,
            ShapeKind::Unrecognized(tag) => {
                ShapeBranch::Unrecognized(members.unrecognized("kind", tag)?)
            }
        };
        ::core::result::Result::Ok(Shape { label, kind })
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
