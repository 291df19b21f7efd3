//! An async (tokio) client for the QEMU Machine Protocol, with a blocking
//! wrapper on the same core.
//!
//! Commands, their answers and events are the typed bindings of
//! [`qmp_types`] (re-exported as [`types`]); the protocol's modes are
//! type parameters, so that a command sent in the wrong mode does not
//! compile.
//!
//! ```no_run
//! use qmp_client::{Client, types::commands::QueryVersion};
//!
//! # async fn run() -> Result<(), qmp_client::Error> {
//! let client = Client::connect_unix("/tmp/qmp.sock").await?;
//! println!("server: {:?}", client.greeting().version.qemu);
//! let client = client.negotiate(&[]).await?;
//! let version = client.execute(QueryVersion {}).await?;
//! println!("{}.{}.{}", version.qemu.major, version.qemu.minor, version.qemu.micro);
//! # Ok(())
//! # }
//! ```
//!
//! - [`Client`]: connect (Unix socket, TCP, a child's stdio, any byte
//!   stream), [`negotiate`](Client::negotiate), [`execute`](Client::execute)
//!   from any number of clones at once, [`execute_raw`](Client::execute_raw)
//!   for commands outside the schema, out-of-band execution on a client
//!   that negotiated `oob`;
//! - [`Subscription`]: a typed event stream, one per subscriber;
//! - [`blocking`]: the same client for code without an async runtime;
//! - [`Error`]: the one error type.
//!
//! One reader task routes answers by id and events to subscribers; a call
//! writes its request whole itself when nothing else is queued, and one
//! writer task writes what does queue up. Each command and answer is logged
//! through `tracing` at debug level (the lines themselves at trace level).

mod client;
mod conn;
mod envelope;
mod error;
mod events;
mod outbox;

pub mod blocking;

pub use client::{Client, InBand, OobState, OutOfBand, ServerGreeting};
pub use error::{Error, MALFORMED_EXCERPT};
pub use events::{EventItem, Subscription};
pub use qmp_types as types;
pub use qmp_types::mode::{Handshake, Operational};
