//! The [`Event`] trait and the set of events a schema defines.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// One kind of asynchronous event: its data is `Self`.
pub trait Event: Serialize + DeserializeOwned {
    /// The event's name on the wire (`SHUTDOWN`).
    const NAME: &'static str;
}

/// All events of a schema, as one enum: implemented by the generated enum,
/// which has a variant per event and one for events it does not know.
pub trait EventSet: Sized {
    /// Decodes the event called `name` with data `data` (`null` when absent).
    /// An unknown name is not an error: it gives the raw variant.
    fn decode(name: &str, data: Value) -> Result<Self, serde_json::Error>;

    /// The event's name on the wire.
    fn name(&self) -> &str;
}

/// When the server emitted an event, as seconds and microseconds since the
/// Unix epoch (QEMU sends `-1` for both when the clock is unavailable).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds.
    pub seconds: i64,
    /// Microseconds within the second.
    pub microseconds: i64,
}

/// An event this schema does not describe, kept as it arrived, so that a
/// newer server's events never break the event stream.
#[derive(Clone, Debug, PartialEq)]
pub struct RawEvent {
    /// The event's name.
    pub name: String,
    /// Its data, `null` when it had none.
    pub data: Value,
}

object_serde!(Timestamp, "timestamp" { seconds: "seconds", microseconds: "microseconds" });
object_serde!(RawEvent, "event" { name: "event", data: "data" });
