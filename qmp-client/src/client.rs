//! [`Client`]: connecting, negotiating and executing commands.

use std::fmt;
use std::marker::PhantomData;
use std::os::fd::BorrowedFd;
use std::path::Path;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use qmp_types::events::AnyEvent;
use qmp_types::mode::{
    Handshake, HandshakeCommand, Mode, NegotiationCommand, OobCommand, Operational,
    OperationalCommand,
};
use qmp_types::types::{QMPCapability, VersionInfo};
use qmp_types::wire::{self, Greeting, GreetingBody};
use qmp_types::{commands, EventSet};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, BufReader};
use tokio::task::AbortHandle;
use tracing::debug;

use crate::call::{self, Execute, Negotiate, NegotiateError};
use crate::conn::{self, Shared};
use crate::outbox::Outbox;
use crate::probe::Probe;
use crate::subscription::Subscription;
use crate::transport::{Plain, Transport};
use crate::Error;

/// The greeting's content: the server's version and the capabilities it
/// offers.
pub type ServerGreeting = GreetingBody<VersionInfo, QMPCapability>;

/// How many events a server may send before its greeting: they are
/// skipped; past that, the next line must be the greeting.
const EVENTS_BEFORE_GREETING: usize = 64;

/// The size of the reader's buffer: `query-qmp-schema` answers are large.
pub(crate) const READ_BUFFER: usize = 64 * 1024;

mod sealed {
    pub trait Sealed {}
}

/// Whether the client negotiated out-of-band execution: [`InBand`] or
/// [`OutOfBand`], the second type parameter of [`Client`].
pub trait OobState: sealed::Sealed + Send + Sync + fmt::Debug + 'static {}

/// A client without the `oob` capability: commands run in band only.
#[derive(Clone, Copy, Debug)]
pub struct InBand;

/// A client that negotiated the `oob` capability: it can send commands
/// that allow it with `exec-oob` ([`Client::execute_oob`]).
#[derive(Clone, Copy, Debug)]
pub struct OutOfBand;

impl sealed::Sealed for InBand {}
impl sealed::Sealed for OutOfBand {}
impl OobState for InBand {}
impl OobState for OutOfBand {}

/// The connection the handles share, a QMP client's or a guest agent
/// client's: dropping the last handle stops the reader and lets the writer
/// shut the connection's write half down.
pub(crate) struct Inner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) outbox: Arc<Outbox>,
    reader: AbortHandle,
}

impl Inner {
    /// Starts the reader task on a connection whose opening (greeting, or
    /// the agent's sync) has been read; the writer task runs already
    /// ([`Outbox::start`]).
    pub(crate) fn start<R>(
        reader: R,
        outbox: Arc<Outbox>,
        shared: Arc<Shared>,
        limit: usize,
        peer: conn::Peer,
    ) -> Inner
    where
        R: tokio::io::AsyncBufRead + Unpin + Send + 'static,
    {
        let reader =
            tokio::spawn(conn::read_loop(reader, shared.clone(), limit, peer)).abort_handle();
        Inner {
            shared,
            outbox,
            reader,
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.reader.abort();
        self.outbox.finish();
    }
}

/// A connection to a QMP server in mode `M` (`Handshake` right after
/// connecting, `Operational` after [`Client::negotiate`]), with `O` telling
/// whether out-of-band execution was negotiated.
///
/// Operational clients are cheap to clone; clones share the connection and
/// may run commands concurrently (ids are generated and matched). A
/// handshake client is not `Clone`: negotiation consumes it, so no handle
/// is left in the wrong mode.
///
/// Dropping the last handle closes the connection and ends every event
/// [`Subscription`].
pub struct Client<M: Mode = Operational, O: OobState = InBand> {
    inner: Arc<Inner>,
    greeting: Arc<ServerGreeting>,
    timeout: Option<Duration>,
    _state: PhantomData<fn() -> (M, O)>,
}

impl<O: OobState> Clone for Client<Operational, O> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
            greeting: self.greeting.clone(),
            timeout: self.timeout,
            _state: PhantomData,
        }
    }
}

impl<M: Mode, O: OobState> fmt::Debug for Client<M, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("mode", &M::NAME)
            .field("oob", &std::any::type_name::<O>())
            .field("greeting", &self.greeting)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The size limit of one message from the server, by default: 64 times
/// the largest answer QEMU 10.0 sends (`query-qmp-schema`, about 256 KiB).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 << 20;

/// How many bytes of events one subscription holds unread, by default:
/// some 20,000 of QEMU's events (a few hundred bytes each; QEMU limits
/// the rate of its most frequent ones to one a second).
pub const DEFAULT_EVENT_QUEUE_LIMIT: usize = 4 << 20;

/// How to connect: the settings a connection keeps for its lifetime, and
/// the ways to open one.
///
/// ```no_run
/// # async fn run() -> Result<(), qmp_client::Error> {
/// let client = qmp_client::Connector::new()
///     .max_message_size(1 << 20)
///     .unix("/tmp/qmp.sock")
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Connector {
    max_message_size: usize,
    event_queue_limit: usize,
}

impl Default for Connector {
    fn default() -> Self {
        Connector {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            event_queue_limit: DEFAULT_EVENT_QUEUE_LIMIT,
        }
    }
}

impl Connector {
    /// The default settings.
    pub fn new() -> Self {
        Connector::default()
    }

    /// The largest message accepted from the server, in bytes (default
    /// [`DEFAULT_MAX_MESSAGE_SIZE`]). A larger one is read to its end
    /// without being held, and fails its call with [`Error::TooLarge`]; the
    /// connection goes on. The client never holds more than this of one
    /// message.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// How many bytes of events (counted as sent on the wire, plus a
    /// little for each) one event subscription holds before it is read
    /// (default [`DEFAULT_EVENT_QUEUE_LIMIT`]); it takes one event more
    /// when empty, whatever its size. The reader never waits for a
    /// subscription: what comes while it is full is dropped and reported
    /// in its place as one [`Error::EventsDropped`] item. Other
    /// subscriptions, calls and the connection are not affected.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), qmp_client::Error> {
    /// let client = qmp_client::Connector::new()
    ///     .event_queue_limit(64 << 10)
    ///     .unix("/tmp/qmp.sock")
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn event_queue_limit(mut self, bytes: usize) -> Self {
        self.event_queue_limit = bytes;
        self
    }

    /// Connects to a QMP server listening on the Unix socket at `path`,
    /// and reads its greeting.
    ///
    /// For a QEMU that this program starts, prefer [`Connector::listen`]:
    /// QEMU 10.0 can miss a connection made while it is still starting up
    /// (its monitor then never reads), which a client connecting to it
    /// cannot tell from a slow start.
    pub async fn unix(&self, path: impl AsRef<Path>) -> Result<Client<Handshake>, Error> {
        let stream = tokio::net::UnixStream::connect(path).await?;
        let (read, write) = stream.into_split();
        self.start(read, Box::pin(write)).await
    }

    /// Connects to a QMP server listening on TCP at `addr`, and reads its
    /// greeting.
    pub async fn tcp(
        &self,
        addr: impl tokio::net::ToSocketAddrs,
    ) -> Result<Client<Handshake>, Error> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        self.io(read, write).await
    }

    /// Waits for a QMP server to connect to `listener`, and reads its
    /// greeting: the safe way round for a QEMU this program starts, as
    /// QEMU's own test harness does it. Bind the listener, start QEMU with
    /// `-qmp unix:PATH,server=off` (or `-chardev socket,path=PATH,id=m
    /// -mon chardev=m,mode=control`), then call this.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), qmp_client::Error> {
    /// let dir = std::env::temp_dir().join("qmp-example");
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("qmp.sock");
    /// let listener = tokio::net::UnixListener::bind(&path)?;
    /// let mut qemu = tokio::process::Command::new("qemu-system-x86_64")
    ///     .args(["-machine", "none", "-display", "none", "-qmp"])
    ///     .arg(format!("unix:{},server=off", path.display()))
    ///     .kill_on_drop(true)
    ///     .spawn()?;
    /// let client = qmp_client::Connector::new().listen(&listener).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn listen(
        &self,
        listener: &tokio::net::UnixListener,
    ) -> Result<Client<Handshake>, Error> {
        let (stream, _) = listener.accept().await?;
        let (read, write) = stream.into_split();
        self.start(read, Box::pin(write)).await
    }

    /// Spawns `command` with QMP on its standard input and output (QEMU's
    /// `-qmp stdio`, or the storage daemon's `--chardev stdio,id=m
    /// --monitor chardev=m`), and reads the greeting.
    ///
    /// The child is returned for the caller to wait on or kill; standard
    /// error is left as the command has it.
    pub async fn spawn(
        &self,
        command: &mut tokio::process::Command,
    ) -> Result<(Client<Handshake>, tokio::process::Child), Error> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            unreachable!("both were piped");
        };
        let client = self.io(stdout, stdin).await?;
        Ok((client, child))
    }

    /// Speaks QMP over any byte stream: reads the greeting from `read`,
    /// then starts the reader and writer tasks on the current tokio
    /// runtime.
    ///
    /// Waits for the greeting as long as it takes: wrap the call in
    /// [`tokio::time::timeout`] to bound it.
    ///
    /// File descriptors pass only over a Unix socket opened by
    /// [`Connector::unix`] or [`Connector::listen`]; over this stream,
    /// [`Client::execute_with_fds`] fails with an I/O error.
    pub async fn io<R, W>(&self, read: R, write: W) -> Result<Client<Handshake>, Error>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        self.start(read, Box::pin(Plain(write))).await
    }

    async fn start<R>(
        &self,
        read: R,
        write: Pin<Box<dyn Transport>>,
    ) -> Result<Client<Handshake>, Error>
    where
        R: AsyncRead + Unpin + Send + 'static,
    {
        let limit = self.max_message_size;
        let mut reader = BufReader::with_capacity(READ_BUFFER, read);
        let mut line = Vec::new();
        // The greeting is bounded like any other message. An event QEMU
        // sends before it (seen from QEMU 7.2 connected while starting) is
        // not the greeting: it is skipped, a bounded number of times.
        let mut skipped = 0;
        let greeting: Greeting<VersionInfo, QMPCapability> = loop {
            line.clear();
            match conn::read_line(&mut reader, &mut line, limit).await? {
                conn::Line::Whole => {}
                conn::Line::End => return Err(Error::Disconnected),
                conn::Line::TooLong { .. } => return Err(Error::TooLarge { limit }),
            }
            let text = conn::trim(&line);
            let is_event = std::str::from_utf8(text)
                .ok()
                .and_then(|text| wire::split(text, &["QMP", "event"]).ok())
                .is_some_and(|m| m.values[0].is_none() && m.values[1].is_some());
            if is_event && skipped < EVENTS_BEFORE_GREETING {
                skipped += 1;
                debug!(event = %String::from_utf8_lossy(text), "event before the greeting, skipped");
                continue;
            }
            break serde_json::from_slice(text).map_err(|e| Error::malformed(e, text))?;
        };
        let greeting = greeting.qmp;
        debug!(
            version = ?greeting.version.qemu,
            capabilities = ?greeting.capabilities,
            "greeting"
        );
        let shared = Arc::new(Shared::new(self.event_queue_limit));
        let outbox = Outbox::start(write, shared.clone());
        let inner = Inner::start(reader, outbox, shared, limit, conn::Peer::Qmp);
        Ok(Client {
            inner: Arc::new(inner),
            greeting: Arc::new(greeting),
            timeout: None,
            _state: PhantomData,
        })
    }
}

impl Client<Handshake> {
    /// Connects to a QMP server listening on the Unix socket at `path`,
    /// and reads its greeting, with the default [`Connector`].
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Self, Error> {
        Connector::new().unix(path).await
    }

    /// Connects to a QMP server listening on TCP at `addr`, and reads its
    /// greeting, with the default [`Connector`].
    pub async fn connect_tcp(addr: impl tokio::net::ToSocketAddrs) -> Result<Self, Error> {
        Connector::new().tcp(addr).await
    }

    /// Spawns `command` with QMP on its standard input and output, with
    /// the default [`Connector`] (see [`Connector::spawn`]).
    pub async fn spawn(
        command: &mut tokio::process::Command,
    ) -> Result<(Self, tokio::process::Child), Error> {
        Connector::new().spawn(command).await
    }

    /// Speaks QMP over any byte stream, with the default [`Connector`]
    /// (see [`Connector::io`]).
    pub async fn connect_io<R, W>(read: R, write: W) -> Result<Self, Error>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        Connector::new().io(read, write).await
    }

    /// Runs a command of handshake mode, one that leaves negotiation going
    /// on (QEMU has none; a schema may). The negotiation command itself
    /// runs through [`Client::negotiate`] or [`Client::negotiate_with`].
    pub fn execute<C: HandshakeCommand>(&self, command: C) -> Execute<'_, C> {
        Execute::new(&self.inner, command, false, self.timeout)
    }

    /// Enables `capabilities` with QEMU's `qmp_capabilities` and switches
    /// to operational mode.
    ///
    /// Each capability must be offered in the greeting: otherwise
    /// [`Error::CapabilityNotOffered`], before anything is sent. On
    /// failure the handshake client comes back with the error
    /// ([`NegotiateError`], which `?` turns into [`Error`]).
    ///
    /// Enabling `oob` here is allowed, but only [`Client::negotiate_oob`]
    /// gives a client whose type offers [`Client::execute_oob`].
    pub async fn negotiate(
        self,
        capabilities: &[QMPCapability],
    ) -> Result<Client<Operational>, NegotiateError> {
        self.negotiate_capabilities(capabilities).await
    }

    /// Enables the `oob` capability (with `others`, if any) and switches to
    /// operational mode, giving a client that can run commands out of band.
    pub async fn negotiate_oob(
        self,
        others: &[QMPCapability],
    ) -> Result<Client<Operational, OutOfBand>, NegotiateError> {
        let mut capabilities = vec![QMPCapability::Oob];
        capabilities.extend(others.iter().filter(|c| **c != QMPCapability::Oob).cloned());
        self.negotiate_capabilities(&capabilities).await
    }

    /// Switches to operational mode with `command`, the schema's
    /// negotiation command: for a schema whose negotiation is not QEMU's
    /// `qmp_capabilities` (the early specification's `qmp_switch_mode`,
    /// say), or to send `qmp_capabilities` with arguments of your own.
    ///
    /// ```no_run
    /// # async fn run(client: qmp_client::Client<qmp_client::Handshake>) -> Result<(), qmp_client::Error> {
    /// use qmp_client::commands::QmpCapabilities;
    ///
    /// let client = client.negotiate_with(QmpCapabilities::new()).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn negotiate_with<C: NegotiationCommand>(self, command: C) -> Negotiate<C> {
        Negotiate::new(self, command)
    }

    async fn negotiate_capabilities<O: OobState>(
        self,
        capabilities: &[QMPCapability],
    ) -> Result<Client<Operational, O>, NegotiateError> {
        let offered = &self.greeting.capabilities;
        if let Some(missing) = capabilities.iter().find(|c| !offered.contains(c)) {
            let error = Error::CapabilityNotOffered {
                capability: missing.clone(),
                offered: offered.clone(),
            };
            return Err(NegotiateError {
                client: self,
                error,
            });
        }
        let enable = (!capabilities.is_empty()).then(|| capabilities.to_vec());
        let mut command = commands::QmpCapabilities::new();
        command.enable = enable;
        Negotiate::<_, O>::new(self, command).await
    }

    /// This client in operational mode: for [`Negotiate`] only, once the
    /// server has switched.
    pub(crate) fn into_mode<O: OobState>(self) -> Client<Operational, O> {
        Client {
            inner: self.inner,
            greeting: self.greeting,
            timeout: self.timeout,
            _state: PhantomData,
        }
    }
}

impl<M: Mode, O: OobState> Client<M, O> {
    /// The server's greeting: its version and the capabilities it offered.
    pub fn greeting(&self) -> &ServerGreeting {
        &self.greeting
    }

    /// The default timeout of this handle's calls (`None`: wait as long as
    /// it takes, the default).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Sets the default timeout of this handle's calls; clones made later
    /// inherit it, other handles keep theirs.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// This handle with a default timeout for its calls.
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether the connection has closed (the server went away, or a write
    /// failed); every call on a closed client fails with
    /// [`Error::Disconnected`].
    pub fn is_closed(&self) -> bool {
        self.inner.shared.is_closed()
    }

    /// Runs a command by name with `arguments` (an object, or `null` for
    /// none) and returns its raw answer: the escape hatch for commands
    /// outside the schema. The mode is not checked: the server answers a
    /// command run in the wrong mode with its `CommandNotFound` error.
    pub async fn execute_raw(&self, name: &str, arguments: Value) -> Result<Value, Error> {
        self.execute_raw_with_timeout(name, arguments, self.timeout)
            .await
    }

    /// [`Client::execute_raw`] with file descriptors passed along, as
    /// [`Client::execute_with_fds`] passes them (over a Unix socket only).
    pub async fn execute_raw_with_fds(
        &self,
        name: &str,
        arguments: Value,
        fds: &[BorrowedFd<'_>],
    ) -> Result<Value, Error> {
        Execute::new(
            &self.inner,
            RawCommand { name, arguments },
            false,
            self.timeout,
        )
        .with_fds(fds)
        .await
    }

    /// [`Client::execute_raw`] with this call's own timeout.
    pub async fn execute_raw_with_timeout(
        &self,
        name: &str,
        arguments: Value,
        timeout: Option<Duration>,
    ) -> Result<Value, Error> {
        Execute::new(&self.inner, RawCommand { name, arguments }, false, timeout).await
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

/// A command by name, for [`Client::execute_raw`] (and the agent's).
pub(crate) struct RawCommand<'a> {
    name: &'a str,
    arguments: Value,
}

impl<'a> RawCommand<'a> {
    pub(crate) fn new(name: &'a str, arguments: Value) -> Self {
        RawCommand { name, arguments }
    }
}

impl call::Outgoing for RawCommand<'_> {
    type Returns = Value;
    const SUCCESS_RESPONSE: bool = true;

    fn name(&self) -> &str {
        self.name
    }

    fn line(&self, id: u64, oob: bool) -> Result<Vec<u8>, Error> {
        // Refused before serializing, which would recurse as deep as the
        // value goes; the request object adds one level.
        let depth = 1 + wire::nesting_depth(&self.arguments);
        let limit = wire::QEMU_LIMITS.nesting;
        if depth > limit {
            return Err(wire::RequestError::TooDeep { depth, limit }.into());
        }
        call::request_line(self.name, &self.arguments, oob, id)
    }
}

impl<O: OobState> Client<Operational, O> {
    /// Runs `command` and decodes its answer, with the handle's default
    /// timeout (or the call's own: [`Execute::timeout`]).
    ///
    /// Only commands of operational mode: the negotiation command does not
    /// compile here, since negotiation has already run.
    pub fn execute<C: OperationalCommand>(&self, command: C) -> Execute<'_, C> {
        Execute::new(&self.inner, command, false, self.timeout)
    }

    /// Runs `command` with copies of `fds` passed along with its request
    /// (`SCM_RIGHTS`), as QEMU's `getfd` and `add-fd` expect: QEMU takes
    /// the descriptors that arrive with the command's bytes. Only over a
    /// Unix socket; elsewhere the call fails with [`Error::Io`]
    /// (`Unsupported`) and sends nothing.
    ///
    /// ```no_run
    /// # async fn run(client: qmp_client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::os::fd::AsFd;
    /// use qmp_client::commands::Getfd;
    ///
    /// let image = std::fs::File::open("disk.img")?;
    /// client
    ///     .execute_with_fds(Getfd::new("disk".into()), &[image.as_fd()])
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn execute_with_fds<C: OperationalCommand>(
        &self,
        command: C,
        fds: &[BorrowedFd<'_>],
    ) -> Execute<'_, C> {
        self.execute(command).with_fds(fds)
    }

    /// [`Client::execute`] with this call's own timeout (`None`: none).
    pub fn execute_with_timeout<C: OperationalCommand>(
        &self,
        command: C,
        timeout: Option<Duration>,
    ) -> Execute<'_, C> {
        self.execute(command).timeout(timeout)
    }

    /// Asks the server what it has (`query-qmp-schema`, once) and answers
    /// from that: commands, events, arguments and their values
    /// ([`Probe`]). For code that runs against several QEMU releases.
    pub async fn probe(&self) -> Result<Probe, Error> {
        let schema = self.execute_raw("query-qmp-schema", Value::Null).await?;
        Probe::from_json(&schema).map_err(|reason| {
            let text = schema.to_string();
            Error::malformed(reason, text.as_bytes())
        })
    }

    /// A stream of every event the server sends from now on, decoded as
    /// the bindings' [`AnyEvent`]; [`Client::events_as`] for another
    /// schema's event set.
    pub fn events(&self) -> Subscription<AnyEvent> {
        self.events_as()
    }

    /// A stream of the events named `names` (wire names, such as
    /// `qmp_types::events::Stop::NAME`) the server sends from now on.
    pub fn events_named<S: Into<String>>(
        &self,
        names: impl IntoIterator<Item = S>,
    ) -> Subscription<AnyEvent> {
        self.events_named_as(names)
    }

    /// [`Client::events`], decoded as `E`: the event set of another
    /// schema's bindings.
    pub fn events_as<E: EventSet>(&self) -> Subscription<E> {
        Subscription::new(self.inner.shared.subscribe(None))
    }

    /// [`Client::events_named`], decoded as `E`.
    pub fn events_named_as<E: EventSet, S: Into<String>>(
        &self,
        names: impl IntoIterator<Item = S>,
    ) -> Subscription<E> {
        let names = names.into_iter().map(Into::into).collect();
        Subscription::new(self.inner.shared.subscribe(Some(names)))
    }
}

impl Client<Operational, OutOfBand> {
    /// Runs `command` out of band (`exec-oob`): the server runs it at once,
    /// even while earlier in-band commands are still in progress, and its
    /// answer may overtake theirs (answers are matched by id).
    ///
    /// Only for commands whose schema definition allows it
    /// ([`OobCommand`]): any other does not compile.
    pub fn execute_oob<C: OperationalCommand + OobCommand>(&self, command: C) -> Execute<'_, C> {
        Execute::new(&self.inner, command, true, self.timeout)
    }
}
