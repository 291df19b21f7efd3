//! `qmp shell`: commands typed on a line editor, checked against the
//! schema before they are sent, with completion, history, and events
//! printed as they arrive. `qmp agent shell`: the same for the guest
//! agent (its schema, no events, no `hmp` or `transaction(`).
//!
//! The editor (rustyline) blocks, so it runs on a thread of its own
//! ([`Reader`]): it reads one line when asked, with the prompt it is
//! given, and sends it over a channel, so that the answer is printed
//! before the next prompt. Events are printed from a task through the
//! editor's `ExternalPrinter`, which redraws the prompt and the line
//! being typed below them, so they show while the prompt waits.
//!
//! - `line.rs`: a line to a checked request (`COMMAND key=value...`,
//!   `COMMAND {json}`, `hmp ...`, `transaction( ... )`).
//! - `complete.rs`: completion from the schema.

mod complete;
mod line;

use std::io::Write;
use std::path::{Path, PathBuf};

use qmp_client::agent::Agent;
use qmp_client::{Client, Error};
use qmp_server::Schema;
use rustyline::config::{CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Editor, ExternalPrinter};
use serde_json::{json, Map, Value};

use crate::cli::{Connection, ShellOptions};
use crate::connect::connect;
use crate::events::RawEvent;
use crate::exit::{Exit, Failure};
use crate::schema::{describe, Docs};
use complete::{Helper, Mode};
use line::Line;

/// The prompt inside `transaction(`.
const TRANSACTION_PROMPT: &str = "(QEMU) transaction> ";

const QMP_HELP: &str = "\
COMMAND key=value...     run COMMAND; keys may be dotted (cache.direct=on),
                         values JSON (bitmaps=[\"a\",\"b\"]) or quoted (\"a b\")
COMMAND {JSON}           run COMMAND with its arguments as one JSON object
hmp COMMAND...           run a human monitor command, print its text
transaction( ACTION key=value... ; ACTION... )
                         run the actions as one transaction; or `transaction(`
                         alone, an action per line, and `)` to run them
help [NAME]              this text, or NAME's description (`qmp schema NAME`)
quit, exit, Ctrl-D       leave the shell (QEMU's own quit: `quit {}`)

Tab completes commands, arguments and values; Ctrl-C clears the line, or
stops waiting for an answer. Arguments are checked before anything is
sent. Events are printed as they arrive.";

const AGENT_HELP: &str = "\
COMMAND key=value...     run the agent's COMMAND; keys may be dotted, values
                         JSON (arg=[\"-c\",\"uname\"]) or quoted (\"a b\")
COMMAND {JSON}           run COMMAND with its arguments as one JSON object
help [NAME]              this text, or NAME's description (`qmp agent schema NAME`)
quit, exit, Ctrl-D       leave the shell

Tab completes commands, arguments and values; Ctrl-C clears the line, or
stops waiting for an answer. Arguments are checked before anything is
sent.";

/// Which peer the shell speaks to, and so which of its own words it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// A QMP server: events, `hmp`, `transaction(`.
    Qmp,
    /// QEMU's guest agent: commands only.
    Agent,
}

impl Dialect {
    /// The main prompt (QMP's as QEMU's own `qmp-shell`'s).
    fn prompt(self) -> &'static str {
        match self {
            Dialect::Qmp => "(QEMU) ",
            Dialect::Agent => "(QGA) ",
        }
    }

    /// The shell's own words, offered with the command names.
    pub fn words(self) -> &'static [&'static str] {
        match self {
            Dialect::Qmp => &["help", "hmp", "quit", line::TRANSACTION],
            Dialect::Agent => &["help", "quit"],
        }
    }

    fn help(self) -> &'static str {
        match self {
            Dialect::Qmp => QMP_HELP,
            Dialect::Agent => AGENT_HELP,
        }
    }

    /// The history file's name, in the state directory: each peer's
    /// commands are kept apart.
    fn history(self) -> &'static str {
        match self {
            Dialect::Qmp => "history",
            Dialect::Agent => "agent-history",
        }
    }
}

/// Whom the shell's commands go to.
enum Peer {
    Qmp(Client),
    Agent(Agent),
}

impl Peer {
    async fn execute_raw(&self, name: &str, arguments: Value) -> Result<Value, Error> {
        match self {
            Peer::Qmp(client) => client.execute_raw(name, arguments).await,
            Peer::Agent(agent) => agent.execute_raw(name, arguments).await,
        }
    }
}

/// `qmp shell`.
pub async fn run(connection: &Connection, options: ShellOptions) -> Result<(), Failure> {
    let connected = connect(connection).await?;
    let client = connected.client.clone();
    let events = client.events_as::<RawEvent>();
    let result = session(Peer::Qmp(client), Schema::bindings(), Some(events), options).await;
    drop(connected);
    result
}

/// `qmp agent shell`, on a connected agent.
pub async fn run_agent(agent: Agent, options: ShellOptions) -> Result<(), Failure> {
    let schema = crate::agent::schema();
    session(Peer::Agent(agent), schema, None, options).await
}

/// The shell's loop, until Ctrl-D, `quit` or a broken connection.
async fn session(
    peer: Peer,
    schema: Schema,
    events: Option<qmp_client::Subscription<RawEvent>>,
    options: ShellOptions,
) -> Result<(), Failure> {
    let dialect = match peer {
        Peer::Qmp(_) => Dialect::Qmp,
        Peer::Agent(_) => Dialect::Agent,
    };

    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .history_ignore_space(true)
        .build();
    let mut editor: Editor<Helper, FileHistory> = Editor::with_config(config)
        .map_err(|e| Failure::new(Exit::Usage, format!("no line editor: {e}")))?;
    editor.set_helper(Some(Helper::new(schema.clone(), dialect)));
    let history = options.history.clone().or_else(|| default_history(dialect));
    if let Some(path) = &history {
        load_history(&mut editor, path);
    }
    // Not on a terminal (input from a pipe), events are printed as lines.
    let printer = editor
        .create_external_printer()
        .ok()
        .map(|p| Box::new(p) as Box<dyn ExternalPrinter + Send>);
    let events =
        events.map(|events| tokio::spawn(print_events(events, Printer(printer), options.verbose)));
    let mut reader = Reader::spawn(editor, history);

    let mut shell = Shell {
        schema,
        peer,
        dialect,
        verbose: options.verbose,
        transaction: None,
    };
    let result = loop {
        let (prompt, mode) = match shell.transaction {
            Some(_) => (TRANSACTION_PROMPT, Mode::Transaction),
            None => (dialect.prompt(), Mode::Command),
        };
        match reader.read(prompt, mode).await {
            Input::Line(text) => match shell.line(&text).await {
                Ok(true) => {}
                Ok(false) => break Ok(()),
                Err(failure) => break Err(failure),
            },
            Input::Interrupted => {
                if shell.transaction.take().is_some() {
                    say("transaction abandoned");
                }
            }
            Input::Eof => break Ok(()),
            Input::Failed(error) => {
                break Err(Failure::new(
                    Exit::Connection,
                    format!("cannot read the terminal: {error}"),
                ))
            }
        }
    };
    if let Some(events) = events {
        events.abort();
    }
    reader.close();
    result
}

/// The shell's state between lines.
struct Shell {
    schema: Schema,
    peer: Peer,
    dialect: Dialect,
    verbose: bool,
    /// The actions of an open `transaction(`.
    transaction: Option<Vec<Value>>,
}

impl Shell {
    /// Handles one line; `false` to end the shell.
    async fn line(&mut self, text: &str) -> Result<bool, Failure> {
        if let Some(actions) = &mut self.transaction {
            match line::parse_actions(&self.schema, text) {
                Ok((more, closed)) => {
                    actions.extend(more);
                    if closed {
                        let actions = self.transaction.take().unwrap_or_default();
                        self.transaction(actions).await?;
                    }
                }
                Err(message) => say(&format!("error: {message} (not added)")),
            }
            return Ok(true);
        }
        match line::parse(&self.schema, self.dialect, text) {
            Ok(Line::Empty) => {}
            Ok(Line::Quit) => return Ok(false),
            Ok(Line::Help(name)) => print(&help(&self.schema, self.dialect, name.as_deref())),
            Ok(Line::Hmp(command_line)) => {
                let arguments = json!({"command-line": command_line});
                let arguments = arguments.as_object().cloned().unwrap_or_default();
                if let Some(answer) = self.execute("human-monitor-command", arguments).await? {
                    match answer {
                        Value::String(text) if text.is_empty() || text.ends_with('\n') => {
                            print_raw(&text)
                        }
                        Value::String(text) => print(&text),
                        other => print(&pretty(&other)),
                    }
                }
            }
            Ok(Line::Run(name, arguments)) => {
                if let Some(answer) = self.execute(&name, arguments).await? {
                    print(&pretty(&answer));
                }
            }
            Ok(Line::Transaction {
                actions,
                closed: true,
            }) => self.transaction(actions).await?,
            Ok(Line::Transaction {
                actions,
                closed: false,
            }) => self.transaction = Some(actions),
            Err(message) => say(&format!("error: {message}")),
        }
        Ok(true)
    }

    /// Runs `transaction` with `actions`, checked as a whole.
    async fn transaction(&mut self, actions: Vec<Value>) -> Result<(), Failure> {
        if actions.is_empty() {
            say("error: the transaction has no actions (nothing was sent)");
            return Ok(());
        }
        let mut arguments = Map::new();
        arguments.insert("actions".to_owned(), Value::Array(actions));
        if let Err(message) = crate::args::check(&self.schema, "transaction", &arguments) {
            say(&format!("error: {message}"));
            return Ok(());
        }
        if let Some(answer) = self.execute("transaction", arguments).await? {
            print(&pretty(&answer));
        }
        Ok(())
    }

    /// Sends a checked command and waits for its answer: `None` when there
    /// is none to print (the server's error, or Ctrl-C, was said already).
    /// A broken connection ends the shell.
    async fn execute(
        &self,
        name: &str,
        arguments: Map<String, Value>,
    ) -> Result<Option<Value>, Failure> {
        let arguments = Value::Object(arguments);
        if self.verbose {
            // What goes on the wire, but for the id the client adds.
            if let Ok(line) = qmp_types::wire::Request::raw(name, &arguments).to_line() {
                print(&format!("-> {}", String::from_utf8_lossy(&line).trim_end()));
            }
        }
        let answer = tokio::select! {
            answer = self.peer.execute_raw(name, arguments) => answer,
            _ = tokio::signal::ctrl_c() => {
                say("interrupted: no longer waiting for the answer");
                return Ok(None);
            }
        };
        match answer {
            Ok(value) => {
                if self.verbose {
                    print(&format!("<- {}", json!({ "return": value })));
                }
                Ok(Some(value))
            }
            Err(Error::Server { class, desc }) => {
                if self.verbose {
                    let error = json!({"error": {"class": class.as_str(), "desc": desc}});
                    print(&format!("<- {error}"));
                }
                say(&format!("{class}: {desc}"));
                Ok(None)
            }
            Err(error @ (Error::Disconnected | Error::Io(_))) => Err(error.into()),
            Err(error) => {
                say(&format!("error: {error}"));
                Ok(None)
            }
        }
    }
}

/// A value as the shell prints it: pretty JSON.
fn pretty(value: &Value) -> String {
    let text = crate::oneshot::render(value, crate::oneshot::Style::Pretty);
    text.trim_end().to_owned()
}

/// `text` and a newline on standard output (a closed output is the end
/// of the terminal, which the editor reports next).
fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

fn print_raw(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// A message about the shell's own doing, or an error, on standard error.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// `help`, or `help NAME`.
fn help(schema: &Schema, dialect: Dialect, name: Option<&str>) -> String {
    let Some(name) = name else {
        return dialect.help().to_owned();
    };
    if dialect == Dialect::Qmp && (name == "transaction" || name == line::TRANSACTION) {
        return format!(
            "transaction( ACTION key=value... ; ACTION key=value... )\n\
             or `transaction(` alone, an action per line, and `)`.\n\
             Actions: {}\n\
             An action's keys are those of its data (Tab lists them).",
            line::action_names(schema).join(", ")
        );
    }
    // As `qmp schema NAME` (`qmp agent schema NAME`) shows it.
    let docs = match dialect {
        Dialect::Qmp => Docs::bindings(),
        Dialect::Agent => Docs::parse(qmp_types::agent::DOCS),
    };
    describe(schema, &docs, name).unwrap_or_else(|message| format!("error: {message}"))
}

/// `$XDG_STATE_HOME/qmp/history`, else `~/.local/state/qmp/history`
/// (`agent-history` for the agent's).
fn default_history(dialect: Dialect) -> Option<PathBuf> {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let state = absolute("XDG_STATE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".local/state")))?;
    Some(state.join("qmp").join(dialect.history()))
}

/// Loads the history at `path` (none yet is fine), making its directory.
fn load_history(editor: &mut Editor<Helper, FileHistory>, path: &Path) {
    if let Some(dir) = path.parent() {
        if let Err(error) = std::fs::create_dir_all(dir) {
            say(&format!(
                "history: cannot create {}: {error}",
                dir.display()
            ));
        }
    }
    match editor.load_history(path) {
        Ok(()) => {}
        Err(ReadlineError::Io(error)) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => say(&format!("history: cannot read {}: {error}", path.display())),
    }
}

/// A line from the editor, or why there is none.
enum Input {
    Line(String),
    /// Ctrl-C.
    Interrupted,
    /// Ctrl-D.
    Eof,
    Failed(String),
}

/// What the editor's thread reads next.
struct Ask {
    prompt: &'static str,
    mode: Mode,
}

/// The line editor on a thread of its own.
struct Reader {
    asks: std::sync::mpsc::Sender<Ask>,
    lines: tokio::sync::mpsc::UnboundedReceiver<Input>,
    thread: std::thread::JoinHandle<()>,
}

impl Reader {
    fn spawn(mut editor: Editor<Helper, FileHistory>, history: Option<PathBuf>) -> Reader {
        let (asks, asked) = std::sync::mpsc::channel::<Ask>();
        let (send, lines) = tokio::sync::mpsc::unbounded_channel();
        let thread = std::thread::spawn(move || {
            let mut warned = false;
            while let Ok(ask) = asked.recv() {
                if let Some(helper) = editor.helper_mut() {
                    helper.mode = ask.mode;
                }
                let input = match editor.readline(ask.prompt) {
                    Ok(line) => {
                        if let Some(path) = &history {
                            remember(&mut editor, &line, path, &mut warned);
                        }
                        Input::Line(line)
                    }
                    Err(ReadlineError::Interrupted) => Input::Interrupted,
                    Err(ReadlineError::Eof) => Input::Eof,
                    Err(error) => Input::Failed(error.to_string()),
                };
                if send.send(input).is_err() {
                    break;
                }
            }
        });
        Reader {
            asks,
            lines,
            thread,
        }
    }

    /// The next line, read with `prompt`.
    async fn read(&mut self, prompt: &'static str, mode: Mode) -> Input {
        if self.asks.send(Ask { prompt, mode }).is_err() {
            return Input::Failed("the line editor stopped".to_owned());
        }
        self.lines
            .recv()
            .await
            .unwrap_or_else(|| Input::Failed("the line editor stopped".to_owned()))
    }

    /// Ends the editor's thread, which is waiting to be asked (the shell
    /// asks for a line only when it waits for one).
    fn close(self) {
        drop(self.asks);
        let _ = self.thread.join();
    }
}

/// Adds `line` to the history and appends it to the file at once, so that
/// a shell that is killed keeps it; one warning if that fails.
fn remember(editor: &mut Editor<Helper, FileHistory>, line: &str, path: &Path, warned: &mut bool) {
    let added = editor.add_history_entry(line).unwrap_or(false);
    if !added {
        return;
    }
    if let Err(error) = editor.append_history(path) {
        if !std::mem::replace(warned, true) {
            say(&format!(
                "history: cannot write {}: {error}",
                path.display()
            ));
        }
    }
}

/// Where events are printed: above the prompt, through the editor, or
/// plainly without a terminal.
struct Printer(Option<Box<dyn ExternalPrinter + Send>>);

impl Printer {
    fn line(&mut self, text: String) {
        match &mut self.0 {
            Some(printer) => {
                let _ = printer.print(text + "\n");
            }
            None => print(&text),
        }
    }
}

/// Prints each event as it arrives: `NAME {data}`, or with `--verbose`
/// the message as received.
async fn print_events(
    mut events: qmp_client::Subscription<RawEvent>,
    mut printer: Printer,
    verbose: bool,
) {
    while let Some(item) = events.next().await {
        match item {
            Ok((event, timestamp)) => {
                let has_data =
                    !matches!(&event.data, Value::Null) && event.data != Value::Object(Map::new());
                let text = if verbose {
                    // In QEMU's order, which a JSON object would not keep.
                    let data = if has_data {
                        format!(",\"data\":{}", event.data)
                    } else {
                        String::new()
                    };
                    format!(
                        "<- {{\"event\":{}{data},\"timestamp\":{{\"seconds\":{},\"microseconds\":{}}}}}",
                        Value::String(event.name),
                        timestamp.seconds,
                        timestamp.microseconds
                    )
                } else if has_data {
                    format!("{} {}", event.name, event.data)
                } else {
                    event.name
                };
                printer.line(text);
            }
            Err(error) => printer.line(format!("event: {error}")),
        }
    }
    printer.line("the server closed the connection".to_owned());
}
