//! The emitter: checked model to Rust source.
//!
//! The output has three modules: `types` (enums, structs, unions,
//! alternates), `commands` (one struct per command, implementing `Command`)
//! and `events` (one struct per event, implementing `Event`, and the
//! `AnyEvent` enum of them all). Commands and events get modules of their own
//! because QAPI lets a command and an event share a name (`stop` and `STOP`).
//! For the guest agent ([`Protocol::GuestAgent`]) commands implement
//! `agent::AgentCommand` instead, and there is no `events` module.
//!
//! Forward compatibility, one rule everywhere: **decoding never fails on
//! something a newer QEMU adds.** Unknown members are ignored; an unknown
//! enum value is kept in the enum's `Unrecognized(String)` variant; an
//! unknown union branch in the union's `Unrecognized(Map)` variant; an
//! unknown event in `AnyEvent::Unknown`.
//!
//! Conditions (`if`) and the `unstable` feature: every definition is
//! generated whatever its condition, with the condition (and instability)
//! stated in its docs; a server without it answers with an error at run
//! time. `deprecated` becomes `#[deprecated]`.
//!
//! The emitter reads only the model; it never looks at syntax and never
//! re-checks the schema, except for what only Rust cares about: two QAPI
//! names that become the same Rust name are an error naming both.

mod docs;
mod items;
mod names;

use std::collections::HashMap;

use proc_macro2::TokenStream;

use crate::diagnostic::Diagnostic;
use crate::model::Schema;
use crate::source::Span;

/// In which protocol modes a command may run, and whether it ends
/// capabilities negotiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandModes {
    /// Capabilities negotiation only, which it leaves going on.
    Handshake,
    /// Capabilities negotiation only, which it ends: the server switches
    /// to operational mode (`qmp_capabilities`).
    Negotiation,
    /// After negotiation only.
    Operational,
    /// Either, changing neither.
    Both,
}

impl CommandModes {
    /// The mode rule, for a command that does not override it: one with
    /// the [`ANY_MODE_FEATURE`] runs in both modes, one with the
    /// [`NEGOTIATION_FEATURE`] (or named `qmp_capabilities`) ends
    /// negotiation, one with the [`HANDSHAKE_FEATURE`] runs during it, and
    /// every other command runs after it.
    pub fn by_rule(name: &str, has_feature: impl Fn(&str) -> bool) -> CommandModes {
        // One rule, in the runtime crate, which a server applies too.
        match qmp_types::mode::Modes::by_rule(name, has_feature) {
            qmp_types::mode::Modes::Both => CommandModes::Both,
            qmp_types::mode::Modes::Negotiation => CommandModes::Negotiation,
            qmp_types::mode::Modes::Handshake => CommandModes::Handshake,
            qmp_types::mode::Modes::Operational => CommandModes::Operational,
        }
    }

    /// The name of the runtime's `mode::Modes` variant.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            CommandModes::Handshake => "Handshake",
            CommandModes::Negotiation => "Negotiation",
            CommandModes::Operational => "Operational",
            CommandModes::Both => "Both",
        }
    }
}

/// The marker traits of the runtime's `mode` module that a command with
/// these modes implements; the one rule both the emitter and
/// `#[derive(Command)]` follow.
pub(crate) fn mode_traits(modes: CommandModes, allow_oob: bool) -> Vec<&'static str> {
    let mut traits = match modes {
        CommandModes::Handshake => vec!["HandshakeCommand"],
        CommandModes::Negotiation => vec!["NegotiationCommand"],
        CommandModes::Operational => vec!["OperationalCommand"],
        CommandModes::Both => vec!["HandshakeCommand", "OperationalCommand"],
    };
    if allow_oob {
        traits.push("OobCommand");
    }
    traits
}

/// Feature that marks a command as allowed in both modes.
pub use qmp_types::mode::ANY_MODE_FEATURE;
/// Feature that marks a command that runs during capabilities
/// negotiation without ending it.
pub use qmp_types::mode::HANDSHAKE_FEATURE;
/// Feature that marks the command that ends capabilities negotiation
/// (the early specification's `qmp_switch_mode`; QEMU's
/// `qmp_capabilities` needs no mark).
///
/// QEMU's generator accepts any feature name, so a schema can say this
/// without leaving QAPI.
pub use qmp_types::mode::NEGOTIATION_FEATURE;

/// The protocol whose peer runs the schema's commands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// QMP, QEMU's monitor: commands implement the runtime's `Command` and
    /// the mode markers, events the `Event` trait.
    #[default]
    Qmp,
    /// QEMU's guest agent: commands implement the runtime's
    /// `agent::AgentCommand` and nothing else. The agent has no modes, no
    /// events and no out-of-band execution, so a schema that declares
    /// them (an event, `allow-oob`, a mode feature) is an error.
    GuestAgent,
}

/// What to generate, and how.
#[derive(Clone, Debug)]
pub struct Config {
    /// The path of the runtime crate in generated code: `::qmp_types` for
    /// downstream crates, `crate` inside `qmp-types` itself.
    pub runtime: String,
    /// Commands (by wire name) whose modes differ from the rule of
    /// [`CommandModes::by_rule`].
    pub modes: Vec<(String, CommandModes)>,
    /// The peer the commands are for.
    pub protocol: Protocol,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            runtime: "::qmp_types".to_owned(),
            modes: Vec::new(),
            protocol: Protocol::Qmp,
        }
    }
}

/// Generated source, one string per module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// The `types` module.
    pub types: String,
    /// The `commands` module.
    pub commands: String,
    /// The `events` module; empty for the guest agent
    /// ([`Protocol::GuestAgent`]), which has none.
    pub events: String,
    /// What `query-qmp-schema` would report for the schema, type names
    /// kept, every condition present and integer types kept apart, when
    /// asked for ([`Builder::introspection`](crate::Builder::introspection)).
    pub introspection: Option<String>,
}

/// The doc comment of the generated `INTROSPECTION` constant, as `///`
/// lines (the same for [`Generated::single_file`] and `cargo xtask
/// codegen`).
pub const INTROSPECTION_DOC: &str = "\
/// The schema as `query-qmp-schema` would report it, type names kept and
/// every condition present: for checking arguments by type and for
/// comparing a server with the bindings.
///
/// Integer types keep their width: each of `int8` … `uint64` and `size`
/// is a `builtin` of its own (`json-type` `int`), and arrays of them are
/// named after it (`[uint8]`), where QEMU reports them all as `int`.
/// `qmp_types::introspection::merge_integer_widths` of the parsed entries
/// gives what QEMU reports; compare a server with that.
";

impl Generated {
    /// The three modules inline in one file, for `include!` from `OUT_DIR`.
    pub fn single_file(&self) -> String {
        let mut out = String::new();
        for (name, body) in [
            ("types", &self.types),
            ("commands", &self.commands),
            ("events", &self.events),
        ] {
            if name == "events" && body.is_empty() {
                // A guest agent schema: no events module at all.
                continue;
            }
            out.push_str(&format!("pub mod {name} {{\n{body}}}\n"));
        }
        if let Some(json) = &self.introspection {
            out.push_str(&format!(
                "{INTROSPECTION_DOC}pub const INTROSPECTION: &str = {json:?};\n"
            ));
        }
        out
    }
}

/// Token streams of the three modules, before formatting.
#[derive(Clone, Debug)]
pub struct Tokens {
    /// The `types` module.
    pub types: TokenStream,
    /// The `commands` module.
    pub commands: TokenStream,
    /// The `events` module; empty for the guest agent.
    pub events: TokenStream,
}

impl Tokens {
    /// The three modules as inline `pub mod`s.
    pub fn inline_modules(&self) -> TokenStream {
        let Tokens {
            types,
            commands,
            events,
        } = self;
        // A guest agent schema has no events module at all.
        let events = (!events.is_empty()).then(|| quote::quote!(pub mod events { #events }));
        quote::quote! {
            pub mod types { #types }
            pub mod commands { #commands }
            #events
        }
    }
}

/// Generates the token streams for a checked schema.
pub fn tokens(schema: &Schema, config: &Config) -> Result<Tokens, Vec<Diagnostic>> {
    items::Emitter::new(schema, config).emit()
}

/// Generates formatted source for a checked schema.
pub fn generate(schema: &Schema, config: &Config) -> Result<Generated, Vec<Diagnostic>> {
    let tokens = tokens(schema, config)?;
    Ok(Generated {
        types: format(tokens.types),
        commands: format(tokens.commands),
        events: format(tokens.events),
        introspection: None,
    })
}

/// Formats a module body with prettyplease, with a blank line between
/// top-level items as a person would write them.
fn format(tokens: TokenStream) -> String {
    let formatted = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        // The emitter builds valid items; if it ever does not, the raw tokens
        // still compile-fail with a pointer at the problem.
        Err(_) => return tokens.to_string(),
    };
    let mut out = String::with_capacity(formatted.len() + formatted.len() / 16);
    let mut previous = "";
    for line in formatted.lines() {
        let item_ended = previous == "}"
            || previous == ")]"
            || (previous.ends_with(';') && !previous.starts_with([' ', '/']));
        let starts_item = !line.is_empty() && !line.starts_with([' ', '}', ')', ']']);
        if item_ended && starts_item && !previous.starts_with("#!") {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}

/// Records Rust names in one namespace and reports clashes.
#[derive(Default)]
struct Namespace {
    names: HashMap<String, (String, Span)>,
}

impl Namespace {
    /// Claims `rust` for the QAPI thing `what` (e.g. "command 'stop'").
    fn claim(&mut self, rust: &str, what: String, span: Span) -> Result<(), Diagnostic> {
        match self.names.get(rust) {
            Some((other, other_span)) => Err(Diagnostic::language(
                span,
                format!("{what} and {other} both become the Rust name `{rust}`"),
            )
            .with_label(*other_span, format!("{other} is here"))
            .with_help("rename one of them in the schema")),
            None => {
                self.names.insert(rust.to_owned(), (what, span));
                Ok(())
            }
        }
    }
}
