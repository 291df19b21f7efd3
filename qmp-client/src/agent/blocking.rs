//! The blocking twin of [`crate::agent::Agent`], exported as
//! [`crate::blocking::Agent`]: the async agent driven by the blocking
//! client's private runtime.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use qmp_types::agent::commands::GuestExec;
use qmp_types::agent::AgentCommand;
use serde_json::Value;

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
