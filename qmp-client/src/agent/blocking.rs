//! The blocking twin of [`crate::agent::Agent`], exported as
//! [`crate::blocking::Agent`]: the async agent driven by the blocking
//! client's private runtime.

use std::fmt;
use std::io::{Read, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use qmp_types::agent::commands::GuestExec;
use qmp_types::agent::AgentCommand;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::{Connector, ExecOutput};
use crate::blocking::Runtime;
use crate::Error;

/// A connection to QEMU's guest agent for code without an async runtime:
/// the same calls as [`crate::agent::Agent`], each blocking the calling
/// thread. Do not use it from inside an async runtime.
///
/// ```no_run
/// use qmp_client::blocking::Agent;
/// use qmp_client::qmp_types::agent::commands::GuestGetTimezone;
///
/// # fn run() -> Result<(), qmp_client::Error> {
/// let agent = Agent::connect_unix("/tmp/qga.sock")?;
/// let zone = agent.execute(GuestGetTimezone::new())?;
/// println!("{:?}, {} s from UTC", zone.zone, zone.offset);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Agent {
    // Declared first: the connection closes before the runtime stops.
    inner: crate::agent::Agent,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Agent").field(&self.inner).finish()
    }
}

impl Agent {
    /// Connects to an agent on the Unix socket at `path` and synchronizes.
    pub fn connect_unix(path: impl AsRef<Path>) -> Result<Agent, Error> {
        Self::connect_unix_with(&Connector::new(), path)
    }

    /// [`Agent::connect_unix`] with the settings of `connector`.
    pub fn connect_unix_with(
        connector: &Connector,
        path: impl AsRef<Path>,
    ) -> Result<Agent, Error> {
        let runtime = Runtime::start()?;
        let inner = runtime.block_on(connector.unix(path))?;
        Ok(Agent { inner, runtime })
    }

    /// Runs `command` and decodes its answer (see
    /// [`crate::agent::Agent::execute`]).
    pub fn execute<C: AgentCommand>(&self, command: C) -> Result<C::Returns, Error> {
        self.runtime.block_on(self.inner.execute(command))
    }

    /// Runs a command by name, returning its raw answer.
    pub fn execute_raw(&self, name: &str, arguments: Value) -> Result<Value, Error> {
        self.runtime
            .block_on(self.inner.execute_raw(name, arguments))
    }

    /// Checks that the agent still answers, in step.
    pub fn sync(&self) -> Result<(), Error> {
        self.runtime.block_on(self.inner.sync())
    }

    /// Runs a program in the guest and waits for its output (see
    /// [`crate::agent::Agent::exec`]).
    pub fn exec<S: AsRef<str>>(&self, program: &str, args: &[S]) -> Result<ExecOutput, Error> {
        self.runtime.block_on(self.inner.exec(program, args))
    }

    /// [`Agent::exec`] with `input` on the program's standard input.
    pub fn exec_with_input<S: AsRef<str>>(
        &self,
        program: &str,
        args: &[S],
        input: &[u8],
    ) -> Result<ExecOutput, Error> {
        self.runtime
            .block_on(self.inner.exec_with_input(program, args, input))
    }

    /// Runs `command` as given and waits for it.
    pub fn exec_command(&self, command: GuestExec) -> Result<ExecOutput, Error> {
        self.runtime.block_on(self.inner.exec_command(command))
    }

    /// The contents of the guest file at `path`.
    pub fn read_file(&self, path: &str) -> Result<Vec<u8>, Error> {
        self.runtime.block_on(self.inner.read_file(path))
    }

    /// Writes `contents` to the guest file at `path`.
    pub fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), Error> {
        self.runtime.block_on(self.inner.write_file(path, contents))
    }

    /// Copies the guest file at `path` into `out`, a chunk at a time, as
    /// [`crate::agent::Agent::read_file_to`]; the number of bytes.
    pub fn read_file_to(&self, path: &str, out: impl Write) -> Result<u64, Error> {
        let mut out = OnCaller(out);
        self.runtime
            .block_on(self.inner.read_file_to(path, &mut out))
    }

    /// Writes what `input` gives to the guest file at `path`, a chunk at a
    /// time, as [`crate::agent::Agent::write_file_from`]; the number of
    /// bytes.
    pub fn write_file_from(&self, path: &str, input: impl Read) -> Result<u64, Error> {
        let mut input = OnCaller(input);
        self.runtime
            .block_on(self.inner.write_file_from(path, &mut input))
    }

    /// Sets the default timeout of this handle's calls.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.inner.set_timeout(timeout);
    }

    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The async agent this one drives.
    pub fn as_async(&self) -> &crate::agent::Agent {
        &self.inner
    }
}

/// A blocking reader or writer as an async one, for the calls above: each
/// poll blocks the thread that polls it, which is the caller's (the
/// runtime's own thread only drives the socket).
struct OnCaller<T>(T);

// Never pinned structurally: the reader or writer is only used by `&mut`.
impl<T> Unpin for OnCaller<T> {}

impl<W: Write> AsyncWrite for OnCaller<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.get_mut().0.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.get_mut().0.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl<R: Read> AsyncRead for OnCaller<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let read = self.get_mut().0.read(buf.initialize_unfilled());
        Poll::Ready(read.map(|n| buf.advance(n)))
    }
}
