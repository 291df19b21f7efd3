//! [`Agent`]: a client of QEMU's guest agent (`qemu-ga`), on the same
//! connection machinery as the QMP [`Client`](crate::Client).
//!
//! The agent reads the same JSON commands as a QMP server but is another
//! protocol: it sends no greeting, has no modes and no events, and after a
//! reconnect its channel may still hold a previous client's answers. So an
//! agent connection opens with the resynchronization the agent defines:
//! the client sends a `0xFF` byte (which makes the agent drop any half
//! request a previous client left) and `guest-sync-delimited` with a
//! random number; the agent answers with a `0xFF` byte, then that number.
//! Everything before it is stale and skipped. From then on, answers are
//! matched to calls by id, as on a QMP connection, so a late answer after
//! a timeout cannot be taken for another's.
//!
//! [`Agent::execute`] takes only [`AgentCommand`]s, the bindings of
//! [`qmp_types::agent`]; the QMP client takes none of them, so a command
//! sent to the wrong peer does not compile. A command the agent answers
//! only when it fails (`guest-shutdown`, `guest-suspend-*`) returns as soon
//! as it is sent.
//!
//! Beyond single commands: [`Agent::exec`] runs a program and waits for
//! its output (`guest-exec`, then `guest-exec-status` until it ends,
//! base64 decoded), [`Agent::read_file`] and [`Agent::write_file`] move a
//! file's contents in chunks (`guest-file-*`).
//!
//! ```no_run
//! use qmp_client::agent::Agent;
//! use qmp_client::qmp_types::agent::commands::GuestGetOsinfo;
//!
//! # async fn run() -> Result<(), qmp_client::Error> {
//! let agent = Agent::connect_unix("/tmp/qga.sock").await?;
//! let os = agent.execute(GuestGetOsinfo::new()).await?;
//! println!("{}", os.pretty_name.unwrap_or_default());
//! let run = agent.exec("uname", &["-r"]).await?;
//! println!("kernel {}", String::from_utf8_lossy(&run.stdout).trim());
//! # Ok(())
//! # }
//! ```

pub(crate) mod blocking;
mod exec;
mod file;

use std::fmt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use qmp_types::agent::commands::GuestSyncDelimited;
use qmp_types::agent::AgentCommand;
use qmp_types::wire::Request;
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, BufReader};
use tracing::debug;

use crate::call::{self, Outgoing};
use crate::client::{Inner, READ_BUFFER};
use crate::conn::{self, Peer, Shared};
use crate::outbox::Outbox;
use crate::transport::{Plain, Transport};
use crate::{Error, DEFAULT_EVENT_QUEUE_LIMIT, DEFAULT_MAX_MESSAGE_SIZE};

pub use exec::ExecOutput;

/// How long [`Connector`] waits, by default, for the agent to answer the
/// opening `guest-sync-delimited`. An agent channel accepts connections
/// even when no agent runs in the guest: without a limit, connecting
/// would wait forever.
pub const DEFAULT_SYNC_TIMEOUT: Duration = Duration::from_secs(10);

/// The settings of an agent connection, and the ways to open one.
///
/// ```no_run
/// # async fn run() -> Result<(), qmp_client::Error> {
/// use std::time::Duration;
/// use qmp_client::agent::Connector;
///
/// let agent = Connector::new()
///     .sync_timeout(Duration::from_secs(2))
///     .unix("/tmp/qga.sock")
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Connector {
    max_message_size: usize,
    sync_timeout: Duration,
}

impl Default for Connector {
    fn default() -> Self {
        Connector {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            sync_timeout: DEFAULT_SYNC_TIMEOUT,
        }
    }
}

impl Connector {
    /// The defaults: messages up to [`DEFAULT_MAX_MESSAGE_SIZE`], the sync
    /// answered within [`DEFAULT_SYNC_TIMEOUT`].
    pub fn new() -> Self {
        Connector::default()
    }

    /// The largest message accepted from the agent, in bytes; a larger
    /// one is skipped without being held, and its call fails with
    /// [`Error::TooLarge`].
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// How long to wait for the agent's answer to the opening
    /// `guest-sync-delimited` before failing with [`Error::NotSynced`].
    pub fn sync_timeout(mut self, timeout: Duration) -> Self {
        self.sync_timeout = timeout;
        self
    }

    /// Connects to an agent on the Unix socket at `path` (the host end of
    /// its virtio-serial channel, or `qemu-ga -m unix-listen`), and
    /// synchronizes.
    ///
    /// An agent serves one client at a time, and its socket's backlog is
    /// short: while it is full, connecting is retried until the sync
    /// timeout, then fails with [`Error::NotSynced`].
    pub async fn unix(&self, path: impl AsRef<Path>) -> Result<Agent, Error> {
        let path = path.as_ref();
        let deadline = tokio::time::Instant::now() + self.sync_timeout;
        let mut pause = Duration::from_millis(1);
        let stream = loop {
            match tokio::net::UnixStream::connect(path).await {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if tokio::time::Instant::now() + pause > deadline {
                        return Err(Error::NotSynced(self.sync_timeout));
                    }
                    debug!(path = %path.display(), "the agent's backlog is full, retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                connected => break connected?,
            }
        };
        let (read, write) = stream.into_split();
        self.start(read, Box::pin(write)).await
    }

    /// Speaks to an agent over any byte stream (a serial port, a pipe),
    /// and synchronizes.
    pub async fn io<R, W>(&self, read: R, write: W) -> Result<Agent, Error>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        self.start(read, Box::pin(Plain(write))).await
    }

    async fn start<R>(&self, read: R, write: Pin<Box<dyn Transport>>) -> Result<Agent, Error>
    where
        R: AsyncRead + Unpin + Send + 'static,
    {
        let limit = self.max_message_size;
        let mut reader = BufReader::with_capacity(READ_BUFFER, read);
        // The agent sends no events: its subscribers are never made, and
        // the limit is only there to be one.
        let shared = Arc::new(Shared::new(DEFAULT_EVENT_QUEUE_LIMIT));
        let outbox = Outbox::start(write, shared.clone());
        let synced =
            tokio::time::timeout(self.sync_timeout, synchronize(&mut reader, &outbox, limit))
                .await
                .unwrap_or(Err(Error::NotSynced(self.sync_timeout)));
        if let Err(error) = synced {
            outbox.finish();
            return Err(error);
        }
        let inner = Inner::start(reader, outbox, shared, limit, Peer::Agent);
        Ok(Agent {
            inner: Arc::new(inner),
            timeout: None,
        })
    }
}

/// Sends the sentinel and `guest-sync-delimited`, then skips what the
/// agent sends until the sentinel and the answer with our number.
async fn synchronize<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    outbox: &Outbox,
    limit: usize,
) -> Result<(), Error> {
    let token = sync_token();
    let mut bytes = vec![conn::SENTINEL];
    let command = GuestSyncDelimited::new(token);
    bytes.extend(Request::raw(GuestSyncDelimited::NAME, &command).to_line()?);
    outbox.send(&bytes, None, Vec::new())?;
    debug!(token, "guest-sync-delimited sent");
    let mut line = Vec::new();
    loop {
        line.clear();
        match conn::read_line(reader, &mut line, limit).await? {
            conn::Line::Whole => {}
            conn::Line::End => return Err(Error::Disconnected),
            conn::Line::TooLong { .. } => continue,
        }
        if memchr::memchr(conn::SENTINEL, &line).is_none() {
            debug!(line = %String::from_utf8_lossy(&line), "stale, before the sync");
            continue;
        }
        let answer = conn::trim(conn::after_sentinel(&line));
        let returned = serde_json::from_slice::<Value>(answer)
            .ok()
            .and_then(|answer| answer.get("return").and_then(Value::as_i64));
        if returned == Some(token) {
            debug!(token, "synchronized with the guest agent");
            return Ok(());
        }
        debug!(line = %String::from_utf8_lossy(answer), "another sync's answer, skipped");
    }
}

/// A number for `guest-sync-delimited` that a previous client is unlikely
/// to have used: random (std's hasher keys are), positive, and exact as a
/// JSON number in any parser (below 2^53).
fn sync_token() -> i64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(std::process::id().into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    i64::try_from(hasher.finish() >> 11).unwrap_or(1).max(1)
}

/// A connection to QEMU's guest agent, synchronized.
///
/// Cheap to clone; clones share the connection and may run commands
/// concurrently (the agent runs them one after another). Dropping the
/// last handle closes the connection.
#[derive(Clone)]
pub struct Agent {
    inner: Arc<Inner>,
    timeout: Option<Duration>,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("timeout", &self.timeout)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// The future of [`Agent::execute`]: resolves to the command's decoded
/// answer. Its timeout is the agent handle's unless set with
/// [`Execute::timeout`](crate::Execute::timeout).
pub type Execute<'a, C> = crate::Execute<'a, Call<C>>;

/// A guest agent command on its way: what [`Agent::execute`] sends. It
/// cannot be made outside this crate.
pub struct Call<C>(C);

impl<C: AgentCommand> Outgoing for Call<C> {
    type Returns = C::Returns;
    const SUCCESS_RESPONSE: bool = C::SUCCESS_RESPONSE;

    fn name(&self) -> &str {
        C::NAME
    }

    fn line(&self, id: u64, _oob: bool) -> Result<Vec<u8>, Error> {
        call::request_line(C::NAME, &self.0, false, id)
    }
}

impl Agent {
    /// Connects to an agent on the Unix socket at `path` and synchronizes,
    /// with the default [`Connector`].
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Agent, Error> {
        Connector::new().unix(path).await
    }

    /// Runs `command` and decodes its answer. A command the agent answers
    /// only on failure resolves once sent, with `{}` decoded.
    ///
    /// ```no_run
    /// # async fn run(agent: qmp_client::agent::Agent) -> Result<(), qmp_client::Error> {
    /// use qmp_client::qmp_types::agent::commands::GuestGetHostName;
    ///
    /// let name = agent.execute(GuestGetHostName::new()).await?;
    /// println!("{}", name.host_name);
    /// # Ok(())
    /// # }
    /// ```
    pub fn execute<C: AgentCommand>(&self, command: C) -> Execute<'_, C> {
        crate::Execute::new(&self.inner, Call(command), false, self.timeout)
    }

    /// Runs a command by name with `arguments` (an object, or `null` for
    /// none) and returns its raw answer: for commands outside the
    /// bindings, such as another operating system's.
    pub async fn execute_raw(&self, name: &str, arguments: Value) -> Result<Value, Error> {
        crate::Execute::new(
            &self.inner,
            crate::client::RawCommand::new(name, arguments),
            false,
            self.timeout,
        )
        .await
    }

    /// Checks that the agent still answers, in step: `guest-sync-delimited`
    /// with a fresh number, which must come back. Answers are matched by
    /// id, so a timed-out call never needs this to stay in step.
    pub async fn sync(&self) -> Result<(), Error> {
        let token = sync_token();
        let returned = self.execute(GuestSyncDelimited::new(token)).await?;
        if returned == token {
            Ok(())
        } else {
            Err(Error::malformed(
                format!("guest-sync-delimited returned {returned}, not {token}"),
                &[],
            ))
        }
    }

    /// The default timeout of this handle's calls (`None`: wait as long as
    /// it takes, the default).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Sets the default timeout of this handle's calls.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// This handle with a default timeout for its calls.
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether the connection has closed; every call on a closed agent
    /// fails with [`Error::Disconnected`].
    pub fn is_closed(&self) -> bool {
        self.inner.shared.is_closed()
    }
}

/// Bytes the agent sent in base64 (none when absent).
fn decode(data: Option<&str>) -> Result<Vec<u8>, Error> {
    use base64::Engine;
    let Some(data) = data else {
        return Ok(Vec::new());
    };
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| Error::malformed(format!("not base64: {e}"), data.as_bytes()))
}

/// Bytes for the agent, in base64.
fn encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
