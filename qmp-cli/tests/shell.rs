//! `qmp shell` on a pseudo-terminal, typed at as a person would: against
//! the toy VM served in this process (completion, history, events while
//! the prompt waits, a bad argument refused, `--verbose`), and against
//! QEMU 10.0 (`hmp`, `transaction`, a real event), skipped without it.
//!
//! Every wait is for something on the terminal; the timeout is only a
//! hang guard.

mod common;

use common::Toy;
use std::path::Path;
use std::process::Command;

use expectrl::process::unix::WaitStatus;
use expectrl::session::OsSession as Session;
use expectrl::{Eof, Expect, Regex};
use qmp_test_support::{temp_dir, HANG_GUARD};

const PROMPT: &str = "(QEMU) ";
const UP: &str = "\x1b[A";
const CTRL_D: &str = "\x04";

impl Toy {
    /// `qmp --socket ... shell ARGS`, its history in this directory.
    fn shell(&self, args: &[&str]) -> Session {
        let mut command = qmp();
        command
            .arg("--socket")
            .arg(&self.socket)
            .arg("shell")
            .args(args)
            .env("XDG_STATE_HOME", self.dir.join("state"));
        spawn(command)
    }
}

/// The `qmp` binary, on a terminal it can edit lines on.
fn qmp() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qmp"));
    command.env("TERM", "xterm").env_remove("QMP_SOCKET");
    command
}

fn spawn(command: Command) -> Session {
    let mut session = Session::spawn(command).expect("qmp starts on a pseudo-terminal");
    session.set_expect_timeout(Some(HANG_GUARD));
    session
}

/// Waits for `text` on the terminal; what came before it.
fn expect(session: &mut Session, text: &str) -> String {
    match session.expect(text) {
        Ok(found) => String::from_utf8_lossy(found.before()).into_owned(),
        Err(error) => {
            let mut pending = vec![0; 64 * 1024];
            let n = session.try_read(&mut pending).unwrap_or(0);
            let pending = String::from_utf8_lossy(&pending[..n]);
            panic!("waiting for {text:?}: {error}; the terminal shows {pending:?}")
        }
    }
}

/// Waits for each of `texts`, in any order; what came until the last.
fn expect_all(session: &mut Session, texts: &[&str]) -> String {
    let mut left: Vec<&str> = texts.to_vec();
    let mut seen = String::new();
    while !left.is_empty() {
        let pattern: Vec<String> = left.iter().map(|t| regex::escape(t)).collect();
        let found = session
            .expect(Regex(pattern.join("|")))
            .unwrap_or_else(|e| panic!("waiting for {left:?}: {e}"));
        // Every match in what was read is consumed, not only the first.
        seen.push_str(&String::from_utf8_lossy(found.as_bytes()));
        for matched in found.matches() {
            left.retain(|t| t.as_bytes() != matched);
        }
    }
    seen
}

/// Ctrl-D at the prompt, and the shell ends. (Keys are typed only while a
/// prompt shows: between lines the terminal is not the editor's, and a
/// key typed then may be lost.)
fn leave(session: &mut Session) {
    session.send(CTRL_D).expect("sends Ctrl-D");
    session.expect(Eof).expect("the shell ends");
}

#[test]
fn tab_completes_a_command_name() {
    let toy = Toy::start();
    let mut shell = toy.shell(&[]);
    expect(&mut shell, PROMPT);
    // `query-sta` is as far as the three commands agree (`query-stat`);
    // a second Tab lists them.
    shell.send("query-sta\t\t").unwrap();
    expect(&mut shell, "query-stats-schemas");
    shell.send("u\t").unwrap();
    expect(&mut shell, "query-status ");
    shell.send("\r").unwrap();
    expect(&mut shell, r#""status": "running""#);
    expect(&mut shell, PROMPT);
    leave(&mut shell);
}

#[test]
fn tab_completes_arguments_nested_members_and_values() {
    let toy = Toy::start();
    let mut shell = toy.shell(&["--verbose"]);
    expect(&mut shell, PROMPT);
    // An enum's value, a member of a nested object, a boolean.
    shell.send("blockdev-add dri\t").unwrap();
    expect(&mut shell, "driver=");
    shell.send("null-c\t").unwrap();
    expect(&mut shell, "null-co ");
    shell.send("node-name=n0 ca\t").unwrap();
    expect(&mut shell, "cache.");
    shell.send("d\t").unwrap();
    expect(&mut shell, "cache.direct=");
    shell.send("of\t").unwrap();
    expect(&mut shell, "off ");
    shell.send("\r").unwrap();
    // Sent as completed; the toy VM has no such command, and says so
    // with its error's class.
    expect(
        &mut shell,
        r#"-> {"execute":"blockdev-add","arguments":{"cache":{"direct":false},"driver":"null-co","node-name":"n0"}}"#,
    );
    expect(&mut shell, r#"<- {"error":{"class":"CommandNotFound""#);
    expect(
        &mut shell,
        "CommandNotFound: The command blockdev-add has not been found",
    );
    expect(&mut shell, PROMPT);
    leave(&mut shell);
}

#[test]
fn an_event_shows_while_the_prompt_waits() {
    let toy = Toy::start();
    let mut shell = toy.shell(&[]);
    expect(&mut shell, PROMPT);
    // Half a line typed, not entered.
    shell.send("query-").unwrap();
    expect(&mut shell, "query-");
    assert_eq!(toy.events.emit(&qmp_types::events::Stop::new()), 1);
    expect(&mut shell, "STOP");
    // The half line is still there, below the event.
    shell.send("status\r").unwrap();
    expect(&mut shell, r#""status": "running""#);
    expect(&mut shell, PROMPT);
    leave(&mut shell);
}

#[test]
fn history_is_kept_across_sessions() {
    let toy = Toy::start();
    let file = toy.dir.join("state/qmp/history");
    let mut first = toy.shell(&[]);
    expect(&mut first, PROMPT);
    first.send("query-status\r").unwrap();
    expect(&mut first, r#""status": "running""#);
    expect(&mut first, PROMPT);
    leave(&mut first);
    let saved = std::fs::read_to_string(&file).expect("the default history file");
    assert!(saved.contains("query-status"), "{saved:?}");

    let mut second = toy.shell(&[]);
    expect(&mut second, PROMPT);
    second.send(UP).unwrap();
    expect(&mut second, "query-status");
    second.send("\r").unwrap();
    expect(&mut second, r#""status": "running""#);
    expect(&mut second, PROMPT);
    leave(&mut second);

    // --history names another file, made with its directory.
    let other = toy.dir.join("elsewhere/history");
    let mut third = toy.shell(&["--history", other.to_str().unwrap()]);
    expect(&mut third, PROMPT);
    third.send("query-version\r").unwrap();
    expect(&mut third, r#""qemu""#);
    expect(&mut third, PROMPT);
    leave(&mut third);
    assert!(read(&other).contains("query-version"));
    assert!(!read(&file).contains("query-version"));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_bad_argument_is_refused_before_anything_is_sent() {
    let toy = Toy::start();
    let mut shell = toy.shell(&["--verbose"]);
    expect(&mut shell, PROMPT);
    shell.send("block-dirty-bitmap-add nod=x name=b\r").unwrap();
    let before = expect(
        &mut shell,
        "unknown argument 'nod' for command 'block-dirty-bitmap-add' (did you mean 'node'?)",
    );
    let after = expect(&mut shell, PROMPT);
    assert!(
        !before.contains("-> ") && !after.contains("-> "),
        "sent: {before}{after}"
    );
    // A bad value, a missing member, an unknown command: the same.
    shell
        .send("block-dirty-bitmap-add node=x name=b granularity=big\r")
        .unwrap();
    expect(&mut shell, "granularity: 'big' is not an integer");
    expect(&mut shell, PROMPT);
    shell.send("block-dirty-bitmap-add node=x\r").unwrap();
    expect(&mut shell, "Parameter 'name' is missing");
    expect(&mut shell, PROMPT);
    shell.send("query-stauts\r").unwrap();
    expect(
        &mut shell,
        "unknown command 'query-stauts' (did you mean 'query-status'?)",
    );
    let after = expect(&mut shell, PROMPT);
    assert!(!after.contains("-> "), "sent: {after}");
    // The shell goes on.
    shell.send("query-status\r").unwrap();
    expect(&mut shell, r#"-> {"execute":"query-status"}"#);
    expect(&mut shell, r#""status": "running""#);
    expect(&mut shell, PROMPT);
    leave(&mut shell);
}

#[test]
fn verbose_echoes_the_request_and_the_answer() {
    let toy = Toy::start();
    let mut shell = toy.shell(&["--verbose"]);
    expect(&mut shell, PROMPT);
    shell.send("query-status\r").unwrap();
    expect(&mut shell, r#"-> {"execute":"query-status"}"#);
    expect(
        &mut shell,
        r#"<- {"return":{"running":true,"status":"running"}}"#,
    );
    expect(&mut shell, r#""status": "running""#);
    // Raw JSON arguments, and an event as received.
    shell.send(r#"stop {}"#).unwrap();
    shell.send("\r").unwrap();
    expect(&mut shell, r#"-> {"execute":"stop"}"#);
    expect(&mut shell, r#"<- {"event":"STOP","timestamp":{"#);
    expect(&mut shell, PROMPT);
    // Without --verbose, only the answer.
    leave(&mut shell);
    let mut quiet = toy.shell(&[]);
    expect(&mut quiet, PROMPT);
    quiet.send("cont\r").unwrap();
    // The event may come before the answer, or after.
    let seen = expect_all(&mut quiet, &["RESUME", "{}"]);
    assert!(!seen.contains("-> ") && !seen.contains("<- "), "{seen}");
    expect(&mut quiet, PROMPT);
    quiet.send("quit\r").unwrap();
    quiet.expect(Eof).expect("`quit` ends the shell");
}

#[test]
fn help_and_ctrl_c() {
    let toy = Toy::start();
    let mut shell = toy.shell(&[]);
    expect(&mut shell, PROMPT);
    shell.send("help\r").unwrap();
    expect(&mut shell, "hmp COMMAND...");
    shell.send("help block-dirty-bitmap-add\r").unwrap();
    expect(&mut shell, "granularity: uint32 (optional)");
    expect(&mut shell, "How many bytes of the disk each bit stands for");
    // Ctrl-C clears the line: nothing of it runs.
    expect(&mut shell, PROMPT);
    shell.send("query-stauts").unwrap();
    expect(&mut shell, "query-stauts");
    shell.send("\x03").unwrap();
    expect(&mut shell, PROMPT);
    shell.send("query-status\r").unwrap();
    let before = expect(&mut shell, r#""status": "running""#);
    assert!(!before.contains("unknown command"), "{before}");
    expect(&mut shell, PROMPT);
    leave(&mut shell);
}

#[test]
fn a_closed_connection_is_said_and_ends_the_shell_at_the_next_command() {
    let mut toy = Toy::start();
    let mut shell = toy.shell(&[]);
    expect(&mut shell, PROMPT);
    toy.stop();
    expect(&mut shell, "the server closed the connection");
    shell.send("query-status\r").unwrap();
    expect(&mut shell, "qmp: disconnected from the QMP server");
    shell.expect(Eof).expect("the shell ends");
    let process = shell.get_process();
    let status = process.wait().expect("exits");
    assert_eq!(status, WaitStatus::Exited(process.pid(), 3));
}

/// `hmp`, a transaction typed over several lines and on one, and a real
/// event, on QEMU 10.0 started by the shell itself (`--spawn`).
#[test]
fn hmp_transaction_and_events_on_qemu() {
    let Some(binary) = qmp_test_support::Kind::System.binary() else {
        return;
    };
    let dir = temp_dir("qmp-shell-qemu").expect("a temporary directory");
    let mut command = qmp();
    command
        .arg("--spawn")
        .arg(format!("{} -machine none -nodefaults", binary.display()))
        .arg("shell")
        .arg("--history")
        .arg(dir.join("history"));
    let mut shell = spawn(command);
    expect(&mut shell, PROMPT);

    shell.send("hmp info version\r").unwrap();
    shell
        .expect(Regex(r"\d+\.\d+\.\d+"))
        .expect("hmp's text output");
    expect(&mut shell, PROMPT);

    shell
        .send("blockdev-add driver=null-co node-name=n0\r")
        .unwrap();
    expect(&mut shell, "{}");
    expect(&mut shell, PROMPT);
    shell.send("transaction(\r").unwrap();
    expect(&mut shell, "(QEMU) transaction> ");
    shell
        .send("block-dirty-bitmap-add node=n0 name=b0\r")
        .unwrap();
    expect(&mut shell, "(QEMU) transaction> ");
    shell
        .send("block-dirty-bitmap-add nod=n0 name=b1\r")
        .unwrap();
    expect(
        &mut shell,
        "unknown argument 'nod' for action 'block-dirty-bitmap-add' (did you mean 'node'?)",
    );
    expect(&mut shell, "(QEMU) transaction> ");
    shell
        .send("block-dirty-bitmap-add node=n0 name=b1 persistent=off\r")
        .unwrap();
    expect(&mut shell, "(QEMU) transaction> ");
    shell.send(")\r").unwrap();
    expect(&mut shell, "{}");
    expect(&mut shell, PROMPT);
    // Both bitmaps are there: removing them succeeds, in one line.
    shell
        .send("transaction( block-dirty-bitmap-remove node=n0 name=b0 ; block-dirty-bitmap-remove node=n0 name=b1 )\r")
        .unwrap();
    expect(&mut shell, "{}");
    expect(&mut shell, PROMPT);
    // And now they are not.
    shell
        .send("block-dirty-bitmap-remove node=n0 name=b0\r")
        .unwrap();
    expect(&mut shell, "GenericError: Dirty bitmap 'b0' not found");
    expect(&mut shell, PROMPT);

    shell.send("stop\r").unwrap();
    expect_all(&mut shell, &["STOP", "{}"]);
    expect(&mut shell, PROMPT);
    leave(&mut shell);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `qmp agent shell` against qemu-ga 10.0 on a socket in a temporary
/// directory: the agent's prompt, completion from its schema (a command,
/// an argument), a command run, QMP's own words absent, a bad argument
/// refused, and a history of its own.
#[test]
fn the_agent_shell_completes_and_runs_the_agents_commands() {
    let Some(binary) = qmp_test_support::Release::Current.guest_agent() else {
        return;
    };
    let agent = qmp_test_support::GuestAgent::start(&binary).expect("the agent starts");
    let state = agent.dir.join("state-home");
    let start = || {
        let mut command = qmp();
        command
            .arg("agent")
            .arg("--socket")
            .arg(&agent.socket)
            .arg("shell")
            .env("XDG_STATE_HOME", &state);
        spawn(command)
    };
    const AGENT_PROMPT: &str = "(QGA) ";
    let mut shell = start();
    expect(&mut shell, AGENT_PROMPT);
    shell.send("guest-get-osi\t").unwrap();
    expect(&mut shell, "guest-get-osinfo ");
    shell.send("\r").unwrap();
    expect(&mut shell, r#""kernel-release""#);
    expect(&mut shell, AGENT_PROMPT);
    // `h` is `help` alone here: no `hmp`, no QMP command.
    shell.send("h\t").unwrap();
    expect(&mut shell, "help ");
    shell.send("guest-file-op\t").unwrap();
    expect(&mut shell, "guest-file-open ");
    shell.send("\r").unwrap();
    expect(&mut shell, "mode: str (optional)");
    expect(&mut shell, AGENT_PROMPT);
    shell.send("guest-file-open pa\t").unwrap();
    expect(&mut shell, "path=");
    shell.send("/nonexistent/x mod=r\r").unwrap();
    expect(&mut shell, "unknown argument 'mod'");
    expect(&mut shell, AGENT_PROMPT);
    shell.send("hmp info status\r").unwrap();
    expect(&mut shell, "unknown command 'hmp'");
    expect(&mut shell, AGENT_PROMPT);
    leave(&mut shell);

    let saved = read(&state.join("qmp/agent-history"));
    assert!(saved.contains("guest-get-osinfo"), "{saved:?}");
    assert!(!state.join("qmp/history").exists());
    let mut again = start();
    expect(&mut again, AGENT_PROMPT);
    again.send(UP).unwrap();
    expect(&mut again, "hmp info status");
    again.send("\x15guest-ping\r").unwrap();
    expect(&mut again, "{}");
    expect(&mut again, AGENT_PROMPT);
    leave(&mut again);
}
