//! The blocking wrapper against `qemu-system-x86_64`.

mod common;

use std::time::Duration;

use common::{Kind, Qemu};
use qmp_client::blocking::Client;
use qmp_client::commands::QueryVersion;
use qmp_client::qmp_types::EventSet;
use qmp_client::Error;
use serde_json::json;

#[test]
fn the_blocking_client_runs_commands_and_reads_events() {
    let Some(mut qemu) = Qemu::start(Kind::System) else {
        return;
    };
    let mut client = qemu.connect_blocking();
    client.set_timeout(Some(common::HANG_GUARD));
    let greeting = client.greeting().clone();
    let client = client.negotiate(&[]).unwrap();
    assert_eq!(
        client.execute(QueryVersion::new()).unwrap(),
        greeting.version
    );

    let mut events = client.events();
    assert!(matches!(
        events.recv_timeout(Duration::from_millis(10)),
        Err(Error::Timeout(_))
    ));
    client.execute_raw("stop", json!({})).unwrap();
    client.execute_raw("cont", json!({})).unwrap();
    client.execute_raw("quit", json!({})).unwrap();
    let names: Vec<String> = events
        .map(|item| item.unwrap().0.name().to_owned())
        .collect();
    assert_eq!(names, ["STOP", "RESUME", "SHUTDOWN"]);
    assert!(qemu.wait_exit().success());
    assert!(matches!(
        client.execute(QueryVersion::new()),
        Err(Error::Disconnected)
    ));
}

#[test]
fn the_blocking_client_spawns_the_storage_daemon_on_stdio() {
    let Some(binary) = Kind::StorageDaemon.binary() else {
        return;
    };
    let mut command = std::process::Command::new(binary);
    command.args(Kind::StorageDaemon.args("stdio"));
    let (client, mut child) = Client::spawn(command).unwrap();
    let client = client.negotiate(&[]).unwrap();
    assert_eq!(client.execute(QueryVersion::new()).unwrap().qemu.major, 10);
    client.execute_raw("quit", json!({})).unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < common::HANG_GUARD);
        std::thread::sleep(Duration::from_millis(5));
    }
}
