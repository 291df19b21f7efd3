//! Arbitrary bytes as what a server sends to our clients, over an
//! in-memory pipe, the harness reading what the client writes as it
//! comes: connecting, calls and event streams never panic, memory stays
//! bounded (libFuzzer's `-malloc_limit_mb` and `-rss_limit_mb` say how
//! far), every call ends (answered, failed or disconnected) once the input
//! does, and every line the client writes is a JSON object with
//! `execute`.
//!
//! The first byte picks the client (bit 0) and a prologue (bit 1):
//!
//! - bit 0 clear: the QMP client (`Connector::io`), which reads the
//!   greeting, negotiates, then runs `query-status` and `query-version`
//!   (typed) and `query-name` (raw) at once while reading every event (or,
//!   if negotiation fails, `execute_raw` on the handshake client it gives
//!   back);
//! - bit 0 set: the guest agent's client (`agent::Connector::io`), which
//!   syncs, then runs `guest-info` and `guest-get-osinfo`, `exec` (polls
//!   `guest-exec-status` until the program ends) and `read_file` (open,
//!   read until end of file, close) at once;
//! - bit 1 set: the harness writes a valid greeting (QMP) or the agent's
//!   answer to the sync (`0xFF` and `{"return": TOKEN}`) before the input.
//!
//! The second byte picks how the input arrives (in chunks of 1 byte to
//! 64 KiB, the client running in between), so that messages and the limit
//! fall across reads. Messages are limited to 4096 bytes, so that inputs
//! reach the too-long path: run with `-max_len` above that.
//!
//! So that answers reach the calls that wait for them (and are decoded
//! into the typed returns), the input may hold placeholders, which the
//! harness fills in as it writes: `ID` becomes the id of the client's next
//! request not yet used (waiting for the client to write one; if it does
//! not while everything else is idle, the last id again), and `TOKEN` the
//! number of the agent client's `guest-sync-delimited`. The runtime's
//! clock is paused, so that waiting for an idle client, the sync timeout
//! and `exec`'s polling pauses cost no real time.
#![no_main]

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use qmp_client::commands::{QueryStatus, QueryVersion};
use qmp_client::qmp_types::agent::commands::{GuestGetOsinfo, GuestInfo};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream, ReadHalf};
use tokio::sync::mpsc;

/// The longest message the clients read.
const MAX_MESSAGE: usize = 4096;

/// How long (on the paused clock) the harness waits for the client's next
/// request before it fills `ID` with the last id: it passes only when
/// every task is idle, so shorter than the sync timeout, longer than
/// `exec`'s longest pause between polls (200 ms).
const QUIET: Duration = Duration::from_secs(1);

/// The agent client's sync timeout (on the paused clock).
const SYNC_TIMEOUT: Duration = Duration::from_secs(10);

/// A valid greeting (QEMU 10.0's).
const GREETING: &[u8] = b"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 0, \
    \"major\": 10}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n";

/// The agent's answer to the client's sync.
const SYNCED: &[u8] = b"\xff{\"return\": TOKEN}\n";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap()
    })
}

/// What the harness learned from a line the client wrote.
enum Request {
    /// A request's id.
    Id(u64),
    /// The number of a `guest-sync-delimited` sent without an id.
    Token(i64),
    /// A request without either.
    Other,
}

/// Checks one line the client wrote, and what it tells: a JSON object
/// with `execute`, after the agent's `0xFF` if any.
fn request(line: &[u8]) -> Request {
    let text = line.strip_prefix(b"\xff").unwrap_or(line);
    let value: Value = serde_json::from_slice(text).unwrap_or_else(|e| {
        panic!(
            "the client wrote a line that is not JSON ({e}): {}",
            String::from_utf8_lossy(line)
        )
    });
    let object = value.as_object().expect("every request is an object");
    let name = object
        .get("execute")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("a request without execute: {value}"));
    if let Some(id) = object.get("id") {
        return Request::Id(id.as_u64().expect("ids are numbers"));
    }
    if name == "guest-sync-delimited" {
        let token = value["arguments"]["id"].as_i64().expect("a sync number");
        return Request::Token(token);
    }
    Request::Other
}

/// Reads what the client writes to its end, checking each line and
/// telling the feed its ids, until the client closes it.
async fn drain(from_client: ReadHalf<DuplexStream>, seen: mpsc::UnboundedSender<Request>) {
    let mut from_client = BufReader::new(from_client);
    let mut line = Vec::new();
    loop {
        line.clear();
        match from_client.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            // A line cut short by the end is not checked.
            Ok(_) if !line.ends_with(b"\n") => return,
            Ok(_) => {
                let _ = seen.send(request(&line));
            }
        }
    }
}

/// What the feed knows of the client's requests.
struct Seen {
    rx: mpsc::UnboundedReceiver<Request>,
    ids: VecDeque<u64>,
    last: u64,
    token: Option<i64>,
}

impl Seen {
    /// Takes one more line's news; false if none came while everything
    /// was idle, or none will.
    async fn wait(&mut self) -> bool {
        match tokio::time::timeout(QUIET, self.rx.recv()).await {
            Ok(Some(Request::Id(id))) => self.ids.push_back(id),
            Ok(Some(Request::Token(token))) => self.token = Some(token),
            Ok(Some(Request::Other)) => {}
            Ok(None) | Err(_) => return false,
        }
        true
    }

    async fn id(&mut self) -> u64 {
        loop {
            if let Some(id) = self.ids.pop_front() {
                self.last = id;
                return id;
            }
            if !self.wait().await {
                return self.last;
            }
        }
    }

    async fn token(&mut self) -> i64 {
        loop {
            if let Some(token) = self.token {
                return token;
            }
            if !self.wait().await {
                return 0;
            }
        }
    }
}

/// Writes `bytes` in pieces of `chunk`, the client running in between;
/// false once the client's end is gone.
async fn write<W: AsyncWrite + Unpin>(to_client: &mut W, bytes: &[u8], chunk: usize) -> bool {
    for piece in bytes.chunks(chunk) {
        if to_client.write_all(piece).await.is_err() {
            return false;
        }
        tokio::task::yield_now().await;
    }
    true
}

/// Writes `input` to the client, its placeholders filled in, then closes.
async fn feed<W: AsyncWrite + Unpin>(mut to_client: W, input: &[u8], chunk: usize, mut seen: Seen) {
    let mut out = Vec::new();
    let mut rest = input;
    while let Some(at) = placeholder(rest) {
        out.extend_from_slice(&rest[..at]);
        if !write(&mut to_client, &out, chunk).await {
            return;
        }
        out.clear();
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix(b"ID") {
            out.extend_from_slice(seen.id().await.to_string().as_bytes());
            rest = after;
        } else if let Some(after) = rest.strip_prefix(b"TOKEN") {
            out.extend_from_slice(seen.token().await.to_string().as_bytes());
            rest = after;
        }
    }
    out.extend_from_slice(rest);
    if write(&mut to_client, &out, chunk).await {
        let _ = to_client.shutdown().await;
    }
}

/// Where the next placeholder starts.
fn placeholder(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len()).find(|&at| {
        let rest = &bytes[at..];
        rest.starts_with(b"ID") || rest.starts_with(b"TOKEN")
    })
}

async fn qmp<R, W>(read: R, write: W)
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let Ok(client) = qmp_client::Connector::new()
        .max_message_size(MAX_MESSAGE)
        .io(read, write)
        .await
    else {
        return;
    };
    let client = match client.negotiate(&[]).await {
        Ok(client) => client,
        Err(failed) => {
            // The handshake client comes back, and still works.
            let client = failed.into_client();
            let _ = client.execute_raw("query-version", Value::Null).await;
            return;
        }
    };
    let mut events = client.events();
    let read_events = async {
        while let Some(event) = events.next().await {
            let _ = std::hint::black_box(event);
        }
    };
    let (status, version, name, ()) = tokio::join!(
        client.execute(QueryStatus::new()),
        client.execute(QueryVersion::new()),
        client.execute_raw("query-name", Value::Null),
        read_events,
    );
    std::hint::black_box((status.ok(), version.ok(), name.ok()));
}

async fn agent<R, W>(read: R, write: W)
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let Ok(agent) = qmp_client::agent::Connector::new()
        .max_message_size(MAX_MESSAGE)
        .sync_timeout(SYNC_TIMEOUT)
        .io(read, write)
        .await
    else {
        return;
    };
    let results = tokio::join!(
        agent.execute(GuestInfo::new()),
        agent.execute(GuestGetOsinfo::new()),
        agent.exec("x", &[] as &[&str]),
        agent.read_file("/x"),
    );
    std::hint::black_box((
        results.0.ok(),
        results.1.ok(),
        results.2.ok(),
        results.3.ok(),
    ));
}

fuzz_target!(|data: &[u8]| {
    let [pick, size, input @ ..] = data else {
        return;
    };
    let chunk = 1usize << (size % 17);
    let is_agent = pick & 1 == 1;
    let mut all = Vec::with_capacity(input.len() + GREETING.len());
    if pick & 2 != 0 {
        all.extend_from_slice(if is_agent { SYNCED } else { GREETING });
    }
    all.extend_from_slice(input);
    runtime().block_on(async {
        let (peer, ours) = tokio::io::duplex(64 * 1024);
        let (read, write) = tokio::io::split(ours);
        let (from_client, to_client) = tokio::io::split(peer);
        let (tx, rx) = mpsc::unbounded_channel();
        let drain = tokio::spawn(drain(from_client, tx));
        let seen = Seen {
            rx,
            ids: VecDeque::new(),
            last: 0,
            token: None,
        };
        let feed = feed(to_client, &all, chunk, seen);
        if is_agent {
            tokio::join!(agent(read, write), feed);
        } else {
            tokio::join!(qmp(read, write), feed);
        }
        // The client is gone: it has closed its end, and the drain ends.
        drain.await.unwrap();
    });
});
