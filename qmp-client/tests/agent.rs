//! The guest agent client against the live agents of both releases,
//! qemu-ga 10.0 and Debian 12's 7.2, each run on this machine without a VM
//! (`qemu-ga -m unix-listen`, by `qmp_test_support::GuestAgent`), and
//! against one scripted socket peer for what a live agent cannot be made
//! to send (stale answers waiting before the sync).
//!
//! Without an agent a test says SKIPPED, unless `QMP_REQUIRE_QEMU=1` or
//! CI, where it fails. `-- --nocapture` shows what each test saw.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use qmp_client::agent::{Agent, Connector};
use qmp_client::qmp_types::agent::commands as ga;
use qmp_client::qmp_types::agent::AgentCommand;
use qmp_client::wire::ErrorClass;
use qmp_client::Error;
use qmp_test_support::{GuestAgent, Release, HANG_GUARD};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Connects to `agent`, bounded by the hang guard.
///
/// A refused connection is tried again: qemu-ga in `unix-listen` mode
/// may stop listening for a moment after a client left without reading
/// its answers (seen with 7.2), which a VM's channel never does.
async fn connect(agent: &mut GuestAgent, release: Release) -> Agent {
    guard(async {
        loop {
            match Agent::connect_unix(&agent.socket).await {
                Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                connected => return connected,
            }
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{release}: connect: {e}"))
}

async fn guard<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(HANG_GUARD, future)
        .await
        .expect("the agent did not answer within the hang guard")
}

#[tokio::test]
async fn connects_in_step_after_a_client_left_half_a_request() {
    for (release, mut agent) in GuestAgent::every_release(&[]) {
        // A previous client leaves the agent's parser in the middle of a
        // request, with an answer it never read.
        let mut previous = agent.connect().unwrap();
        previous
            .write_all(b"{\"execute\":\"guest-ping\"}\n{\"execute\":\"guest-info\",\"argu")
            .unwrap();
        drop(previous);

        let client = connect(&mut agent, release).await;
        let info = guard(client.execute(ga::GuestInfo::new()))
            .await
            .unwrap_or_else(|e| panic!("{release}: guest-info: {e}"));
        let (major, minor) = release.version();
        assert!(
            info.version.starts_with(&format!("{major}.{minor}.")),
            "{release}: guest-info says {}",
            info.version
        );
        guard(client.sync())
            .await
            .unwrap_or_else(|e| panic!("{release}: sync: {e}"));
        guard(client.execute(ga::GuestPing::new()))
            .await
            .unwrap_or_else(|e| panic!("{release}: ping: {e}"));
        eprintln!(
            "{release}: in step after a half request; qemu-ga {}, {} commands",
            info.version,
            info.supported_commands.len()
        );
    }
}

#[tokio::test]
async fn stale_answers_before_the_sync_are_skipped() {
    // A live agent over unix-listen drops a closed client's answers, so
    // the stale ones a virtio-serial channel keeps come from a socket
    // peer: an answer with id 0 (the id of the client's first call), an
    // older sync's, and garbage, then the agent's way of answering.
    let dir = qmp_test_support::temp_dir("qmp-ga-stale").unwrap();
    let path = dir.join("peer.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let peer = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        write
            .write_all(
                b"{\"return\": {\"stale\": true}, \"id\": 0}\n\xff{\"return\": 7}\nnot json\n",
            )
            .await
            .unwrap();
        let mut request = Vec::new();
        read.read_until(b'\n', &mut request).await.unwrap();
        assert_eq!(request[0], 0xff, "no sentinel before the sync");
        let sync: serde_json::Value = serde_json::from_slice(&request[1..]).unwrap();
        assert_eq!(sync["execute"], "guest-sync-delimited");
        let token = &sync["arguments"]["id"];
        // Half a line, which the sentinel ends.
        let mut answer = b"{\"return\": {}, \"i".to_vec();
        answer.push(0xff);
        answer.extend(format!("{{\"return\": {token}}}\n").as_bytes());
        write.write_all(&answer).await.unwrap();
        request.clear();
        read.read_until(b'\n', &mut request).await.unwrap();
        let ping: serde_json::Value = serde_json::from_slice(&request).unwrap();
        assert_eq!(ping["execute"], "guest-ping");
        let id = &ping["id"];
        write
            .write_all(format!("{{\"return\": {{}}, \"id\": {id}}}\n").as_bytes())
            .await
            .unwrap();
        id.clone()
    });
    let agent = guard(Agent::connect_unix(&path)).await.unwrap();
    guard(agent.execute(ga::GuestPing::new())).await.unwrap();
    let id = guard(peer).await.unwrap();
    eprintln!("in step after 3 stale lines; the first call had id {id}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_silent_channel_fails_the_sync_in_time() {
    let dir = qmp_test_support::temp_dir("qmp-ga-silent").unwrap();
    let path = dir.join("silent.sock");
    // Accepts and never answers, as a channel without an agent behind it.
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let keep = tokio::spawn(async move { listener.accept().await });
    let limit = Duration::from_millis(200);
    let result = guard(Connector::new().sync_timeout(limit).unix(&path)).await;
    match result {
        Err(Error::NotSynced(waited)) => assert_eq!(waited, limit),
        other => panic!("expected NotSynced, got {other:?}"),
    }
    keep.abort();
    std::fs::remove_dir_all(dir).unwrap();
}

/// The read-only commands of the agent schema: `guest-info` and every
/// `guest-…get-…` command without a required argument, by the checked
/// model of `schema/qga`, so that a command added there must be added to
/// the sweep.
fn read_only_commands() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/qga/qga-schema.json");
    let checked = qmp_codegen::check_file(&root, &Default::default()).unwrap();
    let schema = checked.schema.expect("schema/qga checks clean");
    schema
        .iter()
        .filter_map(|(_, def)| {
            let qmp_codegen::model::Body::Command(command) = &def.body else {
                return None;
            };
            let name = def.name.to_string();
            let getter = name == "guest-info" || name.contains("-get-");
            let required = command.arguments.is_some_and(|args| {
                schema
                    .object_members(args)
                    .iter()
                    .any(|member| !member.optional)
            });
            (getter && !required).then_some(name)
        })
        .collect()
}

/// Runs one typed command, and files the outcome: decoded, the agent's
/// error, or a decode failure (what must never happen).
async fn sweep_one<C: AgentCommand>(agent: &Agent, command: C, outcomes: &mut Outcomes)
where
    C::Returns: std::fmt::Debug,
{
    outcomes.swept.insert(C::NAME.to_owned());
    match guard(agent.execute(command)).await {
        Ok(_) => outcomes.decoded.push(C::NAME),
        Err(Error::Server { class, desc }) => outcomes.refused.push((C::NAME, class, desc)),
        Err(error) => outcomes.failed.push((C::NAME, error.to_string())),
    }
}

#[derive(Default)]
struct Outcomes {
    swept: BTreeSet<String>,
    decoded: Vec<&'static str>,
    refused: Vec<(&'static str, ErrorClass, String)>,
    failed: Vec<(&'static str, String)>,
}

#[tokio::test]
async fn every_read_only_command_decodes() {
    let expected = read_only_commands();
    for (release, mut agent) in GuestAgent::every_release(&[]) {
        let client = connect(&mut agent, release).await;
        let mut out = Outcomes::default();
        sweep_one(&client, ga::GuestInfo::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetHostName::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetOsinfo::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetTime::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetTimezone::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetUsers::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetVcpus::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetMemoryBlocks::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetMemoryBlockInfo::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetLoad::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetCpustats::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetFsinfo::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetDisks::new(), &mut out).await;
        sweep_one(&client, ga::GuestGetDiskstats::new(), &mut out).await;
        sweep_one(&client, ga::GuestNetworkGetInterfaces::new(), &mut out).await;
        sweep_one(&client, ga::GuestNetworkGetRoute::new(), &mut out).await;
        assert_eq!(
            out.swept, expected,
            "the sweep and the schema's read-only commands differ"
        );
        eprintln!(
            "{release}: {} read-only commands: {} decoded, {} refused by the agent, {} failed to decode",
            out.swept.len(),
            out.decoded.len(),
            out.refused.len(),
            out.failed.len()
        );
        for (name, class, desc) in &out.refused {
            eprintln!("  refused {name}: {class}: {desc}");
        }
        assert!(
            out.failed.is_empty(),
            "{release}: answers that do not decode: {:#?}",
            out.failed
        );
        // The agent may refuse what this machine lacks (7.2 has no
        // guest-get-load, say), but most must answer.
        assert!(
            out.decoded.len() >= 10,
            "{release}: only {:?} decoded",
            out.decoded
        );
    }
}

#[tokio::test]
async fn exec_returns_output_and_exit_status() {
    for (release, mut agent) in GuestAgent::every_release(&[]) {
        let client = connect(&mut agent, release).await;
        let run = guard(client.exec(
            "sh",
            &["-c", "printf 'out\\n'; printf 'err\\n' >&2; exit 3"],
        ))
        .await
        .unwrap_or_else(|e| panic!("{release}: exec: {e}"));
        assert_eq!(run.exit_code, Some(3), "{release}: {run:?}");
        assert!(!run.success());
        assert_eq!(run.stdout, b"out\n", "{release}");
        assert_eq!(run.stderr, b"err\n", "{release}");
        assert!(!run.stdout_truncated && !run.stderr_truncated);

        // Bytes of every value in, the same out.
        let input: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let echoed = guard(client.exec_with_input("cat", &[] as &[&str], &input))
            .await
            .unwrap_or_else(|e| panic!("{release}: exec cat: {e}"));
        assert!(echoed.success(), "{release}: {echoed:?}");
        assert!(echoed.stdout == input, "{release}: cat gave other bytes");

        let ok = guard(client.exec("true", &[] as &[&str])).await.unwrap();
        assert!(ok.success(), "{release}: {ok:?}");

        let missing = guard(client.exec("/nonexistent/program", &[] as &[&str])).await;
        let error = missing.expect_err("a program that does not exist");
        assert!(
            matches!(error, Error::Server { .. }),
            "{release}: {error:?}"
        );
        eprintln!("{release}: exec sh: exit 3, out and err; missing program: {error}");
    }
}

#[tokio::test]
async fn a_file_goes_there_and_back() {
    for (release, mut agent) in GuestAgent::every_release(&[]) {
        let client = connect(&mut agent, release).await;
        // Over two chunks, and bytes of every value.
        let contents: Vec<u8> = (0..(2 << 20) + 12345u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let path = agent.dir.join("round-trip.bin");
        let path = path.to_str().unwrap();
        guard(client.write_file(path, &contents))
            .await
            .unwrap_or_else(|e| panic!("{release}: write: {e}"));
        assert_eq!(std::fs::read(path).unwrap(), contents, "{release}: on disk");
        let back = guard(client.read_file(path))
            .await
            .unwrap_or_else(|e| panic!("{release}: read: {e}"));
        assert_eq!(back.len(), contents.len(), "{release}");
        assert!(back == contents, "{release}: the bytes read differ");

        let missing = guard(client.read_file("/nonexistent/file")).await;
        assert!(
            matches!(missing, Err(Error::Server { .. })),
            "{release}: {missing:?}"
        );
        eprintln!("{release}: {} bytes written and read back", contents.len());
    }
}

#[tokio::test]
async fn a_blocked_command_gets_the_agents_error() {
    let blocked = GuestAgent::block_args(&["guest-get-time"]);
    for (release, mut agent) in GuestAgent::every_release(&blocked) {
        let client = connect(&mut agent, release).await;
        let error = guard(client.execute(ga::GuestGetTime::new()))
            .await
            .expect_err("a blocked command");
        match &error {
            Error::Server { class, desc } => {
                assert_eq!(*class, ErrorClass::CommandNotFound, "{release}: {desc}");
                assert!(desc.contains("disabled"), "{release}: {desc}");
            }
            other => panic!("{release}: {other:?}"),
        }
        // And the connection goes on.
        guard(client.execute(ga::GuestPing::new())).await.unwrap();
        eprintln!("{release}: {error}");
    }
}

#[tokio::test]
async fn a_command_answered_only_on_failure_returns_once_sent() {
    // guest-shutdown answers only when it fails. It is blocked here, so
    // nothing can shut this machine down: the agent answers with an error
    // for the call that already returned, which the client discards.
    let blocked = GuestAgent::block_args(&["guest-shutdown"]);
    for (release, mut agent) in GuestAgent::every_release(&blocked) {
        let client = connect(&mut agent, release).await;
        const { assert!(!ga::GuestShutdown::SUCCESS_RESPONSE) };
        guard(client.execute(ga::GuestShutdown::new()))
            .await
            .unwrap_or_else(|e| panic!("{release}: {e}"));
        // The next call gets its own answer, not the discarded error.
        let host = guard(client.execute(ga::GuestGetHostName::new()))
            .await
            .unwrap_or_else(|e| panic!("{release}: after guest-shutdown: {e}"));
        assert!(!host.host_name.is_empty());
        guard(client.sync()).await.unwrap();
    }
}

/// Bindings of a user's own agent schema, made the way a user makes them.
mod own {
    qmp_macros::qapi_schema!(
        "tests/schema/own-agent.json",
        runtime_path = "::qmp_client::qmp_types",
        protocol = guest_agent
    );
}

#[tokio::test]
async fn bindings_of_a_schema_of_ones_own_run_on_the_agent() {
    for (release, mut agent) in GuestAgent::every_release(&[]) {
        let client = connect(&mut agent, release).await;
        guard(client.execute(own::commands::GuestPing::new()))
            .await
            .unwrap_or_else(|e| panic!("{release}: {e}"));
        let name = guard(client.execute(own::commands::GuestGetHostName::new()))
            .await
            .unwrap_or_else(|e| panic!("{release}: {e}"));
        let theirs = guard(client.execute(ga::GuestGetHostName::new()))
            .await
            .unwrap();
        assert_eq!(name.host_name, theirs.host_name, "{release}");
    }
}

#[test]
fn the_blocking_agent_does_the_same() {
    for (release, agent) in GuestAgent::every_release(&[]) {
        let client = qmp_client::blocking::Agent::connect_unix(&agent.socket)
            .unwrap_or_else(|e| panic!("{release}: {e}"));
        let os = client.execute(ga::GuestGetOsinfo::new()).unwrap();
        let run = client.exec("echo", &["hello"]).unwrap();
        assert_eq!(run.stdout, b"hello\n", "{release}");
        let path = agent.dir.join("blocking.txt");
        let path = path.to_str().unwrap();
        client.write_file(path, b"written\n").unwrap();
        assert_eq!(client.read_file(path).unwrap(), b"written\n");
        client.sync().unwrap();
        eprintln!("{release}: blocking: {:?}", os.pretty_name);
    }
}
