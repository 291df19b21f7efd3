//! The [`Command`] trait: what every typed command tells its executor.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::mode::Modes;

/// A QMP command: its arguments are `Self`, serialized as the request's
/// `arguments` object.
///
/// Implemented by generated code and by `#[derive(Command)]`. Which modes it
/// may run in is also expressed as types, by the marker traits of
/// [`mode`](crate::mode), so that misuse fails to compile;
/// [`Command::MODES`] is the same fact for run-time checks.
pub trait Command: Serialize {
    /// The command's name on the wire (`query-status`).
    const NAME: &'static str;
    /// The modes the command may run in.
    const MODES: Modes;
    /// Whether the command may be sent with `exec-oob`.
    const ALLOW_OOB: bool;
    /// Whether the server answers on success (`false` only for the few
    /// commands whose success is seen otherwise, such as by the guest
    /// shutting down).
    const SUCCESS_RESPONSE: bool = true;
    /// What a successful execution returns.
    type Returns: DeserializeOwned;
}

/// The return value of a command that returns nothing: QEMU answers `{}`.
///
/// Any members a newer server might add are ignored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Empty {}

impl Serialize for Empty {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::support::serialize_object(self, serializer)
    }
}

impl crate::support::SerializeMembers for Empty {
    fn serialize_members<M: serde::ser::SerializeMap>(&self, _map: &mut M) -> Result<(), M::Error> {
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Empty {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::support::deserialize_empty(deserializer, "empty object")?;
        Ok(Empty {})
    }
}
