//! Typed QEMU Machine Protocol messages.
//!
//! - [`Command`] and [`Event`]: what every typed command and event tells the
//!   code that sends or receives it;
//! - [`mode`]: the protocol's handshake and operational modes as types, so
//!   that a command run in the wrong mode does not compile;
//! - [`wire`]: the envelopes messages travel in.

#[macro_use]
mod macros;

pub mod command;
#[rustfmt::skip]
mod generated;
pub mod event;
pub mod mode;
#[doc(hidden)]
pub mod support;
pub mod wire;

pub use command::{Command, Empty};
pub use event::{Event, EventSet, RawEvent, Timestamp};
pub use generated::{commands, events, types};
