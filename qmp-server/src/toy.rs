//! A toy virtual machine behind a QMP server: `query-status`, `stop`,
//! `cont`, `system_powerdown` and `quit`, with the events QEMU sends for
//! them, on the shipped bindings. The example `toy_vm` serves it, and `qmp
//! demo` talks to it: a QMP server to try things on without QEMU.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let (server, _quit) = qmp_server::toy::toy_vm();
//! let (client_end, server_end) = tokio::io::duplex(64 * 1024);
//! let (read, write) = tokio::io::split(server_end);
//! tokio::spawn(async move { server.serve_stream(read, write).await });
//! let (read, write) = tokio::io::split(client_end);
//! let client = qmp_client::Connector::new().io(read, write).await.unwrap();
//! let client = client.negotiate(&[]).await.unwrap();
//! let status = client.execute(qmp_types::commands::QueryStatus::new()).await.unwrap();
//! assert!(status.running);
//! # }
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{CommandError, Emitter, Router, Schema, Server};
use qmp_types::commands::{Cont, QueryStatus, Quit, Stop, SystemPowerdown};
use qmp_types::events;
use qmp_types::types::{RunState, ShutdownCause, StatusInfo};
use qmp_types::Empty;

/// The machine: its run state, and where its events go.
#[derive(Clone)]
pub struct ToyVm {
    state: Arc<Mutex<RunState>>,
    events: Emitter,
    /// Ends the server when the machine quits.
    quit: Arc<tokio::sync::Notify>,
}

impl ToyVm {
    fn status(&self) -> RunState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, state: RunState) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
    }
}

async fn query_status(vm: ToyVm, _: QueryStatus) -> Result<StatusInfo, CommandError> {
    let status = vm.status();
    Ok(StatusInfo::new(status == RunState::Running, status))
}

async fn stop(vm: ToyVm, _: Stop) -> Result<Empty, CommandError> {
    if vm.status() == RunState::Running {
        vm.set(RunState::Paused);
        vm.events.emit(&events::Stop::new());
    }
    Ok(Empty {})
}

async fn cont(vm: ToyVm, _: Cont) -> Result<Empty, CommandError> {
    match vm.status() {
        RunState::Shutdown => Err(CommandError::generic(
            "Resetting the Virtual Machine is required",
        )),
        RunState::Running => Ok(Empty {}),
        _ => {
            vm.set(RunState::Running);
            vm.events.emit(&events::Resume::new());
            Ok(Empty {})
        }
    }
}

/// The guest hears the power button and shuts itself down.
async fn system_powerdown(vm: ToyVm, _: SystemPowerdown) -> Result<Empty, CommandError> {
    vm.events.emit(&events::Powerdown::new());
    if vm.status() == RunState::Running {
        vm.set(RunState::Shutdown);
        vm.events
            .emit(&events::Shutdown::new(true, ShutdownCause::GuestShutdown));
    }
    Ok(Empty {})
}

async fn quit(vm: ToyVm, _: Quit) -> Result<Empty, CommandError> {
    vm.events
        .emit(&events::Shutdown::new(false, ShutdownCause::HostQmpQuit));
    vm.quit.notify_one();
    Ok(Empty {})
}

/// How long the toy VM's connections busy-poll for the next request
/// after an answer ([`ServerBuilder::busy_poll`](crate::ServerBuilder::busy_poll)).
///
/// Twice QEMU's own default for its I/O threads (`poll-max-ns` 32768):
/// on this project's two-CPU virtual machines a client on the other CPU
/// takes 25 to 40 µs to wake, read an answer and send its next request,
/// so 32 µs missed a good share of requests, and each miss let the
/// adaptive window fall to nothing and grow back. In the server bench,
/// three runs each, client on CPU 0 and server on CPU 1: 24,800 to
/// 34,200 round trips a second with 32 µs, 31,800 to 39,900 with 64 µs;
/// with the threads where the kernel puts them, 18,100 to 20,800, then
/// 34,300 to 39,400.
pub const TOY_BUSY_POLL: Duration = Duration::from_micros(64);

/// The toy VM's server, running, and a handle that says when it quit. It
/// busy-polls for [`TOY_BUSY_POLL`] after each answer on a Unix socket.
pub fn toy_vm() -> (Server<ToyVm>, Arc<tokio::sync::Notify>) {
    let router = Router::new()
        .route(query_status)
        .route(stop)
        .route(cont)
        .route(system_powerdown)
        .route(quit);
    let builder = Server::builder(Schema::bindings(), router).busy_poll(TOY_BUSY_POLL);
    let quit = Arc::new(tokio::sync::Notify::new());
    let vm = ToyVm {
        state: Arc::new(Mutex::new(RunState::Running)),
        events: builder.emitter(),
        quit: Arc::clone(&quit),
    };
    (builder.build(vm), quit)
}
