//! From a request to its answer: the protocol's mode rules, the built-in
//! commands, argument checks and the handler, in QEMU's order.
//!
//! 1. The command is looked up: unknown, or not allowed in the current
//!    mode, is `CommandNotFound`. In handshake mode the text is always
//!    `Expecting capabilities negotiation with '<negotiation command>'`,
//!    as QEMU rewrites it.
//! 2. `exec-oob` for a command without `allow-oob` is refused.
//! 3. The arguments are checked against the schema ([`crate::validate`]).
//! 4. The negotiation command, run after negotiation, answers "Capabilities
//!    negotiation is already complete, command ignored" (QEMU checks this
//!    in the command itself, after its arguments); before it, enables the
//!    capabilities asked for (its `enable` member) if all are offered, and
//!    switches to operational mode; when the router has a handler for it,
//!    only if the handler succeeds.
//! 5. Anything else runs its handler, or is a built-in command.
//!
//! For the guest agent's protocol (a schema without a negotiation
//! command) there are no modes: every connection is operational from the
//! start, and `guest-sync` and `guest-sync-delimited` are answered first,
//! once their arguments are checked.

use serde_json::{Map, Value};

use qmp_types::mode::Modes;
use qmp_types::wire::ErrorClass;

use crate::request::{Refusal, Request};
use crate::router::{Answering, Fds};
use crate::server::Shared;
use crate::validate;

/// What a connection has negotiated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Negotiated {
    /// In operational mode.
    pub operational: bool,
    /// Out-of-band execution enabled.
    pub oob: bool,
}

/// What to do with a request that passed the checks.
pub(crate) enum Action {
    /// Answer this return value (JSON text) at once.
    Return(String),
    /// The same, after the guest agent's `0xFF` byte
    /// (`guest-sync-delimited`).
    Delimited(String),
    /// Switch to operational mode with these capabilities, answering `{}`.
    Negotiate(Negotiated),
    /// Run a handler; if it succeeds and this is set, switch to
    /// operational mode with these capabilities.
    Run(Answering, Option<Negotiated>),
}

/// The built-in commands, answered by the server itself when the schema
/// defines them.
pub(crate) const BUILT_IN: [&str; 3] = ["query-version", "query-commands", "query-qmp-schema"];

/// The guest agent's built-in commands: they echo their `id` argument
/// (the second after a `0xFF` byte), to resynchronize a client.
pub(crate) const AGENT_BUILT_IN: [&str; 2] = ["guest-sync", "guest-sync-delimited"];

/// Checks `request` against the mode and the schema, and says what to do.
pub(crate) fn prepare<S: Clone + Send + Sync + 'static>(
    shared: &Shared<S>,
    mode: Negotiated,
    request: Request,
    fds: impl FnOnce() -> Fds,
) -> Result<Action, Refusal> {
    let Request {
        name,
        oob,
        arguments,
        id,
    } = request;
    let refuse = |class: ErrorClass, desc: String| Refusal {
        class,
        desc,
        id: id.clone(),
    };
    let not_found = || {
        let desc = if mode.operational {
            format!("The command {name} has not been found")
        } else {
            format!(
                "Expecting capabilities negotiation with '{}'",
                shared.schema.negotiation_command()
            )
        };
        refuse(ErrorClass::CommandNotFound, desc)
    };
    if shared.agent && !oob && AGENT_BUILT_IN.contains(&name.as_str()) {
        if let Some(info) = shared.schema.command(&name) {
            validate::arguments(&shared.schema, info.arg_type, &arguments)
                .map_err(|desc| refuse(ErrorClass::GenericError, desc))?;
        }
        let echoed = arguments
            .get("id")
            .map_or("null".to_owned(), Value::to_string);
        return Ok(if name == "guest-sync" {
            Action::Return(echoed)
        } else {
            Action::Delimited(echoed)
        });
    }
    let negotiation = !shared.agent && name == shared.schema.negotiation_command();
    let route = shared.router.get(&name);
    // The test double's fallback takes every command after negotiation,
    // built-ins too.
    let fallback = shared
        .router
        .fallback
        .as_ref()
        .filter(|_| route.is_none() && mode.operational && !oob && !negotiation);
    if let Some(fallback) = fallback {
        return Ok(Action::Run(
            fallback(shared.state.clone(), name, arguments),
            None,
        ));
    }
    let (modes, allow_oob) = match (route, shared.schema.command(&name)) {
        (Some(route), _) => (route.modes, route.allow_oob),
        (None, Some(info)) if negotiation || BUILT_IN.contains(&name.as_str()) => {
            (info.modes, info.allow_oob)
        }
        _ => return Err(not_found()),
    };
    let allowed = if mode.operational {
        // The negotiation command is found after negotiation too, and
        // refuses itself once its arguments are checked.
        modes.allows_operational() || modes == Modes::Negotiation
    } else {
        modes.allows_handshake()
    };
    if !allowed {
        return Err(not_found());
    }
    if oob && !allow_oob {
        return Err(refuse(
            ErrorClass::GenericError,
            format!("The command {name} does not support OOB"),
        ));
    }
    if let Some(info) = shared.schema.command(&name) {
        validate::arguments(&shared.schema, info.arg_type, &arguments)
            .map_err(|desc| refuse(ErrorClass::GenericError, desc))?;
    }
    if negotiation && mode.operational {
        return Err(refuse(
            ErrorClass::CommandNotFound,
            "Capabilities negotiation is already complete, command ignored".to_owned(),
        ));
    }
    let switch = if negotiation {
        Some(negotiate(shared, &arguments).map_err(|desc| refuse(ErrorClass::GenericError, desc))?)
    } else {
        None
    };
    match (route, switch) {
        // A handler of the negotiation command decides whether it succeeds.
        (Some(route), switch) => Ok(Action::Run(
            route.call(shared.state.clone(), arguments, fds()),
            switch,
        )),
        (None, Some(switch)) => Ok(Action::Negotiate(switch)),
        (None, None) => Ok(Action::Return(match name.as_str() {
            "query-version" => shared.version.to_string(),
            "query-commands" => shared.commands.to_string(),
            _ => shared.introspection.to_string(),
        })),
    }
}
/// Negotiation: the capabilities in `enable` (if the command has that
/// member), each of which must be offered.
fn negotiate<S>(shared: &Shared<S>, arguments: &Map<String, Value>) -> Result<Negotiated, String> {
    let asked: Vec<&str> = match arguments.get("enable") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let unavailable: Vec<&str> = asked
        .iter()
        .copied()
        .filter(|c| !shared.capabilities.iter().any(|offered| offered == c))
        .collect();
    if !unavailable.is_empty() {
        return Err(format!(
            "Capability {} not available",
            unavailable.join(", ")
        ));
    }
    Ok(Negotiated {
        operational: true,
        oob: asked.contains(&"oob"),
    })
}
