//! An async (tokio) client for the QEMU Machine Protocol, with a blocking
//! wrapper on the same core.
//!
//! Commands, their answers and events are the typed bindings of
//! [`qmp_types`] (re-exported, with its modules [`commands`], [`events`],
//! [`types`], [`mode`] and [`wire`] at this crate's root); the protocol's
//! modes are type parameters, so that a command sent in the wrong mode does
//! not compile.
//!
//! ```no_run
//! use qmp_client::{Client, commands::QueryVersion};
//!
//! # async fn run() -> Result<(), qmp_client::Error> {
//! let client = Client::connect_unix("/tmp/qmp.sock").await?;
//! println!("server: {:?}", client.greeting().version.qemu);
//! let client = client.negotiate(&[]).await?;
//! let version = client.execute(QueryVersion::new()).await?;
//! println!("{}.{}.{}", version.qemu.major, version.qemu.minor, version.qemu.micro);
//! # Ok(())
//! # }
//! ```
//!
//! - [`Client`]: connect (Unix socket, TCP, a child's stdio, any byte
//!   stream), [`negotiate`](Client::negotiate) (or
//!   [`negotiate_with`](Client::negotiate_with) a schema's own negotiation
//!   command), [`execute`](Client::execute) from any number of clones at
//!   once, [`execute_raw`](Client::execute_raw) for commands outside the
//!   schema, out-of-band execution on a client that negotiated `oob`;
//! - [`Connector`]: the settings of a connection (the largest message
//!   accepted), and [`Connector::listen`], the safe way to reach a QEMU
//!   this program starts;
//! - [`Execute`] and [`Negotiate`]: the futures of a call;
//! - [`Probe`]: what the connected server has, from its introspection
//!   ([`Client::probe`]);
//! - [`Subscription`]: a typed event stream, one per subscriber;
//! - [`agent`]: a client of QEMU's guest agent, on the same core, which
//!   takes the agent's commands and no others;
//! - [`blocking`]: the same clients for code without an async runtime;
//! - [`Error`]: the one error type.
//!
//! One reader task routes answers by id and events to subscribers; a call
//! writes its request whole itself when nothing else is queued, and one
//! writer task writes what does queue up. Each command and answer is logged
//! through `tracing` at debug level (the lines themselves at trace level).

pub mod agent;
mod call;
mod client;
mod conn;
mod error;
mod outbox;
mod probe;
mod subscription;
mod transport;

pub mod blocking;

pub use call::{Execute, Negotiate, NegotiateError};
pub use client::{
    Client, Connector, InBand, OobState, OutOfBand, ServerGreeting, DEFAULT_EVENT_QUEUE_LIMIT,
    DEFAULT_MAX_MESSAGE_SIZE,
};
pub use error::{Error, MALFORMED_EXCERPT};
pub use probe::{Differences, Probe};
pub use qmp_types;
pub use qmp_types::mode::{Handshake, Operational};
pub use qmp_types::{commands, events, mode, types, wire};
pub use subscription::{EventItem, Subscription};
