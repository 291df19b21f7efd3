//! [`Client`]: connecting, negotiating and executing commands.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use qmp_types::mode::{AllowedIn, Handshake, Mode, Operational};
use qmp_types::types::{QMPCapability, VersionInfo};
use qmp_types::wire::{Greeting, GreetingBody};
use qmp_types::{commands, Command, EventSet};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader};
use tokio::task::AbortHandle;
use tracing::debug;

use crate::conn::{self, Shared};
use crate::events::Subscription;
use crate::outbox::{self, Outbox};
use crate::Error;

/// The greeting's content: the server's version and the capabilities it
/// offers.
pub type ServerGreeting = GreetingBody<VersionInfo, QMPCapability>;

/// The size of the reader's buffer: `query-qmp-schema` answers are large.
const READ_BUFFER: usize = 64 * 1024;

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

/// What the handles share; dropping the last handle stops the reader and
/// lets the writer shut the connection's write half down.
struct Inner {
    shared: Arc<Shared>,
    outbox: Arc<Outbox>,
    greeting: ServerGreeting,
    reader: AbortHandle,
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
    timeout: Option<Duration>,
    _state: PhantomData<fn() -> (M, O)>,
}

impl<O: OobState> Clone for Client<Operational, O> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
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
            .field("greeting", &self.inner.greeting)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Client<Handshake> {
    /// Connects to a QMP server listening on the Unix socket at `path`,
    /// and reads its greeting.
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Self, Error> {
        let stream = tokio::net::UnixStream::connect(path).await?;
        let (read, write) = stream.into_split();
        Self::connect_io(read, write).await
    }

    /// Connects to a QMP server listening on TCP at `addr`, and reads its
    /// greeting.
    pub async fn connect_tcp(addr: impl tokio::net::ToSocketAddrs) -> Result<Self, Error> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        Self::connect_io(read, write).await
    }

    /// Spawns `command` with QMP on its standard input and output (QEMU's
    /// `-qmp stdio`, or the storage daemon's `--chardev stdio,id=m
    /// --monitor chardev=m`), and reads the greeting.
    ///
    /// The child is returned for the caller to wait on or kill; standard
    /// error is left as the command has it.
    pub async fn spawn(
        command: &mut tokio::process::Command,
    ) -> Result<(Self, tokio::process::Child), Error> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            unreachable!("both were piped");
        };
        let client = Self::connect_io(stdout, stdin).await?;
        Ok((client, child))
    }

    /// Speaks QMP over any byte stream: reads the greeting from `read`,
    /// then starts the reader and writer tasks on the current tokio
    /// runtime.
    ///
    /// Waits for the greeting as long as it takes: wrap the call in
    /// [`tokio::time::timeout`] to bound it.
    pub async fn connect_io<R, W>(read: R, write: W) -> Result<Self, Error>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let mut reader = BufReader::with_capacity(READ_BUFFER, read);
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Err(Error::Disconnected);
        }
        let text = conn::trim(&line);
        let greeting: Greeting<VersionInfo, QMPCapability> =
            serde_json::from_slice(text).map_err(|e| Error::malformed(e, text))?;
        let greeting = greeting.qmp;
        debug!(
            version = ?greeting.version.qemu,
            capabilities = ?greeting.capabilities,
            "greeting"
        );
        let shared = Arc::new(Shared::default());
        let outbox = Arc::new(Outbox::new(write, shared.clone()));
        let reader = tokio::spawn(conn::read_loop(reader, shared.clone())).abort_handle();
        tokio::spawn(outbox::write_loop(outbox.clone()));
        Ok(Client {
            inner: Arc::new(Inner {
                shared,
                outbox,
                greeting,
                reader,
            }),
            timeout: None,
            _state: PhantomData,
        })
    }

    /// Enables `capabilities` (each must be offered in the greeting:
    /// otherwise [`Error::CapabilityNotOffered`], before anything is sent)
    /// and switches to operational mode.
    ///
    /// Enabling `oob` here is allowed, but only [`Client::negotiate_oob`]
    /// gives a client whose type offers [`Client::execute_oob`].
    pub async fn negotiate(
        self,
        capabilities: &[QMPCapability],
    ) -> Result<Client<Operational>, Error> {
        self.negotiate_with(capabilities).await
    }

    /// Enables the `oob` capability (with `others`, if any) and switches to
    /// operational mode, giving a client that can run commands out of band.
    pub async fn negotiate_oob(
        self,
        others: &[QMPCapability],
    ) -> Result<Client<Operational, OutOfBand>, Error> {
        let mut capabilities = vec![QMPCapability::Oob];
        capabilities.extend(others.iter().filter(|c| **c != QMPCapability::Oob).cloned());
        self.negotiate_with(&capabilities).await
    }

    async fn negotiate_with<O: OobState>(
        self,
        capabilities: &[QMPCapability],
    ) -> Result<Client<Operational, O>, Error> {
        let offered = &self.inner.greeting.capabilities;
        if let Some(missing) = capabilities.iter().find(|c| !offered.contains(c)) {
            return Err(Error::CapabilityNotOffered {
                capability: missing.clone(),
                offered: offered.clone(),
            });
        }
        let enable = (!capabilities.is_empty()).then(|| capabilities.to_vec());
        self.execute(commands::QmpCapabilities { enable }).await?;
        Ok(Client {
            inner: self.inner,
            timeout: self.timeout,
            _state: PhantomData,
        })
    }
}

impl<M: Mode, O: OobState> Client<M, O> {
    /// The server's greeting: its version and the capabilities it offered.
    pub fn greeting(&self) -> &ServerGreeting {
        &self.inner.greeting
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

    /// Runs `command` and decodes its answer; bounded on the command being
    /// allowed in this client's mode. Uses the handle's default timeout.
    pub async fn execute<C: Command + AllowedIn<M>>(
        &self,
        command: C,
    ) -> Result<C::Returns, Error> {
        self.execute_with_timeout(command, self.timeout).await
    }

    /// [`Client::execute`] with this call's own timeout (`None`: none).
    pub async fn execute_with_timeout<C: Command + AllowedIn<M>>(
        &self,
        command: C,
        timeout: Option<Duration>,
    ) -> Result<C::Returns, Error> {
        self.typed(&command, false, timeout).await
    }

    /// Runs a command by name with `arguments` (an object, or `null` for
    /// none) and returns its raw answer: the escape hatch for commands
    /// outside the schema. The mode is not checked: the server answers a
    /// command run in the wrong mode with its `CommandNotFound` error.
    pub async fn execute_raw(&self, name: &str, arguments: Value) -> Result<Value, Error> {
        self.execute_raw_with_timeout(name, arguments, self.timeout)
            .await
    }

    /// [`Client::execute_raw`] with this call's own timeout.
    pub async fn execute_raw_with_timeout(
        &self,
        name: &str,
        arguments: Value,
        timeout: Option<Duration>,
    ) -> Result<Value, Error> {
        let raw = self.call(name, false, &arguments, timeout).await?;
        decode(&raw)
    }

    async fn typed<C: Command>(
        &self,
        command: &C,
        oob: bool,
        timeout: Option<Duration>,
    ) -> Result<C::Returns, Error> {
        if !C::SUCCESS_RESPONSE {
            // The server says nothing on success: send and return.
            let id = self.inner.shared.unanswered_id();
            let bytes = encode(C::NAME, oob, command, id)?;
            self.send(id, C::NAME, &bytes)?;
            return decode("{}");
        }
        let raw = self.call(C::NAME, oob, command, timeout).await?;
        decode(&raw)
    }

    fn send(&self, id: u64, name: &str, bytes: &[u8]) -> Result<(), Error> {
        debug!(id, command = name, "execute");
        self.inner.outbox.send(bytes)
    }

    /// Sends a request and waits for its answer. Cancel safe: the request
    /// is accepted whole before the first await, and dropping the future keeps its id taken until
    /// the late answer comes, which is then discarded.
    async fn call<A: Serialize + ?Sized>(
        &self,
        name: &str,
        oob: bool,
        arguments: &A,
        timeout: Option<Duration>,
    ) -> Result<Box<str>, Error> {
        struct Forget<'a> {
            shared: &'a Shared,
            id: u64,
            ticket: u64,
            sent: bool,
        }
        impl Drop for Forget<'_> {
            fn drop(&mut self) {
                self.shared.forget(self.id, self.ticket, self.sent);
            }
        }
        let shared = &*self.inner.shared;
        let registration = shared.register()?;
        let mut forget = Forget {
            shared,
            id: registration.id,
            ticket: registration.ticket,
            sent: false,
        };
        let id = registration.id;
        let bytes = encode(name, oob, arguments, id)?;
        self.send(id, name, &bytes)?;
        forget.sent = true;
        let answer = registration.answer;
        let answer = match timeout {
            None => answer.await,
            Some(limit) => match tokio::time::timeout(limit, answer).await {
                Ok(answer) => answer,
                Err(_) => {
                    debug!(id, command = name, ?limit, "timed out");
                    return Err(Error::Timeout(limit));
                }
            },
        };
        answer.unwrap_or(Err(Error::Disconnected))
    }
}

impl<O: OobState> Client<Operational, O> {
    /// A stream of every event the server sends from now on, decoded as
    /// `E` (usually [`qmp_types::events::AnyEvent`]).
    pub fn events<E: EventSet>(&self) -> Subscription<E> {
        Subscription::new(self.inner.shared.subscribe(None))
    }

    /// A stream of the events named `names` (wire names, such as
    /// `qmp_types::events::Stop::NAME`) the server sends from now on.
    pub fn events_named<E: EventSet, S: Into<String>>(
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
    /// Only for commands that allow it: a command whose
    /// [`Command::ALLOW_OOB`] is `false` fails to build (the check is a
    /// constant evaluated when the call is compiled to code, so `cargo
    /// check` alone may not report it).
    pub fn execute_oob<'a, C: Command + AllowedIn<Operational> + 'a>(
        &'a self,
        command: C,
    ) -> impl Future<Output = Result<C::Returns, Error>> + 'a {
        // In a plain function, not the async body, so that the check runs
        // wherever the call is compiled.
        const {
            assert!(
                C::ALLOW_OOB,
                "this command does not allow out-of-band execution: use `execute`"
            )
        };
        let timeout = self.timeout;
        async move { self.typed(&command, true, timeout).await }
    }
}

/// An answer's `return` value (JSON text) decoded as `T`; the text is
/// checked here, not by the reader.
fn decode<T: DeserializeOwned>(json: &str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|e| Error::malformed(e, json.as_bytes()))
}

/// The request line `{"execute":NAME,"arguments":ARGS,"id":ID}` (or
/// `exec-oob`), with `arguments` left out when empty: QEMU reads its
/// monitor a byte at a time, so every byte saved is a turn of its main
/// loop saved.
fn encode<A: Serialize + ?Sized>(
    name: &str,
    oob: bool,
    arguments: &A,
    id: u64,
) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::with_capacity(64 + name.len());
    bytes.extend_from_slice(if oob {
        b"{\"exec-oob\":"
    } else {
        b"{\"execute\":"
    });
    serde_json::to_writer(&mut bytes, name).map_err(Error::Encode)?;
    let before = bytes.len();
    bytes.extend_from_slice(b",\"arguments\":");
    let start = bytes.len();
    serde_json::to_writer(&mut bytes, arguments).map_err(Error::Encode)?;
    if matches!(&bytes[start..], b"{}" | b"null") {
        bytes.truncate(before);
    }
    bytes.extend_from_slice(b",\"id\":");
    let mut digits = [0u8; 20];
    bytes.extend_from_slice(format_id(id, &mut digits));
    bytes.extend_from_slice(b"}\n");
    Ok(bytes)
}

/// `id` in decimal, written into `buffer`.
fn format_id(mut id: u64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (id % 10) as u8;
        id /= 10;
        if id == 0 {
            return &buffer[start..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_short() {
        let line = encode("query-version", false, &commands::QueryVersion {}, 0).unwrap();
        assert_eq!(line, b"{\"execute\":\"query-version\",\"id\":0}\n");
        let line = encode("x", true, &serde_json::json!({"a": 1}), 12345).unwrap();
        assert_eq!(
            line,
            b"{\"exec-oob\":\"x\",\"arguments\":{\"a\":1},\"id\":12345}\n"
        );
        let line = encode("x", false, &Value::Null, u64::MAX).unwrap();
        assert_eq!(
            line,
            format!("{{\"execute\":\"x\",\"id\":{}}}\n", u64::MAX).as_bytes()
        );
    }
}
