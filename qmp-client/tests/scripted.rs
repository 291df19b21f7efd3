//! The client against a scripted server on an in-memory pipe or a Unix
//! socket pair: the cases a well-behaved QEMU never produces (malformed
//! lines, answers that do not decode, ids nobody sent), and a transport
//! that takes requests slowly or fails.

use std::time::Duration;

use qmp_client::commands::QueryVersion;
use qmp_client::events::AnyEvent;
use qmp_client::wire::RequestError;
use qmp_client::{Client, Connector, Error, Operational};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, Lines};

const GREETING: &str = r#"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": ""}, "capabilities": ["oob"]}}"#;
const VERSION: &str = r#"{"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": ""}"#;
const GUARD: Duration = Duration::from_secs(30);

type ReadEnd = Box<dyn AsyncRead + Unpin + Send>;
type WriteEnd = Box<dyn AsyncWrite + Unpin + Send>;

/// The server's end: reads requests, writes whatever the test says.
struct Server {
    lines: Lines<BufReader<ReadEnd>>,
    write: WriteEnd,
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

    /// Answers request `id` with `ret`.
    async fn answer(&mut self, id: &Value, ret: &str) {
        self.send(&format!(r#"{{"return": {ret}, "id": {id}}}"#))
            .await;
    }

    async fn send(&mut self, line: &str) {
        self.write.write_all(line.as_bytes()).await.unwrap();
        self.write.write_all(b"\n").await.unwrap();
    }
}

/// A client and a server on an in-memory pipe.
async fn connected() -> (Client<Operational>, Server) {
    let (client_end, server_end) = tokio::io::duplex(1 << 16);
    let (read, write) = tokio::io::split(server_end);
    let (client_read, client_write) = tokio::io::split(client_end);
    negotiated(
        (Box::new(read), Box::new(write)),
        (Box::new(client_read), Box::new(client_write)),
    )
    .await
}

/// `query-version` on a task of its own, for the server to answer.
fn query_version(
    client: &Client<Operational>,
) -> tokio::task::JoinHandle<Result<qmp_client::types::VersionInfo, Error>> {
    let client = client.clone();
    tokio::spawn(async move { client.execute(QueryVersion::new()).await })
}

/// What a task returned, within the hang guard.
async fn joined<T>(task: tokio::task::JoinHandle<T>) -> T {
    tokio::time::timeout(GUARD, task).await.unwrap().unwrap()
}

/// A client on `client`, negotiated by a server on `server`.
async fn negotiated(
    server: (ReadEnd, WriteEnd),
    client: (ReadEnd, WriteEnd),
) -> (Client<Operational>, Server) {
    negotiated_with(Connector::new(), server, client).await
}

/// [`negotiated`], the client connected by `connector`.
async fn negotiated_with(
    connector: Connector,
    server: (ReadEnd, WriteEnd),
    client: (ReadEnd, WriteEnd),
) -> (Client<Operational>, Server) {
    let mut server = Server {
        lines: BufReader::new(server.0).lines(),
        write: server.1,
    };
    server.send(GREETING).await;
    let client = connector.io(client.0, client.1).await.unwrap();
    let negotiate = tokio::spawn(client.negotiate(&[]));
    let request = server.request().await;
    assert_eq!(request["execute"], "qmp_capabilities");
    server.answer(&request["id"], "{}").await;
    (negotiate.await.unwrap().unwrap(), server)
}

#[tokio::test]
async fn malformed_lines_are_typed_errors_and_the_connection_goes_on() {
    let (client, mut server) = connected().await;
    let mut events = client.events();
    let call = query_version(&client);
    let request = server.request().await;
    server.send("this is not JSON").await;
    server.send(r#"{"return": {}, "id": "not ours"}"#).await;
    server.send(r#"{"return": {}, "id": 999}"#).await;
    server.send(r#"{"neither": true}"#).await;
    server
        .send(r#"{"event": "SOMETHING_NEW", "data": {"x": 1}, "timestamp": {"seconds": 1, "microseconds": 2}}"#)
        .await;
    server.answer(&request["id"], VERSION).await;
    let version = joined(call).await.unwrap();
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
        Err(Error::Malformed { reason, .. }) => assert!(reason.contains("999"), "{reason}"),
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
    let call = query_version(&client);
    let request = server.request().await;
    let long = "x".repeat(2000);
    server
        .send(&format!(
            r#"{{"return": {{"qemu": "{long}"}}, "id": {}}}"#,
            request["id"]
        ))
        .await;
    match joined(call).await {
        Err(Error::Malformed {
            bytes, truncated, ..
        }) => {
            assert!(truncated);
            assert_eq!(bytes.len(), qmp_client::MALFORMED_EXCERPT);
        }
        other => panic!("{other:?}"),
    }
    // Not even JSON inside: the reader only finds where the value ends,
    // the call's decoding finds what is wrong with it.
    let call = query_version(&client);
    let request = server.request().await;
    server.answer(&request["id"], r#"{"qemu": ]"#).await;
    match joined(call).await {
        Err(Error::Malformed { bytes, .. }) => assert_eq!(bytes, br#"{"qemu": ]"#),
        other => panic!("{other:?}"),
    }
    let call = query_version(&client);
    let request = server.request().await;
    server.answer(&request["id"], VERSION).await;
    assert!(joined(call).await.is_ok());
}

#[tokio::test]
async fn a_closed_pipe_ends_streams_and_fails_calls() {
    let (client, mut server) = connected().await;
    let mut events = client.events();
    let call = query_version(&client);
    server.request().await;
    drop(server);
    let result = joined(call).await;
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
        let call = query_version(&client);
        let request = server.request().await;
        assert!(request.get("arguments").is_none(), "{request}");
        ids.push(request["id"].clone());
        server.answer(&request["id"], VERSION).await;
        joined(call).await.unwrap();
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");

    // A call that times out keeps its id until its late answer comes: the
    // next call gets another id, and the late answer does not reach it.
    let result = client
        .execute_with_timeout(QueryVersion::new(), Some(Duration::from_millis(50)))
        .await;
    assert!(matches!(result, Err(Error::Timeout(_))), "{result:?}");
    let abandoned = server.request().await["id"].clone();
    let call = query_version(&client);
    let request = server.request().await;
    assert_ne!(request["id"], abandoned);
    server
        .send(&format!(
            r#"{{"return": {{"not": "a version"}}, "id": {abandoned}}}"#
        ))
        .await;
    // The abandoned id is free again once its answer came (and was read).
    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = query_version(&client);
    let second = server.request().await;
    assert_eq!(second["id"], abandoned);
    for id in [&request["id"], &second["id"]] {
        server.answer(id, VERSION).await;
    }
    for call in [call, again] {
        let version = joined(call).await.unwrap();
        assert_eq!(version.qemu.micro, 2);
    }
}

/// A client and a server on a Unix socket pair; also the server's socket,
/// for shutting it down halfway.
async fn connected_by_socket() -> (Client<Operational>, Server, std::os::unix::net::UnixStream) {
    let (client_end, server_end) = std::os::unix::net::UnixStream::pair().unwrap();
    let socket = server_end.try_clone().unwrap();
    let [client_end, server_end] = [client_end, server_end].map(|end| {
        end.set_nonblocking(true).unwrap();
        tokio::net::UnixStream::from_std(end).unwrap().into_split()
    });
    let (client, server) = negotiated(
        (Box::new(server_end.0), Box::new(server_end.1)),
        (Box::new(client_end.0), Box::new(client_end.1)),
    )
    .await;
    (client, server, socket)
}

impl Server {
    /// Reads one line a few bytes at a time, letting the client run in
    /// between: a peer that takes a long request slowly.
    async fn slow_line(&mut self) -> Vec<u8> {
        let reader = self.lines.get_mut();
        let mut line = Vec::new();
        while !line.ends_with(b"\n") {
            let buffer = tokio::time::timeout(GUARD, reader.fill_buf())
                .await
                .unwrap()
                .unwrap();
            assert!(!buffer.is_empty(), "end of stream inside a line");
            let end = buffer
                .iter()
                .position(|b| *b == b'\n')
                .map_or(buffer.len(), |i| i + 1)
                .min(4096);
            line.extend_from_slice(&buffer[..end]);
            reader.consume(end);
            tokio::task::yield_now().await;
        }
        line
    }
}

#[tokio::test]
async fn a_request_the_socket_takes_in_parts_stays_whole_and_first() {
    let (client, mut server, _socket) = connected_by_socket().await;
    // Far more than a socket buffer holds: the call writes what the
    // socket takes, and the writer task the rest as the server reads.
    let blob = "x".repeat(4 << 20);
    let big = tokio::spawn({
        let client = client.clone();
        let blob = blob.clone();
        async move { client.execute_raw("x-big", json!({ "blob": blob })).await }
    });
    // Part of it has arrived, so the call has handed its request over:
    // dropping the call now must not cut the line short.
    server.lines.get_mut().fill_buf().await.unwrap();
    big.abort();
    assert!(big.await.unwrap_err().is_cancelled());
    // Queued behind the rest of the long line.
    let small = query_version(&client);
    let first: Value = serde_json::from_slice(&server.slow_line().await).unwrap();
    assert_eq!(first["execute"], "x-big");
    assert_eq!(first["arguments"]["blob"], blob.as_str());
    let second = server.request().await;
    assert_eq!(second["execute"], "query-version");
    for id in [&first["id"], &second["id"]] {
        server.answer(id, VERSION).await;
    }
    let version = joined(small).await.unwrap();
    assert_eq!(version.qemu.micro, 2);
}

#[tokio::test]
async fn a_failed_write_closes_the_connection_and_fails_pending_calls() {
    let (client, mut server, socket) = connected_by_socket().await;
    let waiting = query_version(&client);
    server.request().await;
    // The server stops reading: the next write fails (EPIPE), while the
    // connection's read side stays open.
    socket.shutdown(std::net::Shutdown::Read).unwrap();
    let result = client.execute(QueryVersion::new()).await;
    assert!(matches!(result, Err(Error::Disconnected)), "{result:?}");
    let result = joined(waiting).await;
    assert!(matches!(result, Err(Error::Disconnected)), "{result:?}");
    assert!(client.is_closed());
    let result = client.execute(QueryVersion::new()).await;
    assert!(matches!(result, Err(Error::Disconnected)), "{result:?}");
}

#[tokio::test]
async fn an_error_without_an_id_fails_the_oldest_in_band_call() {
    let (client, mut server) = connected().await;
    let mut events = client.events();
    let first = query_version(&client);
    let first_request = server.request().await;
    let second = query_version(&client);
    let second_request = server.request().await;
    // QEMU answers in-band requests in order, and a request it cannot
    // parse without an id: the error is the first call's.
    server
        .send(r#"{"error": {"class": "GenericError", "desc": "JSON parse error, stray '}'"}}"#)
        .await;
    server.answer(&second_request["id"], VERSION).await;
    match joined(first).await {
        Err(Error::Server { class, desc }) => {
            assert_eq!(class.as_str(), "GenericError");
            assert_eq!(desc, "JSON parse error, stray '}'");
        }
        other => panic!("expected the server's error, got {other:?}"),
    }
    joined(second).await.unwrap();
    assert_ne!(first_request["id"], second_request["id"]);

    // With no call waiting, it reaches the event subscribers.
    server
        .send(r#"{"error": {"class": "GenericError", "desc": "nobody's"}}"#)
        .await;
    let call = query_version(&client);
    let request = server.request().await;
    server.answer(&request["id"], VERSION).await;
    joined(call).await.unwrap();
    match events.try_next() {
        Some(Err(Error::Server { desc, .. })) => assert_eq!(desc, "nobody's"),
        other => panic!("expected the error on the event stream, got {other:?}"),
    }
}

#[tokio::test]
async fn a_request_too_deep_for_qemu_fails_at_once_and_nothing_is_sent() {
    let (client, mut server) = connected().await;
    let deep = (0..1100).fold(json!(0), |inner, _| json!([inner]));
    match client.execute_raw("x-deep", json!({ "value": deep })).await {
        Err(Error::Request(RequestError::TooDeep { depth, limit })) => {
            assert_eq!(limit, 1024);
            assert_eq!(depth, 1102);
        }
        other => panic!("expected TooDeep, got {other:?}"),
    }
    // The next request on the wire is the next call's.
    let call = query_version(&client);
    let request = server.request().await;
    assert_eq!(request["execute"], "query-version");
    server.answer(&request["id"], VERSION).await;
    joined(call).await.unwrap();
}

#[tokio::test]
async fn messages_over_the_size_limit_fail_their_call_and_the_connection_goes_on() {
    const LIMIT: usize = 4096;
    let (client_end, server_end) = tokio::io::duplex(1 << 16);
    let (read, write) = tokio::io::split(server_end);
    let (client_read, client_write) = tokio::io::split(client_end);
    let (client, mut server) = negotiated_with(
        Connector::new().max_message_size(LIMIT),
        (Box::new(read), Box::new(write)),
        (Box::new(client_read), Box::new(client_write)),
    )
    .await;
    let mut events = client.events();
    let big = format!(r#""{}""#, "x".repeat(100 * LIMIT));

    // An answer with its id at the end, as QEMU writes them.
    let call = query_version(&client);
    let request = server.request().await;
    server.answer(&request["id"], &big).await;
    assert!(matches!(
        joined(call).await,
        Err(Error::TooLarge { limit: LIMIT })
    ));

    // An answer whose id cannot be found is the oldest in-band call's.
    let call = query_version(&client);
    let _request = server.request().await;
    server
        .send(&format!(r#"{{"id": 0, "return": {big}}}"#))
        .await;
    assert!(matches!(
        joined(call).await,
        Err(Error::TooLarge { limit: LIMIT })
    ));

    // An event that large is reported to the subscribers.
    server
        .send(&format!(r#"{{"event": "BIG", "data": {{"x": {big}}}, "timestamp": {{"seconds": 1, "microseconds": 2}}}}"#))
        .await;

    // And the connection goes on: a message just under the limit passes.
    let call = query_version(&client);
    let request = server.request().await;
    let package = "p".repeat(LIMIT - 200);
    let version =
        format!(r#"{{"qemu": {{"micro": 2, "minor": 0, "major": 10}}, "package": "{package}"}}"#);
    server.answer(&request["id"], &version).await;
    assert_eq!(joined(call).await.unwrap().package, package);
    match events.try_next() {
        Some(Err(Error::TooLarge { limit })) => assert_eq!(limit, LIMIT),
        other => panic!("expected TooLarge on the event stream, got {other:?}"),
    }
}

#[tokio::test]
async fn events_before_the_greeting_are_skipped_but_nothing_else_is() {
    let (client_end, mut server_end) = tokio::io::duplex(1 << 16);
    let (read, write) = tokio::io::split(client_end);
    let event = r#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RESUME"}"#;
    server_end
        .write_all(format!("{event}\n{GREETING}\n").as_bytes())
        .await
        .unwrap();
    let client = tokio::time::timeout(GUARD, Connector::new().io(read, write))
        .await
        .unwrap()
        .expect("the greeting after an event");
    assert_eq!(client.greeting().version.qemu.major, 10);

    // Anything else first is not a greeting.
    let (client_end, mut server_end) = tokio::io::duplex(1 << 16);
    let (read, write) = tokio::io::split(client_end);
    server_end
        .write_all(format!("{{\"return\": {{}}}}\n{GREETING}\n").as_bytes())
        .await
        .unwrap();
    let result = tokio::time::timeout(GUARD, Connector::new().io(read, write))
        .await
        .unwrap();
    assert!(matches!(result, Err(Error::Malformed { .. })), "{result:?}");
}
