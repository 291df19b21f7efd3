//! A blocking client for scripts and tests without an async runtime, and
//! its guest agent twin, [`Agent`].
//!
//! It is the async [`crate::Client`] driven by a private single-threaded
//! tokio runtime on a background thread (which runs the reader and writer
//! tasks, so events and disconnects are seen between calls too); each
//! method blocks the calling thread on the async one. Do not call it from
//! inside an async runtime.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use qmp_types::events::AnyEvent;
use qmp_types::mode::{
    Handshake, HandshakeCommand, Mode, NegotiationCommand, OobCommand, Operational,
    OperationalCommand,
};
use qmp_types::types::QMPCapability;
use qmp_types::EventSet;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::call::NegotiateError as AsyncNegotiateError;
use crate::client::{Connector, InBand, OobState, OutOfBand, ServerGreeting};
use crate::subscription::EventItem;
use crate::Error;

pub use crate::agent::blocking::Agent;

/// The background runtime; stopped when the last handle using it is gone.
pub(crate) struct Runtime {
    handle: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Runtime {
    pub(crate) fn start() -> Result<Arc<Runtime>, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("qmp-client".into())
            .spawn(move || {
                // Drives I/O, timers and the spawned tasks until stopped.
                let _ = runtime.block_on(stopped);
            })?;
        Ok(Arc::new(Runtime {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        }))
    }

    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The blocking twin of [`crate::Client`]: the same modes, capabilities
/// and errors.
pub struct Client<M: Mode = Operational, O: OobState = InBand> {
    // Declared first: the connection closes before the runtime stops.
    inner: crate::Client<M, O>,
    runtime: Arc<Runtime>,
}

impl<O: OobState> Clone for Client<Operational, O> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
            runtime: self.runtime.clone(),
        }
    }
}

impl<M: Mode, O: OobState> fmt::Debug for Client<M, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Client")
            .field(&self.inner)
            .finish()
    }
}

/// A failed negotiation of the blocking client: the error, and the
/// handshake client back.
pub type NegotiateError = crate::NegotiateError<Client<Handshake>>;

impl Client<Handshake> {
    /// Connects to the Unix socket at `path` and reads the greeting.
    pub fn connect_unix(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::connect_unix_with(&Connector::new(), path)
    }

    /// [`Client::connect_unix`] with the settings of `connector`.
    pub fn connect_unix_with(connector: &Connector, path: impl AsRef<Path>) -> Result<Self, Error> {
        let runtime = Runtime::start()?;
        let inner = runtime.block_on(connector.unix(path))?;
        Ok(Client { inner, runtime })
    }

    /// Connects over TCP to `addr` and reads the greeting.
    pub fn connect_tcp(addr: impl std::net::ToSocketAddrs) -> Result<Self, Error> {
        let addrs: Vec<_> = addr.to_socket_addrs()?.collect();
        let runtime = Runtime::start()?;
        let inner = runtime.block_on(Connector::new().tcp(&addrs[..]))?;
        Ok(Client { inner, runtime })
    }

    /// Waits for a QMP server to connect to `listener` (QEMU started with
    /// `-qmp unix:PATH,server=off`), as [`Connector::listen`].
    pub fn listen(listener: std::os::unix::net::UnixListener) -> Result<Self, Error> {
        let runtime = Runtime::start()?;
        let inner = runtime.block_on(async {
            listener.set_nonblocking(true)?;
            let listener = tokio::net::UnixListener::from_std(listener)?;
            Connector::new().listen(&listener).await
        })?;
        Ok(Client { inner, runtime })
    }

    /// Spawns `command` with QMP on its standard input and output, and
    /// reads the greeting; the child is returned for the caller to wait on
    /// or kill. Its standard input and output belong to the client.
    pub fn spawn(mut command: std::process::Command) -> Result<(Self, std::process::Child), Error> {
        let runtime = Runtime::start()?;
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            unreachable!("both were piped");
        };
        let connected = runtime.block_on(async {
            let stdin = tokio::process::ChildStdin::from_std(stdin)?;
            let stdout = tokio::process::ChildStdout::from_std(stdout)?;
            Connector::new().io(stdout, stdin).await
        });
        match connected {
            Ok(inner) => Ok((Client { inner, runtime }, child)),
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(error)
            }
        }
    }

    /// Runs a command of handshake mode that leaves negotiation going on,
    /// as [`crate::Client::execute`] on a handshake client.
    pub fn execute<C: HandshakeCommand>(&self, command: C) -> Result<C::Returns, Error> {
        self.runtime.block_on(self.inner.execute(command))
    }

    /// Enables `capabilities` and switches to operational mode, as
    /// [`crate::Client::negotiate`].
    pub fn negotiate(
        self,
        capabilities: &[QMPCapability],
    ) -> Result<Client<Operational>, NegotiateError> {
        let Client { inner, runtime } = self;
        let result = runtime.block_on(inner.negotiate(capabilities));
        Self::negotiated(result, runtime)
    }

    /// Enables `oob` (and `others`) and switches to operational mode, as
    /// [`crate::Client::negotiate_oob`].
    pub fn negotiate_oob(
        self,
        others: &[QMPCapability],
    ) -> Result<Client<Operational, OutOfBand>, NegotiateError> {
        let Client { inner, runtime } = self;
        let result = runtime.block_on(inner.negotiate_oob(others));
        Self::negotiated(result, runtime)
    }

    /// Switches to operational mode with the schema's negotiation command,
    /// as [`crate::Client::negotiate_with`].
    pub fn negotiate_with<C: NegotiationCommand>(
        self,
        command: C,
    ) -> Result<Client<Operational>, NegotiateError> {
        let Client { inner, runtime } = self;
        let result = runtime.block_on(inner.negotiate_with(command));
        Self::negotiated(result, runtime)
    }

    fn negotiated<O: OobState>(
        result: Result<crate::Client<Operational, O>, AsyncNegotiateError>,
        runtime: Arc<Runtime>,
    ) -> Result<Client<Operational, O>, NegotiateError> {
        match result {
            Ok(inner) => Ok(Client { inner, runtime }),
            Err(error) => Err(error.map_client(|inner| Client { inner, runtime })),
        }
    }
}

impl<M: Mode, O: OobState> Client<M, O> {
    /// The server's greeting.
    pub fn greeting(&self) -> &ServerGreeting {
        self.inner.greeting()
    }

    /// Sets the default timeout of this handle's calls.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.inner.set_timeout(timeout);
    }

    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Runs a command by name, as [`crate::Client::execute_raw`].
    pub fn execute_raw(&self, name: &str, arguments: Value) -> Result<Value, Error> {
        self.runtime
            .block_on(self.inner.execute_raw(name, arguments))
    }

    /// Runs a command by name with file descriptors, as
    /// [`crate::Client::execute_raw_with_fds`].
    pub fn execute_raw_with_fds(
        &self,
        name: &str,
        arguments: Value,
        fds: &[std::os::fd::BorrowedFd<'_>],
    ) -> Result<Value, Error> {
        self.runtime
            .block_on(self.inner.execute_raw_with_fds(name, arguments, fds))
    }

    /// The async client this one wraps (to run calls concurrently from
    /// async code on another runtime, for instance).
    pub fn as_async(&self) -> &crate::Client<M, O> {
        &self.inner
    }
}

impl<O: OobState> Client<Operational, O> {
    /// Runs `command` and decodes its answer, as [`crate::Client::execute`].
    pub fn execute<C: OperationalCommand>(&self, command: C) -> Result<C::Returns, Error> {
        self.runtime.block_on(self.inner.execute(command))
    }

    /// Runs `command` with copies of `fds` passed along, as
    /// [`crate::Client::execute_with_fds`].
    pub fn execute_with_fds<C: OperationalCommand>(
        &self,
        command: C,
        fds: &[std::os::fd::BorrowedFd<'_>],
    ) -> Result<C::Returns, Error> {
        self.runtime
            .block_on(self.inner.execute_with_fds(command, fds))
    }

    /// [`Client::execute`] with this call's own timeout.
    pub fn execute_with_timeout<C: OperationalCommand>(
        &self,
        command: C,
        timeout: Option<Duration>,
    ) -> Result<C::Returns, Error> {
        self.runtime
            .block_on(self.inner.execute(command).timeout(timeout))
    }

    /// Every event from now on, as [`crate::Client::events`].
    pub fn events(&self) -> Subscription<AnyEvent> {
        self.events_as()
    }

    /// The events named `names` from now on, as
    /// [`crate::Client::events_named`].
    pub fn events_named<S: Into<String>>(
        &self,
        names: impl IntoIterator<Item = S>,
    ) -> Subscription<AnyEvent> {
        self.events_named_as(names)
    }

    /// Every event from now on, decoded as `E`.
    pub fn events_as<E: EventSet>(&self) -> Subscription<E> {
        Subscription {
            inner: self.inner.events_as(),
            runtime: self.runtime.clone(),
        }
    }

    /// The events named `names` from now on, decoded as `E`.
    pub fn events_named_as<E: EventSet, S: Into<String>>(
        &self,
        names: impl IntoIterator<Item = S>,
    ) -> Subscription<E> {
        Subscription {
            inner: self.inner.events_named_as(names),
            runtime: self.runtime.clone(),
        }
    }
}

impl Client<Operational, OutOfBand> {
    /// Runs `command` out of band, as [`crate::Client::execute_oob`].
    pub fn execute_oob<C: OperationalCommand + OobCommand>(
        &self,
        command: C,
    ) -> Result<C::Returns, Error> {
        self.runtime.block_on(self.inner.execute_oob(command))
    }
}

/// A blocking event subscription; also an [`Iterator`] that ends when the
/// connection closes.
pub struct Subscription<E> {
    inner: crate::Subscription<E>,
    runtime: Arc<Runtime>,
}

impl<E> fmt::Debug for Subscription<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Subscription")
            .finish_non_exhaustive()
    }
}

impl<E: EventSet> Subscription<E> {
    /// Waits for the next item; `None` once the connection has closed.
    pub fn recv(&mut self) -> Option<EventItem<E>> {
        self.runtime.block_on(self.inner.next())
    }

    /// Waits at most `timeout` for the next item: `Err(Error::Timeout)` if
    /// none came.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<EventItem<E>>, Error> {
        // The timer is made inside the runtime, which it needs.
        let next = self.inner.next();
        self.runtime
            .block_on(async { tokio::time::timeout(timeout, next).await })
            .map_err(|_| Error::Timeout(timeout))
    }

    /// The next item if one is already queued.
    pub fn try_recv(&mut self) -> Option<EventItem<E>> {
        self.inner.try_next()
    }
}

impl<E: EventSet> Iterator for Subscription<E> {
    type Item = EventItem<E>;

    fn next(&mut self) -> Option<Self::Item> {
        self.recv()
    }
}
