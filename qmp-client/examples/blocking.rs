//! The blocking client: starts `qemu-storage-daemon` with QMP on its
//! standard input and output, queries its version and block nodes, adds a
//! `null-co` node, prints whatever events came, and quits.
//!
//! `cargo run -p qmp-client --example blocking` (the daemon from
//! `$QMP_QEMU_STORAGE_DAEMON`, else `qemu-storage-daemon` on `PATH`).

use std::time::Duration;

use qmp_client::blocking::Client;
use qmp_client::commands::{QueryNamedBlockNodes, QueryVersion, Quit};
use qmp_client::Error;
use serde_json::json;

fn main() -> Result<(), Error> {
    let daemon =
        std::env::var_os("QMP_QEMU_STORAGE_DAEMON").unwrap_or_else(|| "qemu-storage-daemon".into());
    let mut command = std::process::Command::new(daemon);
    command.args(["--chardev", "stdio,id=m", "--monitor", "chardev=m"]);
    let (client, mut child) = Client::spawn(command)?;
    let mut client = client.negotiate(&[])?;
    client.set_timeout(Some(Duration::from_secs(10)));

    let version = client.execute(QueryVersion::new())?;
    println!("qemu-storage-daemon {:?}", version.qemu);
    let mut events = client.events();

    // A command outside the typed set, through the escape hatch.
    client.execute_raw(
        "blockdev-add",
        json!({"driver": "null-co", "node-name": "null0", "size": 1 << 20}),
    )?;
    let nodes = client.execute(QueryNamedBlockNodes::default())?;
    for node in &nodes {
        println!("node {:?}: driver {}", node.node_name, node.drv);
    }

    client.execute(Quit::new())?;
    // The stream ends when the daemon closes the connection.
    for item in &mut events {
        println!("event: {:?}", item?.0);
    }
    while child.try_wait()?.is_none() {
        std::thread::sleep(Duration::from_millis(10));
    }
    println!("done");
    Ok(())
}
