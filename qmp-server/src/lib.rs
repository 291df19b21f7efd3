//! A QEMU Machine Protocol server: typed handlers per command, the
//! protocol's modes enforced with QEMU's errors, events, and a scripted
//! test double for code that drives QEMU.
//!
//! ```no_run
//! use qmp_server::{CommandError, Router, Schema, Server};
//! use qmp_types::commands::QueryStatus;
//! use qmp_types::types::{RunState, StatusInfo};
//!
//! async fn query_status(_: (), _: QueryStatus) -> Result<StatusInfo, CommandError> {
//!     Ok(StatusInfo::new(true, RunState::Running))
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let router = Router::new().route(query_status);
//! let server = Server::builder(Schema::bindings(), router).build(());
//! server.listen_unix("/tmp/qmp.sock").await
//! # }
//! ```
//!
//! - [`Server`]: listens on Unix sockets and TCP, or serves one byte stream
//!   (stdio); a task per connection, a connection limit, graceful
//!   [`shutdown`](Server::shutdown), [`emit`](Server::emit) of typed
//!   events to every connection in operational mode;
//! - [`Router`]: handlers registered per generated command type, so that a
//!   handler cannot answer with the wrong type;
//! - [`Schema`]: the introspection the server checks arguments against and
//!   reports through `query-qmp-schema`;
//! - [`testing`]: a scripted server for the tests of code that drives QEMU.
//!
//! # The protocol as QEMU speaks it
//!
//! The server greets, accepts only the schema's negotiation command (and
//! any handshake commands) until it succeeds, then every command and
//! events. Wrong-mode commands, unknown commands, malformed requests and
//! bad arguments get QEMU 10.0's error classes and texts; a differential
//! test sends the same lines to `qemu-storage-daemon` and to this server
//! and compares the answers. Where this server knowingly differs:
//!
//! - **Messages are JSON values, as QEMU reads them**: a request ends
//!   where its object does, newline or not (QEMU's own Python client sends
//!   none), and may span lines. But a message that is bad JSON is
//!   answered once, where QEMU's parser answers each bad token after the
//!   first on its own; and a value nested past QEMU's limit is refused
//!   once, at its end, where QEMU refuses it at the limit and then each
//!   bracket left.
//! - **Strict JSON.** QEMU also takes single-quoted strings; this server
//!   does not. A JSON syntax error names serde_json's reason where QEMU's
//!   parser has no equivalent text ("JSON parse error, ..." either way).
//! - **Which member is named first**: with several unexpected members in
//!   a request or its arguments, QEMU names the first in its hash table's
//!   order, this server the first in the request.
//! - **Size limit**: a message longer than the limit
//!   ([`ServerBuilder::max_message_size`], 16 MiB by default) is answered
//!   with "QMP input exceeds the limit of N bytes"; QEMU's limits are on
//!   tokens (64 MiB together, 2 Mi of them), with its own texts.
//! - **Numbers**: a number too large for a 64-bit float (`1e400`) is a
//!   syntax error here; QEMU reads it as infinity.

mod connection;
mod dispatch;
mod fds;
mod frame;
mod request;
mod router;
mod schema;
mod server;
mod style;
pub mod testing;
pub mod toy;
mod validate;

pub use router::{CommandError, Fds, Router};
pub use schema::{Schema, SchemaError};
pub use server::{
    Emitter, Server, ServerBuilder, DEFAULT_EVENT_BUFFER, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_MESSAGE_SIZE,
};

/// The shared runtime crate, re-exported: the generated bindings and the
/// wire format.
pub use qmp_types;
