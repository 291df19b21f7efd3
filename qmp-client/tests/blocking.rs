//! The blocking wrapper against `qemu-system-x86_64` and
//! `qemu-storage-daemon`, QEMU 10.0 and 7.2.

mod common;

use std::time::Duration;

use common::{Kind, Qemu, RELEASES};
use qmp_client::blocking::Client;
use qmp_client::commands::QueryVersion;
use qmp_client::qmp_types::EventSet;
use qmp_client::Error;
use serde_json::json;

#[test]
fn the_blocking_client_runs_commands_and_reads_events() {
    for release in RELEASES {
        let Some(mut qemu) = Qemu::start_release(Kind::System, release) else {
            continue;
        };
        let mut client = qemu.connect_blocking();
        client.set_timeout(Some(common::HANG_GUARD));
        let greeting = client.greeting().clone();
        let client = client.negotiate(&[]).unwrap();
        assert_eq!(
            client.execute(QueryVersion::new()).unwrap(),
            greeting.version,
            "{release}"
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
        assert_eq!(names, ["STOP", "RESUME", "SHUTDOWN"], "{release}");
        assert!(qemu.wait_exit().success(), "{release}");
        assert!(matches!(
            client.execute(QueryVersion::new()),
            Err(Error::Disconnected)
        ));
    }
}

#[test]
fn the_blocking_client_spawns_the_storage_daemon_on_stdio() {
    for release in RELEASES {
        let Some(binary) = release.binary(Kind::StorageDaemon) else {
            continue;
        };
        let mut command = qmp_test_support::command(&binary);
        command.args(Kind::StorageDaemon.args("stdio"));
        let (client, mut child) = Client::spawn(command).unwrap();
        let client = client.negotiate(&[]).unwrap();
        let version = client.execute(QueryVersion::new()).unwrap();
        assert_eq!(version.qemu.major, release.version().0, "{release}");
        client.execute_raw("quit", json!({})).unwrap();
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(start.elapsed() < common::HANG_GUARD, "{release}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
