//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Talk to QEMU over QMP: run a command, follow events, read the schema.
///
/// A command's arguments are `key=value` words, checked against the
/// compiled schema before anything is sent: `cache.direct=on` for a
/// nested member, JSON for any value (`bitmaps='["a","b"]'`), or the whole
/// object with `--json '{...}'`.
///
/// Exit codes: 0 success; 1 the server answered with an error; 2 the
/// command line is wrong (nothing was sent); 3 no connection, or it
/// broke; 4 timeout; 5 `qmp verify` found differences.
#[derive(Debug, Parser)]
#[command(name = "qmp", version, args_conflicts_with_subcommands = false)]
pub struct Cli {
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub output: Output,
    #[command(subcommand)]
    pub command: Action,
}

/// Where the QMP server is.
#[derive(Debug, Args)]
pub struct Connection {
    /// The server's Unix socket (QEMU's `-qmp unix:PATH,server=on`).
    #[arg(
        long,
        short = 's',
        global = true,
        env = "QMP_SOCKET",
        value_name = "PATH"
    )]
    pub socket: Option<PathBuf>,
    /// The server's TCP address.
    #[arg(
        long,
        global = true,
        value_name = "HOST:PORT",
        conflicts_with = "socket"
    )]
    pub tcp: Option<String>,
    /// Start QEMU with QMP on its standard input and output: the program
    /// and its arguments as one string, split at white space (`-qmp
    /// stdio`, or the storage daemon's monitor, is added).
    #[arg(long, global = true, value_name = "'QEMU ARGS'", conflicts_with_all = ["socket", "tcp"])]
    pub spawn: Option<String>,
    /// Seconds to wait for each answer (none by default).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
}

/// How a command's answer is printed.
#[derive(Debug, Args)]
pub struct Output {
    /// The answer as one line of JSON.
    #[arg(long, global = true, conflicts_with = "value")]
    pub raw: bool,
    /// Only the value, for scripts: a string without quotes, a number or
    /// boolean bare, anything else as one line of JSON; nothing for `{}`.
    #[arg(long, short = 'q', global = true)]
    pub value: bool,
    /// Pass a file descriptor with the command (`getfd`, `add-fd`): a
    /// number is a file or pipe this process inherited (`3<>file` in the
    /// shell), reopened through /proc; anything else a file opened for
    /// reading and writing, created if absent. Over a Unix socket only.
    /// Repeatable.
    #[arg(long, value_name = "N|PATH")]
    pub fd: Vec<String>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// An interactive shell: commands with completion of names, arguments
    /// and values from the schema, events as they arrive, history.
    Shell(ShellOptions),
    /// A command's, type's or event's description from the compiled
    /// schema, or every command with none given.
    Schema(SchemaOptions),
    /// A short session against a toy VM served in this process (no QEMU
    /// needed), printing each exchange as the protocol shows it.
    Demo(DemoOptions),
    /// A completion script for SHELL, to source from its startup file.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print events as they come.
    Events(EventsOptions),
    /// Compare the server's introspection with the compiled schema: what
    /// the server has that the schema lacks or describes otherwise (exit
    /// 5 if any).
    Verify {
        /// Also list what the compiled schema has beyond this server
        /// (other targets' commands, members optional for older
        /// releases).
        #[arg(long)]
        all: bool,
    },
    /// QEMU's guest agent, at --socket PATH or `$QMP_AGENT_SOCKET`: one of
    /// its commands with `key=value` arguments checked against its schema
    /// (`qmp agent guest-get-osinfo`), a program run in the guest, a guest
    /// file read or written.
    Agent(AgentOptions),
    /// Run COMMAND with `key=value` arguments (`qmp query-status`);
    /// `--json '{...}'`, `--raw` and `--value` may follow it too.
    #[command(external_subcommand)]
    Run(Vec<String>),
}

/// `qmp events`.
#[derive(Debug, Args)]
pub struct EventsOptions {
    /// Only events with this name (repeatable).
    #[arg(long, short = 'f', value_name = "NAME")]
    pub filter: Vec<String>,
    /// Only events whose name matches this regular expression.
    #[arg(long, value_name = "RE")]
    pub regex: Option<String>,
    /// Stop after this many events (exit 4 if the timeout comes first).
    #[arg(long, short = 'n', value_name = "N")]
    pub count: Option<usize>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Print each event's timestamp.
    #[arg(long)]
    pub timestamp: bool,
    /// Print each event as it came, one line of JSON.
    #[arg(long)]
    pub json: bool,
}

/// `qmp shell`.
#[derive(Debug, Args)]
pub struct ShellOptions {
    /// Print the JSON sent and received.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Where the history is kept (default: `$XDG_STATE_HOME/qmp/history`,
    /// else `~/.local/state/qmp/history`).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

/// `qmp schema`.
#[derive(Debug, Args)]
pub struct SchemaOptions {
    /// A command, type or event name.
    pub name: Option<String>,
    /// Every command, type and event whose name or documentation has
    /// WORD.
    #[arg(long, value_name = "WORD", conflicts_with = "name")]
    pub search: Option<String>,
}

/// `qmp demo`.
#[derive(Debug, Args)]
pub struct DemoOptions {
    /// Run the same session against this QEMU binary instead
    /// (`qemu-system-x86_64`, started with `-machine none`).
    #[arg(long, value_name = "BINARY")]
    pub qemu: Option<PathBuf>,
}

/// `qmp agent`.
#[derive(Debug, Args)]
pub struct AgentOptions {
    #[command(subcommand)]
    pub action: AgentAction,
}

/// What to do with the guest agent.
#[derive(Debug, Subcommand)]
pub enum AgentAction {
    /// Run PROGRAM with ARGs in the guest (`guest-exec`), wait for it, and
    /// print its output; `qmp` exits with the program's status (128 + the
    /// signal that ended it).
    Exec {
        /// Send this program's standard input to the guest program.
        #[arg(long)]
        stdin: bool,
        /// The program, looked up on the guest's PATH, then its arguments,
        /// taken as they are (`sh -s` runs `sh` with `-s`).
        #[arg(
            value_name = "PROGRAM [ARG]...",
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        command: Vec<String>,
    },
    /// Print the guest file at PATH.
    Cat {
        /// The file's path in the guest.
        path: String,
    },
    /// Write standard input to the guest file at PATH (created, or
    /// emptied first).
    Write {
        /// The file's path in the guest.
        path: String,
    },
    /// A command's or type's description from the agent's schema, or
    /// every command with none given.
    Schema(SchemaOptions),
    /// Type the agent's commands interactively: arguments checked and
    /// completed from its schema, history kept (in
    /// `$XDG_STATE_HOME/qmp/agent-history` by default).
    Shell(ShellOptions),
    /// Run the agent's COMMAND with `key=value` arguments;
    /// `--json '{...}'`, `--raw` and `--value` may follow it too.
    #[command(external_subcommand)]
    Run(Vec<String>),
}
