//! What the server's tests share: a server on a Unix socket in a temporary
//! directory, and a raw peer that sends lines as written and reads the
//! answers as JSON, for what a typed client cannot send.

#![allow(dead_code)] // Each test file uses a part.

use std::path::{Path, PathBuf};
use std::time::Duration;

use qmp_server::Server;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;

/// How long any one step may take before the test fails instead of
/// hanging: a guard, not a measurement.
pub const GUARD: Duration = Duration::from_secs(30);

/// A server serving a Unix socket in its own directory, shut down and
/// removed when dropped.
pub struct Served<S: Clone + Send + Sync + 'static> {
    pub server: Server<S>,
    pub dir: PathBuf,
    pub socket: PathBuf,
}

impl<S: Clone + Send + Sync + 'static> Served<S> {
    /// Serves `server` on a new socket.
    pub fn start(server: Server<S>) -> Served<S> {
        let dir = qmp_test_support::temp_dir("qmp-server").unwrap();
        let socket = dir.join("qmp.sock");
        let listener = tokio::net::UnixListener::bind(&socket).unwrap();
        let serving = server.clone();
        tokio::spawn(async move { serving.serve_unix(listener).await });
        Served {
            server,
            dir,
            socket,
        }
    }

    /// Our client connected to it, negotiated (without `oob`).
    pub async fn client(&self) -> qmp_client::Client {
        qmp_client::Client::connect_unix(&self.socket)
            .await
            .unwrap()
            .negotiate(&[])
            .await
            .unwrap()
    }

    /// A raw peer connected to it, past the greeting.
    pub async fn raw(&self) -> Raw {
        let mut raw = Raw::connect(&self.socket).await;
        raw.greeting = raw.line().await;
        raw
    }
}

impl<S: Clone + Send + Sync + 'static> Drop for Served<S> {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A peer that writes lines as given and reads whole lines.
pub struct Raw {
    pub greeting: Value,
    lines: tokio::io::Lines<BufReader<OwnedReadHalf>>,
    write: OwnedWriteHalf,
}

impl Raw {
    pub async fn connect(socket: &Path) -> Raw {
        Raw::over(UnixStream::connect(socket).await.unwrap())
    }

    /// A peer on a connected stream, before the greeting.
    pub fn over(stream: UnixStream) -> Raw {
        let (read, write) = stream.into_split();
        Raw {
            greeting: Value::Null,
            lines: BufReader::new(read).lines(),
            write,
        }
    }

    /// Sends `bytes` as they are.
    pub async fn write(&mut self, bytes: &[u8]) {
        self.write.write_all(bytes).await.unwrap();
    }

    /// Sends `line` (a newline is added).
    pub async fn send(&mut self, line: &str) {
        self.write.write_all(line.as_bytes()).await.unwrap();
        self.write.write_all(b"\n").await.unwrap();
    }

    /// The next line, as JSON.
    pub async fn line(&mut self) -> Value {
        let line = tokio::time::timeout(GUARD, self.lines.next_line())
            .await
            .expect("an answer within the guard")
            .unwrap()
            .expect("a line before the end of the stream");
        parse(&line)
    }

    /// The next line, or `None` at the end of the stream.
    pub async fn next(&mut self) -> Option<Value> {
        let line = tokio::time::timeout(GUARD, self.lines.next_line())
            .await
            .expect("a line or the end within the guard")
            .ok()??;
        Some(parse(&line))
    }

    /// Sends `line` and reads the next line.
    pub async fn ask(&mut self, line: &str) -> Value {
        self.send(line).await;
        self.line().await
    }

    /// Negotiates with `qmp_capabilities` and `enable`.
    pub async fn negotiate(&mut self, enable: &[&str]) {
        let answer = self
            .ask(&serde_json::json!({"execute": "qmp_capabilities", "arguments": {"enable": enable}}).to_string())
            .await;
        assert_eq!(answer, serde_json::json!({"return": {}}), "negotiation");
    }
}

/// A line as JSON, as deep as QEMU nests (past serde_json's default).
fn parse(line: &str) -> Value {
    let mut deserializer = serde_json::Deserializer::from_str(line);
    deserializer.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut deserializer)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

/// `(class, desc)` of an error answer.
pub fn error(answer: &Value) -> (&str, &str) {
    let error = &answer["error"];
    match (error["class"].as_str(), error["desc"].as_str()) {
        (Some(class), Some(desc)) => (class, desc),
        _ => panic!("not an error answer: {answer}"),
    }
}
