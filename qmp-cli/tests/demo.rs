//! `qmp demo`, as a person runs it: the built binary, against the toy VM
//! it serves itself and against QEMU 10.0.2.

use std::process::Command;

use serde_json::Value;

/// The demo's lines received (`<- `), as JSON, and its whole output.
fn demo(args: &[&str]) -> (Vec<Value>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_qmp"))
        .arg("demo")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "qmp demo {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let received = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("<- "))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (received, stdout)
}

/// What every server must have said in the session, whatever its order of
/// answers and events.
fn check_session(received: &[Value]) {
    assert!(
        received[0]["QMP"]["capabilities"].is_array(),
        "{received:?}"
    );
    assert_eq!(
        received[1]["error"]["desc"],
        "Expecting capabilities negotiation with 'qmp_capabilities'"
    );
    assert_eq!(received[2]["return"], serde_json::json!({}));
    let answer = |id: i64| {
        received
            .iter()
            .find(|line| line["id"] == id)
            .unwrap_or_else(|| panic!("no answer with id {id}: {received:?}"))
    };
    assert!(answer(1)["return"]["qemu"]["major"].is_number());
    assert_eq!(answer(2)["return"]["status"], "running");
    assert_eq!(answer(3)["return"], serde_json::json!({}));
    assert_eq!(
        answer(5)["error"]["desc"],
        "Capabilities negotiation is already complete, command ignored"
    );
    let events: Vec<&str> = received
        .iter()
        .filter_map(|line| line["event"].as_str())
        .collect();
    assert_eq!(events, ["STOP", "RESUME"]);
}

#[test]
fn the_demo_needs_no_qemu() {
    let (received, stdout) = demo(&[]);
    check_session(&received);
    assert!(
        stdout.contains("-> {\"execute\": \"qmp_capabilities\"}"),
        "{stdout}"
    );
}

#[test]
fn the_demo_runs_the_same_session_against_qemu() {
    let Some(binary) = qmp_test_support::Kind::System.binary() else {
        return;
    };
    let (received, _) = demo(&["--qemu", binary.to_str().unwrap()]);
    check_session(&received);
    assert!(
        received[0]["QMP"]["version"]["package"]
            .as_str()
            .is_some_and(|p| !p.contains("qmp-server")),
        "a real QEMU: {:?}",
        received[0]
    );
}
