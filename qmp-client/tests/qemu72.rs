//! The bindings against Debian 12's own QEMU 7.2 (installed beside 10.0 by
//! `.ci/install-qemu`): answers whose newest schema requires members 7.2
//! does not send decode, because the bindings are generated compatible
//! with 7.2 (`schema/compat.txt`).
//!
//! QEMU connects to a socket the test listens on (`server=off`), so its
//! startup cannot race the connection.

use std::path::PathBuf;
use std::time::Duration;

use qmp_client::commands::{
    QueryBlock, QueryBlockstats, QueryChardev, QueryDirtyRate, QueryMachines, QueryStatus,
    QueryVersion,
};
use qmp_client::{Client, Connector, Operational};

const GUARD: Duration = Duration::from_secs(30);
/// Where `.ci/install-qemu` unpacks QEMU 7.2, unless `QEMU_72_DIR` says.
const DEFAULT_DIR: &str = "/opt/qemu-7.2";

/// QEMU 7.2's directory, or `None` (a loud skip) when it is not there and
/// not required.
fn qemu_72() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var("QEMU_72_DIR").unwrap_or(DEFAULT_DIR.into()));
    if dir.join("usr/bin/qemu-system-x86_64").is_file() {
        return Some(dir);
    }
    let required = std::env::var("QMP_REQUIRE_QEMU").is_ok_and(|v| v.trim() == "1");
    assert!(
        !required,
        "QEMU 7.2 is missing in {} (run `bash .ci/install-qemu`), and QMP_REQUIRE_QEMU=1",
        dir.display()
    );
    eprintln!(
        "SKIPPED: needs QEMU 7.2 in {} (bash .ci/install-qemu)",
        dir.display()
    );
    None
}

async fn guard<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(GUARD, future)
        .await
        .expect("within the hang guard")
}

/// QEMU 7.2's system emulator with a disk, a chardev and a netdev, so that
/// the answers have content; connected and negotiated.
async fn start(dir: &std::path::Path) -> (Client<Operational>, tokio::process::Child, PathBuf) {
    let scratch = std::env::temp_dir().join(format!("qmp-qemu72-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let socket = scratch.join("qmp.sock");
    let _ = std::fs::remove_file(&socket);
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    let child = tokio::process::Command::new(dir.join("usr/bin/qemu-system-x86_64"))
        .env("QEMU_MODULE_DIR", dir.join("usr/lib/x86_64-linux-gnu/qemu"))
        .args(["-machine", "none", "-nodefaults", "-display", "none"])
        .args(["-drive", "if=none,id=disk0,driver=null-co"])
        .args(["-chardev", "null,id=char0", "-netdev", "user,id=net0"])
        .arg("-qmp")
        .arg(format!("unix:{},server=off", socket.display()))
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = guard(Connector::new().listen(&listener)).await.unwrap();
    let client = guard(client.negotiate(&[])).await.unwrap();
    (client, child, scratch)
}

#[tokio::test]
async fn answers_of_qemu_7_2_decode() {
    let Some(dir) = qemu_72() else {
        return;
    };
    let (client, mut child, scratch) = start(&dir).await;
    let version = guard(client.execute(QueryVersion::new())).await.unwrap();
    assert_eq!((version.qemu.major, version.qemu.minor), (7, 2));
    guard(client.execute(QueryStatus::new())).await.unwrap();

    // Each of these failed to decode before the bindings were made
    // compatible ("struct BlockDeviceInfo: missing member 'active'").
    let block = guard(client.execute(QueryBlock::new())).await.unwrap();
    let disk = block.iter().find(|b| b.device == "disk0").expect("disk0");
    let inserted = disk.inserted.as_ref().expect("a medium");
    assert_eq!(inserted.active, None, "7.2 does not send `active`");
    let stats = guard(client.execute(QueryBlockstats::new())).await.unwrap();
    assert!(!stats.is_empty());
    assert_eq!(stats[0].stats.zone_append_operations, None);
    let machines = guard(client.execute(QueryMachines::new())).await.unwrap();
    assert!(machines.iter().all(|m| m.acpi.is_none()));
    let dirty = guard(client.execute(QueryDirtyRate::new())).await.unwrap();
    assert_eq!(dirty.calc_time_unit, None);
    let chardevs = guard(client.execute(QueryChardev::new())).await.unwrap();
    assert!(chardevs.iter().any(|c| c.label == "char0"));

    drop(client);
    child.kill().await.unwrap();
    std::fs::remove_dir_all(scratch).unwrap();
}
