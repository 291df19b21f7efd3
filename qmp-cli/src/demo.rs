//! `qmp demo`: a short session, printed as the protocol shows it, against
//! the toy VM of `qmp-server` served in this process (no QEMU needed), or
//! against a QEMU binary with `--qemu`.
//!
//! The session is the protocol in a nutshell: the greeting, a command
//! refused before negotiation, negotiation, a few commands, an event, and
//! negotiation refused once it is done. Each line sent is printed after
//! `-> `, each line received after `<- `, as it went over the socket.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};

use crate::cli::DemoOptions;
use crate::exit::{Exit, Failure};
use crate::output::Out;

/// How long the demo waits for any one line before it gives up: a guard
/// against a server that never answers.
const PATIENCE: Duration = Duration::from_secs(30);

pub async fn run(options: DemoOptions) -> Result<(), Failure> {
    // Removed when dropped.
    let dir = tempfile::Builder::new()
        .prefix("qmp-demo-")
        .tempdir()
        .map_err(io_failure)?;
    let socket = dir.path().join("qmp.sock");
    let mut out = Out::stdout();
    match &options.qemu {
        None => {
            let (server, _quit) = qmp_server::toy::toy_vm();
            let listener = UnixListener::bind(&socket).map_err(io_failure)?;
            let serving = server.clone();
            tokio::spawn(async move { serving.serve_unix(listener).await });
            out.line("# qmp demo: a toy VM served by qmp-server in this process")?;
            let stream = UnixStream::connect(&socket).await.map_err(io_failure)?;
            let result = session(stream, &mut out).await;
            server.shutdown().await;
            result
        }
        Some(binary) => {
            // QEMU connects to us (server=off): no race with its start.
            let listener = UnixListener::bind(&socket).map_err(io_failure)?;
            let mut qemu = start_qemu(binary, &socket)?;
            out.line(&format!("# qmp demo: {} -machine none", binary.display()))?;
            let stream = tokio::select! {
                accepted = listener.accept() => accepted.map_err(io_failure)?.0,
                exited = qemu.wait() => {
                    return Err(Failure::new(
                        Exit::Connection,
                        format!("{} exited before connecting: {exited:?}", binary.display()),
                    ))
                }
            };
            let result = session(stream, &mut out).await;
            let _ = qemu.kill().await;
            result
        }
    }
}

fn start_qemu(binary: &Path, socket: &Path) -> Result<tokio::process::Child, Failure> {
    tokio::process::Command::new(binary)
        .args([
            "-machine",
            "none",
            "-display",
            "none",
            "-nodefaults",
            "-qmp",
        ])
        .arg(format!("unix:{}", socket.display()))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            Failure::new(
                Exit::Connection,
                format!("cannot start {}: {e}", binary.display()),
            )
        })
}

/// The scripted session.
async fn session(stream: UnixStream, out: &mut Out) -> Result<(), Failure> {
    let mut peer = Peer::new(stream);
    out.line("# The server greets with its version and the capabilities it offers.")?;
    peer.receive(out).await?;
    out.line("# Before negotiation, only qmp_capabilities runs:")?;
    peer.ask(out, r#"{"execute": "query-status"}"#).await?;
    out.line("# Negotiation (no capabilities asked for) switches to operational mode:")?;
    peer.ask(out, r#"{"execute": "qmp_capabilities"}"#).await?;
    out.line("# Now every command runs; an id, if given, comes back with the answer.")?;
    peer.ask(out, r#"{"execute": "query-version", "id": 1}"#)
        .await?;
    peer.ask(out, r#"{"execute": "query-status", "id": 2}"#)
        .await?;
    out.line("# Stopping the VM: the answer, and a STOP event whenever it happens.")?;
    peer.ask(out, r#"{"execute": "stop", "id": 3}"#).await?;
    peer.await_event(out, "STOP").await?;
    peer.ask(out, r#"{"execute": "cont", "id": 4}"#).await?;
    peer.await_event(out, "RESUME").await?;
    out.line("# Negotiation runs once:")?;
    peer.ask(out, r#"{"execute": "qmp_capabilities", "id": 5}"#)
        .await?;
    Ok(())
}

/// One side of the socket, printing what passes.
struct Peer {
    lines: tokio::io::Lines<BufReader<OwnedReadHalf>>,
    write: OwnedWriteHalf,
    /// Events seen so far.
    events: Vec<String>,
}

impl Peer {
    fn new(stream: UnixStream) -> Peer {
        let (read, write) = stream.into_split();
        Peer {
            lines: BufReader::new(read).lines(),
            write,
            events: Vec::new(),
        }
    }

    /// Receives and prints one line; its JSON.
    async fn receive(&mut self, out: &mut Out) -> Result<Value, Failure> {
        let line = tokio::time::timeout(PATIENCE, self.lines.next_line())
            .await
            .map_err(|_| Failure::new(Exit::Timeout, "the server did not answer"))?
            .map_err(io_failure)?
            .ok_or_else(|| Failure::new(Exit::Connection, "the server closed the connection"))?;
        out.line(&format!("<- {line}"))?;
        let value: Value = serde_json::from_str(&line)
            .map_err(|e| Failure::new(Exit::Connection, format!("the server sent no JSON: {e}")))?;
        if let Some(name) = value.get("event").and_then(Value::as_str) {
            self.events.push(name.to_owned());
        }
        Ok(value)
    }

    /// Sends `line`, prints it and what comes back until its answer.
    async fn ask(&mut self, out: &mut Out, line: &str) -> Result<(), Failure> {
        out.line(&format!("-> {line}"))?;
        self.write
            .write_all(format!("{line}\n").as_bytes())
            .await
            .map_err(io_failure)?;
        loop {
            let value = self.receive(out).await?;
            if value.get("return").is_some() || value.get("error").is_some() {
                return Ok(());
            }
        }
    }

    /// Prints lines until event `name` has come (it may have already).
    async fn await_event(&mut self, out: &mut Out, name: &str) -> Result<(), Failure> {
        while !self.events.iter().any(|seen| seen == name) {
            self.receive(out).await?;
        }
        Ok(())
    }
}

fn io_failure(error: std::io::Error) -> Failure {
    Failure::new(Exit::Connection, error.to_string())
}
