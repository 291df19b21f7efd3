//! The reference servers (`qemu-system-x86_64` and `qemu-storage-daemon`)
//! of both releases (QEMU 10.0 and Debian 12's 7.2) for the integration
//! tests: thin wrappers over `qmp-test-support`, which finds the binaries
//! (10.0: `$QMP_QEMU_SYSTEM`, `$QMP_QEMU_STORAGE_DAEMON`, else `PATH`;
//! 7.2: under `$QEMU_72_DIR`, default `/opt/qemu-7.2`) and starts them.
//! Without them a test says SKIPPED and passes, unless
//! `QMP_REQUIRE_QEMU=1` or CI, where it fails.
//!
//! [`Qemu::start`] listens and lets QEMU connect (`server=off`), which
//! avoids QEMU 10.0.2's start-up race on its own listening socket.
//! [`Qemu::start_release`] picks the release, [`Qemu::start_with_content`]
//! adds devices of every cheap sort ([`content`]), and [`servers`] lists
//! each release and kind for a test that runs against all of them.

#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

use qmp_client::{Client, Connector, Handshake, Operational};
pub use qmp_test_support::{Kind, Release, BOTH, HANG_GUARD, RELEASES};

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
    /// Starts `kind` of QEMU 10.0 with one monitor that connects to us;
    /// `None` when the binary is missing and the test may skip.
    pub fn start(kind: Kind) -> Option<Qemu> {
        Qemu::start_release(kind, Release::Current)
    }

    /// [`Qemu::start`] for `release`.
    pub fn start_release(kind: Kind, release: Release) -> Option<Qemu> {
        Qemu::launch(kind, release, &[])
    }

    /// [`Qemu::start_release`] with [`content`], so that more queries have
    /// something to say.
    pub fn start_with_content(kind: Kind, release: Release) -> Option<Qemu> {
        Qemu::launch(kind, release, &content(kind))
    }

    /// QEMU 10.0's system emulator of another target (`binary`, on
    /// `PATH`), with [`content`]; `None` (a loud skip) when it is missing
    /// and not required.
    pub fn start_target(binary: &str) -> Option<Qemu> {
        let Some(path) = qmp_test_support::on_path(binary) else {
            assert!(
                !qmp_test_support::required(),
                "{binary} is missing (bash .ci/install-qemu), and QEMU is required"
            );
            eprintln!("SKIPPED: needs {binary} (QEMU 10.0)");
            return None;
        };
        let qemu =
            qmp_test_support::Qemu::start_with(&path, Kind::System, 1, &content(Kind::System))
                .unwrap_or_else(|e| panic!("{binary}: {e}"));
        Some(Qemu(qemu))
    }

    fn launch(kind: Kind, release: Release, extra: &[String]) -> Option<Qemu> {
        let binary = release.binary(kind)?;
        let qemu = qmp_test_support::Qemu::start_with(&binary, kind, 1, extra)
            .unwrap_or_else(|e| panic!("{release} {kind:?}: {e}"));
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

    /// [`Qemu::connect`], then negotiation with no capabilities, within
    /// the hang guard: the operational client most tests start from.
    pub async fn operational(&self) -> Client<Operational> {
        let client = self.connect().await;
        tokio::time::timeout(HANG_GUARD, client.negotiate(&[]))
            .await
            .expect("negotiated within the hang guard")
            .expect("negotiates")
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

/// Every release and kind, for a test that runs against each server.
pub fn servers() -> impl Iterator<Item = (Release, Kind)> {
    RELEASES
        .into_iter()
        .flat_map(|release| BOTH.map(|kind| (release, kind)))
}

/// Cheap content that both releases accept, for `kind`: on the system
/// emulator (`-machine none`) a drive (`disk0`, with a medium), a node
/// (`null0`), a chardev (`char0`), a netdev (`net0`), an iothread, a
/// memory backend, a name, a UUID, an audio backend and a crypto backend;
/// on the storage daemon a node (`disk0`) exported over NBD (`export0`),
/// an iothread and a chardev. (VNC is left out: QEMU 7.2 unpacked outside
/// `/usr` does not find its keymaps.)
pub fn content(kind: Kind) -> Vec<String> {
    let args: &[&str] = match kind {
        Kind::System => &[
            "-drive",
            "if=none,id=disk0,driver=null-co",
            "-blockdev",
            "driver=null-co,node-name=null0",
            "-chardev",
            "null,id=char0",
            "-netdev",
            "user,id=net0",
            "-object",
            "iothread,id=iothread0",
            "-object",
            "memory-backend-ram,id=mem0,size=1M",
            "-name",
            "qmp-test",
            "-uuid",
            "12345678-1234-5678-9abc-123456789abc",
            "-audiodev",
            "none,id=audio0",
            "-object",
            "cryptodev-backend-builtin,id=crypto0",
        ],
        Kind::StorageDaemon => &[
            "--blockdev",
            "driver=null-co,node-name=disk0",
            "--object",
            "iothread,id=iothread0",
            "--chardev",
            "null,id=char0",
            "--nbd-server",
            "addr.type=unix,addr.path=nbd.sock",
            "--export",
            "type=nbd,id=export0,node-name=disk0",
        ],
    };
    args.iter().map(|a| a.to_string()).collect()
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
