//! A scripted QMP server for the tests of code that drives QEMU: the
//! commands it expects, in order, and what it answers to each.
//!
//! ```
//! use qmp_server::testing::{Script, ScriptedServer};
//! use qmp_server::CommandError;
//! use qmp_types::commands::{Cont, QueryStatus, Stop};
//! use qmp_types::types::{RunState, StatusInfo};
//! use qmp_types::{events, Empty};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let script = Script::new()
//!     .expect(QueryStatus::new())
//!     .returns(StatusInfo::new(true, RunState::Running))
//!     .expect(Stop::new())
//!     .emits(&events::Stop::new())
//!     .returns(Empty {})
//!     .expect(Cont::new())
//!     .fails(CommandError::generic("Resetting the Virtual Machine is required"));
//! let server = ScriptedServer::start(script).unwrap();
//!
//! // The code under test connects to `server.socket()`...
//! let client = qmp_client::Client::connect_unix(server.socket())
//!     .await
//!     .unwrap()
//!     .negotiate(&[])
//!     .await
//!     .unwrap();
//! client.execute(QueryStatus::new()).await.unwrap();
//! client.execute(Stop::new()).await.unwrap();
//! assert!(client.execute(Cont::new()).await.is_err());
//!
//! // ... and the script must have run to its end, exactly.
//! server.finish().await.unwrap();
//! # }
//! ```
//!
//! The greeting and negotiation are the server's own (QEMU's rules, as
//! for any [`Server`]); the script covers the commands after them. Each
//! command is matched on its name and its arguments (as JSON, so the
//! order of members does not matter). A command the script does not
//! expect there is answered with a `GenericError` that says what was
//! expected, and is reported by [`ScriptedServer::finish`], with what was
//! left of the script; so is a script not run to its end. A
//! `ScriptedServer` dropped without `finish` panics if its script went
//! wrong (unless the thread is already panicking).
//!
//! The same for code that drives QEMU's guest agent, without a VM and
//! without an agent acting on the machine the tests run on:
//! [`Script::expect_agent`] takes the agent's commands, and
//! [`ScriptedServer::start_agent`] speaks as the agent does (no greeting,
//! `guest-sync` and `guest-sync-delimited` answered by the server itself,
//! no answer where the script says [`ExpectAgent::answers_nothing`]).
//!
//! ```
//! use qmp_server::testing::{Script, ScriptedServer};
//! use qmp_types::agent::commands::{GuestGetHostName, GuestShutdown};
//! use qmp_types::agent::types::GuestHostName;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let script = Script::new()
//!     .expect_agent(GuestGetHostName::new())
//!     .returns(GuestHostName::new("guest".to_owned()))
//!     .expect_agent(GuestShutdown::new())
//!     .answers_nothing();
//! let server = ScriptedServer::start_agent(script).unwrap();
//!
//! let agent = qmp_client::agent::Agent::connect_unix(server.socket()).await.unwrap();
//! assert_eq!(agent.execute(GuestGetHostName::new()).await.unwrap().host_name, "guest");
//! agent.execute(GuestShutdown::new()).await.unwrap();
//! agent.sync().await.unwrap(); // the double has read the shutdown
//! server.finish().await.unwrap();
//! # }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use qmp_types::agent::AgentCommand;
use qmp_types::{Command, Event};

use crate::router::{CommandError, Reply, Router};
use crate::schema::Schema;
use crate::server::{event_line, Server};

/// The commands a [`ScriptedServer`] expects, in order, with their
/// answers.
#[derive(Debug, Default)]
pub struct Script {
    steps: VecDeque<Step>,
}

#[derive(Debug)]
struct Step {
    name: String,
    arguments: Value,
    delay: Option<Duration>,
    events: Vec<Arc<[u8]>>,
    answer: Answer,
}

#[derive(Debug)]
enum Answer {
    Return(String),
    Error(CommandError),
    Close,
    Nothing,
}

/// One expected command, waiting for its answer: call
/// [`returns`](Expect::returns), [`fails`](Expect::fails) or
/// [`disconnects`](Expect::disconnects).
#[must_use = "an expectation needs its answer: returns, fails or disconnects"]
#[derive(Debug)]
pub struct Expect<C: Command> {
    pending: Pending,
    command: std::marker::PhantomData<fn() -> C>,
}

/// A step waiting for its answer, and the script it goes to: what
/// [`Expect`] and [`ExpectAgent`] share.
#[derive(Debug)]
struct Pending {
    script: Script,
    step: Step,
}

impl Pending {
    /// Expects the command `name` with `command`'s arguments.
    fn new<A: Serialize>(script: Script, name: &str, command: &A) -> Pending {
        let arguments = serde_json::to_value(command).unwrap_or(Value::Null);
        Pending {
            script,
            step: Step {
                name: name.to_owned(),
                arguments: normalize(arguments),
                delay: None,
                events: Vec::new(),
                answer: Answer::Close,
            },
        }
    }

    /// Answers with `value`, serialized as the server writes JSON.
    fn returns<T: Serialize>(self, value: &T) -> Script {
        let text = crate::style::to_string(value).unwrap_or_else(|_| "{}".to_owned());
        self.answer(Answer::Return(text))
    }

    /// Ends the step with `answer`, and gives the script back.
    fn answer(mut self, answer: Answer) -> Script {
        self.step.answer = answer;
        self.script.steps.push_back(self.step);
        self.script
    }
}

impl Script {
    /// An empty script.
    pub fn new() -> Script {
        Script::default()
    }

    /// Expects `command` next, with exactly its arguments.
    pub fn expect<C: Command>(self, command: C) -> Expect<C> {
        Expect {
            pending: Pending::new(self, C::NAME, &command),
            command: std::marker::PhantomData,
        }
    }

    /// Expects the guest agent's `command` next, with exactly its
    /// arguments: a script for [`ScriptedServer::start_agent`].
    pub fn expect_agent<C: AgentCommand>(self, command: C) -> ExpectAgent<C> {
        ExpectAgent {
            pending: Pending::new(self, C::NAME, &command),
            command: std::marker::PhantomData,
        }
    }

    /// How many commands are still expected.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether no command is expected.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl<C: Command> Expect<C> {
    /// Waits `delay` before answering (a slow QEMU).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.pending.step.delay = Some(delay);
        self
    }

    /// Sends `event` after the answer, on the same connection.
    pub fn emits<E: Event>(mut self, event: &E) -> Self {
        self.pending.step.events.extend(event_line(E::NAME, event));
        self
    }

    /// Answers with `value`, of the command's own return type.
    pub fn returns(self, value: C::Returns) -> Script
    where
        C::Returns: Serialize,
    {
        self.pending.returns(&value)
    }

    /// Answers with the error `error`.
    pub fn fails(self, error: CommandError) -> Script {
        self.pending.answer(Answer::Error(error))
    }

    /// Closes the connection instead of answering (QEMU crashing or
    /// quitting mid-command).
    pub fn disconnects(self) -> Script {
        self.pending.answer(Answer::Close)
    }
}

/// One expected guest agent command, waiting for its answer: call
/// [`returns`](ExpectAgent::returns), [`fails`](ExpectAgent::fails),
/// [`answers_nothing`](ExpectAgent::answers_nothing) or
/// [`disconnects`](ExpectAgent::disconnects). The agent sends no events.
#[must_use = "an expectation needs its answer: returns, fails, answers_nothing or disconnects"]
#[derive(Debug)]
pub struct ExpectAgent<C: AgentCommand> {
    pending: Pending,
    command: std::marker::PhantomData<fn() -> C>,
}

impl<C: AgentCommand> ExpectAgent<C> {
    /// Waits `delay` before answering (a busy guest).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.pending.step.delay = Some(delay);
        self
    }

    /// Answers with `value`, of the command's own return type.
    pub fn returns(self, value: C::Returns) -> Script
    where
        C::Returns: Serialize,
    {
        self.pending.returns(&value)
    }

    /// Answers with the error `error`.
    pub fn fails(self, error: CommandError) -> Script {
        self.pending.answer(Answer::Error(error))
    }

    /// Sends no answer, as the agent does when `guest-shutdown` or
    /// `guest-suspend-*` succeed; the connection goes on.
    pub fn answers_nothing(self) -> Script {
        self.pending.answer(Answer::Nothing)
    }

    /// Closes the connection instead of answering (the guest going away
    /// mid-command).
    pub fn disconnects(self) -> Script {
        self.pending.answer(Answer::Close)
    }
}

/// Arguments as compared: a command without members is `{}`.
fn normalize(arguments: Value) -> Value {
    match arguments {
        Value::Null => Value::Object(Map::new()),
        other => other,
    }
}

/// What went wrong with a script: every unexpected command, and what was
/// left unrun.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    /// One line (or block) per problem.
    pub problems: Vec<String>,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the scripted QMP server saw {} problem(s):",
            self.problems.len()
        )?;
        for problem in &self.problems {
            writeln!(f, "- {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScriptError {}

#[derive(Debug, Default)]
struct Progress {
    steps: VecDeque<Step>,
    /// Commands run so far.
    ran: usize,
    problems: Vec<String>,
}

impl Progress {
    fn lock(progress: &Mutex<Progress>) -> std::sync::MutexGuard<'_, Progress> {
        progress.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A server that plays a [`Script`] on a Unix socket in a temporary
/// directory.
pub struct ScriptedServer {
    server: Server<Arc<Mutex<Progress>>>,
    progress: Arc<Mutex<Progress>>,
    /// Removed when the server is dropped.
    _dir: tempfile::TempDir,
    socket: PathBuf,
    finished: bool,
}

impl fmt::Debug for ScriptedServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptedServer")
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

impl ScriptedServer {
    /// Serves `script` with the shipped schema (for the greeting and
    /// negotiation). Needs a Tokio runtime.
    pub fn start(script: Script) -> std::io::Result<ScriptedServer> {
        ScriptedServer::start_with(script, Schema::bindings())
    }

    /// Serves `script` as QEMU's guest agent would (no greeting, no
    /// negotiation; `guest-sync` and `guest-sync-delimited` answered by
    /// the server, outside the script), with the shipped agent schema.
    /// Needs a Tokio runtime.
    pub fn start_agent(script: Script) -> std::io::Result<ScriptedServer> {
        let schema = Schema::agent(qmp_types::agent::INTROSPECTION)
            .expect("the agent bindings' introspection is valid");
        ScriptedServer::start_with(script, schema)
    }

    /// Serves `script` with another schema: a guest agent's
    /// ([`Schema::agent`]) makes it speak as the agent does.
    pub fn start_with(script: Script, schema: Schema) -> std::io::Result<ScriptedServer> {
        // Short, so that the socket's path fits.
        let dir = tempfile::Builder::new().prefix("qmp-script-").tempdir()?;
        let socket = dir.path().join("qmp.sock");
        let listener = tokio::net::UnixListener::bind(&socket)?;
        let progress = Arc::new(Mutex::new(Progress {
            steps: script.steps,
            ..Progress::default()
        }));
        let mut router = Router::new();
        router.fallback = Some(Arc::new(|progress, name, arguments| {
            Box::pin(play(progress, name, arguments))
        }));
        let server = Server::builder(schema, router).build(Arc::clone(&progress));
        let serving = server.clone();
        tokio::spawn(async move { serving.serve_unix(listener).await });
        Ok(ScriptedServer {
            server,
            progress,
            _dir: dir,
            socket,
            finished: false,
        })
    }

    /// The socket to connect to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Shuts the server down and says whether the script ran exactly: every
    /// command expected, none left.
    pub async fn finish(mut self) -> Result<(), ScriptError> {
        self.finished = true;
        self.server.shutdown().await;
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ScriptError { problems })
        }
    }

    fn problems(&self) -> Vec<String> {
        let progress = Progress::lock(&self.progress);
        let mut problems = progress.problems.clone();
        if !progress.steps.is_empty() {
            let left: Vec<String> = progress
                .steps
                .iter()
                .map(|step| format!("{} {}", step.name, step.arguments))
                .collect();
            problems.push(format!(
                "{} command(s) expected but never sent: {}",
                left.len(),
                left.join(", ")
            ));
        }
        problems
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        if !self.finished && !std::thread::panicking() {
            let problems = self.problems();
            if !problems.is_empty() {
                panic!("{}", ScriptError { problems });
            }
        }
    }
}

/// Plays the next step for a command.
async fn play(
    progress: Arc<Mutex<Progress>>,
    name: String,
    arguments: Map<String, Value>,
) -> Reply {
    let arguments = Value::Object(arguments);
    let step = {
        let mut progress = Progress::lock(&progress);
        progress.ran += 1;
        let ran = progress.ran;
        match progress.steps.front() {
            Some(step) if step.name == name && step.arguments == arguments => {
                progress.steps.pop_front()
            }
            expected => {
                let expected = expected.map_or("nothing more".to_owned(), |step| {
                    format!("{} {}", step.name, pretty(&step.arguments))
                });
                let problem = format!(
                    "command {ran}: expected {expected}\n  but got {name} {}",
                    pretty(&arguments)
                );
                progress.problems.push(problem.clone());
                return Reply::Error(CommandError::generic(format!(
                    "the script does not expect this command here: {problem}"
                )));
            }
        }
    };
    let Some(step) = step else {
        return Reply::Close;
    };
    if let Some(delay) = step.delay {
        tokio::time::sleep(delay).await;
    }
    match step.answer {
        Answer::Return(value) => Reply::Return(value, step.events),
        Answer::Error(error) => Reply::Error(error),
        Answer::Close => Reply::Close,
        Answer::Nothing => Reply::Silent,
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
