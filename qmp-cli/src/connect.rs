//! From the connection options to an operational client.

use std::time::Duration;

use qmp_client::{Client, Connector};

use crate::cli::Connection;
use crate::exit::{Exit, Failure};

/// A negotiated client, and the QEMU it started (killed when dropped).
pub struct Connected {
    pub client: Client,
    _child: Option<tokio::process::Child>,
}

/// Connects as the options say and negotiates (without out-of-band
/// execution, which a tool that runs one command at a time never needs).
pub async fn connect(options: &Connection) -> Result<Connected, Failure> {
    let connector = Connector::new();
    let (client, child) = if let Some(path) = &options.socket {
        let client = connector.unix(path).await.map_err(|e| {
            Failure::new(
                Exit::Connection,
                format!("cannot connect to {}: {e}", path.display()),
            )
        })?;
        (client, None)
    } else if let Some(address) = &options.tcp {
        let client = connector.tcp(address.as_str()).await.map_err(|e| {
            Failure::new(
                Exit::Connection,
                format!("cannot connect to {address}: {e}"),
            )
        })?;
        (client, None)
    } else if let Some(line) = &options.spawn {
        let mut command = spawn_command(line)?;
        // Its own process group: Ctrl-C in `qmp shell` is for the shell,
        // not for the QEMU it started.
        command.kill_on_drop(true).process_group(0);
        let (client, child) = connector
            .spawn(&mut command)
            .await
            .map_err(|e| Failure::new(Exit::Connection, format!("cannot start `{line}`: {e}")))?;
        (client, Some(child))
    } else {
        return Err(Failure::new(
            Exit::Usage,
            "no server: give --socket PATH, --tcp HOST:PORT or --spawn 'QEMU ARGS' \
             (or set QMP_SOCKET)",
        ));
    };
    let mut client = client
        .negotiate(&[])
        .await
        .map_err(qmp_client::Error::from)?;
    if let Some(seconds) = options.timeout {
        client.set_timeout(Some(Duration::from_secs_f64(seconds)));
    }
    Ok(Connected {
        client,
        _child: child,
    })
}

/// The command that starts QEMU with QMP on its standard input and output.
fn spawn_command(line: &str) -> Result<tokio::process::Command, Failure> {
    let mut words = line.split_whitespace();
    let program = words
        .next()
        .ok_or_else(|| Failure::new(Exit::Usage, "--spawn needs a program"))?;
    let args: Vec<&str> = words.collect();
    let mut command = tokio::process::Command::new(program);
    command.args(&args);
    if program.contains("storage-daemon") {
        command.args(["--chardev", "stdio,id=qmp", "--monitor", "chardev=qmp"]);
    } else {
        command.args(["-qmp", "stdio"]);
        // No window: a tool on a terminal has nowhere to show one.
        if !args.iter().any(|a| matches!(*a, "-display" | "-nographic")) {
            command.args(["-display", "none"]);
        }
    }
    Ok(command)
}
