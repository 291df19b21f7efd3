//! `qmp --fd`: a descriptor passed with a one-shot command reaches QEMU
//! 10.0.2, which then knows it by name.

use std::process::{Command, Output};

use qmp_test_support::{Kind, Qemu};

fn qmp(qemu: &Qemu, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_qmp"))
        .arg("--socket")
        .arg(&qemu.socket)
        .args(args)
        .output()
        .unwrap();
    // Each run is a connection of its own; QEMU's monitor takes the next
    // one only once it has seen this one end.
    qemu.release_listener();
    output
}

#[test]
fn a_descriptor_passed_with_getfd_is_known_to_qemu_by_its_name() {
    let Some(binary) = Kind::System.binary() else {
        return;
    };
    let qemu = Qemu::start_listening(&binary, Kind::System).unwrap();
    let file = qemu.dir.join("image");
    let passed = qmp(
        &qemu,
        &["--fd", file.to_str().unwrap(), "getfd", "fdname=image"],
    );
    assert!(passed.status.success(), "{passed:?}");
    // QEMU closes it by name: it has it.
    let closed = qmp(&qemu, &["closefd", "fdname=image"]);
    assert!(closed.status.success(), "{closed:?}");
    // And only once.
    let again = qmp(&qemu, &["closefd", "fdname=image"]);
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("GenericError"), "{stderr}");
}

#[test]
fn no_descriptor_is_named_without_fd() {
    let Some(binary) = Kind::System.binary() else {
        return;
    };
    let qemu = Qemu::start_listening(&binary, Kind::System).unwrap();
    let refused = qmp(&qemu, &["getfd", "fdname=nothing"]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
}
