//! The client against a scripted server on an in-memory pipe: the cases
//! a well-behaved QEMU never produces (malformed lines, answers that do
//! not decode, ids nobody sent).

use std::time::Duration;

use qmp_client::types::commands::QueryVersion;
use qmp_client::types::events::AnyEvent;
use qmp_client::{Client, Error, Operational};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};

const GREETING: &str = r#"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": ""}, "capabilities": ["oob"]}}"#;
const VERSION: &str = r#"{"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": ""}"#;
const GUARD: Duration = Duration::from_secs(30);

/// The server's end: reads requests, writes whatever the test says.
struct Server {
    lines: Lines<BufReader<tokio::io::ReadHalf<DuplexStream>>>,
    write: tokio::io::WriteHalf<DuplexStream>,
}

impl Server {
    async fn request(&mut self) -> Value {
        let line = tokio::time::timeout(GUARD, self.lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .expect("a request");
        serde_json::from_str(&line).unwrap()
    }

    async fn send(&mut self, line: &str) {
        self.write.write_all(line.as_bytes()).await.unwrap();
        self.write.write_all(b"\n").await.unwrap();
    }
}

async fn connected() -> (Client<Operational>, Server) {
    let (client_end, server_end) = tokio::io::duplex(1 << 16);
    let (read, write) = tokio::io::split(server_end);
    let mut server = Server {
        lines: BufReader::new(read).lines(),
        write,
    };
    server.send(GREETING).await;
    let (client_read, client_write) = tokio::io::split(client_end);
    let client = Client::connect_io(client_read, client_write).await.unwrap();
    let negotiate = tokio::spawn(client.negotiate(&[]));
    let request = server.request().await;
    assert_eq!(request["execute"], "qmp_capabilities");
    server
        .send(&format!(r#"{{"return": {{}}, "id": {}}}"#, request["id"]))
        .await;
    (negotiate.await.unwrap().unwrap(), server)
}

#[tokio::test]
async fn malformed_lines_are_typed_errors_and_the_connection_goes_on() {
    let (client, mut server) = connected().await;
    let mut events = client.events::<AnyEvent>();
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.execute(QueryVersion {}).await }
    });
    let request = server.request().await;
    server.send("this is not JSON").await;
    server.send(r#"{"return": {}, "id": "not ours"}"#).await;
    server
        .send(r#"{"error": {"class": "GenericError", "desc": "JSON parse error"}}"#)
        .await;
    server.send(r#"{"neither": true}"#).await;
    server
        .send(r#"{"event": "SOMETHING_NEW", "data": {"x": 1}, "timestamp": {"seconds": 1, "microseconds": 2}}"#)
        .await;
    server
        .send(&format!(
            r#"{{"return": {VERSION}, "id": {}}}"#,
            request["id"]
        ))
        .await;
    let version = tokio::time::timeout(GUARD, call)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(version.qemu.micro, 2);

    // The reader routed these lines before the answer that follows them:
    // they are all queued.
    let mut next = || events.try_next().expect("queued");
    match next() {
        Err(Error::Malformed {
            bytes, truncated, ..
        }) => {
            assert_eq!(bytes, b"this is not JSON");
            assert!(!truncated);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(next(), Err(Error::Malformed { .. })));
    match next() {
        Err(Error::Server { class, desc }) => {
            assert_eq!(class.as_str(), "GenericError");
            assert_eq!(desc, "JSON parse error");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(next(), Err(Error::Malformed { .. })));
    match next() {
        Ok((AnyEvent::Unknown(raw), timestamp)) => {
            assert_eq!(raw.name, "SOMETHING_NEW");
            assert_eq!(raw.data, json!({"x": 1}));
            assert_eq!((timestamp.seconds, timestamp.microseconds), (1, 2));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_answer_that_does_not_decode_fails_only_its_call() {
    let (client, mut server) = connected().await;
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.execute(QueryVersion {}).await }
    });
    let request = server.request().await;
    let long = "x".repeat(2000);
    server
        .send(&format!(
            r#"{{"return": {{"qemu": "{long}"}}, "id": {}}}"#,
            request["id"]
        ))
        .await;
    match tokio::time::timeout(GUARD, call).await.unwrap().unwrap() {
        Err(Error::Malformed {
            bytes, truncated, ..
        }) => {
            assert!(truncated);
            assert_eq!(bytes.len(), qmp_client::MALFORMED_EXCERPT);
        }
        other => panic!("{other:?}"),
    }
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.execute(QueryVersion {}).await }
    });
    let request = server.request().await;
    server
        .send(&format!(
            r#"{{"return": {VERSION}, "id": {}}}"#,
            request["id"]
        ))
        .await;
    assert!(tokio::time::timeout(GUARD, call)
        .await
        .unwrap()
        .unwrap()
        .is_ok());
}

#[tokio::test]
async fn a_closed_pipe_ends_streams_and_fails_calls() {
    let (client, mut server) = connected().await;
    let mut events = client.events::<AnyEvent>();
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.execute(QueryVersion {}).await }
    });
    server.request().await;
    drop(server);
    let result = tokio::time::timeout(GUARD, call).await.unwrap().unwrap();
    assert!(matches!(result, Err(Error::Disconnected)), "{result:?}");
    assert!(tokio::time::timeout(GUARD, events.next())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn ids_are_reused_only_after_the_answer_came() {
    let (client, mut server) = connected().await;
    // Sequential calls reuse the same small id, and leave `arguments` out.
    let mut ids = Vec::new();
    for _ in 0..3 {
        let call = tokio::spawn({
            let client = client.clone();
            async move { client.execute(QueryVersion {}).await }
        });
        let request = server.request().await;
        assert!(request.get("arguments").is_none(), "{request}");
        ids.push(request["id"].clone());
        server
            .send(&format!(
                r#"{{"return": {VERSION}, "id": {}}}"#,
                request["id"]
            ))
            .await;
        tokio::time::timeout(GUARD, call)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");

    // A call that times out keeps its id until its late answer comes: the
    // next call gets another id, and the late answer does not reach it.
    let result = client
        .execute_with_timeout(QueryVersion {}, Some(Duration::from_millis(50)))
        .await;
    assert!(matches!(result, Err(Error::Timeout(_))), "{result:?}");
    let abandoned = server.request().await["id"].clone();
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.execute(QueryVersion {}).await }
    });
    let request = server.request().await;
    assert_ne!(request["id"], abandoned);
    server
        .send(&format!(
            r#"{{"return": {{"not": "a version"}}, "id": {abandoned}}}"#
        ))
        .await;
    // The abandoned id is free again once its answer came (and was read).
    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = tokio::spawn({
        let client = client.clone();
        async move { client.execute(QueryVersion {}).await }
    });
    let second = server.request().await;
    assert_eq!(second["id"], abandoned);
    for id in [&request["id"], &second["id"]] {
        server
            .send(&format!(r#"{{"return": {VERSION}, "id": {id}}}"#))
            .await;
    }
    for call in [call, again] {
        let version = tokio::time::timeout(GUARD, call)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(version.qemu.micro, 2);
    }
}
