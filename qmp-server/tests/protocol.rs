//! The server's protocol beyond the mode rules: out-of-band execution,
//! file descriptors, bounded lines, stdio, the connection limit and
//! shutdown; our own client or a raw peer on the other end.

mod common;

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::sync::Arc;

use common::{error, Served, GUARD};
use qmp_client::commands::{Getfd, MigratePause, QueryVersion, Stop};
use qmp_client::Client;
use qmp_server::{CommandError, Fds, Router, Schema, Server};
use qmp_types::Empty;
use serde_json::json;
use tokio::sync::Notify;

/// `stop` waits until `migrate-pause` (out of band) lets it go on: only
/// out-of-order execution lets both finish.
#[tokio::test]
async fn exec_oob_overtakes_a_running_in_band_command() {
    let gate = Arc::new(Notify::new());
    async fn stop(gate: Arc<Notify>, _: Stop) -> Result<Empty, CommandError> {
        gate.notified().await;
        Ok(Empty {})
    }
    async fn pause(gate: Arc<Notify>, _: MigratePause) -> Result<Empty, CommandError> {
        gate.notify_one();
        Ok(Empty {})
    }
    let router = Router::new().route(stop).route(pause);
    let served = Served::start(Server::builder(Schema::bindings(), router).build(gate));
    let client = Client::connect_unix(&served.socket)
        .await
        .unwrap()
        .negotiate_oob(&[])
        .await
        .unwrap();
    let run = async {
        let (stopped, paused) = tokio::join!(client.execute(Stop::new()), async {
            tokio::task::yield_now().await;
            client.execute_oob(MigratePause::new()).await
        });
        stopped.unwrap();
        paused.unwrap();
    };
    tokio::time::timeout(GUARD, run)
        .await
        .expect("the out-of-band command ran while the in-band one waited");
    // In band, a command of its own order still runs after negotiation.
    client.execute(QueryVersion::new()).await.unwrap();
}

#[tokio::test]
async fn a_handler_receives_the_descriptors_passed_with_its_request() {
    async fn getfd(_: (), command: Getfd, fds: Fds) -> Result<Empty, CommandError> {
        let [fd] = <[_; 1]>::try_from(fds)
            .map_err(|fds| CommandError::generic(format!("{} descriptors", fds.len())))?;
        let mut file = std::fs::File::from(fd);
        file.write_all(command.fdname.as_bytes())
            .map_err(|e| CommandError::generic(e.to_string()))?;
        Ok(Empty {})
    }
    let router = Router::new().route_with_fds(getfd);
    let served = Served::start(Server::builder(Schema::bindings(), router).build(()));
    let client = served.client().await;
    let (mut reader, writer) = std::io::pipe().unwrap();
    client
        .execute_with_fds(Getfd::new("through the pipe".into()), &[writer.as_fd()])
        .await
        .unwrap();
    drop(writer);
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "through the pipe");
    // Without a descriptor, the handler says so.
    let error = client.execute(Getfd::new("none".into())).await.unwrap_err();
    assert!(error.to_string().contains("0 descriptors"), "{error}");
}

#[tokio::test]
async fn a_message_past_the_limit_is_refused_and_the_connection_goes_on() {
    let server = Server::builder(Schema::bindings(), Router::<()>::new())
        .max_message_size(1024)
        .build(());
    let served = Served::start(server);
    let mut raw = served.raw().await;
    let long = format!(
        r#"{{"execute": "qmp_capabilities", "id": "{}"}}"#,
        "x".repeat(4096)
    );
    let answer = raw.ask(&long).await;
    assert_eq!(
        error(&answer),
        ("GenericError", "QMP input exceeds the limit of 1024 bytes")
    );
    assert!(answer.get("id").is_none());
    raw.negotiate(&[]).await;
    let answer = raw.ask(r#"{"execute": "query-version", "id": 1}"#).await;
    assert_eq!(answer["id"], json!(1));
}

/// QEMU's own Python client sends requests without a newline; a request
/// may also span lines, and several share one.
#[tokio::test]
async fn a_message_ends_with_its_value_not_with_a_newline() {
    let served = Served::start(Server::builder(Schema::bindings(), Router::<()>::new()).build(()));
    let mut raw = served.raw().await;
    raw.write(br#"{"execute":"qmp_capabilities","id":1}"#).await;
    assert_eq!(raw.line().await, json!({"return": {}, "id": 1}));
    raw.write(b"{\"execute\":\n  \"query-version\", \"id\": 2}{\"execute\": \"query-version\", \"id\": 3} 42")
        .await;
    assert_eq!(raw.line().await["id"], json!(2));
    assert_eq!(raw.line().await["id"], json!(3));
    // The number ends at the next delimiter.
    raw.write(b"\n").await;
    assert_eq!(
        error(&raw.line().await),
        ("GenericError", "QMP input must be a JSON object")
    );
}

#[tokio::test]
async fn blank_lines_are_ignored() {
    let served = Served::start(Server::builder(Schema::bindings(), Router::<()>::new()).build(()));
    let mut raw = served.raw().await;
    raw.send("").await;
    raw.send("  \r").await;
    let answer = raw.ask(r#"{"execute": "qmp_capabilities", "id": 1}"#).await;
    assert_eq!(answer, json!({"return": {}, "id": 1}));
}

#[tokio::test]
async fn one_byte_stream_is_served_as_one_connection() {
    let server = Server::builder(Schema::bindings(), Router::<()>::new()).build(());
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let (read, write) = tokio::io::split(server_end);
    let serving = tokio::spawn({
        let server = server.clone();
        async move { server.serve_stream(read, write).await }
    });
    let (read, write) = tokio::io::split(client_end);
    let client = qmp_client::Connector::new()
        .io(read, write)
        .await
        .unwrap()
        .negotiate(&[])
        .await
        .unwrap();
    let version = client.execute(QueryVersion::new()).await.unwrap();
    assert_eq!(version.qemu.major, 10);
    drop(client);
    tokio::time::timeout(GUARD, serving)
        .await
        .expect("the connection ends with its client")
        .unwrap();
}

#[tokio::test]
async fn a_connection_past_the_limit_is_closed_before_the_greeting() {
    let server = Server::builder(Schema::bindings(), Router::<()>::new())
        .max_connections(2)
        .build(());
    let served = Served::start(server);
    let first = served.raw().await;
    let _second = served.raw().await;
    let mut third = common::Raw::connect(&served.socket).await;
    assert_eq!(third.next().await, None, "closed without a greeting");
    // A place frees when a connection ends.
    drop(first);
    let mut retried = None;
    for _ in 0..1000 {
        let mut raw = common::Raw::connect(&served.socket).await;
        if let Some(greeting) = raw.next().await {
            retried = Some(greeting);
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(
        retried.is_some(),
        "a greeting once the first connection left"
    );
}

/// What the shutdown test's `stop` handler waits on and says.
#[derive(Clone, Default)]
struct Gates {
    started: Arc<Notify>,
    go_on: Arc<Notify>,
}

#[tokio::test]
async fn shutdown_answers_the_running_command_then_closes_every_connection() {
    async fn stop(gates: Gates, _: Stop) -> Result<Empty, CommandError> {
        gates.started.notify_one();
        gates.go_on.notified().await;
        Ok(Empty {})
    }
    let gates = Gates::default();
    let router = Router::new().route(stop);
    let served = Served::start(Server::builder(Schema::bindings(), router).build(gates.clone()));
    let mut idle = served.raw().await;
    let mut busy = served.raw().await;
    busy.negotiate(&[]).await;
    busy.send(r#"{"execute": "stop", "id": "last"}"#).await;
    tokio::time::timeout(GUARD, gates.started.notified())
        .await
        .unwrap();
    let shutdown = tokio::spawn({
        let server = served.server.clone();
        async move { server.shutdown().await }
    });
    gates.go_on.notify_one();
    tokio::time::timeout(GUARD, shutdown)
        .await
        .expect("shutdown returns once every connection is closed")
        .unwrap();
    assert_eq!(busy.next().await, Some(json!({"return": {}, "id": "last"})));
    assert_eq!(busy.next().await, None);
    assert_eq!(idle.next().await, None);
    assert!(served.server.is_shut_down());
}
