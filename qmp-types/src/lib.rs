//! Typed QEMU Machine Protocol messages.
//!
//! - [`Command`] and [`Event`]: what every typed command and event tells the
//!   code that sends or receives it;
//! - [`mode`]: the protocol's handshake and operational modes as types, so
//!   that a command run in the wrong mode does not compile;
//! - [`wire`]: the envelopes messages travel in;
//! - `commands`, `events` and `types`: the bindings of the project's schema
//!   (feature `bindings`, on by default; without it, the crate is the
//!   runtime contract and the wire format alone, which is all that code
//!   generated for another schema needs), with `INTROSPECTION` (the schema
//!   as `query-qmp-schema` would report it) and `DOCS` (its documentation,
//!   for tools that show it);
//! - [`agent`]: QEMU's guest agent, a protocol of its own, with the
//!   bindings of the project's agent schema (feature `agent`, on by
//!   default).

#[macro_use]
mod macros;

pub mod agent;
pub mod command;
#[cfg(feature = "bindings")]
#[rustfmt::skip]
mod generated;
pub mod event;
pub mod introspection;
pub mod mode;
#[doc(hidden)]
pub mod support;
pub mod wire;

pub use command::{Command, Empty};
pub use event::{Event, EventSet, RawEvent, Timestamp};
#[cfg(feature = "bindings")]
pub use generated::{commands, events, types, DOCS, INTROSPECTION};
