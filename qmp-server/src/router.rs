//! Handlers registered per command type: the [`Router`].
//!
//! A handler is an async function of the server's state and the command's
//! generated argument struct that returns the command's own `Returns` type,
//! so a handler that answers with the wrong type does not compile:
//!
//! ```
//! use qmp_server::{CommandError, Router};
//! use qmp_types::commands::QueryStatus;
//! use qmp_types::types::{RunState, StatusInfo};
//!
//! async fn query_status(_state: (), _: QueryStatus) -> Result<StatusInfo, CommandError> {
//!     Ok(StatusInfo::new(true, RunState::Running))
//! }
//!
//! let router = Router::new().route(query_status);
//! assert!(router.has("query-status"));
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use qmp_types::agent::AgentCommand;
use qmp_types::mode::Modes;
use qmp_types::wire::{ErrorBody, ErrorClass};
use qmp_types::Command;

/// What a handler answers when the command fails: QEMU's error class and
/// text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError {
    /// The error's class: `GenericError` for most.
    pub class: ErrorClass,
    /// What went wrong, for a person.
    pub desc: String,
}

impl CommandError {
    /// A `GenericError`, QEMU's class for most failures.
    pub fn generic(desc: impl Into<String>) -> CommandError {
        CommandError::new(ErrorClass::GenericError, desc)
    }

    /// An error of class `class`.
    pub fn new(class: ErrorClass, desc: impl Into<String>) -> CommandError {
        CommandError {
            class,
            desc: desc.into(),
        }
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class, self.desc)
    }
}

impl std::error::Error for CommandError {}

impl From<ErrorBody> for CommandError {
    fn from(body: ErrorBody) -> CommandError {
        CommandError::new(body.class, body.desc)
    }
}

/// The file descriptors that came with a request (`SCM_RIGHTS`), oldest
/// first: what QEMU's `getfd` and `add-fd` take.
pub type Fds = Vec<OwnedFd>;

/// What a handler's run comes to.
pub(crate) enum Reply {
    /// Success: the return value's JSON text, and event lines to send
    /// after the answer.
    Return(String, Vec<Arc<[u8]>>),
    /// Failure.
    Error(CommandError),
    /// No answer: the connection is closed (a test double's dropped
    /// connection).
    Close,
    /// No answer, the connection going on: a guest agent command that
    /// succeeded without one (`guest-shutdown`), in a test double.
    Silent,
}

impl From<Result<String, CommandError>> for Reply {
    fn from(result: Result<String, CommandError>) -> Reply {
        match result {
            Ok(value) => Reply::Return(value, Vec::new()),
            Err(error) => Reply::Error(error),
        }
    }
}

/// A handler's future, boxed: the router holds handlers of many types.
pub(crate) type Answering = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// A handler for every command the router has no handler for, untyped:
/// the test double's.
pub(crate) type Fallback<S> = Arc<dyn Fn(S, String, Map<String, Value>) -> Answering + Send + Sync>;

/// A handler with its types erased: arguments in, the return value's JSON
/// text out.
trait Erased<S>: Send + Sync {
    fn call(&self, state: S, arguments: Map<String, Value>, fds: Fds) -> Answering;
}

/// A typed handler of command `C` returning `R`, a QMP command's or the
/// guest agent's.
struct Typed<C, R, F> {
    handler: F,
    /// Whether success is answered (`false`: the command's success is
    /// seen otherwise, as `guest-shutdown`'s is).
    success_response: bool,
    command: std::marker::PhantomData<fn() -> (C, R)>,
}

impl<S, C, R, F, Fut> Erased<S> for Typed<C, R, F>
where
    C: DeserializeOwned + Send + 'static,
    R: Serialize,
    F: Fn(S, C, Fds) -> Fut + Send + Sync,
    Fut: Future<Output = Result<R, CommandError>> + Send + 'static,
{
    fn call(&self, state: S, arguments: Map<String, Value>, fds: Fds) -> Answering {
        // The arguments were checked against the schema; this decode fails
        // only for commands outside it, or a schema and type that disagree.
        let command = match serde_json::from_value::<C>(Value::Object(arguments)) {
            Ok(command) => command,
            Err(error) => {
                let error = CommandError::generic(error.to_string());
                return Box::pin(async move { Reply::Error(error) });
            }
        };
        let answer = (self.handler)(state, command, fds);
        let success_response = self.success_response;
        Box::pin(async move {
            let value = match answer.await {
                Ok(_) if !success_response => return Reply::Silent,
                Ok(value) => value,
                Err(error) => return Reply::Error(error),
            };
            crate::style::to_string(&value)
                .map_err(|e| CommandError::generic(format!("the answer cannot be encoded: {e}")))
                .into()
        })
    }
}

/// One registered command.
pub(crate) struct Route<S> {
    handler: Arc<dyn Erased<S>>,
    /// Whether it may run out of band.
    pub allow_oob: bool,
    /// The modes it runs in.
    pub modes: Modes,
}

impl<S> Clone for Route<S> {
    fn clone(&self) -> Self {
        Route {
            handler: Arc::clone(&self.handler),
            allow_oob: self.allow_oob,
            modes: self.modes,
        }
    }
}

impl<S> Route<S> {
    pub(crate) fn call(&self, state: S, arguments: Map<String, Value>, fds: Fds) -> Answering {
        self.handler.call(state, arguments, fds)
    }
}

/// The commands a server runs, each with its handler; `S` is the state
/// every handler gets a clone of.
pub struct Router<S = ()> {
    routes: HashMap<&'static str, Route<S>>,
    pub(crate) fallback: Option<Fallback<S>>,
}

impl<S> Default for Router<S> {
    fn default() -> Self {
        Router {
            routes: HashMap::new(),
            fallback: None,
        }
    }
}

impl<S> fmt::Debug for Router<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.routes.keys().collect();
        names.sort();
        f.debug_struct("Router").field("commands", &names).finish()
    }
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    /// A router without commands (the server still answers its built-in
    /// ones: negotiation, `query-version`, `query-commands`,
    /// `query-qmp-schema`).
    pub fn new() -> Self {
        Router::default()
    }

    /// Runs `handler` for command `C`: `async fn(S, C) -> Result<C::Returns,
    /// CommandError>`. A second handler for the same command replaces the
    /// first.
    pub fn route<C, F, Fut>(self, handler: F) -> Self
    where
        C: Command + DeserializeOwned + Send + 'static,
        C::Returns: Serialize,
        F: Fn(S, C) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<C::Returns, CommandError>> + Send + 'static,
    {
        self.route_with_fds(move |state, command: C, _fds| handler(state, command))
    }

    /// Runs `handler` for command `C`, with the file descriptors that came
    /// with the request and any before it on the connection not yet taken
    /// (QEMU's `getfd`): `async fn(S, C, Fds) -> Result<..>`. Descriptors
    /// come only over a Unix socket.
    pub fn route_with_fds<C, F, Fut>(mut self, handler: F) -> Self
    where
        C: Command + DeserializeOwned + Send + 'static,
        C::Returns: Serialize,
        F: Fn(S, C, Fds) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<C::Returns, CommandError>> + Send + 'static,
    {
        let route = Route {
            handler: Arc::new(Typed {
                handler,
                success_response: C::SUCCESS_RESPONSE,
                command: std::marker::PhantomData::<fn() -> (C, C::Returns)>,
            }),
            allow_oob: C::ALLOW_OOB,
            modes: C::MODES,
        };
        self.routes.insert(C::NAME, route);
        self
    }

    /// Runs `handler` for the guest agent's command `C`, on a server for
    /// an agent schema ([`Schema::agent`](crate::Schema::agent)): `async
    /// fn(S, C) -> Result<C::Returns, CommandError>`, as [`Router::route`]
    /// for QMP. A command the agent answers only on failure
    /// (`guest-shutdown`) is answered with nothing when the handler
    /// succeeds.
    ///
    /// ```
    /// use qmp_server::{CommandError, Router};
    /// use qmp_types::agent::commands::GuestGetHostName;
    /// use qmp_types::agent::types::GuestHostName;
    ///
    /// async fn host_name(_: (), _: GuestGetHostName) -> Result<GuestHostName, CommandError> {
    ///     Ok(GuestHostName::new("fake-guest".into()))
    /// }
    ///
    /// let router = Router::new().route_agent(host_name);
    /// assert!(router.has("guest-get-host-name"));
    /// ```
    pub fn route_agent<C, F, Fut>(mut self, handler: F) -> Self
    where
        C: AgentCommand + DeserializeOwned + Send + 'static,
        C::Returns: Serialize,
        F: Fn(S, C) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<C::Returns, CommandError>> + Send + 'static,
    {
        let route = Route {
            handler: Arc::new(Typed {
                handler: move |state, command: C, _fds| handler(state, command),
                success_response: C::SUCCESS_RESPONSE,
                command: std::marker::PhantomData::<fn() -> (C, C::Returns)>,
            }),
            // The agent has no modes and no out-of-band execution: every
            // command runs from the start.
            allow_oob: false,
            modes: Modes::Both,
        };
        self.routes.insert(C::NAME, route);
        self
    }

    /// Whether command `name` has a handler.
    pub fn has(&self, name: &str) -> bool {
        self.routes.contains_key(name)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Route<S>> {
        self.routes.get(name)
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.routes.keys().copied()
    }
}
