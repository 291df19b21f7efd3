//! The issue's load test: 200 concurrent connections × 1,000 commands
//! through one server while it emits events. Every answer arrives matched
//! to its request; every operational connection sees every event, in
//! order; connections whose peers stop reading are closed without
//! touching the others; lines of 16 MiB and far past it leave the
//! server's memory bounded.
//!
//! A test binary of its own, so that nothing else moves the process's
//! peak memory while it measures (its one other test sends 128-byte
//! requests). No assertion is on time: the
//! timeouts are hang guards. `QMP_LOAD_COMMANDS` sets the commands per
//! connection (default 1,000).
//!
//! The 200 connections:
//!
//! - [`TYPED`] of our own client, half with out-of-band execution
//!   negotiated (their in-band commands go through the server's worker
//!   queue), each with [`LANES`] commands in flight at a time;
//! - [`BIG`] raw peers that send a request of 16 MiB + 1 byte, one of
//!   [`OVER_LIMIT_MIB`] MiB, then one of exactly 16 MiB, a line each,
//!   while they read the events;
//! - [`SLOW`] raw peers that negotiate, then read nothing until every
//!   event was emitted.

mod common;

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Raw, Served, GUARD};
use qmp_client::commands::HumanMonitorCommand;
use qmp_client::events::AnyEvent;
use qmp_client::{Client, OobState, Operational};
use qmp_server::{CommandError, Router, Schema, Server};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::{oneshot, watch, Barrier, Notify};

/// The server's default limit on a request, which the test leaves as it
/// is: 16 MiB (its error answer names it).
const LIMIT: usize = 16 << 20;
/// Connections of our own client.
const TYPED: usize = 188;
/// Raw connections that send lines of 16 MiB and more.
const BIG: usize = 8;
/// Raw connections that stop reading.
const SLOW: usize = 4;
/// All of them, at once.
const CONNECTIONS: usize = TYPED + BIG + SLOW;
/// Commands in flight at a time on each typed connection.
const LANES: usize = 4;
/// The server's event buffer (a power of two, as tokio's broadcast
/// channel rounds it up to one): a connection that falls this many events
/// behind is closed.
const EVENT_BUFFER: usize = 256;
/// How far the emitter may run ahead of the slowest connection that must
/// see every event: half the buffer, so that none of them can fall a
/// whole buffer behind, however the two cores are shared out.
const WINDOW: usize = EVENT_BUFFER / 2;
/// Padding in each event's data, so that a few hundred events fill a
/// socket: an event line is a little longer than this.
const EVENT_PAD: usize = 960;
/// The length of the command line of the request far past the limit that
/// each big connection sends, in MiB.
const OVER_LIMIT_MIB: usize = 64;
/// The server's write buffer per connection (`connection.rs`): events a
/// peer does not read wait there and in the socket before the server's
/// event buffer.
const SERVER_WRITE_BUFFER: usize = 64 * 1024;
/// A guard for each step of the big connections (tens of MiB each,
/// through a debug build), past which the test fails instead of hanging.
const STEP_GUARD: Duration = Duration::from_secs(120);
/// A guard for the whole run.
const RUN_GUARD: Duration = Duration::from_secs(300);

/// Commands per typed connection: `QMP_LOAD_COMMANDS`, else 1,000.
fn commands_per_connection() -> usize {
    std::env::var("QMP_LOAD_COMMANDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// How many events to emit: enough that a peer that reads nothing falls
/// more than a whole buffer behind wherever the kernel lets the server's
/// writes go. A Unix stream socket takes about its send buffer
/// (`net.core.wmem_default`) and one more write of up to half of it; the
/// server's write buffer takes 64 KiB more. Twice that, and twice the
/// event buffer, so that being closed does not depend on the kernel's
/// bookkeeping.
fn event_count() -> usize {
    let send_buffer = std::fs::read_to_string("/proc/sys/net/core/wmem_default")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(212_992);
    let in_flight = 2 * send_buffer + SERVER_WRITE_BUFFER;
    2 * EVENT_BUFFER + in_flight.div_ceil(EVENT_PAD)
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

/// What `human-monitor-command` answers: derived from its argument, so
/// that each answer can be checked against its own request, and short
/// even for a 16 MiB argument.
fn summary(command_line: &str) -> String {
    let tail = command_line
        .get(command_line.len().saturating_sub(32)..)
        .unwrap_or(command_line);
    format!("{} bytes ending {tail}", command_line.len())
}

async fn human_monitor_command(
    _: (),
    command: HumanMonitorCommand,
) -> Result<String, CommandError> {
    Ok(summary(&command.command_line))
}

/// How a `human-monitor-command` request of the big connections begins,
/// before its command line.
const HEAD: &str = r#"{"execute": "human-monitor-command", "arguments": {"command-line": ""#;
/// How it ends, after it.
const TAIL: &str = r#""}, "id": "big"}"#;

/// A `human-monitor-command` request of exactly `length` bytes (id
/// `"big"`), and a newline; its command line ends with `at the end`.
fn request_of_length(length: usize) -> (Vec<u8>, String) {
    let (head, tail) = (HEAD, TAIL);
    let end = "at the end";
    let fill = length - head.len() - end.len() - tail.len();
    let mut line = Vec::with_capacity(length + 1);
    line.extend_from_slice(head.as_bytes());
    line.resize(line.len() + fill, b'x');
    line.extend_from_slice(end.as_bytes());
    line.extend_from_slice(tail.as_bytes());
    line.push(b'\n');
    assert_eq!(line.len(), length + 1);
    let command_line = format!("{}{end}", "x".repeat(fill));
    (line, command_line)
}

/// What the connections share.
struct Load {
    socket: PathBuf,
    commands: usize,
    events: usize,
    /// Every connection, once negotiated, and the test.
    ready: Barrier,
    /// The events seen so far by each connection that must see them all:
    /// the typed ones, then the big ones.
    seen: Vec<AtomicUsize>,
    /// Told when one of them saw another.
    advanced: Notify,
    /// Set once every event was emitted.
    emitted: watch::Sender<bool>,
    /// Set when a connection's task panics, so that the test fails at once
    /// rather than wait for it at a barrier.
    failed: watch::Sender<bool>,
    /// The big connections and the test, between the big connections'
    /// steps: twice each time, so that the test measures while the big
    /// connections wait.
    step: Barrier,
    /// A request of 16 MiB + 1 byte (and a newline).
    over_limit: Vec<u8>,
    /// A request of 16 MiB - 1 byte (and a newline), and its command line.
    under_limit: (Vec<u8>, String),
    /// A piece of the command line of the request far past the limit.
    chunk: Vec<u8>,
}

impl Load {
    /// For a big connection: lets the test measure the peak memory, and
    /// waits until it has.
    async fn pause(&self) {
        self.step.wait().await;
        self.step.wait().await;
    }

    /// For the test: waits until every big connection has done a step,
    /// measures the peak memory, and lets them go on.
    async fn measure(&self) -> usize {
        self.unless_failed(STEP_GUARD, self.step.wait()).await;
        let peak = qmp_test_support::peak_rss();
        self.step.wait().await;
        peak
    }

    /// Awaits `step` within `guard`, unless a connection's task panicked.
    async fn unless_failed<T>(&self, guard: Duration, step: impl Future<Output = T>) -> T {
        let mut failed = self.failed.subscribe();
        tokio::select! {
            done = tokio::time::timeout(guard, step) => done.expect("a step within the guard"),
            _ = failed.wait_for(|failed| *failed) => panic!("a connection failed: see above"),
        }
    }

    fn saw(&self, slot: usize, count: usize) {
        self.seen[slot].store(count, Ordering::Release);
        self.advanced.notify_one();
    }

    /// The number of the next event, after checking `event` is the one
    /// expected.
    fn check_event(&self, expected: usize, name: &str, data: &Value, who: &str) -> usize {
        assert_eq!(name, "SEQ", "{who}: an event of the test");
        assert_eq!(
            data["n"].as_u64(),
            Some(expected as u64),
            "{who}: event {expected} next, in order"
        );
        expected + 1
    }
}

/// Tells the test when the task that holds it panics.
struct OnPanic(Arc<Load>);

impl Drop for OnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.failed.send_replace(true);
        }
    }
}

/// Emits the numbered events, never more than [`WINDOW`] ahead of the
/// slowest connection that must see them all (the slow ones do not count).
async fn emit(server: Server<()>, load: Arc<Load>) {
    let _failing = OnPanic(Arc::clone(&load));
    let pad = "p".repeat(EVENT_PAD);
    for n in 0..load.events {
        loop {
            let slowest = load
                .seen
                .iter()
                .map(|seen| seen.load(Ordering::Acquire))
                .min()
                .unwrap_or(0);
            if n < slowest + WINDOW {
                break;
            }
            tokio::time::timeout(GUARD, load.advanced.notified())
                .await
                .expect("the connections that read go on reading events");
        }
        let queued = server
            .emitter()
            .emit_raw("SEQ", json!({"n": n, "pad": pad}));
        if n == 0 {
            assert_eq!(queued, CONNECTIONS, "every connection is operational");
        }
    }
    load.emitted.send_replace(true);
}

/// A connection of our own client: [`LANES`] tasks of commands, each
/// answer checked against its request, while another task checks every
/// event. Odd ones negotiate out-of-band execution.
async fn typed(index: usize, load: Arc<Load>) {
    let _failing = OnPanic(Arc::clone(&load));
    let client = Client::connect_unix(&load.socket).await.unwrap();
    if index.is_multiple_of(2) {
        drive(client.negotiate(&[]).await.unwrap(), index, load).await;
    } else {
        drive(client.negotiate_oob(&[]).await.unwrap(), index, load).await;
    }
}

async fn drive<O: OobState>(client: Client<Operational, O>, index: usize, load: Arc<Load>) {
    let mut events = client.events();
    load.ready.wait().await;
    let follow = tokio::spawn({
        let load = Arc::clone(&load);
        async move {
            let who = format!("typed connection {index}");
            let mut next = 0;
            while next < load.events {
                let item = tokio::time::timeout(GUARD, events.next())
                    .await
                    .unwrap_or_else(|_| panic!("{who}: event {next} within the guard"))
                    .unwrap_or_else(|| panic!("{who}: event {next} before the end"))
                    .unwrap();
                let AnyEvent::Unknown(raw) = item.0 else {
                    panic!("{who}: {:?} is not the test's event", item.0)
                };
                next = load.check_event(next, &raw.name, &raw.data, &who);
                load.saw(index, next);
            }
        }
    });
    let lanes: Vec<_> = (0..LANES)
        .map(|lane| {
            let client = client.clone();
            let commands = (load.commands + LANES - 1 - lane) / LANES;
            tokio::spawn(async move {
                for i in 0..commands {
                    let line = format!("c{index}.{lane}.{i}");
                    let answer = tokio::time::timeout(
                        GUARD,
                        client.execute(HumanMonitorCommand::new(line.clone())),
                    )
                    .await
                    .expect("an answer within the guard")
                    .unwrap();
                    assert_eq!(answer, summary(&line), "the answer to {line}");
                }
                commands
            })
        })
        .collect();
    let mut answered = 0;
    for lane in lanes {
        answered += lane.await.unwrap();
    }
    assert_eq!(answered, load.commands);
    follow.await.unwrap();
}

/// A raw connection that sends lines of 16 MiB and more while a task reads
/// the events and passes the answers on.
async fn big(index: usize, load: Arc<Load>) {
    let _failing = OnPanic(Arc::clone(&load));
    let who = format!("big connection {index}");
    let slot = TYPED + index;
    let (read, mut write) = UnixStream::connect(&load.socket)
        .await
        .unwrap()
        .into_split();
    let mut lines = BufReader::new(read).lines();
    let mut next_line = async || -> Option<Value> {
        let line = tokio::time::timeout(GUARD, lines.next_line())
            .await
            .expect("a line within the guard")
            .unwrap()?;
        Some(serde_json::from_str(&line).unwrap())
    };
    assert!(next_line().await.unwrap().get("QMP").is_some(), "greeting");
    let enable = if index.is_multiple_of(2) {
        json!([])
    } else {
        json!(["oob"])
    };
    let negotiate = json!({"execute": "qmp_capabilities", "arguments": {"enable": enable}});
    write
        .write_all(format!("{negotiate}\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(next_line().await, Some(json!({"return": {}})));

    let (answers, mut answers_rx) = tokio::sync::mpsc::unbounded_channel();
    let (all_seen, all_seen_rx) = oneshot::channel();
    let reader = tokio::spawn({
        let load = Arc::clone(&load);
        let who = who.clone();
        async move {
            let mut all_seen = Some(all_seen);
            let mut next = 0;
            // Events keep coming while the peer sends: no guard on quiet.
            while let Some(line) = lines.next_line().await.unwrap() {
                let value: Value = serde_json::from_str(&line).unwrap();
                if let Some(name) = value["event"].as_str() {
                    next = load.check_event(next, name, &value["data"], &who);
                    load.saw(slot, next);
                    if next == load.events {
                        let _ = all_seen.take().map(|tell| tell.send(()));
                    }
                } else {
                    answers.send(value).unwrap();
                }
            }
            next
        }
    });
    let mut answer = async || {
        tokio::time::timeout(GUARD, answers_rx.recv())
            .await
            .expect("an answer within the guard")
            .expect("an answer before the end")
    };
    load.ready.wait().await;

    let refused = json!({"error": {
        "class": "GenericError",
        "desc": format!("QMP input exceeds the limit of {LIMIT} bytes"),
    }});
    // One byte past the limit: a request that would be valid.
    write.write_all(&load.over_limit).await.unwrap();
    assert_eq!(answer().await, refused, "{who}: 16 MiB + 1 byte");
    load.pause().await;
    // Far past it: a request whose command line is OVER_LIMIT_MIB MiB,
    // written in pieces.
    write.write_all(HEAD.as_bytes()).await.unwrap();
    for _ in 0..OVER_LIMIT_MIB {
        write.write_all(&load.chunk).await.unwrap();
    }
    write.write_all(TAIL.as_bytes()).await.unwrap();
    write.write_all(b"\n").await.unwrap();
    assert_eq!(answer().await, refused, "{who}: {OVER_LIMIT_MIB} MiB");
    load.pause().await;
    // Exactly at the limit, after the newline that ended the one before:
    // answered.
    write.write_all(&load.under_limit.0).await.unwrap();
    assert_eq!(
        answer().await,
        json!({"return": summary(&load.under_limit.1), "id": "big"}),
        "{who}: 16 MiB - 1 byte"
    );
    load.pause().await;
    // And the connection goes on.
    let request = json!({"execute": "human-monitor-command", "arguments": {"command-line": who}, "id": index});
    write
        .write_all(format!("{request}\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(
        answer().await,
        json!({"return": summary(&who), "id": index})
    );

    tokio::time::timeout(GUARD, all_seen_rx)
        .await
        .unwrap_or_else(|_| panic!("{who}: every event within the guard"))
        .unwrap();
    write.shutdown().await.unwrap();
    let seen = tokio::time::timeout(GUARD, reader)
        .await
        .expect("the end of the stream after ours")
        .unwrap();
    assert_eq!(seen, load.events, "{who}: no event after the last");
}

/// A raw connection that negotiates, then reads nothing until every event
/// was emitted: it fell a whole buffer behind, so the server closed it.
/// Returns how many events it got first.
async fn slow(index: usize, load: Arc<Load>) -> usize {
    let _failing = OnPanic(Arc::clone(&load));
    let who = format!("slow connection {index}");
    let mut raw = Raw::connect(&load.socket).await;
    raw.greeting = raw.line().await;
    raw.negotiate(&[]).await;
    let mut emitted = load.emitted.subscribe();
    load.ready.wait().await;
    tokio::time::timeout(RUN_GUARD, emitted.wait_for(|done| *done))
        .await
        .expect("every event emitted within the guard")
        .unwrap();
    // What the server had written before it noticed, in order, then the
    // end of the stream.
    let mut next = 0;
    while let Some(event) = raw.next().await {
        let name = event["event"].as_str().unwrap_or_default();
        next = load.check_event(next, name, &event["data"], &who);
    }
    assert!(
        next < load.events,
        "{who}: closed, having lost events (got all {next})"
    );
    next
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_connections_commands_and_events_with_huge_lines_and_slow_readers() {
    let started = Instant::now();
    let router = Router::new().route(human_monitor_command);
    let server = Server::builder(Schema::bindings(), router)
        .max_connections(CONNECTIONS)
        .event_buffer(EVENT_BUFFER)
        .build(());
    let served = Served::start(server.clone());
    let (emitted, _) = watch::channel(false);
    let (failed, _) = watch::channel(false);
    let load = Arc::new(Load {
        socket: served.socket.clone(),
        commands: commands_per_connection(),
        events: event_count(),
        ready: Barrier::new(CONNECTIONS + 1),
        seen: (0..TYPED + BIG).map(|_| AtomicUsize::new(0)).collect(),
        advanced: Notify::new(),
        emitted,
        failed,
        step: Barrier::new(BIG + 1),
        over_limit: request_of_length(LIMIT + 1).0,
        under_limit: request_of_length(LIMIT),
        chunk: vec![b'x'; 1 << 20],
    });
    let typed: Vec<_> = (0..TYPED)
        .map(|i| tokio::spawn(typed(i, Arc::clone(&load))))
        .collect();
    let big: Vec<_> = (0..BIG)
        .map(|i| tokio::spawn(big(i, Arc::clone(&load))))
        .collect();
    let slow: Vec<_> = (0..SLOW)
        .map(|i| tokio::spawn(slow(i, Arc::clone(&load))))
        .collect();

    let run = async {
        load.unless_failed(GUARD, load.ready.wait()).await;
        let negotiated = started.elapsed();
        // Every connection is open and operational, and the test's own
        // lines are allocated and written: what follows is the load's.
        let before = qmp_test_support::peak_rss();
        let emitter = tokio::spawn(emit(server.clone(), Arc::clone(&load)));

        // Peak memory, in the steps of the big connections:
        let one_past = load.measure().await;
        let far_past = load.measure().await;
        let under_limit = load.measure().await;
        let [one_past, far_past, under_limit] =
            [one_past, far_past, under_limit].map(|peak| mib(peak) - mib(before));
        eprintln!(
            "peak memory {:.1} MiB with every connection open; grown by {one_past:.1} MiB after {BIG} requests of 16 MiB + 1 byte refused, {far_past:.1} MiB after {BIG} of {OVER_LIMIT_MIB} MiB, {under_limit:.1} MiB after {BIG} requests of 16 MiB - 1 byte answered",
            mib(before)
        );
        // While a request comes in, the server holds up to its limit (16
        // MiB) of it before it can tell it is too long, then lets
        // it go; growing its buffer to 16 MiB, it briefly holds the 8 MiB
        // one too. The big connections may all be there at once: BIG ×
        // 24 MiB, 192 MiB (140 to 210 MiB measured, with how the
        // allocator places the buffers). The rest of the load grows the
        // peak by under 10 MiB meanwhile. Bound: twice 16 MiB a big
        // connection, and 32 MiB for the rest, 288 MiB. A server that
        // held the lines would need BIG × (16 MiB + 1 byte + 64 MiB), 640
        // MiB.
        let bound = mib(BIG * 2 * LIMIT + (32 << 20));
        let unbounded = mib(BIG * (LIMIT + 1 + (OVER_LIMIT_MIB << 20)));
        assert!(bound * 2.0 < unbounded, "the bound tells the two apart");
        assert!(
            far_past < bound,
            "peak memory grew by {far_past:.1} MiB while lines past the limit were refused (bound {bound:.0} MiB; holding them would take {unbounded:.0} MiB)"
        );
        // And the longer lines cost no more than the shorter ones, as the
        // server stops holding at 16 MiB either way: they may move the
        // peak by how the buffers happen to be placed (up to 40 MiB
        // measured), never by their length. Holding them would take BIG ×
        // 48 MiB more, 384 MiB.
        let more = mib(BIG * LIMIT);
        let held = mib(BIG * ((OVER_LIMIT_MIB << 20) - LIMIT));
        assert!(more * 2.0 < held, "the bound tells the two apart");
        assert!(
            far_past - one_past < more,
            "peak memory grew by {:.1} MiB more for lines of {OVER_LIMIT_MIB} MiB than for lines of 16 MiB + 1 byte (bound {more:.0} MiB; holding them would take {held:.0} MiB more)",
            far_past - one_past
        );

        emitter.await.unwrap();
        let emitted = started.elapsed();
        let mut got = Vec::new();
        for slow in slow {
            got.push(slow.await.unwrap());
        }
        for task in typed.into_iter().chain(big) {
            task.await.unwrap();
        }
        eprintln!(
            "{CONNECTIONS} connections negotiated in {negotiated:.2?}; {} events emitted by {emitted:.2?}; {TYPED} × {} commands answered, {BIG} × (16 MiB + 1, {OVER_LIMIT_MIB} MiB) refused and 16 MiB - 1 answered, all done in {:.2?}; slow readers got {got:?} events before being closed; peak memory at the end {:.1} MiB",
            load.events,
            load.commands,
            started.elapsed(),
            mib(qmp_test_support::peak_rss()),
        );
    };
    tokio::time::timeout(RUN_GUARD, run)
        .await
        .expect("the load ran to its end within the guard");

    // The server still serves, and shuts down with nothing stuck.
    let client = Client::connect_unix(&served.socket)
        .await
        .unwrap()
        .negotiate(&[])
        .await
        .unwrap();
    let answer = client
        .execute(HumanMonitorCommand::new("after".into()))
        .await
        .unwrap();
    assert_eq!(answer, summary("after"));
    drop(client);
    tokio::time::timeout(GUARD, served.server.shutdown())
        .await
        .expect("every connection closed on shutdown");
}

/// A request of exactly the limit is answered whatever white space came
/// before it, such as the newline that ended the request before: white
/// space between messages is no part of either (`frame.rs`: "White space
/// between messages is skipped"), and QEMU's limits do not count it.
#[tokio::test]
async fn a_request_of_exactly_the_limit_is_answered_after_a_newline() {
    let limit = 128;
    let server = Server::builder(
        Schema::bindings(),
        Router::new().route(human_monitor_command),
    )
    .max_message_size(limit)
    .build(());
    let served = Served::start(server);
    let mut raw = served.raw().await;
    // The first message of the connection, exactly at the limit: nothing
    // came before it, and it is answered.
    let negotiate = r#"{"execute": "qmp_capabilities", "id": ""#;
    let negotiate = format!("{negotiate}{}\"}}", "x".repeat(limit - negotiate.len() - 2));
    assert_eq!(negotiate.len(), limit);
    let answer = raw.ask(&negotiate).await;
    assert_eq!(answer["return"], json!({}), "{answer}");
    // The next one, of the same length, after the newline that ended the
    // first: answered too, the newline counted for neither.
    let (request, command_line) = request_of_length(limit);
    raw.write(&request).await;
    assert_eq!(
        raw.line().await,
        json!({"return": summary(&command_line), "id": "big"})
    );
}
