//! The protocol's two modes, and what a command may do in them, as types.
//!
//! A QMP server starts in [`Handshake`] mode (capabilities negotiation),
//! where it accepts only handshake commands, and switches to
//! [`Operational`] mode when a *negotiation command* succeeds: QEMU's
//! `qmp_capabilities`, or the early specification's `qmp_switch_mode`.
//!
//! Each command states what it may do by implementing marker traits, which
//! the generator and `#[derive(Command)]` write from the schema:
//!
//! | trait | the command | example |
//! | --- | --- | --- |
//! | [`OperationalCommand`] | runs after negotiation | `query-status` |
//! | [`HandshakeCommand`] | runs during negotiation and leaves the mode as it is | (none in QEMU) |
//! | [`NegotiationCommand`] | ends negotiation: the server switches to operational mode | `qmp_capabilities` |
//! | [`OobCommand`] | may be sent out of band (`exec-oob`) | `migrate-pause` |
//!
//! A client bounds `execute` on the first two, and runs a negotiation
//! command only through its `negotiate` methods, which change the client's
//! type along with the server's mode. Misuse does not compile, and each
//! trait's message says what to do instead:
//!
//! ```
//! use qmp_types::mode::{HandshakeCommand, NegotiationCommand, OperationalCommand};
//!
//! /// A stand-in for a client before negotiation.
//! struct Handshaking;
//! /// ... and after it.
//! struct Operating;
//!
//! impl Handshaking {
//!     fn execute<C: HandshakeCommand>(&self, _command: C) {}
//!     fn negotiate<C: NegotiationCommand>(self, _command: C) -> Operating {
//!         Operating
//!     }
//! }
//!
//! impl Operating {
//!     fn execute<C: OperationalCommand>(&self, _command: C) {}
//! }
//!
//! let client = Handshaking.negotiate(qmp_types::commands::QmpCapabilities::default());
//! client.execute(qmp_types::commands::QueryStatus::new());
//! ```
//!
//! [`Modes`] is the same fact as a value, for code that checks at run
//! time (a server, or a client's untyped escape hatch).

use std::fmt;

use crate::Command;

mod sealed {
    pub trait Sealed {}
}

/// One of the two protocol modes.
pub trait Mode: sealed::Sealed + Send + Sync + fmt::Debug + 'static {
    /// The mode in words, as the QMP specification names it.
    const NAME: &'static str;
}

/// Capabilities negotiation: right after the greeting, until a negotiation
/// command succeeds.
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

/// A command that may run after capabilities negotiation, in operational
/// mode: every QEMU command but `qmp_capabilities`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run after capabilities negotiation",
    label = "not a command of operational mode",
    note = "the client has already negotiated: a negotiation command such as \
            `qmp_capabilities` runs once, through `.negotiate(..)` or \
            `.negotiate_with(..)` on the handshake client, which they consume",
    note = "a guest agent command (`qmp_types::agent`) is sent with `qmp_client::agent::Agent`"
)]
pub trait OperationalCommand: Command {}

/// A command that may run during capabilities negotiation without ending
/// it. QEMU has none; the specification allows them, and a schema marks
/// them with the `qmp-handshake` feature.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be executed during capabilities negotiation",
    label = "not a command of handshake mode",
    note = "negotiate first: `.negotiate(&[..])` runs QEMU's `qmp_capabilities`, \
            `.negotiate_with(command)` another schema's negotiation command (which \
            runs only that way, never through `.execute(..)`); the operational \
            client they give runs every other command"
)]
pub trait HandshakeCommand: Command {}

/// A command that ends capabilities negotiation: when it succeeds, the
/// server switches to operational mode. QEMU's `qmp_capabilities`; a schema
/// marks any other with the `qmp-negotiation` feature (the early
/// specification's `qmp_switch_mode`).
///
/// A client runs it only through its `negotiate` methods, never through
/// `execute`, so that the client's type always matches the server's mode.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not end capabilities negotiation",
    label = "not a negotiation command",
    note = "negotiation needs the schema's negotiation command, such as QEMU's \
            `qmp_capabilities` or the early specification's `qmp_switch_mode`; \
            a schema marks its own with the `qmp-negotiation` feature"
)]
pub trait NegotiationCommand: Command {}

/// A command that may be sent out of band (`exec-oob`): its schema
/// definition says `allow-oob`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run out of band",
    label = "its schema definition does not allow out-of-band execution",
    note = "run it in band with `.execute(..)`; only commands whose schema \
            definition says `allow-oob` run with `.execute_oob(..)`"
)]
pub trait OobCommand: Command {}

/// The modes a command may run in, as a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modes {
    /// Only during capabilities negotiation, which it leaves going on.
    Handshake,
    /// Only during capabilities negotiation, which it ends when it
    /// succeeds: the server switches to operational mode.
    Negotiation,
    /// Only after negotiation: QEMU's rule for every command but
    /// `qmp_capabilities`.
    Operational,
    /// In either mode, changing neither.
    Both,
}

/// The feature that marks a schema's own negotiation command (the early
/// specification's `qmp_switch_mode`).
pub const NEGOTIATION_FEATURE: &str = "qmp-negotiation";
/// The feature that marks a command of handshake mode that leaves it going
/// on.
pub const HANDSHAKE_FEATURE: &str = "qmp-handshake";
/// The feature that marks a command of both modes.
pub const ANY_MODE_FEATURE: &str = "qmp-any-mode";

impl Modes {
    /// The rule every part of the project follows for a command's modes
    /// (the generator, `#[derive(Command)]`, a server reading an
    /// introspection): one with the [`ANY_MODE_FEATURE`] runs in both
    /// modes, one with the [`NEGOTIATION_FEATURE`] (or named
    /// `qmp_capabilities`) ends negotiation, one with the
    /// [`HANDSHAKE_FEATURE`] runs during it, and every other command runs
    /// after it.
    ///
    /// ```
    /// use qmp_types::mode::Modes;
    /// assert_eq!(Modes::by_rule("qmp_capabilities", |_| false), Modes::Negotiation);
    /// assert_eq!(Modes::by_rule("query-status", |_| false), Modes::Operational);
    /// ```
    pub fn by_rule(name: &str, has_feature: impl Fn(&str) -> bool) -> Modes {
        if has_feature(ANY_MODE_FEATURE) {
            Modes::Both
        } else if has_feature(NEGOTIATION_FEATURE) || name == "qmp_capabilities" {
            Modes::Negotiation
        } else if has_feature(HANDSHAKE_FEATURE) {
            Modes::Handshake
        } else {
            Modes::Operational
        }
    }

    /// Whether a command with these modes may run in handshake mode.
    pub fn allows_handshake(self) -> bool {
        matches!(self, Modes::Handshake | Modes::Negotiation | Modes::Both)
    }

    /// Whether a command with these modes may run in operational mode.
    pub fn allows_operational(self) -> bool {
        matches!(self, Modes::Operational | Modes::Both)
    }

    /// Whether a command with these modes ends negotiation.
    pub fn switches_mode(self) -> bool {
        self == Modes::Negotiation
    }
}
