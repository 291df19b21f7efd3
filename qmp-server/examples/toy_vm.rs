//! The toy VM (`qmp_server::toy`) on a socket:
//!
//! ```text
//! cargo run -p qmp-server --example toy_vm -- /tmp/toy.sock
//! ```
//!
//! serves a Unix socket (`--tcp HOST:PORT` serves TCP, `--stdio` this
//! process's standard input and output). Any QMP client drives it, QEMU's
//! own `qmp-shell` among them.

// Tests include this file for these.
#[allow(unused_imports)]
pub use qmp_server::toy::{toy_vm, ToyVm};

/// Serves until the machine quits.
#[allow(dead_code)] // Tests include this file for `toy_vm` alone.
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (server, quit) = toy_vm();
    let serving = {
        let server = server.clone();
        async move {
            match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                ["--tcp", address] => server.listen_tcp(address).await,
                ["--stdio"] => {
                    server
                        .serve_stream(tokio::io::stdin(), tokio::io::stdout())
                        .await;
                    Ok(())
                }
                [path] if !path.starts_with('-') => server.listen_unix(path).await,
                _ => Err(std::io::Error::other(
                    "usage: toy_vm SOCKET | --tcp HOST:PORT | --stdio",
                )),
            }
        }
    };
    tokio::select! {
        served = serving => served,
        () = quit.notified() => {
            server.shutdown().await;
            Ok(())
        }
    }
}
