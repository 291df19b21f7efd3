//! The scripted test double speaking as QEMU's guest agent: our agent
//! client runs code against it as a downstream test would, and the same
//! lines go to the double and to the live qemu-ga 10.0, whose answers
//! must match where the double answers at all.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use qmp_client::agent::Agent;
use qmp_client::Error;
use qmp_server::testing::{Script, ScriptedServer};
use qmp_server::CommandError;
use qmp_test_support::{GuestAgent, Release, HANG_GUARD};
use qmp_types::agent::commands::{
    GuestExec, GuestExecStatus, GuestFileOpen, GuestGetHostName, GuestShutdown,
};
use qmp_types::agent::types::{self, GuestExecCaptureOutput, GuestHostName};

#[tokio::test]
async fn a_scripted_agent_serves_the_agent_client() {
    // What `Agent::exec("echo", &["hi"])` sends.
    let mut exec = GuestExec::new("echo".to_owned());
    exec.arg = Some(vec!["hi".to_owned()]);
    exec.capture_output = Some(GuestExecCaptureOutput::Flag(true));
    let mut running = types::GuestExecStatus::new(false);
    running.exitcode = None;
    let mut exited = types::GuestExecStatus::new(true);
    exited.exitcode = Some(0);
    exited.out_data = Some("aGkK".to_owned()); // "hi\n"
    let mut open = GuestFileOpen::new("/etc/secret".to_owned());
    open.mode = Some("r".to_owned());
    let mut shutdown = GuestShutdown::new();
    shutdown.mode = Some("powerdown".to_owned());
    let script = Script::new()
        .expect_agent(GuestGetHostName::new())
        .returns(GuestHostName::new("double".to_owned()))
        .expect_agent(shutdown.clone())
        .answers_nothing()
        .expect_agent(exec)
        .returns(types::GuestExec::new(7))
        .expect_agent(GuestExecStatus::new(7))
        .returns(running)
        .expect_agent(GuestExecStatus::new(7))
        .delay(Duration::from_millis(1))
        .returns(exited)
        .expect_agent(open)
        .fails(CommandError::generic("failed to open file '/etc/secret'"));
    let server = ScriptedServer::start_agent(script).unwrap();

    // Connecting syncs with the double's own guest-sync-delimited.
    let agent = Agent::connect_unix(server.socket()).await.unwrap();
    let name = agent.execute(GuestGetHostName::new()).await.unwrap();
    assert_eq!(name.host_name, "double");
    // No answer on success: the call returns once sent, and the next one
    // still gets its own answer.
    agent.execute(shutdown).await.unwrap();
    let run = agent.exec("echo", &["hi"]).await.unwrap();
    assert_eq!(run.stdout, b"hi\n");
    assert!(run.success());
    let error = agent.read_file("/etc/secret").await.unwrap_err();
    assert!(
        matches!(&error, Error::Server { desc, .. } if desc.contains("/etc/secret")),
        "{error:?}"
    );
    agent.sync().await.unwrap();
    drop(agent);
    server.finish().await.unwrap();
}

#[tokio::test]
async fn a_command_off_script_is_reported() {
    let script = Script::new()
        .expect_agent(GuestGetHostName::new())
        .returns(GuestHostName::new("double".to_owned()));
    let server = ScriptedServer::start_agent(script).unwrap();
    let agent = Agent::connect_unix(server.socket()).await.unwrap();
    let error = agent.execute(GuestShutdown::new()).await;
    // Answered only on failure, so the call itself returns; the script
    // says what went wrong, once the double has read it (the sync's
    // answer comes after).
    assert!(error.is_ok());
    agent.sync().await.unwrap();
    let problems = server.finish().await.unwrap_err().problems;
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("but got guest-shutdown"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("never sent: guest-get-host-name"),
        "{problems:?}"
    );
}

/// One connection, a line at a time.
struct Peer {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Peer {
    fn new(stream: UnixStream) -> Peer {
        stream.set_read_timeout(Some(HANG_GUARD)).unwrap();
        Peer {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    fn ask(&mut self, line: &[u8]) -> Vec<u8> {
        self.writer.write_all(line).unwrap();
        self.writer.write_all(b"\n").unwrap();
        let mut answer = Vec::new();
        self.reader.read_until(b'\n', &mut answer).unwrap();
        answer
    }
}

/// Lines the double answers itself, without a script: the sync, and the
/// refusals that come before any handler.
const LINES: [&[u8]; 6] = [
    br#"{"execute":"guest-sync","arguments":{"id":12345}}"#,
    br#"{"execute":"guest-sync-delimited","arguments":{"id":678}}"#,
    br#"{"execute":"guest-sync","arguments":{"id":"x"}}"#,
    br#"{"execute":"guest-sync"}"#,
    br#"{"execute":"guest-sync","arguments":{"id":1,"extra":2}}"#,
    br#"{"execute":"guest-sync","arguments":{"id":5},"id":"echo"}"#,
];

#[tokio::test]
async fn the_double_answers_as_the_live_agent_does() {
    let Some(binary) = Release::Current.guest_agent() else {
        return;
    };
    let mut live = GuestAgent::start(&binary).unwrap();
    let mut live = Peer::new(live.connect().unwrap());
    let double = ScriptedServer::start_agent(Script::new()).unwrap();
    let socket = double.socket().to_path_buf();
    let answers = tokio::task::spawn_blocking(move || {
        let mut ours = Peer::new(UnixStream::connect(socket).unwrap());
        LINES
            .iter()
            .map(|line| (live.ask(line), ours.ask(line)))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (line, (theirs, ours)) in LINES.iter().zip(&answers) {
        eprintln!(
            "{}\n  qemu-ga: {}\n  double:  {}",
            String::from_utf8_lossy(line),
            theirs.escape_ascii(),
            ours.escape_ascii()
        );
        assert_eq!(
            ours,
            theirs,
            "{}: the double answers otherwise",
            String::from_utf8_lossy(line)
        );
    }
    double.finish().await.unwrap();
}

/// A fake agent with typed handlers (`Router::route_agent`), as a
/// downstream test writes one when a script is not enough: our agent
/// client syncs with it, gets the handler's typed answer, and a
/// `guest-shutdown` whose handler succeeds is answered with nothing.
#[tokio::test]
async fn typed_agent_handlers_serve_the_agent_client() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use qmp_server::{Router, Schema, Server};

    async fn host_name(
        _: Arc<AtomicBool>,
        _: GuestGetHostName,
    ) -> Result<GuestHostName, CommandError> {
        Ok(GuestHostName::new("typed-fake".to_owned()))
    }
    async fn shutdown(
        down: Arc<AtomicBool>,
        command: GuestShutdown,
    ) -> Result<qmp_types::Empty, CommandError> {
        if command.mode.as_deref() == Some("reboot") {
            return Err(CommandError::generic("this fake only powers down"));
        }
        down.store(true, Ordering::SeqCst);
        Ok(qmp_types::Empty {})
    }

    let schema = Schema::agent(qmp_types::agent::INTROSPECTION).unwrap();
    let router = Router::new().route_agent(host_name).route_agent(shutdown);
    let down = Arc::new(AtomicBool::new(false));
    let server = Server::builder(schema, router).build(down.clone());
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("qga.sock");
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    let serving = tokio::spawn({
        let server = server.clone();
        async move { server.serve_unix(listener).await }
    });

    let agent = tokio::time::timeout(HANG_GUARD, Agent::connect_unix(&socket))
        .await
        .unwrap()
        .unwrap();
    let name = agent.execute(GuestGetHostName::new()).await.unwrap();
    assert_eq!(name.host_name, "typed-fake");
    // Refused by the handler: an answer (which the raw call waits for; a
    // typed guest-shutdown returns once sent), and the fake stays up.
    let refused = agent
        .execute_raw("guest-shutdown", serde_json::json!({"mode": "reboot"}))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::Server { desc, .. } if desc == "this fake only powers down"),
        "{refused:?}"
    );
    assert!(!down.load(Ordering::SeqCst));
    // Success: no answer (the client does not wait for one); the next
    // call gets its own.
    agent.execute(GuestShutdown::new()).await.unwrap();
    let name = agent.execute(GuestGetHostName::new()).await.unwrap();
    assert_eq!(name.host_name, "typed-fake");
    assert!(down.load(Ordering::SeqCst));
    // A command without a handler is not found, in the agent's words.
    let missing = agent
        .execute_raw("guest-get-time", serde_json::Value::Null)
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, Error::Server { class, .. } if class.as_str() == "CommandNotFound"),
        "{missing:?}"
    );

    drop(agent);

    // On the wire: the shutdown's success has no line at all.
    let socket_path = socket.clone();
    let first = tokio::task::spawn_blocking(move || {
        let mut stream = UnixStream::connect(&socket_path).unwrap();
        stream
            .write_all(
                b"{\"execute\": \"guest-shutdown\", \"id\": 1}\n\
                  {\"execute\": \"guest-get-host-name\", \"id\": 2}\n",
            )
            .unwrap();
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    assert_eq!(
        first.trim_end(),
        r#"{"return": {"host-name": "typed-fake"}, "id": 2}"#
    );

    server.shutdown().await;
    serving.await.unwrap().unwrap();
}
