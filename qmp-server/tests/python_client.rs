//! A client nobody here wrote: QEMU's own Python library `qemu.qmp`
//! (0.0.6, from PyPI, in the venv `cargo xtask test` makes) and its
//! `qmp-shell`, against the toy VM example served in this process.
//!
//! The scripts under `tests/python/` run the client and print one JSON
//! line per step; the tests compare each step with what QEMU's protocol
//! says. A script that fails (an exception, or a step with no answer
//! within its hang guard) exits non-zero and says why, with everything it
//! sent and received; the test shows that.
//!
//! qemu.qmp writes each message as compact JSON with no newline after it,
//! as QEMU's streaming parser allows: the server must read requests as
//! JSON values, not lines, for it to work at all.

mod common;
#[path = "../examples/toy_vm.rs"]
mod toy_vm;

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::{Served, GUARD};
use qmp_server::{CommandError, Router, Schema, Server};
use qmp_types::commands::{MigratePause, Stop};
use qmp_types::Empty;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::sync::Notify;

/// How long a child process may run before it is killed and the test
/// fails: a hang guard, not a measurement. The scripts guard each step
/// with [`GUARD`] themselves, and say which step hung.
const PROCESS_GUARD: Duration = Duration::from_secs(2 * GUARD.as_secs());

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

/// What a child process did; `status` is `None` when the hang guard
/// killed it.
struct Ran {
    what: String,
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
}

impl Ran {
    /// Panics, with everything the child said, unless it exited with 0.
    fn assert_success(&self) {
        let status = match self.status {
            Some(status) if status.success() => return,
            Some(status) => format!("failed ({status})"),
            None => format!("was still running after {PROCESS_GUARD:?} (hang guard), killed"),
        };
        panic!(
            "{} {status}\n--- stderr:\n{}\n--- stdout:\n{}",
            self.what, self.stderr, self.stdout
        );
    }
}

/// Runs `command` with `stdin` as its input, within [`PROCESS_GUARD`].
async fn run(mut command: Command, stdin: &str, what: &str) -> Ran {
    command
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{what} did not start: {e}"));
    let stdout = tokio::spawn(read_all(child.stdout.take().unwrap()));
    let stderr = tokio::spawn(read_all(child.stderr.take().unwrap()));
    let mut input = child.stdin.take().unwrap();
    // A child that exits without reading its input is the status's
    // business, not a write error's.
    let _ = input.write_all(stdin.as_bytes()).await;
    drop(input);
    let status = match tokio::time::timeout(PROCESS_GUARD, child.wait()).await {
        Ok(status) => Some(status.unwrap_or_else(|e| panic!("waiting for {what}: {e}"))),
        Err(_) => {
            let _ = child.kill().await;
            None
        }
    };
    Ran {
        what: what.to_owned(),
        status,
        stdout: stdout.await.unwrap(),
        stderr: stderr.await.unwrap(),
    }
}

async fn read_all(mut pipe: impl AsyncRead + Unpin) -> String {
    let mut bytes = Vec::new();
    let _ = pipe.read_to_end(&mut bytes).await;
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Runs `tests/python/qemu_qmp_client.py SCENARIO SOCKET` and gives its
/// steps, in order, once it succeeded.
async fn qemu_qmp(python: &Path, scenario: &str, socket: &Path) -> Vec<(String, Value)> {
    let mut command = Command::new(python);
    command
        .arg(scripts().join("qemu_qmp_client.py"))
        .arg(scenario)
        .arg(socket)
        .arg("--guard")
        .arg(GUARD.as_secs().to_string());
    let ran = run(command, "", &format!("qemu_qmp_client.py {scenario}")).await;
    ran.assert_success();
    ran.stdout
        .lines()
        .map(|line| {
            let step: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON step ({e}): {line}"));
            match (step["step"].as_str(), step.get("outcome")) {
                (Some(name), Some(outcome)) => (name.to_owned(), outcome.clone()),
                _ => panic!("not a step: {line}"),
            }
        })
        .collect()
}

/// Compares the steps with `expected`, one by one, then their number.
fn assert_steps(steps: &[(String, Value)], expected: &[(&str, Value)]) {
    for (i, (name, outcome)) in expected.iter().enumerate() {
        let Some((got_name, got)) = steps.get(i) else {
            panic!("step {i} ({name}) missing; the steps were: {steps:#?}");
        };
        assert_eq!(got_name, name, "step {i}");
        assert_eq!(got, outcome, "step {i}: {name}");
    }
    assert_eq!(
        steps.len(),
        expected.len(),
        "more steps than expected: {:#?}",
        &steps[expected.len().min(steps.len())..]
    );
}

fn error(class: &str, desc: &str) -> Value {
    json!({"ExecuteError": {"class": class, "desc": desc}})
}

/// An event without data, as the script shows it.
fn event(name: &str) -> Value {
    json!({
        "event": name,
        "members": ["event", "timestamp"],
        "timestamp": {"microseconds": "int", "seconds": "int"}
    })
}

fn greeting() -> Value {
    json!({"QMP": {
        "capabilities": ["oob"],
        "version": {"package": "qmp-server", "qemu": {"major": 10, "micro": 0, "minor": 0}}
    }})
}

/// What qemu.qmp sends to negotiate when the server offers `oob`, and the
/// answer.
fn negotiation() -> Value {
    json!({
        "sent": [r#"{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}"#],
        "received": ["{\"return\": {}}\n"]
    })
}

/// qemu.qmp drives the toy VM, is refused in the wrong mode both ways,
/// and negotiates `oob`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qemu_qmp_drives_the_toy_vm() {
    let Some(python) = qmp_test_support::python_or_skip() else {
        return;
    };
    let served = Served::start(toy_vm::toy_vm().0);
    let steps = qemu_qmp(&python, "toy-vm", &served.socket).await;
    let running = json!({"return": {"running": true, "status": "running"}});
    let done = json!({"return": {}});
    assert_steps(
        &steps,
        &[
            ("greeting", greeting()),
            // qemu.qmp asks for `oob` because the greeting offers it.
            ("negotiation", negotiation()),
            // `negotiate = False`: the greeting is read, nothing sent.
            (
                "unnegotiated: connecting",
                json!({"greeting": greeting(), "sent": []}),
            ),
            ("query-status", running.clone()),
            ("stop", done.clone()),
            ("STOP event", event("STOP")),
            (
                "query-status, stopped",
                json!({"return": {"running": false, "status": "paused"}}),
            ),
            ("cont", done.clone()),
            ("RESUME event", event("RESUME")),
            (
                "query-commands",
                json!({"return": [
                    "cont",
                    "qmp_capabilities",
                    "query-commands",
                    "query-qmp-schema",
                    "query-status",
                    "query-version",
                    "quit",
                    "stop",
                    "system_powerdown"
                ]}),
            ),
            (
                "query-version",
                json!({"return": {"package": "qmp-server", "qemu": {"major": 10, "micro": 0, "minor": 0}}}),
            ),
            (
                "qmp_capabilities, negotiated",
                error(
                    "CommandNotFound",
                    "Capabilities negotiation is already complete, command ignored",
                ),
            ),
            (
                "unknown command",
                error(
                    "CommandNotFound",
                    "The command no-such-command has not been found",
                ),
            ),
            // With `oob` negotiated, qemu.qmp's `oob=True` sends exec-oob,
            // which the server takes, and refuses for a command without
            // allow-oob as QEMU does.
            (
                "exec-oob query-status",
                error(
                    "GenericError",
                    "The command query-status does not support OOB",
                ),
            ),
            (
                "exec-oob query-status: sent",
                json!({"exec-oob": "query-status", "id": "__qmp#00008"}),
            ),
            (
                "unnegotiated: query-status",
                error(
                    "CommandNotFound",
                    "Expecting capabilities negotiation with 'qmp_capabilities'",
                ),
            ),
            // STOP and RESUME were emitted while it was connected.
            ("unnegotiated: events", json!([])),
            ("unnegotiated: qmp_capabilities", done.clone()),
            ("negotiated by hand: query-status", running.clone()),
            // Negotiated without `oob`: exec-oob is not a member.
            (
                "negotiated by hand: exec-oob query-status",
                error("GenericError", "QMP input member 'exec-oob' is unexpected"),
            ),
            ("stop, again", done.clone()),
            ("STOP event, again", event("STOP")),
            ("negotiated by hand: STOP event", event("STOP")),
            ("cont, again", done.clone()),
            ("RESUME event, again", event("RESUME")),
            ("negotiated by hand: RESUME event", event("RESUME")),
            (
                "events left",
                json!({"negotiating": [], "negotiated by hand": []}),
            ),
        ],
    );
}

/// An in-band `stop` that finishes only once `migrate-pause` (allow-oob in
/// QEMU's schema) has run.
async fn stop_until_paused(release: Arc<Notify>, _: Stop) -> Result<Empty, CommandError> {
    release.notified().await;
    Ok(Empty {})
}

async fn migrate_pause(release: Arc<Notify>, _: MigratePause) -> Result<Empty, CommandError> {
    release.notify_one();
    Ok(Empty {})
}

/// qemu.qmp's `exec-oob` overtakes an in-band command that waits for it:
/// if the server ran them in order, neither would answer (the script's
/// hang guard would say so).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qemu_qmp_runs_out_of_band_past_a_waiting_command() {
    let Some(python) = qmp_test_support::python_or_skip() else {
        return;
    };
    let router = Router::new().route(stop_until_paused).route(migrate_pause);
    let served = Served::start(Server::builder(Schema::bindings(), router).build(Arc::default()));
    let steps = qemu_qmp(&python, "oob", &served.socket).await;
    assert_steps(
        &steps,
        &[
            ("greeting", greeting()),
            ("negotiation", negotiation()),
            ("exec-oob migrate-pause", json!({"return": {}})),
            ("stop", json!({"return": {}})),
            (
                "sent, in order",
                json!([
                    {"execute": "stop", "id": "__qmp#00000"},
                    {"exec-oob": "migrate-pause", "id": "__qmp#00001"}
                ]),
            ),
        ],
    );
}

/// What `qmp-shell -p` prints for `query-status` on its input, then the
/// end of its input.
const SHELL_QUERY_STATUS: &str = concat!(
    "Welcome to the QMP low-level shell!\n",
    "Connected to QEMU 10.0.0\n",
    "\n",
    "(QEMU) {\n",
    "    \"return\": {\n",
    "        \"running\": true,\n",
    "        \"status\": \"running\"\n",
    "    }\n",
    "}\n",
    // The prompt for the next line, which is the end of the input.
    "(QEMU) \n",
);

/// Runs `shell` (a command that starts qmp-shell, arguments to come)
/// with `-p SOCKET` against the toy VM, `query-status` on its input.
async fn shell_session(mut shell: Command, what: &str) {
    let served = Served::start(toy_vm::toy_vm().0);
    // qmp-shell keeps its history in ~/.qmp-shell_history.
    shell.env("HOME", &served.dir).arg("-p").arg(&served.socket);
    let ran = run(shell, "query-status\n", what).await;
    ran.assert_success();
    assert_eq!(ran.stdout, SHELL_QUERY_STATUS, "{what}'s output");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qmp_shell_runs_a_command() {
    let Some(shell) = qmp_test_support::qmp_shell_or_skip() else {
        return;
    };
    shell_session(Command::new(shell), "qmp-shell").await;
}
