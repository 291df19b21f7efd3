//! Runs a program in the guest with `guest-exec`, waits for it, prints
//! its output, and exits with its status.
//!
//! `cargo run -p qmp-client --example agent_exec -- SOCKET PROGRAM [ARG...]`
//! (see the `agent_osinfo` example for SOCKET).

use std::io::Write;

use qmp_client::agent::Agent;

/// Runs `program` with `args` through the agent at `socket`, writes its
/// standard output to `out` and its standard error to `err`, and returns
/// its exit status (128 + the signal, when one ended it).
pub async fn run(
    socket: &str,
    program: &str,
    args: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    let agent = Agent::connect_unix(socket).await?;
    let run = agent.exec(program, args).await?;
    out.write_all(&run.stdout)?;
    err.write_all(&run.stderr)?;
    if run.stdout_truncated || run.stderr_truncated {
        writeln!(err, "(the agent kept only the start of the output)")?;
    }
    Ok(match (run.exit_code, run.signal) {
        (Some(code), _) => i32::try_from(code)?,
        (None, Some(signal)) => 128 + i32::try_from(signal)?,
        (None, None) => 1,
    })
}

#[allow(dead_code)]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut words = std::env::args().skip(1);
    let (Some(socket), Some(program)) = (words.next(), words.next()) else {
        return Err("usage: agent_exec SOCKET PROGRAM [ARG...]".into());
    };
    let args: Vec<String> = words.collect();
    let status = run(
        &socket,
        &program,
        &args,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )
    .await?;
    std::process::exit(status);
}
