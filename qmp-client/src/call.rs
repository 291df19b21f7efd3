//! The futures of a command call: [`Execute`] (a command run by a client
//! it borrows) and [`Negotiate`] (the negotiation command, run by the
//! handshake client it consumes), both driven by one [`CallState`].
//!
//! They are named types, not `async fn`s, for two reasons. A mode mistake
//! is then one compiler error, at the argument: the bound sits on the
//! method that makes the future, and the future itself needs nothing but
//! [`Command`] (an `async fn` repeats the unmet bound at the call and at
//! its `.await`). And a call costs no allocation: the state is a small
//! enum, with a timer boxed only when the call has a timeout.
//!
//! Like any future, a call does nothing until it is polled: the request is
//! written on the first poll, whole, before the future can be dropped, and
//! dropping it later keeps its id taken until the late answer comes
//! ([`crate::conn`]).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use qmp_types::mode::{Handshake, Operational};
use qmp_types::wire::Request;
use qmp_types::Command;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;
use tokio::time::Sleep;
use tracing::debug;

use crate::client::{Client, InBand, Inner, OobState};
use crate::conn::{Answer, Shared};
use crate::Error;

/// What a call sends: a typed [`Command`], or a command by name
/// ([`Client::execute_raw`]). Public only because [`Execute`] names it;
/// it cannot be named or implemented outside this crate.
pub trait Outgoing {
    /// What the answer's `return` decodes into.
    type Returns: DeserializeOwned;
    /// Whether the server answers on success.
    const SUCCESS_RESPONSE: bool;
    /// The command's name on the wire.
    fn name(&self) -> &str;
    /// The request line, with `id`.
    fn line(&self, id: u64, oob: bool) -> Result<Vec<u8>, Error>;
}

impl<C: Command> Outgoing for C {
    type Returns = C::Returns;
    const SUCCESS_RESPONSE: bool = C::SUCCESS_RESPONSE;

    fn name(&self) -> &str {
        C::NAME
    }

    fn line(&self, id: u64, oob: bool) -> Result<Vec<u8>, Error> {
        request_line(C::NAME, self, oob, id)
    }
}

/// Where a call is.
enum CallState<C> {
    /// Not polled yet: the command is still to be sent.
    Unsent(C),
    /// Sent; waiting for the answer to `id`.
    Waiting {
        id: u64,
        ticket: u64,
        answer: oneshot::Receiver<Answer>,
        deadline: Option<(Duration, Pin<Box<Sleep>>)>,
    },
    /// The result was handed out.
    Done,
}

impl<C: Outgoing> CallState<C> {
    /// Sends the command on the first poll, then waits for its answer.
    fn poll(
        &mut self,
        inner: &Inner,
        extras: &mut Extras,
        cx: &mut Context<'_>,
    ) -> Poll<Result<C::Returns, Error>> {
        loop {
            match self {
                CallState::Unsent(_) => {
                    let CallState::Unsent(command) = std::mem::replace(self, CallState::Done)
                    else {
                        unreachable!()
                    };
                    match send(inner, &command, extras) {
                        Ok(Some(waiting)) => *self = waiting,
                        // A command the server does not answer on success.
                        Ok(None) => return Poll::Ready(decode("{}")),
                        Err(error) => return Poll::Ready(Err(error)),
                    }
                }
                CallState::Waiting {
                    id,
                    ticket,
                    answer,
                    deadline,
                } => {
                    if let Poll::Ready(answer) = Pin::new(answer).poll(cx) {
                        *self = CallState::Done;
                        let raw = answer.unwrap_or(Err(Error::Disconnected))?;
                        return Poll::Ready(decode(&raw));
                    }
                    if let Some((limit, sleep)) = deadline {
                        if sleep.as_mut().poll(cx).is_ready() {
                            let limit = *limit;
                            debug!(id = *id, ?limit, "timed out");
                            inner.shared.forget(*id, *ticket, true);
                            *self = CallState::Done;
                            return Poll::Ready(Err(Error::Timeout(limit)));
                        }
                    }
                    return Poll::Pending;
                }
                CallState::Done => panic!("a QMP call was polled after it completed"),
            }
        }
    }
}

impl<C> CallState<C> {
    /// The call is dropped: if it still waits, its id stays taken until
    /// the late answer comes.
    fn cancel(&mut self, shared: &Shared) {
        if let CallState::Waiting { id, ticket, .. } = self {
            shared.forget(*id, *ticket, true);
        }
    }
}

/// How a call is sent, besides its command.
#[derive(Default)]
pub(crate) struct Extras {
    /// `exec-oob` rather than `execute`.
    pub(crate) oob: bool,
    pub(crate) timeout: Option<Duration>,
    /// File descriptors to pass with the request, taken when it is sent.
    pub(crate) fds: Vec<OwnedFd>,
    /// Why the descriptors could not be had: the call fails with it,
    /// sending nothing.
    pub(crate) fd_error: Option<std::io::Error>,
}

/// Registers and writes the request; the state that waits for its answer,
/// or `None` for a command the server answers only on failure.
fn send<C: Outgoing>(
    inner: &Inner,
    command: &C,
    extras: &mut Extras,
) -> Result<Option<CallState<C>>, Error> {
    if let Some(error) = extras.fd_error.take() {
        return Err(Error::Io(error));
    }
    let shared = &*inner.shared;
    let (oob, timeout) = (extras.oob, extras.timeout);
    let fds = std::mem::take(&mut extras.fds);
    if !C::SUCCESS_RESPONSE {
        // An error answer to it comes with this id, which no call waits
        // for: the reader discards it.
        let id = shared.unanswered_id();
        let line = command.line(id, oob)?;
        debug!(
            id,
            command = command.name(),
            "execute (no answer on success)"
        );
        inner.outbox.send(&line, None, fds)?;
        return Ok(None);
    }
    let registration = shared.register()?;
    let id = registration.id;
    let sent = command.line(id, oob).and_then(|line| {
        debug!(id, command = command.name(), "execute");
        inner.outbox.send(&line, (!oob).then_some(id), fds)
    });
    if let Err(error) = sent {
        shared.forget(id, registration.ticket, false);
        return Err(error);
    }
    Ok(Some(CallState::Waiting {
        id,
        ticket: registration.ticket,
        answer: registration.answer,
        deadline: timeout.map(|limit| (limit, Box::pin(tokio::time::sleep(limit)))),
    }))
}

/// The request line for `arguments`, checked against QEMU's parser limits.
pub(crate) fn request_line<A: serde::Serialize + ?Sized>(
    name: &str,
    arguments: &A,
    oob: bool,
    id: u64,
) -> Result<Vec<u8>, Error> {
    let request = Request::raw(name, arguments).with_id(id);
    let request = if oob { request.out_of_band() } else { request };
    request.to_line().map_err(Error::from)
}

/// An answer's `return` value (JSON text) decoded as `T`; the text is
/// checked here, not by the reader.
pub(crate) fn decode<T: DeserializeOwned>(json: &str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|e| Error::malformed(e, json.as_bytes()))
}

/// The future of [`Client::execute`] and its kin: resolves to the
/// command's decoded answer.
///
/// Its timeout is the client's default unless set with
/// [`Execute::timeout`].
#[must_use = "a call does nothing unless it is awaited"]
// No bound on the struct: a command the method's bound refuses is then
// one error at the argument, not one more at every use of the future.
pub struct Execute<'a, C> {
    inner: &'a Inner,
    extras: Extras,
    state: CallState<C>,
}

impl<'a, C: Outgoing> Execute<'a, C> {
    pub(crate) fn new(inner: &'a Inner, command: C, oob: bool, timeout: Option<Duration>) -> Self {
        Execute {
            inner,
            extras: Extras {
                oob,
                timeout,
                ..Extras::default()
            },
            state: CallState::Unsent(command),
        }
    }

    /// Passes `fds` with the request (a copy of each, made now and closed
    /// once sent).
    pub(crate) fn with_fds(mut self, fds: &[BorrowedFd<'_>]) -> Self {
        match fds.iter().map(|fd| fd.try_clone_to_owned()).collect() {
            Ok(fds) => self.extras.fds = fds,
            Err(error) => self.extras.fd_error = Some(error),
        }
        self
    }

    /// This call's own timeout (`None`: wait as long as it takes).
    ///
    /// ```no_run
    /// # async fn run(client: qmp_client::Client) -> Result<(), qmp_client::Error> {
    /// use std::time::Duration;
    /// use qmp_client::commands::QueryStatus;
    ///
    /// let status = client
    ///     .execute(QueryStatus::new())
    ///     .timeout(Some(Duration::from_secs(5)))
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.extras.timeout = timeout;
        self
    }
}

// The command is never pinned: it is moved out on the first poll.
impl<C> Unpin for Execute<'_, C> {}

impl<C: Outgoing> Future for Execute<'_, C> {
    type Output = Result<C::Returns, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.state.poll(this.inner, &mut this.extras, cx)
    }
}

impl<C> Drop for Execute<'_, C> {
    fn drop(&mut self) {
        self.state.cancel(&self.inner.shared);
    }
}

impl<C> fmt::Debug for Execute<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Execute")
            .field("timeout", &self.extras.timeout)
            .field("oob", &self.extras.oob)
            .field("fds", &self.extras.fds.len())
            .finish_non_exhaustive()
    }
}

/// The future of [`Client::negotiate_with`]: runs the negotiation command,
/// and gives the operational client, or the handshake client back with
/// the error.
#[must_use = "negotiation does nothing unless it is awaited"]
pub struct Negotiate<C: Command, O: OobState = InBand> {
    client: Option<Client<Handshake>>,
    state: CallState<C>,
    _oob: PhantomData<fn() -> O>,
}

impl<C: Command, O: OobState> Negotiate<C, O> {
    pub(crate) fn new(client: Client<Handshake>, command: C) -> Self {
        Negotiate {
            client: Some(client),
            state: CallState::Unsent(command),
            _oob: PhantomData,
        }
    }
}

impl<C: Command, O: OobState> Unpin for Negotiate<C, O> {}

impl<C: Command, O: OobState> Future for Negotiate<C, O> {
    type Output = Result<Client<Operational, O>, NegotiateError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let client = this
            .client
            .as_ref()
            .expect("negotiation was polled after it completed");
        let mut extras = Extras {
            timeout: client.timeout(),
            ..Extras::default()
        };
        let result = std::task::ready!(this.state.poll(client.inner(), &mut extras, cx));
        let client = this.client.take().expect("checked above");
        Poll::Ready(match result {
            Ok(_) => Ok(client.into_mode()),
            Err(error) => Err(NegotiateError { client, error }),
        })
    }
}

impl<C: Command, O: OobState> Drop for Negotiate<C, O> {
    fn drop(&mut self) {
        if let Some(client) = &self.client {
            self.state.cancel(&client.inner().shared);
        }
    }
}

impl<C: Command, O: OobState> fmt::Debug for Negotiate<C, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Negotiate")
            .field("command", &C::NAME)
            .finish_non_exhaustive()
    }
}

/// A failed negotiation: the error, and the handshake client, still
/// connected, to try again or to close.
///
/// It converts into [`Error`] (dropping the client), so `?` works in code
/// that returns the client's error type.
#[derive(Debug)]
pub struct NegotiateError<Cl = Client<Handshake>> {
    pub(crate) client: Cl,
    pub(crate) error: Error,
}

impl<Cl> NegotiateError<Cl> {
    /// What went wrong.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The handshake client, to try again.
    pub fn into_client(self) -> Cl {
        self.client
    }

    /// The handshake client and the error.
    pub fn into_parts(self) -> (Cl, Error) {
        (self.client, self.error)
    }

    pub(crate) fn map_client<T>(self, f: impl FnOnce(Cl) -> T) -> NegotiateError<T> {
        NegotiateError {
            client: f(self.client),
            error: self.error,
        }
    }
}

impl<Cl> fmt::Display for NegotiateError<Cl> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "negotiation failed: {}", self.error)
    }
}

impl<Cl: fmt::Debug> std::error::Error for NegotiateError<Cl> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<Cl> From<NegotiateError<Cl>> for Error {
    fn from(error: NegotiateError<Cl>) -> Error {
        error.error
    }
}
