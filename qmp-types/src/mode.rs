//! The protocol's two modes, as types.
//!
//! A QMP server starts in [`Handshake`] mode, where only capability
//! negotiation is allowed, and switches to [`Operational`] mode when the
//! negotiation command succeeds. Each command says in which modes it may run
//! by implementing [`AllowedIn<Handshake>`], [`AllowedIn<Operational>`], or
//! both; an executor for mode `M` bounds its commands on [`AllowedIn<M>`],
//! so running a command in the wrong mode does not compile, and the
//! compiler's message says what to do instead.
//!
//! ```
//! use qmp_types::mode::{AllowedIn, Handshake, Mode, Operational};
//! use qmp_types::Command;
//!
//! /// A stand-in for a client in mode `M`.
//! struct Client<M: Mode>(std::marker::PhantomData<M>);
//!
//! impl<M: Mode> Client<M> {
//!     fn execute<C: Command + AllowedIn<M>>(&self, _command: C) {}
//! }
//! ```

use std::fmt;

use crate::Command;

mod sealed {
    pub trait Sealed {}
}

/// One of the two protocol modes.
pub trait Mode: sealed::Sealed + Send + Sync + fmt::Debug + 'static {
    /// The mode as the QMP specification names it.
    const NAME: &'static str;
}

/// Capabilities negotiation: right after the greeting, until the
/// negotiation command succeeds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Handshake;

/// Normal operation: every command but negotiation, and events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Operational;

impl sealed::Sealed for Handshake {}
impl sealed::Sealed for Operational {}

impl Mode for Handshake {
    const NAME: &'static str = "capabilities negotiation";
}

impl Mode for Operational {
    const NAME: &'static str = "command";
}

/// A command that may run in mode `M`: the bound an executor in mode `M`
/// puts on its commands.
///
/// Generated code and `#[derive(Command)]` implement it for the modes a
/// command allows: `AllowedIn<Handshake>` for `qmp_capabilities` (and any
/// other negotiation command), `AllowedIn<Operational>` for every other
/// command, both for a command allowed in either mode.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run on a client in {M} mode",
    label = "not allowed in {M} mode",
    note = "before negotiation (`Client<Handshake>`) only negotiation commands such as \
            `qmp_capabilities` run: call `.negotiate(..)` first, which gives a `Client<Operational>`",
    note = "after negotiation (`Client<Operational>`) negotiation commands are refused: \
            `.negotiate(..)` has already run `qmp_capabilities`"
)]
pub trait AllowedIn<M: Mode>: Command {}

/// The modes a command may run in, for code that checks at run time (a
/// server, or a client's untyped escape hatch).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modes {
    /// Only during capabilities negotiation.
    Handshake,
    /// Only after negotiation: QEMU's rule for every command but
    /// `qmp_capabilities`.
    Operational,
    /// In either mode.
    Both,
}

impl Modes {
    /// Whether a command with these modes may run in handshake mode.
    pub fn allows_handshake(self) -> bool {
        matches!(self, Modes::Handshake | Modes::Both)
    }

    /// Whether a command with these modes may run in operational mode.
    pub fn allows_operational(self) -> bool {
        matches!(self, Modes::Operational | Modes::Both)
    }
}
