//! What the guest agent says about its system: host name, operating
//! system, kernel, time zone and processors.
//!
//! `cargo run -p qmp-client --example agent_osinfo -- SOCKET`, SOCKET being
//! the host end of a VM's agent channel (`-chardev
//! socket,path=SOCKET,server=on,wait=off,id=qga0 -device virtio-serial
//! -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0`), or
//! an agent run on this machine: `qemu-ga -m unix-listen -p SOCKET`.

use std::io::Write;

use qmp_client::agent::Agent;
use qmp_client::qmp_types::agent::commands::{
    GuestGetHostName, GuestGetOsinfo, GuestGetTimezone, GuestGetVcpus, GuestInfo,
};

/// Prints the report for the agent at `socket` to `out`.
pub async fn run(socket: &str, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let agent = Agent::connect_unix(socket).await?;
    let info = agent.execute(GuestInfo::new()).await?;
    let host = agent.execute(GuestGetHostName::new()).await?;
    let os = agent.execute(GuestGetOsinfo::new()).await?;
    let zone = agent.execute(GuestGetTimezone::new()).await?;
    let cpus = agent.execute(GuestGetVcpus::new()).await?;
    let online = cpus.iter().filter(|cpu| cpu.online).count();
    let unknown = || "?".to_owned();
    writeln!(out, "agent:    qemu-ga {}", info.version)?;
    writeln!(out, "host:     {}", host.host_name)?;
    writeln!(out, "system:   {}", os.pretty_name.unwrap_or_else(unknown))?;
    writeln!(
        out,
        "kernel:   {} {}",
        os.kernel_release.unwrap_or_else(unknown),
        os.machine.unwrap_or_else(unknown)
    )?;
    writeln!(
        out,
        "timezone: {} (UTC{:+} s)",
        zone.zone.unwrap_or_else(unknown),
        zone.offset
    )?;
    writeln!(out, "cpus:     {online} online of {}", cpus.len())?;
    Ok(())
}

#[allow(dead_code)]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let socket = std::env::args()
        .nth(1)
        .ok_or("usage: agent_osinfo SOCKET")?;
    run(&socket, &mut std::io::stdout()).await
}
