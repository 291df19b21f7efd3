//! Prints a file of the guest, read through the agent (`guest-file-open`,
//! `guest-file-read` in chunks, `guest-file-close`).
//!
//! `cargo run -p qmp-client --example agent_cat -- SOCKET PATH` (see the
//! `agent_osinfo` example for SOCKET).

use std::io::Write;

use qmp_client::agent::Agent;

/// Writes the guest file at `path` to `out`, through the agent at
/// `socket`.
pub async fn run(
    socket: &str,
    path: &str,
    out: &mut dyn Write,
) -> Result<(), Box<dyn std::error::Error>> {
    let agent = Agent::connect_unix(socket).await?;
    let contents = agent.read_file(path).await?;
    out.write_all(&contents)?;
    Ok(())
}

#[allow(dead_code)]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut words = std::env::args().skip(1);
    let (Some(socket), Some(path)) = (words.next(), words.next()) else {
        return Err("usage: agent_cat SOCKET PATH".into());
    };
    run(&socket, &path, &mut std::io::stdout()).await
}
