//! A tiny blocking QMP client over a Unix socket, and a QEMU process to talk
//! to: just enough for `cargo xtask verify` and `draft`.
//!
//! [`Server::start`] runs a QEMU binary in a fresh temporary directory with
//! a QMP monitor on a socket there, waits for the socket, and connects;
//! [`Qmp::execute`] sends one command and waits for its response, skipping
//! events. Dropping a [`Server`] kills the process if it is still running
//! and removes the directory.

use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long to wait for the socket, a response, or the process to exit.
const TIMEOUT: Duration = Duration::from_secs(30);

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
    /// Connects to the socket at `path` and reads the greeting.
    pub fn connect(path: &Path) -> Result<Qmp, Error> {
        let stream = UnixStream::connect(path)?;
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
        let mut request = json!({ "execute": command, "id": id });
        if let Some(arguments) = arguments {
            request["arguments"] = arguments;
        }
        let mut line = request.to_string();
        line.push('\n');
        self.writer.write_all(line.as_bytes())?;
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

/// How a binary is started with a QMP monitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A system emulator (`qemu-system-*`): `-machine none`, QMP on a socket.
    System,
    /// `qemu-storage-daemon`: a monitor on a socket chardev.
    StorageDaemon,
}

impl Kind {
    /// Tells by the binary's name, else by its `--help`.
    pub fn detect(binary: &Path) -> Kind {
        let name = binary.file_name().unwrap_or_default().to_string_lossy();
        if name.contains("storage-daemon") {
            return Kind::StorageDaemon;
        }
        if name.contains("qemu-system") {
            return Kind::System;
        }
        let help = Command::new(binary)
            .arg("--help")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        if help.contains("storage daemon") || help.contains("storage-daemon") {
            Kind::StorageDaemon
        } else {
            Kind::System
        }
    }

    fn args(self, socket: &Path) -> Vec<String> {
        let socket = socket.display();
        match self {
            Kind::System => [
                "-machine",
                "none",
                "-nodefaults",
                "-display",
                "none",
                "-qmp",
                &format!("unix:{socket},server=on,wait=off"),
            ]
            .map(String::from)
            .to_vec(),
            Kind::StorageDaemon => [
                "--chardev",
                &format!("socket,path={socket},server=on,wait=off,id=m"),
                "--monitor",
                "chardev=m",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// A running QEMU with a negotiated QMP connection.
pub struct Server {
    // Declared first so that the connection closes before the process is
    // killed.
    /// The connection, in operational mode.
    pub qmp: Qmp,
    process: Process,
}

/// The process and its directory; dropping kills and removes them.
struct Process {
    child: Child,
    dir: PathBuf,
}

impl Server {
    /// Starts `binary` as `kind` in a new temporary directory and negotiates.
    pub fn start(binary: &Path, kind: Kind) -> Result<Server, Error> {
        let dir = temp_dir("qmp-xtask")?;
        let socket = dir.join("qmp.sock");
        let child = Command::new(binary)
            .args(kind.args(&socket))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(Error::Start(format!(
                    "cannot run {}: {e}",
                    binary.display()
                )));
            }
        };
        let mut process = Process { child, dir };
        let start = Instant::now();
        let mut qmp = loop {
            if let Some(status) = process.child.try_wait()? {
                return Err(Error::Start(format!(
                    "{} exited ({status}) before its QMP socket appeared",
                    binary.display()
                )));
            }
            if socket.exists() {
                if let Ok(qmp) = Qmp::connect(&socket) {
                    break qmp;
                }
            }
            if start.elapsed() > TIMEOUT {
                return Err(Error::Start(format!(
                    "{} did not open {} within {TIMEOUT:?}",
                    binary.display(),
                    socket.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // QEMU 10.0.2 can leave its monitor thread blocked in `accept` when
        // a client connects while it is still starting, and then never read
        // the request; a second connection, dropped at once, releases it
        // (see `Qemu::release_listener` in qmp-client's tests).
        let _ = UnixStream::connect(&socket);
        qmp.negotiate()?;
        Ok(Server { qmp, process })
    }

    /// Sends `quit` and waits for the process to exit.
    pub fn quit(mut self) -> Result<(), Error> {
        match self.qmp.execute("quit", None) {
            // The server may close the socket before it answers.
            Ok(_) | Err(Error::Closed) => {}
            Err(e) => return Err(e),
        }
        let start = Instant::now();
        while self.process.child.try_wait()?.is_none() {
            if start.elapsed() > TIMEOUT {
                return Err(Error::Start("QEMU did not exit after quit".to_string()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new, empty directory under the system's temporary directory.
pub fn temp_dir(prefix: &str) -> io::Result<PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("{prefix}-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}
