//! A blocking client for scripts and tests without an async runtime.
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

use qmp_types::mode::{AllowedIn, Handshake, Mode, Operational};
use qmp_types::types::QMPCapability;
use qmp_types::{Command, EventSet};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::client::{InBand, OobState, OutOfBand, ServerGreeting};
use crate::events::EventItem;
use crate::Error;

/// The background runtime; stopped when the last handle using it is gone.
struct Runtime {
    handle: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Runtime {
    fn start() -> Result<Arc<Runtime>, Error> {
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

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
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

impl Client<Handshake> {
    /// Connects to the Unix socket at `path` and reads the greeting.
    pub fn connect_unix(path: impl AsRef<Path>) -> Result<Self, Error> {
        let runtime = Runtime::start()?;
        let inner = runtime.block_on(crate::Client::connect_unix(path))?;
        Ok(Client { inner, runtime })
    }

    /// Connects over TCP to `addr` and reads the greeting.
    pub fn connect_tcp(addr: impl std::net::ToSocketAddrs) -> Result<Self, Error> {
        let addrs: Vec<_> = addr.to_socket_addrs()?.collect();
        let runtime = Runtime::start()?;
        let inner = runtime.block_on(crate::Client::connect_tcp(&addrs[..]))?;
        Ok(Client { inner, runtime })
    }

    /// Spawns `command` with QMP on its standard input and output, and
    /// reads the greeting; the child is returned for the caller to wait on
    /// or kill (its `start_kill`, `try_wait` and `id` need no runtime).
    pub fn spawn(command: std::process::Command) -> Result<(Self, tokio::process::Child), Error> {
        let runtime = Runtime::start()?;
        let mut command = tokio::process::Command::from(command);
        command.kill_on_drop(true);
        let (inner, child) = runtime.block_on(crate::Client::spawn(&mut command))?;
        Ok((Client { inner, runtime }, child))
    }

    /// Enables `capabilities` and switches to operational mode, as
    /// [`crate::Client::negotiate`].
    pub fn negotiate(self, capabilities: &[QMPCapability]) -> Result<Client<Operational>, Error> {
        let inner = self.runtime.block_on(self.inner.negotiate(capabilities))?;
        Ok(Client {
            inner,
            runtime: self.runtime,
        })
    }

    /// Enables `oob` (and `others`) and switches to operational mode, as
    /// [`crate::Client::negotiate_oob`].
    pub fn negotiate_oob(
        self,
        others: &[QMPCapability],
    ) -> Result<Client<Operational, OutOfBand>, Error> {
        let inner = self.runtime.block_on(self.inner.negotiate_oob(others))?;
        Ok(Client {
            inner,
            runtime: self.runtime,
        })
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

    /// Runs `command` and decodes its answer, as [`crate::Client::execute`].
    pub fn execute<C: Command + AllowedIn<M>>(&self, command: C) -> Result<C::Returns, Error> {
        self.runtime.block_on(self.inner.execute(command))
    }

    /// [`Client::execute`] with this call's own timeout.
    pub fn execute_with_timeout<C: Command + AllowedIn<M>>(
        &self,
        command: C,
        timeout: Option<Duration>,
    ) -> Result<C::Returns, Error> {
        self.runtime
            .block_on(self.inner.execute_with_timeout(command, timeout))
    }

    /// Runs a command by name, as [`crate::Client::execute_raw`].
    pub fn execute_raw(&self, name: &str, arguments: Value) -> Result<Value, Error> {
        self.runtime
            .block_on(self.inner.execute_raw(name, arguments))
    }

    /// The async client this one wraps (to run calls concurrently from
    /// async code on another runtime, for instance).
    pub fn as_async(&self) -> &crate::Client<M, O> {
        &self.inner
    }
}

impl<O: OobState> Client<Operational, O> {
    /// Every event from now on, as [`crate::Client::events`].
    pub fn events<E: EventSet>(&self) -> Subscription<E> {
        Subscription {
            inner: self.inner.events(),
            runtime: self.runtime.clone(),
        }
    }

    /// The events named `names` from now on.
    pub fn events_named<E: EventSet, S: Into<String>>(
        &self,
        names: impl IntoIterator<Item = S>,
    ) -> Subscription<E> {
        Subscription {
            inner: self.inner.events_named(names),
            runtime: self.runtime.clone(),
        }
    }
}

impl Client<Operational, OutOfBand> {
    /// Runs `command` out of band, as [`crate::Client::execute_oob`].
    pub fn execute_oob<C: Command + AllowedIn<Operational>>(
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
