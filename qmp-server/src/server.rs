//! The [`Server`]: its settings, where it listens, its events and its
//! shutdown.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{broadcast, watch, Semaphore};
use tracing::debug;

use qmp_types::introspection::{self, InfoKind};
use qmp_types::Event;

use crate::connection;
use crate::fds::{Armed, FdReader, Received};
use crate::router::Router;
use crate::schema::Schema;
use crate::style;

/// The longest message a server reads by default: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 << 20;

/// How many connections a server serves at once by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;

/// How many events a server keeps for connections that have not written
/// them yet, by default.
pub const DEFAULT_EVENT_BUFFER: usize = 1024;

/// What every connection of a server shares.
pub(crate) struct Shared<S> {
    pub schema: Schema,
    pub router: Router<S>,
    pub state: S,
    /// The greeting line; empty for the guest agent's protocol.
    pub greeting: Arc<[u8]>,
    /// The guest agent's protocol (a schema without a negotiation
    /// command, [`Schema::agent`]): no greeting, no modes, no events, and
    /// `guest-sync` and `guest-sync-delimited` answered by the server.
    pub agent: bool,
    /// The capabilities offered.
    pub capabilities: Vec<String>,
    /// `query-version`'s answer (JSON text).
    pub version: String,
    /// `query-commands`'s answer.
    pub commands: String,
    /// `query-qmp-schema`'s answer.
    pub introspection: String,
    pub max_message_size: usize,
    pub events: broadcast::Sender<Arc<[u8]>>,
    /// The longest busy poll after an answer; zero: none.
    pub busy_poll: Duration,
}

/// The settings of a [`Server`].
#[derive(Debug)]
pub struct ServerBuilder<S> {
    schema: Schema,
    router: Router<S>,
    events: broadcast::Sender<Arc<[u8]>>,
    /// The version, as JSON text.
    version: String,
    capabilities: Vec<String>,
    max_message_size: usize,
    max_connections: usize,
    busy_poll: Duration,
}

impl<S: Clone + Send + Sync + 'static> ServerBuilder<S> {
    /// The version the greeting and `query-version` report: a value of the
    /// schema's version type (`qmp_types::types::VersionInfo` for QEMU's).
    /// By default QEMU 10.0.0's numbers, with package `qmp-server`.
    pub fn version(mut self, version: impl Serialize) -> Self {
        self.version = style::to_string(&version).unwrap_or_else(|_| "null".to_owned());
        self
    }

    /// The capabilities the greeting offers (by default `oob`). A client
    /// may enable only these.
    pub fn capabilities<I: IntoIterator<Item = T>, T: Into<String>>(mut self, names: I) -> Self {
        self.capabilities = names.into_iter().map(Into::into).collect();
        self
    }

    /// The longest message read ([`DEFAULT_MAX_MESSAGE_SIZE`]). A longer
    /// one is skipped as it arrives, never held, and answered with an
    /// error without an id; the connection goes on.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// How many connections are served at once
    /// ([`DEFAULT_MAX_CONNECTIONS`]). One more is accepted and closed at
    /// once, before the greeting, so that its client is not left waiting.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// How many events wait at most for the connections that have not
    /// written them yet ([`DEFAULT_EVENT_BUFFER`]): one buffer for all
    /// connections. A connection whose peer reads so slowly that it falls
    /// a whole buffer behind is closed: its client lost events and must
    /// reconnect and look at the state again, rather than go on unaware.
    /// The memory events take is bounded by this buffer, however slow
    /// the readers.
    pub fn event_buffer(mut self, events: usize) -> Self {
        self.events = broadcast::channel(events.max(1)).0;
        self
    }

    /// Busy polling, off by default: trades CPU time for latency, as
    /// QEMU's IOThread `poll-max-ns` does. After a connection on a Unix
    /// socket has answered a request, its reader keeps trying to read the
    /// next one, without blocking, for at most `max` (yielding the CPU
    /// between tries, so that a client on the same CPU runs at once),
    /// before it waits for the reactor again.
    ///
    /// A client that sends its next request as soon as it has read an
    /// answer, from another CPU, then wakes neither the server's thread
    /// nor its CPU: on virtual machines, where a wakeup on another CPU
    /// costs tens of microseconds, that is most of a round trip. The
    /// price is up to `max` of one CPU after each answer, during which
    /// the thread serves nothing else (on a current-thread runtime, no
    /// other connection, and [`Server::shutdown`] waits for a poll under
    /// way to end). The window adapts, per connection: it shrinks
    /// to nothing while the client takes longer than `max` to send its
    /// next request (an interactive client costs one poll now and then)
    /// and grows back when it is quick again. Connections with
    /// out-of-band execution negotiated, TCP connections and
    /// [`Server::serve_stream`] never poll. Some tens of microseconds
    /// (`Duration::from_micros(50)`) cover a quick client's turn; zero
    /// turns polling off.
    pub fn busy_poll(mut self, max: Duration) -> Self {
        self.busy_poll = max;
        self
    }

    /// The handle that emits the server's events, for a state that needs
    /// it: take it before [`build`](Self::build). Setting
    /// [`event_buffer`](Self::event_buffer) afterwards makes another.
    pub fn emitter(&self) -> Emitter {
        Emitter {
            events: self.events.clone(),
        }
    }

    /// The server, whose handlers get a clone of `state` each.
    pub fn build(self, state: S) -> Server<S> {
        let mut commands: Vec<&str> = self.router.names().collect();
        for name in crate::dispatch::BUILT_IN
            .into_iter()
            .chain([self.schema.negotiation_command()])
        {
            if self.schema.command(name).is_some() && !commands.contains(&name) {
                commands.push(name);
            }
        }
        commands.sort_unstable();
        let commands_json = style::to_string(
            &commands
                .iter()
                .map(|name| serde_json::json!({ "name": name }))
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default();
        // What it reports: the commands it runs, and every type and event.
        let reported: Vec<_> = self
            .schema
            .infos()
            .filter(|info| {
                !matches!(info.kind, InfoKind::Command { .. })
                    || commands.contains(&info.name.as_str())
            })
            .cloned()
            .collect();
        // QEMU reports every integer type as `int`.
        let reported = introspection::merge_integer_widths(reported);
        let introspection = compact(&introspection::to_json(&reported));
        let agent = !self.schema.negotiates();
        let greeting_line = if agent {
            Vec::new()
        } else {
            format!(
                "{{\"QMP\": {{\"version\": {}, \"capabilities\": {}}}}}\n",
                self.version,
                style::to_string(&self.capabilities).unwrap_or_default()
            )
            .into_bytes()
        };
        let (shutdown, _) = watch::channel(false);
        Server {
            inner: Arc::new(Inner {
                shared: Arc::new(Shared {
                    schema: self.schema,
                    router: self.router,
                    state,
                    greeting: greeting_line.into(),
                    agent,
                    capabilities: self.capabilities,
                    version: self.version,
                    commands: commands_json,
                    introspection,
                    max_message_size: self.max_message_size,
                    events: self.events,
                    busy_poll: self.busy_poll,
                }),
                connections: Arc::new(Semaphore::new(self.max_connections)),
                max_connections: self.max_connections,
                shutdown,
            }),
        }
    }
}

/// Introspection JSON (one entry a line) as one line, spaced as QEMU
/// spaces it.
fn compact(json: &str) -> String {
    let entries: Vec<&str> = json
        .lines()
        .map(str::trim)
        .filter(|line| !matches!(*line, "[" | "]" | ""))
        .collect();
    format!("[{}]", entries.join(" "))
}

/// Emits a server's events: cheap to clone, for handlers' state.
#[derive(Clone, Debug)]
pub struct Emitter {
    events: broadcast::Sender<Arc<[u8]>>,
}

impl Emitter {
    /// Sends `event` to every connection in operational mode, with the
    /// current time as its timestamp. Connections still negotiating never
    /// see it. Returns how many connections it was queued for.
    pub fn emit<E: Event>(&self, event: &E) -> usize {
        match event_line(E::NAME, event) {
            Some(line) => self.events.send(line).unwrap_or(0),
            None => 0,
        }
    }

    /// Sends an event by name with data `data` (`{}` or `null` sends none,
    /// as QEMU omits `data` for events without members), for events
    /// outside the schema's types.
    pub fn emit_raw(&self, name: &str, data: Value) -> usize {
        match event_line(name, &data) {
            Some(line) => self.events.send(line).unwrap_or(0),
            None => 0,
        }
    }
}

/// An event's line, stamped now, as QEMU writes it (`data` left out when
/// empty); `None` if the data cannot be encoded.
pub(crate) fn event_line<D: Serialize + ?Sized>(name: &str, data: &D) -> Option<Arc<[u8]>> {
    let data = match style::to_string(data) {
        Ok(data) => data,
        Err(error) => {
            debug!(%error, event = name, "an event that cannot be encoded is dropped");
            return None;
        }
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let name = style::to_string(name).unwrap_or_default();
    let mut line = format!(
        "{{\"timestamp\": {{\"seconds\": {}, \"microseconds\": {}}}, \"event\": {name}",
        now.as_secs(),
        now.subsec_micros()
    );
    if !matches!(data.as_str(), "{}" | "null") {
        line.push_str(", \"data\": ");
        line.push_str(&data);
    }
    line.push_str("}\n");
    Some(line.into_bytes().into())
}

/// A QMP server: serves connections on any number of listeners, emits
/// events to every connection in operational mode, shuts down gracefully.
/// Cheap to clone: clones are the same server.
///
/// ```no_run
/// use qmp_server::{CommandError, Router, Schema, Server};
/// use qmp_types::commands::Stop;
/// use qmp_types::events;
/// use qmp_types::Empty;
///
/// # async fn run() -> std::io::Result<()> {
/// let router = Router::new().route(|server: (), _: Stop| async move { Ok::<_, CommandError>(Empty {}) });
/// let server = Server::builder(Schema::bindings(), router).build(());
/// let serving = tokio::spawn({
///     let server = server.clone();
///     async move { server.listen_unix("/tmp/qmp.sock").await }
/// });
/// server.emit(&events::Stop::new());
/// server.shutdown().await;
/// serving.await.unwrap()?;
/// # Ok(())
/// # }
/// ```
pub struct Server<S = ()> {
    inner: Arc<Inner<S>>,
}

struct Inner<S> {
    shared: Arc<Shared<S>>,
    /// A permit per connection being served.
    connections: Arc<Semaphore>,
    max_connections: usize,
    shutdown: watch::Sender<bool>,
}

impl<S> Clone for Server<S> {
    fn clone(&self) -> Self {
        Server {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S> std::fmt::Debug for Server<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("router", &self.inner.shared.router)
            .finish_non_exhaustive()
    }
}

impl<S: Clone + Send + Sync + 'static> Server<S> {
    /// The settings of a server for `schema`, running `router`'s handlers
    /// with `state`.
    ///
    /// A schema without a negotiation command (the guest agent's,
    /// [`Schema::agent`]) is served as QEMU's guest agent speaks: no
    /// greeting, every command from the start, no events, and
    /// `guest-sync` and `guest-sync-delimited` (its answer after a `0xFF`
    /// byte) answered by the server itself, for a test double of the
    /// agent ([`crate::testing`]): typed handlers take QMP commands, so an
    /// agent's commands are played by the double's script (the router's
    /// fallback).
    pub fn builder(schema: Schema, router: Router<S>) -> ServerBuilder<S> {
        ServerBuilder {
            schema,
            router,
            events: broadcast::channel(DEFAULT_EVENT_BUFFER).0,
            version: r#"{"qemu": {"major": 10, "minor": 0, "micro": 0}, "package": "qmp-server"}"#
                .to_owned(),
            capabilities: vec!["oob".to_owned()],
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            busy_poll: Duration::ZERO,
        }
    }

    /// Sends `event` to every connection in operational mode (see
    /// [`Emitter::emit`]).
    pub fn emit<E: Event>(&self, event: &E) -> usize {
        self.emitter().emit(event)
    }

    /// The handle that emits this server's events.
    pub fn emitter(&self) -> Emitter {
        Emitter {
            events: self.inner.shared.events.clone(),
        }
    }

    /// Stops accepting connections, ends every connection after the
    /// command it is running, and returns when all are closed.
    pub async fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
        // Every connection holds a permit until it is closed.
        let all = u32::try_from(self.inner.max_connections).unwrap_or(u32::MAX);
        let _ = self.inner.connections.acquire_many(all).await;
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shut_down(&self) -> bool {
        *self.inner.shutdown.borrow()
    }

    /// Binds a Unix socket at `path` and serves it until shutdown.
    pub async fn listen_unix(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.serve_unix(UnixListener::bind(path)?).await
    }

    /// Serves the connections of `listener` until shutdown. Handlers of
    /// [`Router::route_with_fds`] get the descriptors a client passes.
    pub async fn serve_unix(&self, listener: UnixListener) -> io::Result<()> {
        self.accept_loop(
            || listener.accept(),
            |stream: tokio::net::UnixStream| {
                let (read, write) = stream.into_split();
                let (received, armed) = (Received::default(), Armed::default());
                let busy_poll = self.inner.shared.busy_poll;
                let reader = FdReader::new(read, received.clone(), armed.clone(), busy_poll);
                self.spawn(reader, write, received, armed);
            },
        )
        .await
    }

    /// Binds `address` over TCP and serves it until shutdown.
    pub async fn listen_tcp(&self, address: impl tokio::net::ToSocketAddrs) -> io::Result<()> {
        self.serve_tcp(TcpListener::bind(address).await?).await
    }

    /// Serves the connections of `listener` until shutdown.
    pub async fn serve_tcp(&self, listener: TcpListener) -> io::Result<()> {
        self.accept_loop(
            || listener.accept(),
            |stream: tokio::net::TcpStream| {
                let _ = stream.set_nodelay(true);
                let (read, write) = stream.into_split();
                self.spawn(read, write, Received::default(), Armed::default());
            },
        )
        .await
    }

    /// Accepts with `accept` and serves each connection with `serve`
    /// until shutdown; fails only when the listener does.
    async fn accept_loop<T, A, F>(
        &self,
        accept: impl Fn() -> F,
        serve: impl Fn(T),
    ) -> io::Result<()>
    where
        F: std::future::Future<Output = io::Result<(T, A)>>,
    {
        let mut shutdown = self.inner.shutdown.subscribe();
        loop {
            let accepted = tokio::select! {
                accepted = accept() => accepted,
                _ = shutdown.wait_for(|stop| *stop) => return Ok(()),
            };
            match accepted {
                Ok((stream, _)) => serve(stream),
                Err(error) if transient(&error) => {
                    // Out of descriptors, say: wait for connections to end.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Serves one connection over a byte stream (a child's or this
    /// process's stdio, a pipe) to its end.
    pub async fn serve_stream<R, W>(&self, reader: R, writer: W)
    where
        R: AsyncRead + Unpin + Send,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        self.serve_with(reader, writer, Received::default(), Armed::default())
            .await;
    }

    /// Serves one connection to its end, if the limit allows.
    pub(crate) async fn serve_with<R, W>(
        &self,
        reader: R,
        writer: W,
        received: Received,
        armed: Armed,
    ) where
        R: AsyncRead + Unpin + Send,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let Ok(_permit) = Arc::clone(&self.inner.connections).try_acquire_owned() else {
            return;
        };
        connection::serve(
            Arc::clone(&self.inner.shared),
            reader,
            writer,
            received,
            armed,
            self.inner.shutdown.subscribe(),
        )
        .await;
    }

    /// Serves one accepted connection in its own task, if the limit allows.
    fn spawn<R, W>(&self, reader: R, writer: W, received: Received, armed: Armed)
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let Ok(permit) = Arc::clone(&self.inner.connections).try_acquire_owned() else {
            debug!("connection limit reached: a connection is closed unserved");
            return;
        };
        let shared = Arc::clone(&self.inner.shared);
        let shutdown = self.inner.shutdown.subscribe();
        tokio::spawn(async move {
            connection::serve(shared, reader, writer, received, armed, shutdown).await;
            drop(permit);
        });
    }
}

/// Accept errors that concern one connection, not the listener.
fn transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    ) || error.raw_os_error() == Some(24) // EMFILE: wait for a descriptor.
}
