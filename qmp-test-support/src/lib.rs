//! Starting QEMU for the workspace's tests, benches and `cargo xtask`: the
//! one launcher (not published).
//!
//! - [`Kind`]: the two reference servers, QEMU 10.0's `qemu-system-x86_64`
//!   and `qemu-storage-daemon`; [`Kind::find`] looks a binary up
//!   (`$QMP_QEMU_SYSTEM`, `$QMP_QEMU_STORAGE_DAEMON`, else `PATH`), and
//!   [`Kind::binary`] adds the tests' rule: without it a test says SKIPPED,
//!   unless [`required`] (`QMP_REQUIRE_QEMU=1`, or CI), where it fails.
//! - [`Release`]: which QEMU, the current one (10.0, as above) or Debian
//!   12's own 7.2 (`$QEMU_72_DIR`, default `/opt/qemu-7.2`, unpacked by
//!   `.ci/install-qemu`); [`Release::binary`] has the same rule.
//! - [`Kind::monitor_args`]: the arguments that put QMP monitors where a
//!   [`Monitor`] says, on the system emulator (`-machine none -nodefaults
//!   -display none`) or the storage daemon (`--chardev`/`--monitor`).
//! - [`Qemu`]: a process in a fresh temporary directory, killed and
//!   cleaned up on drop.
//! - [`GuestAgent`]: QEMU's guest agent `qemu-ga`, which runs without a VM
//!   on a Unix socket it listens on, in a temporary directory of its own
//!   the same way; found per release by [`Release::find_guest_agent`]
//!   (`$QMP_QEMU_GA`, `PATH`, `/usr/sbin`; 7.2 in `$QEMU_72_DIR`), with
//!   the tests' rule in [`Release::guest_agent`].
//! - [`python`] and [`qmp_shell`]: QEMU's own Python client `qemu.qmp`
//!   ([`QEMU_QMP_VERSION`]), the reference client, in the venv that
//!   `cargo xtask test` makes (`$QMP_PYTHON`, `$QMP_PYTHON_BIN`);
//!   [`python_or_skip`] and [`qmp_shell_or_skip`] add the tests' rule,
//!   failing in CI.
//!
//! The safe direction is [`Qemu::start`]: we listen, and QEMU connects to
//! us (`server=off`). Connecting to a QEMU 10.0.2 that is still starting
//! can leave its monitor never reading a request (see
//! [`Qemu::release_listener`]); a monitor that connects out has no such
//! race. [`Qemu::start_listening`] is for the few cases that need QEMU to
//! listen.
//!
//! Only std: `xtask` uses this crate too, and must not depend on the
//! bindings it verifies. The async and typed helpers over it live in
//! `qmp-client/tests/common`.

use std::io;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A hang guard for anything that should take a moment: generous, never a
/// performance assertion.
pub const HANG_GUARD: Duration = Duration::from_secs(30);

/// Set to `1` to make what needs QEMU fail instead of skipping.
pub const REQUIRE_ENV: &str = "QMP_REQUIRE_QEMU";

/// Whether the variable `name` is set to something other than an empty
/// string, `0` or `false` (CI services set `CI=true`).
pub fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE" | "False"))
}

/// Whether a missing QEMU is an error rather than a skip:
/// `QMP_REQUIRE_QEMU=1`, or in CI (`CI` set).
pub fn required() -> bool {
    flag(REQUIRE_ENV) || flag("CI")
}

/// The two reference servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Kind {
    /// A system emulator (`qemu-system-*`): `-machine none`, QMP on `-qmp`.
    System,
    /// `qemu-storage-daemon`: a monitor on a chardev.
    StorageDaemon,
}

/// Both kinds, for tests that run against each.
pub const BOTH: [Kind; 2] = [Kind::System, Kind::StorageDaemon];

impl Kind {
    /// The variable that names the binary.
    pub fn env_var(self) -> &'static str {
        match self {
            Kind::System => "QMP_QEMU_SYSTEM",
            Kind::StorageDaemon => "QMP_QEMU_STORAGE_DAEMON",
        }
    }

    /// The binary's name on `PATH`.
    pub fn binary_name(self) -> &'static str {
        match self {
            Kind::System => "qemu-system-x86_64",
            Kind::StorageDaemon => "qemu-storage-daemon",
        }
    }

    /// The binary named by [`Kind::env_var`], else found on `PATH`.
    pub fn find(self) -> Option<PathBuf> {
        env_or_path(self.env_var(), self.binary_name())
    }

    /// [`Kind::find`] with the tests' rule: when it is missing, panics if
    /// [`required`], else says SKIPPED and gives `None`.
    pub fn binary(self) -> Option<PathBuf> {
        Release::Current.binary(self)
    }

    /// Tells by the binary's name, else by its `--help`.
    pub fn detect(binary: &Path) -> Kind {
        let name = binary.file_name().unwrap_or_default().to_string_lossy();
        if name.contains("storage-daemon") {
            return Kind::StorageDaemon;
        }
        if name.contains("qemu-system") {
            return Kind::System;
        }
        let help = Command::new(binary)
            .arg("--help")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        if help.contains("storage daemon") || help.contains("storage-daemon") {
            Kind::StorageDaemon
        } else {
            Kind::System
        }
    }

    /// The arguments for one monitor at `address`, in QEMU's syntax:
    /// `unix:PATH` or `tcp:HOST:PORT` (QEMU listens) or `stdio`.
    ///
    /// # Panics
    ///
    /// On any other address.
    pub fn args(self, address: &str) -> Vec<String> {
        let monitor = Monitor::parse(address)
            .unwrap_or_else(|| panic!("{address:?}: expected unix:PATH, tcp:HOST:PORT or stdio"));
        self.monitor_args(&[monitor])
    }

    /// The arguments that start this kind with nothing but `monitors`.
    pub fn monitor_args(self, monitors: &[Monitor<'_>]) -> Vec<String> {
        let mut args: Vec<String> = match self {
            Kind::System => ["-machine", "none", "-nodefaults", "-display", "none"]
                .map(String::from)
                .to_vec(),
            Kind::StorageDaemon => Vec::new(),
        };
        for (i, monitor) in monitors.iter().enumerate() {
            // The same monitor as `-qmp` takes it, and as a chardev.
            let (qmp, chardev) = match *monitor {
                Monitor::Connect(path) => {
                    let path = escape(path);
                    (
                        format!("unix:{path},server=off"),
                        format!("socket,path={path},server=off"),
                    )
                }
                Monitor::Unix(path) => {
                    let path = escape(path);
                    (
                        format!("unix:{path},server=on,wait=off"),
                        format!("socket,path={path},server=on,wait=off"),
                    )
                }
                Monitor::Tcp(host, port) => (
                    format!("tcp:{host}:{port},server=on,wait=off"),
                    format!("socket,host={host},port={port},server=on,wait=off"),
                ),
                Monitor::Stdio => ("stdio".to_string(), "stdio".to_string()),
            };
            match self {
                Kind::System => args.extend(["-qmp".to_string(), qmp]),
                Kind::StorageDaemon => args.extend([
                    "--chardev".to_string(),
                    format!("{chardev},id=m{i}"),
                    "--monitor".to_string(),
                    format!("chardev=m{i}"),
                ]),
            }
        }
        args
    }
}

/// Which QEMU release a test runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// QEMU 10.0, the reference: found by [`Kind::find`] (the guest agent
    /// by [`Release::find_guest_agent`]).
    Current,
    /// Debian 12's own QEMU 7.2, unpacked beside 10.0 by
    /// `.ci/install-qemu` into [`DEBIAN12_DIR_ENV`] (default
    /// [`DEBIAN12_DEFAULT_DIR`]): `usr/bin/<binary name>` there, and the
    /// guest agent `usr/sbin/qemu-ga`.
    Debian12,
}

/// Both releases, the current one first.
pub const RELEASES: [Release; 2] = [Release::Current, Release::Debian12];

/// The variable naming the directory QEMU 7.2 is unpacked in.
pub const DEBIAN12_DIR_ENV: &str = "QEMU_72_DIR";

/// Where `.ci/install-qemu` unpacks QEMU 7.2 unless [`DEBIAN12_DIR_ENV`]
/// says otherwise.
pub const DEBIAN12_DEFAULT_DIR: &str = "/opt/qemu-7.2";

impl Release {
    /// The release's `(major, minor)`, as its greeting reports them.
    pub fn version(self) -> (i64, i64) {
        match self {
            Release::Current => (10, 0),
            Release::Debian12 => (7, 2),
        }
    }

    /// `kind`'s binary of this release, if it is there.
    pub fn find(self, kind: Kind) -> Option<PathBuf> {
        match self {
            Release::Current => kind.find(),
            Release::Debian12 => debian12_file(&format!("usr/bin/{}", kind.binary_name())),
        }
    }

    /// [`Release::find`] with the tests' rule: when it is missing, panics
    /// if [`required`], else says SKIPPED and gives `None`.
    pub fn binary(self, kind: Kind) -> Option<PathBuf> {
        self.or_skip(self.find(kind), kind.binary_name(), kind.env_var())
    }

    /// This release's guest agent, if it is there. The current one:
    /// [`GUEST_AGENT_ENV`], else `qemu-ga` on `PATH`, else
    /// [`GUEST_AGENT_SBIN`] (Debian installs it in `sbin`, which a user's
    /// `PATH` often lacks). Debian 12's: `usr/sbin/qemu-ga` in
    /// [`DEBIAN12_DIR_ENV`], where `.ci/install-qemu` unpacks it.
    pub fn find_guest_agent(self) -> Option<PathBuf> {
        match self {
            Release::Current => env_or_path(GUEST_AGENT_ENV, GUEST_AGENT_NAME)
                .or_else(|| Some(PathBuf::from(GUEST_AGENT_SBIN)).filter(|p| p.is_file())),
            Release::Debian12 => debian12_file(&format!("usr/sbin/{GUEST_AGENT_NAME}")),
        }
    }

    /// [`Release::find_guest_agent`] with the tests' rule of
    /// [`Release::binary`].
    pub fn guest_agent(self) -> Option<PathBuf> {
        self.or_skip(self.find_guest_agent(), GUEST_AGENT_NAME, GUEST_AGENT_ENV)
    }

    /// `found`, saying SKIPPED or panicking (per [`required`]) when it is
    /// `None`: the binary `name` of this release, named by `var` for the
    /// current one.
    fn or_skip(self, found: Option<PathBuf>, name: &str, var: &str) -> Option<PathBuf> {
        if found.is_none() {
            let hint = match self {
                Release::Current => format!("set ${var} or put it on PATH"),
                Release::Debian12 => format!(
                    "set ${DEBIAN12_DIR_ENV} or run `bash .ci/install-qemu` for {DEBIAN12_DEFAULT_DIR}"
                ),
            };
            skip_unless_required(
                required(),
                &format!("{name} of {self}"),
                &hint,
                &format!("QEMU is required (${REQUIRE_ENV} or CI)"),
            );
        }
        found
    }
}

/// `relative` in the directory QEMU 7.2 is unpacked in
/// ([`DEBIAN12_DIR_ENV`], else [`DEBIAN12_DEFAULT_DIR`]), if it is a file.
fn debian12_file(relative: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(DEBIAN12_DIR_ENV).filter(|d| !d.is_empty());
    let dir = dir.map_or_else(|| PathBuf::from(DEBIAN12_DEFAULT_DIR), PathBuf::from);
    Some(dir.join(relative)).filter(|p| p.is_file())
}

/// The file the variable `var` names, else `name` on `PATH`.
fn env_or_path(var: &str, name: &str) -> Option<PathBuf> {
    match std::env::var_os(var).filter(|p| !p.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None => on_path(name),
    }
}

/// The tests' rule for a missing prerequisite `what`: panics if `required`
/// (saying `hint`, how to get it, and `why`, what requires it), else says
/// SKIPPED with the hint.
fn skip_unless_required(required: bool, what: &str, hint: &str, why: &str) {
    assert!(!required, "{what} is missing ({hint}), and {why}");
    eprintln!("SKIPPED: needs {what} ({hint})");
}

/// Names the current release's guest agent binary (else `qemu-ga` on
/// `PATH`, else [`GUEST_AGENT_SBIN`]).
pub const GUEST_AGENT_ENV: &str = "QMP_QEMU_GA";

/// The guest agent's binary name.
pub const GUEST_AGENT_NAME: &str = "qemu-ga";

/// Where Debian's package `qemu-guest-agent` puts the binary.
pub const GUEST_AGENT_SBIN: &str = "/usr/sbin/qemu-ga";

/// Names the interpreter of the Python venv that holds QEMU's own client
/// library `qemu.qmp`, the reference client (`cargo xtask test` makes the
/// venv and sets it: `<target>/qemu-qmp-venv/bin/python`).
pub const PYTHON_ENV: &str = "QMP_PYTHON";

/// Names that venv's `bin` directory, where `qemu.qmp`'s console scripts
/// (`qmp-shell`) are.
pub const PYTHON_BIN_ENV: &str = "QMP_PYTHON_BIN";

/// The `qemu.qmp` release `cargo xtask test` installs from PyPI.
///
/// Pinned exactly, not a range: the reference client's behaviour (what it
/// sends, how `qmp-shell` prints) is what the server's tests compare
/// against, so it changes only when someone bumps this and reruns them.
/// 0.0.6 was the newest release when pinned.
pub const QEMU_QMP_VERSION: &str = "0.0.6";

/// The venv's interpreter: [`PYTHON_ENV`], when set and the file is
/// there (no fallback: only `cargo xtask test` knows where the venv is).
pub fn python() -> Option<PathBuf> {
    env_file(PYTHON_ENV, None)
}

/// `qemu.qmp`'s `qmp-shell` in [`PYTHON_BIN_ENV`], when set and the file
/// is there.
pub fn qmp_shell() -> Option<PathBuf> {
    env_file(PYTHON_BIN_ENV, Some("qmp-shell"))
}

/// [`python`] with the tests' rule: when it is missing, panics in CI
/// (`CI` set), else says SKIPPED and gives `None`.
pub fn python_or_skip() -> Option<PathBuf> {
    reference_client_or_skip(python(), PYTHON_ENV)
}

/// [`qmp_shell`] with the rule of [`python_or_skip`].
pub fn qmp_shell_or_skip() -> Option<PathBuf> {
    reference_client_or_skip(qmp_shell(), PYTHON_BIN_ENV)
}

fn reference_client_or_skip(found: Option<PathBuf>, var: &str) -> Option<PathBuf> {
    if found.is_none() {
        skip_unless_required(
            flag("CI"),
            &format!("qemu.qmp {QEMU_QMP_VERSION} in a Python venv (${var})"),
            "run the tests with `cargo xtask test`, which makes the venv",
            "CI requires it",
        );
    }
    found
}

/// The file the variable `var` names (joined with `name` when given), if
/// the variable is set and the file is there.
fn env_file(var: &str, name: Option<&str>) -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os(var).filter(|p| !p.is_empty())?);
    let path = match name {
        Some(name) => path.join(name),
        None => path,
    };
    path.is_file().then_some(path)
}

impl std::fmt::Display for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (major, minor) = self.version();
        write!(f, "QEMU {major}.{minor}")
    }
}

/// A command that runs `binary`, with [`QEMU_MODULE_DIR`](module_dir) set
/// when it is unpacked outside `/usr`.
pub fn command(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    if let Some(modules) = module_dir(binary) {
        command.env("QEMU_MODULE_DIR", modules);
    }
    command
}

/// A path in a QEMU option value, where a comma is written twice.
fn escape(path: &Path) -> String {
    path.display().to_string().replace(',', ",,")
}

/// Where a QMP monitor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Monitor<'a> {
    /// QEMU connects to a Unix socket that we listen on (`server=off`):
    /// the direction without QEMU 10.0.2's start-up race.
    Connect(&'a Path),
    /// QEMU listens on a Unix socket (`server=on,wait=off`).
    Unix(&'a Path),
    /// QEMU listens on TCP (`server=on,wait=off`).
    Tcp(&'a str, u16),
    /// QMP on QEMU's standard input and output.
    Stdio,
}

impl<'a> Monitor<'a> {
    /// Reads QEMU's address syntax: `unix:PATH`, `tcp:HOST:PORT` (QEMU
    /// listens) or `stdio`.
    pub fn parse(address: &'a str) -> Option<Monitor<'a>> {
        if address == "stdio" {
            return Some(Monitor::Stdio);
        }
        if let Some(path) = address.strip_prefix("unix:") {
            return Some(Monitor::Unix(Path::new(path)));
        }
        let (host, port) = address.strip_prefix("tcp:")?.rsplit_once(':')?;
        Some(Monitor::Tcp(host, port.parse().ok()?))
    }
}

/// The process's peak resident memory so far (`VmHWM`), in bytes: what a
/// test that bounds memory compares before and after. Such a test wants
/// a test binary of its own, since other tests move the process's peak.
pub fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("a VmHWM line");
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|kib| kib.parse().ok())
        .expect("VmHWM in kB");
    kib * 1024
}

/// The file `name` in the first directory of `PATH` that has it.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Where the QEMU installed as `binary` keeps its loadable modules (the
/// system emulator's accelerators among them): `PREFIX/lib/<triple>/qemu`
/// beside `PREFIX/bin`. A package unpacked outside `/usr` (QEMU 7.2 in
/// `/opt/qemu-7.2/usr`) does not find them by itself.
pub fn module_dir(binary: &Path) -> Option<PathBuf> {
    let prefix = binary.parent()?.parent()?;
    let dir = prefix.join("lib/x86_64-linux-gnu/qemu");
    dir.is_dir().then_some(dir)
}

/// A QEMU process with its QMP socket `qmp.sock` in a fresh temporary
/// directory; killed, and the directory removed, on drop.
pub struct Qemu {
    /// Which server.
    pub kind: Kind,
    /// The process.
    pub child: Child,
    /// Its working directory, removed on drop.
    pub dir: PathBuf,
    /// `dir/qmp.sock`: ours with [`Qemu::start`], QEMU's with
    /// [`Qemu::start_listening`].
    pub socket: PathBuf,
    binary: PathBuf,
    listener: Option<UnixListener>,
}

impl Qemu {
    /// Listens on `qmp.sock` and starts `binary` as `kind` with `monitors`
    /// QMP monitors, each of which connects to it (`server=off`). Take the
    /// connections with [`Qemu::accept`], or from [`Qemu::listener`].
    pub fn start(binary: &Path, kind: Kind, monitors: usize) -> io::Result<Qemu> {
        Qemu::start_with(binary, kind, monitors, &[])
    }

    /// [`Qemu::start`] with `extra` arguments after the monitors' (paths
    /// in them are relative to the process's fresh directory).
    pub fn start_with(
        binary: &Path,
        kind: Kind,
        monitors: usize,
        extra: &[String],
    ) -> io::Result<Qemu> {
        let dir = temp_dir("qmp-qemu")?;
        let socket = dir.join("qmp.sock");
        let listener = match UnixListener::bind(&socket) {
            Ok(listener) => listener,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let mut args = kind.monitor_args(&vec![Monitor::Connect(&socket); monitors]);
        args.extend_from_slice(extra);
        Qemu::spawn(binary, kind, dir, socket, &args, Some(listener))
    }

    /// Starts `binary` as `kind` listening on `qmp.sock`
    /// (`server=on,wait=off`) and waits for the socket to appear. Connect
    /// to it, read the greeting, then call [`Qemu::release_listener`].
    ///
    /// Only for a test that needs QEMU as the listener: prefer
    /// [`Qemu::start`].
    pub fn start_listening(binary: &Path, kind: Kind) -> io::Result<Qemu> {
        let dir = temp_dir("qmp-qemu")?;
        let socket = dir.join("qmp.sock");
        let args = kind.monitor_args(&[Monitor::Unix(&socket)]);
        let mut qemu = Qemu::spawn(binary, kind, dir, socket, &args, None)?;
        qemu.wait_for(|q| q.socket.exists())?;
        Ok(qemu)
    }

    fn spawn(
        binary: &Path,
        kind: Kind,
        dir: PathBuf,
        socket: PathBuf,
        args: &[String],
        listener: Option<UnixListener>,
    ) -> io::Result<Qemu> {
        let spawned = command(binary)
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn();
        match spawned {
            Ok(child) => Ok(Qemu {
                kind,
                child,
                dir,
                socket,
                binary: binary.to_path_buf(),
                listener,
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                let what = format!("cannot run {}: {e}", binary.display());
                Err(io::Error::new(e.kind(), what))
            }
        }
    }

    /// The socket QEMU connects to, after [`Qemu::start`]. For an async
    /// client: `try_clone`, `set_nonblocking(true)`, then
    /// `tokio::net::UnixListener::from_std`.
    pub fn listener(&self) -> Option<&UnixListener> {
        self.listener.as_ref()
    }

    /// The next connection from QEMU, after [`Qemu::start`]: fails if QEMU
    /// exits first or none comes within [`HANG_GUARD`].
    pub fn accept(&mut self) -> io::Result<UnixStream> {
        let listener = self.listener.as_ref().ok_or_else(|| {
            io::Error::other("QEMU is the listener here (start_listening): connect to it")
        })?;
        listener.set_nonblocking(true)?;
        let start = Instant::now();
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false)?;
                    return Ok(stream);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "{} exited ({status}) before it connected to {}",
                    self.binary.display(),
                    self.socket.display()
                )));
            }
            if start.elapsed() > HANG_GUARD {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "{} did not connect to {} within {HANG_GUARD:?}",
                        self.binary.display(),
                        self.socket.display()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Works around a race in QEMU 10.0.2's listening socket, after
    /// [`Qemu::start_listening`]: call it once the greeting is read.
    ///
    /// Connecting while QEMU is still starting can leave its monitor
    /// thread blocked in `accept` (the connection was accepted by the main
    /// thread, which sent the greeting), so it never reads the request:
    /// `qmp_capabilities` then waits forever (seen once in CI, on the
    /// storage daemon, and confirmed with gdb: the monitor thread sat in
    /// `accept4`; one more connection released it). A second connection,
    /// dropped at once, releases such an `accept`. Otherwise it waits in
    /// the backlog while the first is connected, and QEMU reads its end of
    /// file after. (A TCP listener has the same race and the same cure.)
    pub fn release_listener(&self) {
        let _ = UnixStream::connect(&self.socket);
    }

    /// Waits until `ready`; fails if the process exits first or after
    /// [`HANG_GUARD`].
    pub fn wait_for(&mut self, ready: impl Fn(&Qemu) -> bool) -> io::Result<()> {
        let start = Instant::now();
        while !ready(self) {
            still_starting(&mut self.child, &self.binary, start)?;
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    /// Sends `signal` (`STOP`, `CONT`, `KILL`) to the process.
    pub fn signal(&self, signal: &str) -> io::Result<()> {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "kill -{signal} failed ({status})"
            )))
        }
    }

    /// Waits for the process to exit (after `quit` or a signal), at most
    /// [`HANG_GUARD`].
    pub fn wait_exit(&mut self) -> io::Result<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if start.elapsed() > HANG_GUARD {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{} did not exit", self.binary.display()),
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One check while waiting for a process started at `start` to be ready:
/// fails if it has exited, or once [`HANG_GUARD`] has passed.
fn still_starting(child: &mut Child, binary: &Path, start: Instant) -> io::Result<()> {
    if let Some(status) = child.try_wait()? {
        return Err(io::Error::other(format!(
            "{} exited ({status}) before it was ready",
            binary.display()
        )));
    }
    if start.elapsed() > HANG_GUARD {
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{} not ready within {HANG_GUARD:?}", binary.display()),
        ));
    }
    Ok(())
}

/// QEMU's guest agent, `qemu-ga`, listening on the Unix socket `qga.sock`
/// in a fresh temporary directory; killed, and the directory removed, on
/// drop.
///
/// The agent needs no VM: `-m unix-listen -p SOCKET` serves the socket
/// instead of a virtio-serial port. Everything it would keep in system
/// paths goes into the directory: its state (`-t state/`, where it writes
/// `qga.state`), its pid file (`-f qemu-ga.pid`, written only by a
/// daemonized agent, so in practice never), and its configuration file
/// (`QGA_CONF` names `qemu-ga.conf` there, which does not exist, so a
/// machine's `/etc/qemu/qemu-ga.conf` changes nothing). No fsfreeze hook
/// runs unless `-F` is passed. Its standard error, where it logs, goes to
/// `qemu-ga.log` ([`GuestAgent::log`]); by default it logs nothing,
/// `-v` logs each request.
///
/// The agent sends no greeting, and serves one connection at a time: a
/// second waits in the backlog until the first closes.
pub struct GuestAgent {
    /// The process.
    pub child: Child,
    /// Its working directory, removed on drop.
    pub dir: PathBuf,
    /// `dir/qga.sock`, where it listens.
    pub socket: PathBuf,
    /// `dir/state`, its state directory (`-t`).
    pub state_dir: PathBuf,
    /// `dir/qemu-ga.pid` (`-f`).
    pub pid_file: PathBuf,
    binary: PathBuf,
}

impl GuestAgent {
    /// Starts the agent `binary` and waits until it listens.
    pub fn start(binary: &Path) -> io::Result<GuestAgent> {
        GuestAgent::start_with(binary, &[])
    }

    /// [`GuestAgent::start`] with `extra` arguments after ours, e.g.
    /// [`GuestAgent::block_args`] or `-v`.
    pub fn start_with(binary: &Path, extra: &[String]) -> io::Result<GuestAgent> {
        let dir = temp_dir("qmp-ga")?;
        let socket = dir.join("qga.sock");
        let state_dir = dir.join("state");
        let pid_file = dir.join("qemu-ga.pid");
        let spawned = std::fs::create_dir(&state_dir)
            .and_then(|()| std::fs::File::create(dir.join("qemu-ga.log")))
            .and_then(|log| {
                Command::new(binary)
                    .arg("-m")
                    .arg("unix-listen")
                    .arg("-p")
                    .arg(&socket)
                    .arg("-t")
                    .arg(&state_dir)
                    .arg("-f")
                    .arg(&pid_file)
                    .args(extra)
                    .env("QGA_CONF", dir.join("qemu-ga.conf"))
                    .current_dir(&dir)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(log)
                    .spawn()
                    .map_err(|e| {
                        let what = format!("cannot run {}: {e}", binary.display());
                        io::Error::new(e.kind(), what)
                    })
            });
        let child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let mut agent = GuestAgent {
            child,
            dir,
            socket,
            state_dir,
            pid_file,
            binary: binary.to_path_buf(),
        };
        let start = Instant::now();
        // Until it listens, not only until its socket is bound: a first
        // connection in between is refused.
        while !listening(&agent.socket) {
            if let Err(e) = still_starting(&mut agent.child, &agent.binary, start) {
                let log = agent.log();
                return Err(io::Error::new(e.kind(), format!("{e}; its log: {log:?}")));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(agent)
    }

    /// Each release's agent ([`RELEASES`]), started with `extra`
    /// arguments; a release whose agent is missing is skipped, or fails
    /// when required ([`Release::guest_agent`]).
    pub fn every_release(extra: &[String]) -> Vec<(Release, GuestAgent)> {
        RELEASES
            .into_iter()
            .filter_map(|release| {
                let binary = release.guest_agent()?;
                let agent = GuestAgent::start_with(&binary, extra)
                    .unwrap_or_else(|e| panic!("{release}: {e}"));
                Some((release, agent))
            })
            .collect()
    }

    /// The arguments that disable `commands` (at least one): both
    /// releases take `--block-rpcs=A,B` (7.2 also its old name
    /// `--blacklist`, 10.0 not). A disabled command is answered with the
    /// error class `CommandNotFound`.
    pub fn block_args(commands: &[&str]) -> Vec<String> {
        vec![format!("--block-rpcs={}", commands.join(","))]
    }

    /// A connection to the agent. Retries while the socket refuses
    /// connections (which qemu-ga in `unix-listen` mode may do for a
    /// moment after a client left), at most [`HANG_GUARD`].
    pub fn connect(&mut self) -> io::Result<UnixStream> {
        let start = Instant::now();
        loop {
            match UnixStream::connect(&self.socket) {
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    still_starting(&mut self.child, &self.binary, start)?;
                    std::thread::sleep(Duration::from_millis(5));
                }
                other => return other,
            }
        }
    }

    /// What the agent has logged so far (its standard error).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("qemu-ga.log")).unwrap_or_default()
    }
}

/// Whether a Unix socket listens at `path`, by the kernel's table of
/// Unix sockets (`/proc/net/unix`: the flag `__SO_ACCEPTCON`, 0x10000);
/// where that cannot be read, whether the socket file is there.
fn listening(path: &Path) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/unix") else {
        return path.exists();
    };
    let path = path.to_string_lossy();
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(7) == Some(&&*path)
            && fields
                .get(3)
                .and_then(|flags| u32::from_str_radix(flags, 16).ok())
                .is_some_and(|flags| flags & 0x10000 != 0)
    })
}

impl Drop for GuestAgent {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new, empty directory `PREFIX-PID-N` under the system's temporary
/// directory (short, so that socket paths in it fit).
pub fn temp_dir(prefix: &str) -> io::Result<PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("{prefix}-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// A TCP port on the loopback that was free a moment ago.
pub fn free_port() -> io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_arguments_per_kind_and_direction() {
        let path = Path::new("/t/q,s");
        assert_eq!(
            Kind::System.monitor_args(&[Monitor::Connect(path), Monitor::Stdio]),
            [
                "-machine",
                "none",
                "-nodefaults",
                "-display",
                "none",
                "-qmp",
                "unix:/t/q,,s,server=off",
                "-qmp",
                "stdio"
            ]
        );
        assert_eq!(
            Kind::StorageDaemon.monitor_args(&[Monitor::Connect(path), Monitor::Unix(path)]),
            [
                "--chardev",
                "socket,path=/t/q,,s,server=off,id=m0",
                "--monitor",
                "chardev=m0",
                "--chardev",
                "socket,path=/t/q,,s,server=on,wait=off,id=m1",
                "--monitor",
                "chardev=m1"
            ]
        );
        assert_eq!(
            Kind::StorageDaemon.args("tcp:127.0.0.1:4444"),
            [
                "--chardev",
                "socket,host=127.0.0.1,port=4444,server=on,wait=off,id=m0",
                "--monitor",
                "chardev=m0"
            ]
        );
        assert_eq!(
            Kind::StorageDaemon.args("stdio"),
            ["--chardev", "stdio,id=m0", "--monitor", "chardev=m0"]
        );
        assert_eq!(
            Kind::System.args("tcp:h:1")[6],
            "tcp:h:1,server=on,wait=off"
        );
        assert_eq!(Monitor::parse("tcp:h:x"), None);
    }
}
