//! QEMU's guest agent (`qemu-ga`): [`AgentCommand`], what a typed command
//! of the agent tells the code that sends it, and the bindings of the
//! project's agent schema, `schema/qga/` (`commands` and `types`, feature
//! `agent`, on by default).
//!
//! The agent reads the same JSON command language as a QMP server, but it
//! is another protocol: it sends no greeting, has no capabilities
//! negotiation and so no modes, no events and no out-of-band execution.
//! Its commands are therefore not [`Command`](crate::Command)s: a QMP
//! client does not take them, and an agent client takes nothing else, so
//! sending a command to the wrong peer does not compile.
//!
//! ```
//! use qmp_types::agent::AgentCommand;
//! use qmp_types::agent::commands::{GuestInfo, GuestShutdown};
//!
//! assert_eq!(GuestInfo::NAME, "guest-info");
//! // The agent answers nothing when a shutdown succeeds.
//! assert!(!GuestShutdown::SUCCESS_RESPONSE);
//! ```

use serde::de::DeserializeOwned;
use serde::Serialize;

#[cfg(feature = "agent")]
#[rustfmt::skip]
mod generated;

#[cfg(feature = "agent")]
pub use generated::{commands, types, DOCS, INTROSPECTION};

/// The byte the agent writes before its answer to `guest-sync-delimited`,
/// and a client before the request, to resynchronize: it never occurs in
/// UTF-8, so whatever came before it is stale.
pub const SENTINEL: u8 = 0xFF;

/// A command of QEMU's guest agent: its arguments are `Self`, serialized
/// as the request's `arguments` object.
///
/// Implemented by code generated from a guest agent schema
/// (`Builder::protocol(Protocol::GuestAgent)` in `qmp-codegen`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a command of the guest agent",
    label = "not a guest agent command",
    note = "the guest agent's commands are in `qmp_types::agent::commands`; a QMP \
            command goes to QEMU's monitor, through `qmp_client::Client`"
)]
pub trait AgentCommand: Serialize {
    /// The command's name on the wire (`guest-info`).
    const NAME: &'static str;
    /// Whether the agent answers on success: `false` for the commands whose
    /// success is seen otherwise (`guest-shutdown`, `guest-suspend-*`),
    /// which are answered only when they fail.
    const SUCCESS_RESPONSE: bool = true;
    /// What a successful execution returns.
    type Returns: DeserializeOwned;
}
