//! A tiny blocking QMP client over a Unix socket, and a QEMU process to talk
//! to: just enough for `cargo xtask verify` and `draft`.
//!
//! [`Server::start`] runs a QEMU binary through `qmp-test-support` (a fresh
//! temporary directory, kill on drop), with a QMP monitor that connects to
//! a socket we listen on, and negotiates; [`Qmp::execute`] sends one
//! command and waits for its response, skipping events.
//!
//! It is untyped on purpose: `verify` must not decode with the bindings it
//! checks, so answers stay `serde_json::Value`. Requests are written by
//! `qmp_types::wire::Request`, the client's own encoder (qmp-types without
//! its `bindings` feature: the wire format only).

use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

pub use qmp_test_support::Kind;
use qmp_test_support::Qemu;
use qmp_types::wire::Request;
use serde_json::{json, Value};

/// How long to wait for a response.
const TIMEOUT: Duration = qmp_test_support::HANG_GUARD;

/// What went wrong talking to QEMU.
#[derive(Debug)]
pub enum Error {
    /// Reading, writing or connecting failed.
    Io(io::Error),
    /// The server closed the connection.
    Closed,
    /// A line that is not the JSON QMP promises.
    Protocol(String),
    /// The server answered with an error.
    Qmp {
        /// QEMU's error class, e.g. `GenericError`.
        class: String,
        /// Its description.
        desc: String,
    },
    /// Starting the process failed, or it did not come up.
    Start(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Closed => write!(f, "the server closed the connection"),
            Error::Protocol(what) => write!(f, "protocol error: {what}"),
            Error::Qmp { class, desc } => write!(f, "QMP error {class}: {desc}"),
            Error::Start(what) => write!(f, "{what}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

/// A connection in either mode; negotiate with [`Qmp::negotiate`].
pub struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    /// The greeting's `QMP` object (version, capabilities).
    pub greeting: Value,
    next_id: u64,
}

impl Qmp {
    /// Reads the greeting from a connected socket.
    pub fn new(stream: UnixStream) -> Result<Qmp, Error> {
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        let mut qmp = Qmp {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            greeting: Value::Null,
            next_id: 0,
        };
        let greeting = qmp.read()?;
        qmp.greeting = greeting
            .get("QMP")
            .cloned()
            .ok_or_else(|| Error::Protocol(format!("expected a greeting, got {greeting}")))?;
        Ok(qmp)
    }

    /// Enters operational mode (`qmp_capabilities`, no capabilities).
    pub fn negotiate(&mut self) -> Result<(), Error> {
        self.execute("qmp_capabilities", None).map(drop)
    }

    /// Runs `command` with `arguments` and returns its `return` value.
    pub fn execute(&mut self, command: &str, arguments: Option<Value>) -> Result<Value, Error> {
        self.next_id += 1;
        let id = self.next_id;
        let arguments = arguments.unwrap_or(Value::Null);
        let line = Request::raw(command, &arguments)
            .with_id(id)
            .to_line()
            .map_err(|e| Error::Protocol(e.to_string()))?;
        self.writer.write_all(&line)?;
        loop {
            let message = self.read()?;
            if message.get("event").is_some() {
                continue;
            }
            if message.get("id") != Some(&json!(id)) {
                return Err(Error::Protocol(format!(
                    "expected the response to {command}, got {message}"
                )));
            }
            if let Some(value) = message.get("return") {
                return Ok(value.clone());
            }
            if let Some(error) = message.get("error") {
                let text = |key| error.get(key).and_then(Value::as_str).unwrap_or("?");
                return Err(Error::Qmp {
                    class: text("class").to_string(),
                    desc: text("desc").to_string(),
                });
            }
            return Err(Error::Protocol(format!("unexpected message {message}")));
        }
    }

    fn read(&mut self) -> Result<Value, Error> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(Error::Closed);
        }
        serde_json::from_str(&line)
            .map_err(|e| Error::Protocol(format!("{e}: {:?}", line.trim_end())))
    }
}

/// A running QEMU with a negotiated QMP connection.
pub struct Server {
    // Declared first so that the connection closes before the process is
    // killed.
    /// The connection, in operational mode.
    pub qmp: Qmp,
    qemu: Qemu,
}

impl Server {
    /// Starts `binary` as `kind`, takes the connection its monitor makes
    /// to us, and negotiates.
    pub fn start(binary: &Path, kind: Kind) -> Result<Server, Error> {
        let start = |e: io::Error| Error::Start(e.to_string());
        let mut qemu = Qemu::start(binary, kind, 1).map_err(start)?;
        let mut qmp = Qmp::new(qemu.accept().map_err(start)?)?;
        qmp.negotiate()?;
        Ok(Server { qmp, qemu })
    }

    /// Sends `quit` and waits for the process to exit.
    pub fn quit(mut self) -> Result<(), Error> {
        match self.qmp.execute("quit", None) {
            // The server may close the socket before it answers.
            Ok(_) | Err(Error::Closed) => {}
            Err(e) => return Err(e),
        }
        self.qemu.wait_exit()?;
        Ok(())
    }
}
