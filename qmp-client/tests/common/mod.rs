//! The reference servers (QEMU 10.0's `qemu-system-x86_64` and
//! `qemu-storage-daemon`) for the integration tests: thin wrappers over
//! `qmp-test-support`, which finds the binaries (`$QMP_QEMU_SYSTEM`,
//! `$QMP_QEMU_STORAGE_DAEMON`, else `PATH`) and starts them. Without them
//! a test says SKIPPED and passes, unless `QMP_REQUIRE_QEMU=1` or CI,
//! where it fails.
//!
//! [`Qemu::start`] listens and lets QEMU connect (`server=off`), which
//! avoids QEMU 10.0.2's start-up race on its own listening socket.

#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

use qmp_client::{Client, Connector, Handshake};
pub use qmp_test_support::{Kind, BOTH, HANG_GUARD};

/// A QEMU process that connects to the test's socket; killed and cleaned
/// up on drop. Its fields (`child`, `dir`, `socket`, `kind`) are those of
/// [`qmp_test_support::Qemu`].
pub struct Qemu(qmp_test_support::Qemu);

impl std::ops::Deref for Qemu {
    type Target = qmp_test_support::Qemu;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Qemu {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Qemu {
    /// Starts `kind` with one monitor that connects to us; `None` when the
    /// binary is missing and the test may skip.
    pub fn start(kind: Kind) -> Option<Qemu> {
        let binary = kind.binary()?;
        let qemu = qmp_test_support::Qemu::start(&binary, kind, 1)
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        Some(Qemu(qemu))
    }

    /// Takes QEMU's connection and reads the greeting (handshake mode).
    /// QEMU connects once: call this, or [`Qemu::connect_blocking`], once.
    pub async fn connect(&self) -> Client<Handshake> {
        let listener = self.tokio_listener();
        tokio::time::timeout(HANG_GUARD, Connector::new().listen(&listener))
            .await
            .expect("greeting within the hang guard")
            .expect("connects")
    }

    /// The listening socket, for `Connector::listen` with other settings.
    pub fn tokio_listener(&self) -> tokio::net::UnixListener {
        let listener = self.std_listener();
        tokio::net::UnixListener::from_std(listener).expect("a tokio runtime")
    }

    /// [`Qemu::connect`] for the blocking client.
    pub fn connect_blocking(&self) -> qmp_client::blocking::Client<Handshake> {
        let listener = self.std_listener();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || sender.send(qmp_client::blocking::Client::listen(listener)));
        receiver
            .recv_timeout(HANG_GUARD)
            .expect("greeting within the hang guard")
            .expect("connects")
    }

    fn std_listener(&self) -> std::os::unix::net::UnixListener {
        let listener = self
            .listener()
            .expect("started by Qemu::start")
            .try_clone()
            .unwrap();
        listener.set_nonblocking(true).unwrap();
        listener
    }

    /// Sends `signal` (`STOP`, `CONT`, `KILL`) to the process.
    pub fn signal(&self, signal: &str) {
        self.0.signal(signal).unwrap();
    }

    /// Waits for the process to exit (after `quit` or a kill).
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        self.0.wait_exit().unwrap()
    }
}

/// A fresh directory under the system's temporary directory (short, so
/// that socket paths fit).
pub fn temp_dir() -> PathBuf {
    qmp_test_support::temp_dir("qmp-client").unwrap()
}

/// A TCP port on the loopback that was free a moment ago.
pub fn free_port() -> u16 {
    qmp_test_support::free_port().unwrap()
}
