//! The wire format, once for every peer: the envelopes QMP messages travel
//! in (greeting, request, response, error, event), each one JSON object on
//! its own line; how a request is written ([`Request`]) and how a message
//! is split into its members ([`split`]).
//!
//! The client reads and writes messages through this module, and a server
//! is meant to as well. (`xtask`'s small untyped client, which checks
//! `schema/` against QEMU, keeps its own JSON on purpose: it must not
//! depend on the bindings it checks.)

mod members;
mod request;

pub use members::{split, Members};
pub use request::{nesting_depth, ParserLimits, Request, RequestError, QEMU_LIMITS};

use std::fmt;

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::Timestamp;

/// The server's first message: `{"QMP": {"version": ..., "capabilities": [...]}}`.
///
/// Generic over the version and capability types, which the schema defines.
#[derive(Clone, Debug, PartialEq)]
pub struct Greeting<V, C> {
    /// The greeting's only member, `QMP`.
    pub qmp: GreetingBody<V, C>,
}

/// What the greeting says.
#[derive(Clone, Debug, PartialEq)]
pub struct GreetingBody<V, C> {
    /// The server's version.
    pub version: V,
    /// The capabilities the server offers for negotiation.
    pub capabilities: Vec<C>,
}

/// The server's error: `{"class": ..., "desc": ...}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorBody {
    /// The kind of error.
    pub class: ErrorClass,
    /// What went wrong, in the server's words.
    pub desc: String,
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class, self.desc)
    }
}

/// The error classes QEMU sends; any other is kept as [`ErrorClass::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Most errors.
    GenericError,
    /// The command does not exist, or is not allowed in this mode.
    CommandNotFound,
    /// A device is not active.
    DeviceNotActive,
    /// A device does not exist.
    DeviceNotFound,
    /// KVM lacks a capability the command needs.
    KvmMissingCap,
    /// A class this crate does not know.
    Other(String),
}

impl ErrorClass {
    /// The class as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorClass::GenericError => "GenericError",
            ErrorClass::CommandNotFound => "CommandNotFound",
            ErrorClass::DeviceNotActive => "DeviceNotActive",
            ErrorClass::DeviceNotFound => "DeviceNotFound",
            ErrorClass::KvmMissingCap => "KVMMissingCap",
            ErrorClass::Other(other) => other,
        }
    }
}

impl From<&str> for ErrorClass {
    fn from(s: &str) -> Self {
        match s {
            "GenericError" => ErrorClass::GenericError,
            "CommandNotFound" => ErrorClass::CommandNotFound,
            "DeviceNotActive" => ErrorClass::DeviceNotActive,
            "DeviceNotFound" => ErrorClass::DeviceNotFound,
            "KVMMissingCap" => ErrorClass::KvmMissingCap,
            other => ErrorClass::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorClass {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorClass {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = ErrorClass;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error class string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ErrorClass, E> {
                Ok(ErrorClass::from(v))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// A successful answer: `{"return": VALUE, "id": ID}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Success<T> {
    /// What the command returned (`return`).
    pub value: T,
    /// The request's id, if it had one.
    pub id: Option<Value>,
}

/// A failed answer: `{"error": {"class": ..., "desc": ...}, "id": ID}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// What went wrong.
    pub error: ErrorBody,
    /// The request's id, if it had one.
    pub id: Option<Value>,
}

/// An asynchronous event: `{"event": NAME, "data": {...}, "timestamp": {...}}`.
#[derive(Clone, Debug, PartialEq)]
pub struct EventMessage<D = Value> {
    /// The event's name.
    pub event: String,
    /// Its data; absent for events without data.
    pub data: Option<D>,
    /// When the server emitted it.
    pub timestamp: Timestamp,
}

object_serde!([V, C] Greeting<V, C>, "greeting" { qmp: "QMP" });
object_serde!([V, C] GreetingBody<V, C>, "greeting" { version: "version", capabilities: "capabilities" });
object_serde!(ErrorBody, "error" { class: "class", desc: "desc" });
object_serde!([T] Success<T>, "success response" { value: "return", ?id: "id" });
object_serde!(Failure, "error response" { error: "error", ?id: "id" });
object_serde!([D] EventMessage<D>, "event" { event: "event", ?data: "data", timestamp: "timestamp" });
