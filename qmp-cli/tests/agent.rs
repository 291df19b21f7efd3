//! `qmp agent` end to end: the built binary against the live guest agents
//! of both releases (qemu-ga 10.0 and 7.2, run on this machine without a
//! VM), and against sockets that prove what was not sent.
//!
//! Nothing here is timed: the hang guard only ends a run that hangs.

mod common;

use std::io::Write;
use std::os::unix::net::UnixListener;
use std::process::{Command, Output, Stdio};
use std::thread;

use common::finish;
use qmp_test_support::{GuestAgent, Release};
use serde_json::{json, Value};

/// `qmp ARGS` with `stdin` on its standard input and `env` set, to its
/// end.
fn qmp_with(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qmp"));
    command
        .args(args)
        .env_remove("QMP_SOCKET")
        .env_remove("QMP_AGENT_SOCKET")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("qmp runs");
    let mut input = child.stdin.take().expect("piped");
    let stdin = stdin.to_vec();
    let feeding = thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = finish(child);
    feeding.join().unwrap();
    output
}

fn qmp(args: &[&str]) -> Output {
    qmp_with(args, b"", &[])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts success, and gives standard output.
fn ok(release: Release, output: &Output) -> String {
    assert!(
        output.status.success(),
        "{release}: {:?}: {}",
        output.status,
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn socket(agent: &GuestAgent) -> &str {
    agent.socket.to_str().unwrap()
}

#[test]
fn a_command_runs_with_typed_arguments() {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    for (release, agent) in GuestAgent::every_release(&[]) {
        let s = socket(&agent);
        let name = ok(
            release,
            &qmp(&["agent", "-s", s, "guest-get-host-name", "--raw"]),
        );
        let name: Value = serde_json::from_str(&name).unwrap();
        assert_eq!(name, json!({"host-name": host.trim()}), "{release}");
        // `id` is an integer in the schema: sent as a number, so the
        // agent gives the number back.
        let id = ok(
            release,
            &qmp(&["agent", "-s", s, "guest-sync", "id=42", "-q"]),
        );
        assert_eq!(id, "42\n", "{release}");
        let ping = ok(release, &qmp(&["agent", "-s", s, "guest-ping", "--value"]));
        assert_eq!(ping, "", "{release}: {{}} prints nothing with --value");
        eprintln!("{release}: guest-get-host-name, guest-sync id=42, guest-ping");
    }
}

#[test]
fn bad_arguments_are_refused_before_connecting() {
    let dir = qmp_test_support::temp_dir("qmp-cli-agent").unwrap();
    let path = dir.join("watch.sock");
    let listener = UnixListener::bind(&path).unwrap();
    listener.set_nonblocking(true).unwrap();
    let s = path.to_str().unwrap();
    for (args, says) in [
        (
            vec!["guest-file-open", "pth=/etc/hostname"],
            "unknown argument 'pth' for command 'guest-file-open' (did you mean 'path'?)",
        ),
        (
            vec!["guest-get-tme"],
            "unknown command 'guest-get-tme' (did you mean 'guest-get-time'?)",
        ),
        (vec!["guest-sync", "id=seven"], "id"),
        (vec!["guest-file-read"], "handle"),
    ] {
        let mut all = vec!["agent", "-s", s];
        all.extend(&args);
        let output = qmp(&all);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            text(&output.stderr).contains(says),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("qmp connected after all: {other:?}"),
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn exec_prints_the_output_and_exits_with_the_status() {
    for (release, agent) in GuestAgent::every_release(&[]) {
        let output = qmp(&[
            "agent",
            "-s",
            socket(&agent),
            "exec",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ]);
        assert_eq!(output.status.code(), Some(3), "{release}");
        assert_eq!(output.stdout, b"out\n", "{release}");
        assert_eq!(output.stderr, b"err\n", "{release}");
        // A script on standard input, with --stdin; `-s` is sh's.
        let script = b"echo \"got $#\"; exit 5\n";
        let args = [
            "agent",
            "-s",
            socket(&agent),
            "exec",
            "--stdin",
            "sh",
            "-s",
            "a",
            "b",
        ];
        let output = qmp_with(&args, script, &[]);
        assert_eq!(
            output.status.code(),
            Some(5),
            "{release}: {}",
            text(&output.stderr)
        );
        assert_eq!(output.stdout, b"got 2\n", "{release}");
    }
}

#[test]
fn write_then_cat_moves_the_bytes() {
    for (release, agent) in GuestAgent::every_release(&[]) {
        let s = socket(&agent);
        let path = agent.dir.join("through-qmp.bin");
        let path = path.to_str().unwrap();
        let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        ok(
            release,
            &qmp_with(&["agent", "-s", s, "write", path], &bytes, &[]),
        );
        assert_eq!(std::fs::read(path).unwrap(), bytes, "{release}");
        let back = qmp(&["agent", "-s", s, "cat", path]);
        ok(release, &back);
        assert!(back.stdout == bytes, "{release}: cat differs");
        let missing = qmp(&["agent", "-s", s, "cat", "/nonexistent/file"]);
        assert_eq!(missing.status.code(), Some(1), "{release}");
        assert!(text(&missing.stderr).starts_with("qmp: GenericError: "));
    }
}

#[test]
fn the_agent_socket_comes_from_its_own_variable() {
    for (release, agent) in GuestAgent::every_release(&[]) {
        // $QMP_SOCKET names a QMP server: `qmp agent` leaves it alone.
        let env = [
            ("QMP_SOCKET", "/nonexistent/qmp.sock"),
            ("QMP_AGENT_SOCKET", socket(&agent)),
        ];
        let output = qmp_with(&["agent", "guest-ping", "--raw"], b"", &env);
        assert_eq!(ok(release, &output), "{}\n", "{release}");
    }
    let output = qmp_with(&["agent", "guest-ping"], b"", &[("QMP_SOCKET", "/x")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("QMP_AGENT_SOCKET"));
}

#[test]
fn a_socket_without_an_agent_fails_the_sync() {
    let dir = qmp_test_support::temp_dir("qmp-cli-silent").unwrap();
    let path = dir.join("silent.sock");
    // Accepts and never answers: a VM's channel with no agent behind it.
    let listener = UnixListener::bind(&path).unwrap();
    let keep = thread::spawn(move || listener.accept().map(|(stream, _)| stream));
    let output = qmp(&[
        "--timeout",
        "0.3",
        "agent",
        "-s",
        path.to_str().unwrap(),
        "guest-ping",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("did not answer guest-sync-delimited"),
        "{}",
        text(&output.stderr)
    );
    drop(keep.join());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn schema_lists_and_describes_the_agents_commands() {
    let output = qmp(&["agent", "schema"]);
    let listing = ok(Release::Current, &output);
    let commands = qmp_types::agent::INTROSPECTION
        .matches(r#""meta-type": "command""#)
        .count();
    assert_eq!(listing.lines().count(), commands, "{listing}");
    assert!(listing.contains("\nguest-file-open "), "{listing}");

    let page = ok(
        Release::Current,
        &qmp(&["agent", "schema", "guest-file-read"]),
    );
    assert!(page.starts_with("guest-file-read (command)\n"), "{page}");
    assert!(page.contains("\n  handle: int\n"), "{page}");
    assert!(page.contains("\n  count: int (optional)\n"), "{page}");

    // A QMP command is not the agent's.
    let wrong = qmp(&["agent", "schema", "query-status"]);
    assert_eq!(wrong.status.code(), Some(2));
}
