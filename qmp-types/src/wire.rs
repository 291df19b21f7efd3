//! The envelopes QMP messages travel in: greeting, request, response,
//! error and event, each one JSON object on its own line.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::Timestamp;
use crate::Command;

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

/// A request to execute `command`, serialized as
/// `{"execute": NAME, "arguments": {...}, "id": ID}`.
///
/// ```
/// use qmp_types::{commands::QueryStatus, wire::Request};
///
/// let request = Request::new(&QueryStatus {}).with_id(7);
/// assert_eq!(
///     serde_json::to_string(&request).unwrap(),
///     r#"{"execute":"query-status","arguments":{},"id":7}"#
/// );
/// ```
#[derive(Debug)]
pub struct Request<'a, C> {
    command: &'a C,
    id: Option<Value>,
    oob: bool,
}

impl<'a, C: Command> Request<'a, C> {
    /// A request without an id.
    pub fn new(command: &'a C) -> Self {
        Request {
            command,
            id: None,
            oob: false,
        }
    }

    /// Sets the id the server echoes in its answer.
    pub fn with_id(mut self, id: impl Into<Value>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sends the command out of band (`exec-oob`); the caller checks that the
    /// command allows it and `oob` was negotiated.
    pub fn out_of_band(mut self) -> Self {
        self.oob = true;
        self
    }
}

impl<C: Command> Serialize for Request<'_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let key = if self.oob { "exec-oob" } else { "execute" };
        map.serialize_entry(key, C::NAME)?;
        map.serialize_entry("arguments", self.command)?;
        if let Some(id) = &self.id {
            map.serialize_entry("id", id)?;
        }
        map.end()
    }
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
