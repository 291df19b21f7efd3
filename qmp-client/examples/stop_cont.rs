//! Starts QEMU with QMP on its standard input and output, queries its
//! status and version, stops and continues it while printing the events,
//! and quits cleanly.
//!
//! `cargo run -p qmp-client --example stop_cont` (QEMU from
//! `$QMP_QEMU_SYSTEM`, else `qemu-system-x86_64` on `PATH`). Each command
//! and answer is a `tracing` debug event: install a subscriber to see them.

use qmp_client::commands::{Cont, QueryStatus, QueryVersion, Quit, Stop};
use qmp_client::{Client, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let qemu = std::env::var_os("QMP_QEMU_SYSTEM").unwrap_or_else(|| "qemu-system-x86_64".into());
    let mut command = tokio::process::Command::new(qemu);
    command
        .args(["-machine", "none", "-nodefaults", "-display", "none"])
        .args(["-qmp", "stdio"])
        .kill_on_drop(true);
    let (client, mut child) = Client::spawn(&mut command).await?;
    let greeting = client.greeting();
    println!(
        "greeting: QEMU {}.{}.{}, capabilities {:?}",
        greeting.version.qemu.major,
        greeting.version.qemu.minor,
        greeting.version.qemu.micro,
        greeting.capabilities
    );

    let client = client.negotiate(&[]).await?;
    let version = client.execute(QueryVersion::new()).await?;
    println!("query-version: {:?} {:?}", version.qemu, version.package);
    let status = client.execute(QueryStatus::new()).await?;
    println!(
        "query-status: running={} status={}",
        status.running,
        status.status.as_str()
    );

    // Print every event as it comes, on a task of its own.
    let mut events = client.events();
    let printer = tokio::spawn(async move {
        while let Some(item) = events.next().await {
            match item {
                Ok((event, time)) => println!(
                    "event at {}.{:06}: {event:?}",
                    time.seconds, time.microseconds
                ),
                Err(error) => println!("event stream error: {error}"),
            }
        }
        println!("event stream ended");
    });

    client.execute(Stop::new()).await?;
    let status = client.execute(QueryStatus::new()).await?;
    println!("after stop: status={}", status.status.as_str());
    client.execute(Cont::new()).await?;
    let status = client.execute(QueryStatus::new()).await?;
    println!("after cont: status={}", status.status.as_str());

    client.execute(Quit::new()).await?;
    let _ = printer.await;
    let exit = child.wait().await?;
    println!("QEMU exited: {exit}");
    Ok(())
}
