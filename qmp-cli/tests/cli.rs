//! The `qmp` tool end to end: the built binary, run as a person or a
//! script runs it, against QEMU 10.0.2 (`qemu-system-x86_64 -machine
//! none`; skipped without it, failing in CI), against the toy VM and a
//! scripted server served in this process, and with no server at all
//! (`qmp schema`, `qmp completions`).
//!
//! Nothing here is timed: `HANG_GUARD` only ends a run that hangs.

mod common;

use common::{finish, Toy};
use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use qmp_server::testing::{Script, ScriptError, ScriptedServer};
use qmp_test_support::{Kind, Qemu, HANG_GUARD};
use serde_json::Value;

/// `qmp ARGS`, started with its output piped.
fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_qmp"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qmp runs")
}

/// `qmp ARGS`, to its end.
fn qmp(args: &[&str]) -> Output {
    finish(spawn(args))
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8")
}

/// Asserts success, and gives standard output.
fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{:?}: {}{}",
        output.status,
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// Asserts exit code `code` with one line on standard error and nothing
/// on standard output, and gives that line.
fn fails(output: &Output, code: i32) -> String {
    let error = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{error}{}",
        stdout(output)
    );
    assert_eq!(error.lines().count(), 1, "one line: {error:?}");
    assert!(error.starts_with("qmp: "), "{error}");
    assert_eq!(stdout(output), "", "nothing on standard output");
    error
}

/// The `--socket` arguments for `path`.
fn at(path: &Path) -> [&str; 2] {
    ["--socket", path.to_str().expect("a UTF-8 path")]
}

// ---- QEMU 10.0.2 ----

/// Connects to a QEMU that listens on `socket` (once it does: the socket
/// appears a moment before), reads its greeting, and releases the monitor
/// (`Qemu::release_listener`'s workaround for QEMU 10.0.2's start-up
/// race), so that the runs of `qmp` after it find a monitor that reads
/// their requests.
fn warm_up(socket: &Path) {
    let start = Instant::now();
    let stream = loop {
        match UnixStream::connect(socket) {
            Ok(stream) => break stream,
            Err(e) if start.elapsed() < HANG_GUARD => {
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("QEMU does not listen on {}: {e}", socket.display()),
        }
    };
    stream
        .set_read_timeout(Some(HANG_GUARD))
        .expect("a timeout");
    // QEMU may send an event (RESUME, as it starts) before its greeting.
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    while !line.contains("\"QMP\"") {
        line.clear();
        let read = reader.read_line(&mut line).expect("a greeting");
        assert!(read > 0, "QEMU closed the connection before its greeting");
    }
    let _ = UnixStream::connect(socket);
}

/// QEMU 10.0.2 listening on one monitor, warmed up; `None` to skip.
fn qemu() -> Option<Qemu> {
    let binary = Kind::System.binary()?;
    let qemu = Qemu::start_listening(&binary, Kind::System).expect("QEMU starts");
    warm_up(&qemu.socket);
    Some(qemu)
}

/// `qmp --socket QEMU ARGS`; then the next connection is released, as
/// after any connection to QEMU 10.0.2's listening monitor.
fn on(qemu: &Qemu, args: &[&str]) -> Output {
    let output = qmp(&[&at(&qemu.socket)[..], args].concat());
    qemu.release_listener();
    output
}

#[test]
fn one_shot_commands_print_qemus_answer_pretty_raw_or_as_a_value() {
    let Some(qemu) = qemu() else { return };

    let pretty = ok(&on(&qemu, &["query-status"]));
    assert!(pretty.lines().count() > 1, "pretty: {pretty}");
    let status: Value = serde_json::from_str(&pretty).expect("JSON");
    assert_eq!(status["running"], true, "{status}");
    assert_eq!(status["status"], "running", "{status}");

    for args in [["--raw", "query-status"], ["query-status", "--raw"]] {
        let raw = ok(&on(&qemu, &args));
        assert_eq!(raw.lines().count(), 1, "one line: {raw}");
        assert_eq!(serde_json::from_str::<Value>(&raw).expect("JSON"), status);
    }

    // A string bare, an object as one line of JSON.
    let value = ok(&on(
        &qemu,
        &["-q", "qom-get", "path=/machine", "property=type"],
    ));
    assert_eq!(value, "none-machine\n");
    let value = ok(&on(&qemu, &["query-target", "--value"]));
    assert_eq!(value, "{\"arch\":\"x86_64\"}\n");
}

#[test]
fn a_server_error_is_one_line_with_its_class_and_exit_code_1() {
    let Some(qemu) = qemu() else { return };
    let error = fails(
        &on(&qemu, &["qom-get", "path=/nonexistent", "property=x"]),
        1,
    );
    assert!(error.starts_with("qmp: DeviceNotFound: "), "{error}");
    assert!(error.contains("/nonexistent"), "{error}");
}

#[test]
fn spawn_starts_its_own_qemu() {
    let Some(binary) = Kind::System.binary() else {
        return;
    };
    let spawn = format!("{} -machine none", binary.display());
    let raw = ok(&qmp(&["--spawn", &spawn, "--raw", "query-status"]));
    let status: Value = serde_json::from_str(&raw).expect("JSON");
    assert_eq!(status["status"], "running", "{status}");
}

#[test]
fn verify_finds_nothing_a_client_can_trip_on_in_qemu_10_0_2() {
    let Some(qemu) = qemu() else { return };
    let report = ok(&on(&qemu, &["verify"]));
    let summary = report.lines().last().expect("a summary line");
    assert!(summary.starts_with("commands "), "{report}");
    assert!(
        summary.contains(" 0 difference(s) a client can trip on"),
        "{report}"
    );
}

/// `qmp` running in the background; killed if the test fails first.
struct Background(Option<Child>);

impl Background {
    fn start(args: &[&str]) -> Background {
        Background(Some(spawn(args)))
    }

    fn running(&mut self) -> bool {
        let child = self.0.as_mut().expect("not finished");
        child.try_wait().expect("waits").is_none()
    }

    fn finish(mut self) -> Output {
        finish(self.0.take().expect("not finished"))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `qmp` with `args` in the background, and `toggle` (which makes
/// events) again and again until it ends; gives its output.
fn events_while(args: &[&str], mut toggle: impl FnMut()) -> Output {
    let mut events = Background::start(args);
    let start = Instant::now();
    // `qmp events` subscribes at some point after it starts: the events
    // made before are not for it, so they are made until it has enough.
    while events.running() {
        assert!(
            start.elapsed() < HANG_GUARD,
            "qmp {args:?} did not end within {HANG_GUARD:?}"
        );
        toggle();
    }
    events.finish()
}

#[test]
fn events_from_qemu_filtered_and_counted() {
    let Some(binary) = Kind::System.binary() else {
        return;
    };
    // One QEMU, started by `qmp events --spawn` (QMP on its standard
    // input and output) with a second monitor for the commands.
    let dir = TempDir(qmp_test_support::temp_dir("qmp-cli").expect("a directory"));
    let socket = dir.0.join("qmp.sock");
    let line = format!(
        "{} -machine none -qmp unix:{},server=on,wait=off",
        binary.display(),
        socket.display()
    );
    let mut events = Background::start(&[
        "--spawn", &line, "events", "--filter", "STOP", "--count", "1",
    ]);
    let start = Instant::now();
    while !socket.exists() && events.running() {
        assert!(start.elapsed() < HANG_GUARD, "no {}", socket.display());
        thread::sleep(Duration::from_millis(5));
    }
    if socket.exists() {
        warm_up(&socket);
    }
    while events.running() {
        assert!(start.elapsed() < HANG_GUARD, "no STOP within the guard");
        // QEMU ends with `qmp events`: a run may find it gone.
        for command in ["stop", "cont"] {
            let _ = qmp(&[&at(&socket)[..], &[command][..]].concat());
            let _ = UnixStream::connect(&socket);
        }
    }
    assert_eq!(ok(&events.finish()), "STOP\n");
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---- the toy VM, served in this process ----

impl Toy {
    /// `qmp --socket TOY ARGS`.
    fn qmp(&self, args: &[&str]) -> Output {
        qmp(&[&at(&self.socket)[..], args].concat())
    }

    /// `qmp events ARGS` while the toy VM is stopped and continued (STOP,
    /// RESUME), with a POWERDOWN before each, emitted here.
    fn events(&self, args: &[&str]) -> Output {
        let args = [&at(&self.socket)[..], &["events"][..], args].concat();
        events_while(&args, || {
            for command in ["stop", "cont"] {
                self.events.emit(&qmp_types::events::Powerdown::new());
                ok(&self.qmp(&[command]));
            }
        })
    }
}

#[test]
fn events_filtered_by_name_and_counted() {
    let toy = Toy::start();
    let output = toy.events(&["--filter", "STOP", "--count", "1"]);
    assert_eq!(ok(&output), "STOP\n");
    let output = toy.events(&["-f", "RESUME", "-f", "STOP", "-n", "3"]);
    let names: Vec<String> = ok(&output).lines().map(str::to_owned).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names.iter().all(|n| n == "STOP" || n == "RESUME"),
        "{names:?}"
    );
}

#[test]
fn events_by_regex_as_json() {
    let toy = Toy::start();
    // Between any two STOP or RESUME events a POWERDOWN was sent: the
    // second line shows that it was left out.
    let output = toy.events(&["--regex", "^(STOP|RESUME)$", "--count", "2", "--json"]);
    let lines: Vec<Value> = ok(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one line of JSON"))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for event in &lines {
        let name = event["event"].as_str().expect("a name");
        assert!(name == "STOP" || name == "RESUME", "{event}");
        assert!(event["timestamp"]["seconds"].is_u64(), "{event}");
        assert!(event["timestamp"]["microseconds"].is_u64(), "{event}");
    }
    assert_ne!(lines[0]["event"], lines[1]["event"], "{lines:?}");
}

#[test]
fn events_with_their_timestamp() {
    let toy = Toy::start();
    let output = toy.events(&["--filter", "POWERDOWN", "--count", "1", "--timestamp"]);
    let line = ok(&output);
    let (stamp, name) = line.trim_end().split_once(' ').expect("stamp and name");
    assert_eq!(name, "POWERDOWN", "{line}");
    let (seconds, micros) = stamp.split_once('.').expect("seconds.micros");
    assert!(seconds.parse::<u64>().is_ok(), "{line}");
    assert_eq!(micros.len(), 6, "{line}");
    assert!(micros.parse::<u32>().is_ok(), "{line}");
}

#[test]
fn one_shot_commands_run_against_the_toy_vm() {
    let toy = Toy::start();
    assert_eq!(ok(&toy.qmp(&["stop"])), "{}\n");
    assert_eq!(
        ok(&toy.qmp(&["--raw", "query-status"])),
        "{\"running\":false,\"status\":\"paused\"}\n"
    );
    assert_eq!(ok(&toy.qmp(&["cont", "-q"])), "");
    assert_eq!(
        ok(&toy.qmp(&["-q", "query-status"])),
        "{\"running\":true,\"status\":\"running\"}\n"
    );
}

// ---- bad arguments: exit 2, nothing sent ----

/// Runs `test` with the socket of a scripted server that expects no
/// command at all, and says whether it saw none.
fn expecting_nothing(test: impl FnOnce(&Path)) -> Result<(), ScriptError> {
    let (socket_sender, socket) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let server = ScriptedServer::start(Script::new()).expect("serves");
            socket_sender
                .send(server.socket().to_owned())
                .expect("the test waits");
            let _ = stopped.await;
            server.finish().await
        })
    });
    let socket: PathBuf = socket.recv_timeout(HANG_GUARD).expect("a socket");
    test(&socket);
    let _ = stop.send(());
    server.join().expect("the server's thread")
}

#[test]
fn bad_arguments_exit_2_with_one_line_and_nothing_is_sent() {
    let cases: [(&[&str], &[&str]); 5] = [
        (
            &["query-stauts"],
            &[
                "unknown command 'query-stauts'",
                "did you mean 'query-status'?",
            ],
        ),
        (
            &["block-dirty-bitmap-add", "nod=n0", "name=b0"],
            &["unknown argument 'nod'", "did you mean 'node'?"],
        ),
        (
            &[
                "block-dirty-bitmap-add",
                "node=n0",
                "name=b0",
                "granularity=big",
            ],
            &["granularity", "'big' is not an integer"],
        ),
        (
            &["block-dirty-bitmap-add", "node=n0"],
            &["Parameter 'name' is missing", "nothing was sent"],
        ),
        (&["query-status", "verbose"], &["key=value"]),
    ];
    let seen = expecting_nothing(|socket| {
        for (args, says) in cases {
            let output = qmp(&[&at(socket)[..], args].concat());
            let error = fails(&output, 2);
            for text in says {
                assert!(error.contains(text), "{args:?}: {error}");
            }
        }
    });
    assert_eq!(seen, Ok(()), "the server saw a command");
}

#[test]
fn the_scripted_server_does_see_a_command_that_is_sent() {
    // The control for the test above: a good command reaches the server,
    // which did not expect it.
    let seen = expecting_nothing(|socket| {
        let output = qmp(&[&at(socket)[..], &["query-status"][..]].concat());
        // The script's answer is an error (over more than one line).
        assert_eq!(output.status.code(), Some(1), "{output:?}");
    });
    let problems = seen.expect_err("query-status was sent").problems;
    assert!(problems[0].contains("query-status"), "{problems:?}");
}

// ---- without a server ----

#[test]
fn completions_for_bash() {
    let script = ok(&qmp(&["completions", "bash"]));
    assert!(script.contains("_qmp()"), "{script}");
    assert!(script.contains("complete "), "{script}");
    assert!(script.contains("events"), "{script}");
}

#[test]
fn schema_describes_a_command_with_its_docs() {
    let page = ok(&qmp(&["schema", "query-status"]));
    assert!(page.starts_with("query-status (command)\n"), "{page}");
    assert!(
        page.contains("Ask in which state the virtual machine is."),
        "{page}"
    );
    assert!(page.contains("Arguments: none"), "{page}");
    assert!(page.contains("Returns: StatusInfo"), "{page}");
    assert!(page.contains("  running: bool\n"), "{page}");
    assert!(page.contains("  status: RunState\n"), "{page}");

    let page = ok(&qmp(&["schema", "block-dirty-bitmap-add"]));
    assert!(
        page.contains("  granularity: uint32 (optional)\n"),
        "{page}"
    );
}

#[test]
fn schema_lists_every_command_and_searches_names_and_docs() {
    let list = ok(&qmp(&["schema"]));
    assert!(list.lines().count() > 200, "{list}");
    assert!(
        list.lines().any(|l| l.starts_with("query-status ")),
        "{list}"
    );

    let found = ok(&qmp(&["schema", "--search", "bitmap"]));
    let names: Vec<&str> = found
        .lines()
        .map(|l| l.split_whitespace().nth(1).expect("kind and name"))
        .collect();
    for name in [
        "block-dirty-bitmap-add",
        "BlockDirtyBitmapAdd",
        "BitmapSyncMode",
    ] {
        assert!(names.contains(&name), "{name} not in {found}");
    }
    // Found by its docs alone ("... a dirty bitmap ..."), not its name.
    assert!(names.contains(&"blockdev-backup"), "{found}");
}

#[test]
fn schema_of_an_unknown_name_suggests_the_nearest() {
    let error = fails(&qmp(&["schema", "query-stauts"]), 2);
    assert!(error.contains("did you mean 'query-status'?"), "{error}");
}

/// A server no QEMU can play: after negotiation it sends events with a
/// line that is not JSON after each, until qmp leaves.
#[test]
fn events_go_on_past_a_malformed_line_and_say_it() {
    use std::io::Write;
    let dir = TempDir(qmp_test_support::temp_dir("qmp-cli").expect("a directory"));
    let socket = dir.0.join("qmp.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).expect("a socket");
    let peer = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("qmp connects");
        let mut write = stream.try_clone().expect("a second handle");
        let mut lines = BufReader::new(stream).lines();
        let greeting = r#"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": ""}, "capabilities": []}}"#;
        writeln!(write, "{greeting}").unwrap();
        let request: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        assert_eq!(request["execute"], "qmp_capabilities");
        writeln!(write, r#"{{"return": {{}}, "id": {}}}"#, request["id"]).unwrap();
        // qmp subscribes after negotiating, when it will: events before
        // that are not its. Every two events it sees have a bad line
        // between them.
        let event = |name: &str| {
            format!(r#"{{"event": "{name}", "timestamp": {{"seconds": 1, "microseconds": 2}}}}"#)
        };
        let start = Instant::now();
        while writeln!(
            write,
            "{}\nnot JSON\n{}\nnot JSON",
            event("STOP"),
            event("RESUME")
        )
        .is_ok()
        {
            assert!(start.elapsed() < HANG_GUARD, "qmp did not leave");
            thread::sleep(Duration::from_millis(5));
        }
    });
    let output = qmp(&[&at(&socket)[..], &["events", "--count", "2"][..]].concat());
    let names = ok(&output);
    assert!(
        names == "STOP\nRESUME\n" || names == "RESUME\nSTOP\n",
        "{names}"
    );
    let said = stderr(&output);
    let lines = said.lines().count();
    assert!(
        (1..=2).contains(&lines)
            && said
                .lines()
                .all(|l| l.starts_with("qmp: malformed message")),
        "{said}"
    );
    peer.join().unwrap();
}
