//! Arbitrary bytes as what a peer sends to one connection of our QMP
//! server (`Server::serve_stream` over an in-memory pipe, its answers
//! drained as they come): serving never panics, memory stays bounded
//! (libFuzzer's `-malloc_limit_mb` and `-rss_limit_mb` say how far), the
//! connection ends when the input does, and every line the server writes
//! is a JSON object: a greeting, an answer or an event.
//!
//! Messages are limited to 4096 bytes, so that inputs reach the too-long
//! path: run with `-max_len` above that. The first byte picks how the
//! input arrives (in chunks of 1 byte to 64 KiB, the server running in
//! between), so that messages, their strings and escapes, and the limit
//! fall across reads. The router
//! has commands in every shape: no arguments, nested unions
//! (`blockdev-add`), lists, out-of-band commands, a handler that fails,
//! handlers that emit events.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use qmp_server::qmp_types::commands::{
    BlockdevAdd, Cont, DeviceAdd, Getfd, HumanMonitorCommand, MigratePause, MigrateRecover,
    ObjectAdd, QueryStatus, Stop, Yank,
};
use qmp_server::qmp_types::events;
use qmp_server::qmp_types::types::{RunState, StatusInfo};
use qmp_server::qmp_types::Empty;
use qmp_server::{CommandError, Emitter, Fds, Router, Schema, Server};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The longest message the server reads.
const MAX_MESSAGE: usize = 4096;

/// Lines of the server's longer than this are not parsed back (only
/// `query-qmp-schema`'s answer is, and parsing it on every run would slow
/// the fuzzer down for nothing).
const CHECKED: usize = 64 * 1024;

type Result<T> = std::result::Result<T, CommandError>;

async fn query_status(_: Emitter, _: QueryStatus) -> Result<StatusInfo> {
    Ok(StatusInfo::new(true, RunState::Running))
}

async fn stop(emitter: Emitter, _: Stop) -> Result<Empty> {
    emitter.emit(&events::Stop::new());
    Ok(Empty {})
}

async fn cont(emitter: Emitter, _: Cont) -> Result<Empty> {
    emitter.emit(&events::Resume::new());
    // One without the schema's types, with data.
    emitter.emit_raw("X-FUZZ", serde_json::json!({ "n": 1 }));
    Ok(Empty {})
}

async fn accepted<C>(_: Emitter, _: C) -> Result<Empty> {
    Ok(Empty {})
}

async fn device_add(_: Emitter, _: DeviceAdd) -> Result<Empty> {
    Err(CommandError::generic("no such bus"))
}

async fn human_monitor_command(_: Emitter, command: HumanMonitorCommand) -> Result<String> {
    Ok(command.command_line)
}

async fn getfd(_: Emitter, _: Getfd, fds: Fds) -> Result<Empty> {
    if fds.is_empty() {
        return Err(CommandError::generic(
            "No file descriptor supplied via SCM_RIGHTS",
        ));
    }
    Ok(Empty {})
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    server: Server<Emitter>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let router = Router::new()
            .route(query_status)
            .route(stop)
            .route(cont)
            .route(accepted::<BlockdevAdd>)
            .route(accepted::<ObjectAdd>)
            .route(accepted::<Yank>)
            .route(accepted::<MigratePause>)
            .route(accepted::<MigrateRecover>)
            .route(device_add)
            .route(human_monitor_command)
            .route_with_fds(getfd);
        let builder = Server::builder(Schema::bindings(), router)
            .max_message_size(MAX_MESSAGE)
            .event_buffer(8);
        let events = builder.emitter();
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            server: builder.build(events),
        }
    })
}

/// Checks one line the server wrote (newline included).
fn check(line: &[u8]) {
    assert!(line.ends_with(b"\n"), "a line without its newline");
    if line.len() > CHECKED {
        assert!(line.starts_with(b"{\"return\": ["), "a long line");
        return;
    }
    let mut json = serde_json::Deserializer::from_slice(line);
    json.disable_recursion_limit();
    let value: serde_json::Value = serde::Deserialize::deserialize(&mut json).unwrap_or_else(|e| {
        panic!(
            "the server wrote a line that is not JSON ({e}): {}",
            String::from_utf8_lossy(line)
        )
    });
    let object = value.as_object().expect("every line is an object");
    assert!(
        ["QMP", "return", "error", "event"]
            .iter()
            .any(|key| object.contains_key(*key)),
        "{value}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, input)) = data.split_first() else {
        return;
    };
    let chunk = 1usize << (pick % 17);
    let Fixture { runtime, server } = fixture();
    runtime.block_on(async {
        let (peer, ours) = tokio::io::duplex(64 * 1024);
        let (read, write) = tokio::io::split(ours);
        let (answers, mut requests) = tokio::io::split(peer);
        let drain = tokio::spawn(async move {
            let mut answers = BufReader::new(answers);
            let mut line = Vec::new();
            let mut lines = 0usize;
            loop {
                line.clear();
                match answers.read_until(b'\n', &mut line).await {
                    Ok(0) | Err(_) => return lines,
                    Ok(_) => {
                        check(&line);
                        lines += 1;
                    }
                }
            }
        });
        let feed = async move {
            for piece in input.chunks(chunk) {
                if requests.write_all(piece).await.is_err() {
                    return;
                }
                tokio::task::yield_now().await;
            }
            let _ = requests.shutdown().await;
        };
        tokio::join!(server.serve_stream(read, write), feed);
        // The greeting at least; the drain ends once the server is gone.
        let lines = drain.await.unwrap();
        assert!(lines >= 1, "no greeting");
    });
});
