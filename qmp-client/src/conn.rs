//! The connection's core: one reader task that routes answers by id and
//! events to subscribers, and the state it shares with the handles and the
//! outgoing side ([`crate::outbox`]).
//!
//! Invariants:
//! - a request's id is registered in `pending` before its bytes are queued,
//!   so an answer can never arrive for an id nobody waits on, except one
//!   whose caller gave up (timeout, dropped future), which is discarded;
//! - an id is reused only once its answer came (a call that gave up after
//!   sending keeps its id taken until then), so ids stay small and short on
//!   the wire without a late answer ever reaching the wrong call;
//! - requests are accepted whole by the outbox, so dropping a call never
//!   leaves half a line on the wire (see [`crate::outbox`]);
//! - once the reader stops, `closed` is set and every pending call gets
//!   [`Error::Disconnected`]; later calls fail at once.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use qmp_types::wire::{self, ErrorBody};
use qmp_types::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::sync::oneshot;
use tracing::{debug, trace, warn};

use crate::subscription::{self, Queue, Subscriber};
use crate::Error;

/// What a waiting call receives: the `return` value's JSON text (checked
/// when the call decodes it), or an error.
pub(crate) type Answer = Result<Box<str>, Error>;

/// An event as received, shared by every subscriber that wants it.
#[derive(Debug)]
pub(crate) struct EventRecord {
    pub(crate) name: String,
    pub(crate) data: Value,
    pub(crate) timestamp: Timestamp,
    /// Its size on the wire, in bytes.
    pub(crate) size: usize,
}

/// What subscribers are sent: events, and the messages that could be
/// routed nowhere else, so that nothing is silently dropped.
#[derive(Debug)]
pub(crate) enum Notice {
    Event(EventRecord),
    /// A line that is not a QMP message, or an answer with an id this
    /// client never sent.
    Malformed {
        reason: String,
        bytes: Vec<u8>,
    },
    /// An error answer without an id (QEMU's reply to input it could not
    /// parse as a request) while no in-band call waited.
    UnmatchedError(ErrorBody),
    /// A message over the size limit that no call could take.
    TooLarge {
        limit: usize,
    },
}

/// What a queued notice counts against a subscription's limit besides its
/// text: its allocation and record.
const NOTICE_OVERHEAD: usize = 128;

impl Notice {
    /// What the notice counts against a subscription's limit: the size of
    /// what it holds, about as the server sent it.
    fn weight(&self) -> usize {
        NOTICE_OVERHEAD
            + match self {
                Notice::Event(event) => event.size,
                Notice::Malformed { reason, bytes } => reason.len() + bytes.len(),
                Notice::UnmatchedError(body) => body.desc.len(),
                Notice::TooLarge { .. } => 0,
            }
    }

    pub(crate) fn to_error(&self) -> Option<Error> {
        match self {
            Notice::Event(_) => None,
            Notice::Malformed { reason, bytes } => Some(Error::malformed(reason, bytes)),
            Notice::UnmatchedError(body) => Some(Error::Server {
                class: body.class.clone(),
                desc: body.desc.clone(),
            }),
            Notice::TooLarge { limit } => Some(Error::TooLarge { limit: *limit }),
        }
    }
}

/// A call's place in `pending`.
enum Slot {
    /// A call waits for the answer; `ticket` tells its registration apart
    /// from a later one that reuses the id.
    Waiting {
        ticket: u64,
        tx: oneshot::Sender<Answer>,
    },
    /// The call gave up after its request was sent: the id stays taken
    /// until the late answer comes, and that answer is discarded.
    Abandoned,
}

#[derive(Default)]
struct State {
    pending: HashMap<u64, Slot>,
    /// Ids free for reuse: the smallest ones come back first, so that
    /// requests stay short (QEMU reads its monitor a byte at a time, so
    /// every byte of a request costs a turn of its main loop).
    free: Vec<u64>,
    /// The next id never used.
    fresh: u64,
    /// The next registration's ticket.
    tickets: u64,
    subscribers: Vec<Subscriber>,
    /// Ids of in-band requests in the order they were written, until
    /// answered: QEMU answers in-band requests in order, so an answer
    /// that cannot name its request (an error without an id) is the
    /// first one's.
    in_band: VecDeque<u64>,
    closed: bool,
}

impl State {
    fn release(&mut self, id: u64) {
        self.free.push(id);
        if let Some(at) = self.in_band.iter().position(|i| *i == id) {
            self.in_band.remove(at);
        }
    }
}

/// A registered call: its id, and where its answer comes.
pub(crate) struct Registration {
    pub(crate) id: u64,
    pub(crate) ticket: u64,
    pub(crate) answer: oneshot::Receiver<Answer>,
}

/// The first id of commands that get no answer on success: a range of
/// their own, never reused.
const UNANSWERED_IDS: u64 = 1 << 32;

/// The state the handles, the reader and the writer share.
pub(crate) struct Shared {
    unanswered: AtomicU64,
    state: Mutex<State>,
    /// How many bytes each subscription's queue holds at most.
    event_queue_limit: usize,
}

impl Shared {
    /// The state of a new connection whose subscriptions hold at most
    /// `event_queue_limit` bytes each.
    pub(crate) fn new(event_queue_limit: usize) -> Self {
        Shared {
            unanswered: AtomicU64::new(UNANSWERED_IDS),
            state: Mutex::default(),
            event_queue_limit,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the maps consistent: every
        // operation on them is a single insert, remove or drain.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An id for a command the server does not answer on success (an
    /// error answer to it is discarded).
    pub(crate) fn unanswered_id(&self) -> u64 {
        self.unanswered.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh id, waiting for its answer from now on; `Disconnected` if
    /// the connection is already closed. Ids are reused once answered, so
    /// they stay small.
    pub(crate) fn register(&self) -> Result<Registration, Error> {
        let (tx, answer) = oneshot::channel();
        let mut state = self.lock();
        if state.closed {
            return Err(Error::Disconnected);
        }
        let id = match state.free.pop() {
            Some(id) => id,
            None => {
                state.fresh += 1;
                state.fresh - 1
            }
        };
        let ticket = state.tickets;
        state.tickets += 1;
        state.pending.insert(id, Slot::Waiting { ticket, tx });
        Ok(Registration { id, ticket, answer })
    }

    /// Stops waiting for registration `ticket` of `id` (the call was
    /// dropped, timed out or failed), unless its answer already came.
    /// When its request was `sent`, the id stays taken until the late
    /// answer comes; otherwise it is free at once.
    pub(crate) fn forget(&self, id: u64, ticket: u64, sent: bool) {
        let mut state = self.lock();
        let Some(Slot::Waiting { ticket: mine, .. }) = state.pending.get(&id) else {
            return;
        };
        if *mine != ticket {
            return;
        }
        if sent {
            state.pending.insert(id, Slot::Abandoned);
        } else {
            state.pending.remove(&id);
            state.release(id);
        }
    }

    /// Request `id`, in band, was just accepted for writing (called in
    /// the order requests reach the wire).
    pub(crate) fn sent_in_band(&self, id: u64) {
        let mut state = self.lock();
        if state.pending.contains_key(&id) {
            state.in_band.push_back(id);
        }
    }

    /// The in-band request an answer without an id belongs to: the oldest
    /// unanswered one.
    fn oldest_in_band(&self) -> Option<u64> {
        self.lock().in_band.front().copied()
    }

    /// A new subscriber for events (all of them, or those named).
    pub(crate) fn subscribe(&self, filter: Option<Box<[String]>>) -> Queue {
        let (subscriber, queue) = subscription::channel(filter, self.event_queue_limit);
        let mut state = self.lock();
        // After close the sender is dropped at once: the stream is empty.
        if !state.closed {
            state.subscribers.push(subscriber);
        }
        queue
    }

    /// Fails every pending call with `Disconnected` and ends every event
    /// stream; later calls fail at once.
    pub(crate) fn close(&self) {
        let (pending, subscribers) = {
            let mut state = self.lock();
            state.closed = true;
            (
                std::mem::take(&mut state.pending),
                std::mem::take(&mut state.subscribers),
            )
        };
        debug!(
            pending = pending.len(),
            "connection closed: failing pending calls"
        );
        for (_, slot) in pending {
            if let Slot::Waiting { tx, .. } = slot {
                let _ = tx.send(Err(Error::Disconnected));
            }
        }
        drop(subscribers);
    }

    fn is_pending(&self, id: u64) -> bool {
        self.lock().pending.contains_key(&id)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    fn answer(&self, id: u64, answer: Answer) {
        let waiter = {
            let mut state = self.lock();
            let slot = state.pending.remove(&id);
            if slot.is_some() {
                state.release(id);
            }
            slot
        };
        match waiter {
            Some(Slot::Waiting { tx, .. }) => {
                if tx.send(answer).is_err() {
                    debug!(id, "answer discarded: the call was dropped");
                }
            }
            Some(Slot::Abandoned) => debug!(id, "answer discarded: the call was cancelled"),
            // Not one of ours (ids of commands answered only on failure
            // are in a range of their own, whose answers are expected to
            // be discarded).
            None if id >= UNANSWERED_IDS => debug!(id, "answer to an unanswered command discarded"),
            None => {
                warn!(id, "an answer with an id this client never sent");
                self.notify(Notice::Malformed {
                    reason: format!("an answer with id {id}, which this client never sent or already had answered"),
                    bytes: Vec::new(),
                });
            }
        }
    }

    fn notify(&self, notice: Notice) {
        let weight = notice.weight();
        let notice = Arc::new(notice);
        let mut state = self.lock();
        // A subscriber whose subscription is gone is removed.
        state
            .subscribers
            .retain_mut(|subscriber| subscriber.offer(&notice, weight));
    }

    fn has_subscribers(&self) -> bool {
        !self.lock().subscribers.is_empty()
    }
}

/// What one read of a line found.
pub(crate) enum Line {
    /// A whole line is in the buffer (without its newline at end of file).
    Whole,
    /// The line was longer than the limit and was skipped to its end: its
    /// first and last bytes are kept to say what it was.
    TooLong { head: Vec<u8>, tail: Vec<u8> },
    /// End of stream, nothing read.
    End,
}

/// How many bytes of an overlong line's end are kept: enough for the
/// `"id": N}` a QEMU answer ends with.
const TAIL: usize = 64;

/// Reads one line into `line`, holding at most `limit` bytes of it.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Line> {
    let mut skipped: Option<(Vec<u8>, Vec<u8>)> = None;
    loop {
        let buffer = reader.fill_buf().await?;
        if buffer.is_empty() {
            return Ok(match skipped {
                Some((head, tail)) => Line::TooLong { head, tail },
                None if line.is_empty() => Line::End,
                None => Line::Whole,
            });
        }
        let (chunk, done) = match memchr::memchr(b'\n', buffer) {
            Some(at) => (&buffer[..=at], true),
            None => (buffer, false),
        };
        let used = chunk.len();
        match &mut skipped {
            None if line.len() + chunk.len() <= limit => line.extend_from_slice(chunk),
            None => {
                let mut head = std::mem::take(line);
                head.extend_from_slice(&chunk[..chunk.len().min(crate::error::MALFORMED_EXCERPT)]);
                head.truncate(crate::error::MALFORMED_EXCERPT);
                let tail = chunk[chunk.len().saturating_sub(TAIL)..].to_vec();
                skipped = Some((head, tail));
            }
            Some((_, tail)) => {
                tail.extend_from_slice(&chunk[chunk.len().saturating_sub(TAIL)..]);
                let excess = tail.len().saturating_sub(TAIL);
                tail.drain(..excess);
            }
        }
        reader.consume(used);
        if done {
            return Ok(match skipped {
                Some((head, tail)) => Line::TooLong { head, tail },
                None => Line::Whole,
            });
        }
    }
}

/// Who is on the other end, for what the reader makes of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peer {
    /// A QMP server.
    Qmp,
    /// QEMU's guest agent, which puts [`SENTINEL`] before its answer to
    /// `guest-sync-delimited`.
    Agent,
}

/// The agent's sentinel byte: whatever came before it on its line is
/// stale and is dropped.
pub(crate) use qmp_types::agent::SENTINEL;

/// What follows the last [`SENTINEL`] in `line`, or all of it.
pub(crate) fn after_sentinel(line: &[u8]) -> &[u8] {
    match memchr::memrchr(SENTINEL, line) {
        Some(at) => &line[at + 1..],
        None => line,
    }
}

/// The reader task: reads lines until end of file or an I/O error, routes
/// each, then closes the connection.
pub(crate) async fn read_loop<R: AsyncBufRead + Unpin>(
    mut reader: R,
    shared: Arc<Shared>,
    limit: usize,
    peer: Peer,
) {
    let mut line = Vec::with_capacity(4096);
    loop {
        line.clear();
        match read_line(&mut reader, &mut line, limit).await {
            Ok(Line::End) => {
                debug!("end of stream from the server");
                break;
            }
            Ok(Line::Whole) if peer == Peer::Agent => route(&shared, after_sentinel(&line)),
            Ok(Line::Whole) => route(&shared, &line),
            Ok(Line::TooLong { head, tail }) => too_long(&shared, limit, &head, &tail),
            Err(error) => {
                warn!(%error, "reading from the server failed");
                break;
            }
        }
        if line.capacity() > KEEP_CAPACITY {
            line = Vec::with_capacity(4096);
        }
    }
    shared.close();
}

/// Above this, the line buffer is given back after a large message rather
/// than kept for the connection's lifetime.
const KEEP_CAPACITY: usize = 1 << 20;

/// A message over the size limit, skipped: its call fails with
/// [`Error::TooLarge`], found by the id at its end, or, failing that, as
/// an answer without an id; an event that large is reported to the
/// subscribers.
fn too_long(shared: &Shared, limit: usize, head: &[u8], tail: &[u8]) {
    warn!(
        limit,
        "message from the server over the size limit, skipped"
    );
    let error = || Error::TooLarge { limit };
    if let Some(id) = trailing_id(tail) {
        if shared.is_pending(id) {
            return shared.answer(id, Err(error()));
        }
    }
    let looks_like_event = memchr::memmem::find(head, b"\"event\"").is_some()
        && memchr::memmem::find(head, b"\"return\"").is_none();
    if !looks_like_event {
        if let Some(id) = shared.oldest_in_band() {
            return shared.answer(id, Err(error()));
        }
    }
    shared.notify(Notice::TooLarge { limit });
}

/// The id a message ends with (`..., "id": 12}`), as QEMU writes answers.
fn trailing_id(tail: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(tail).ok()?.trim_end();
    let text = text.strip_suffix('}')?.trim_end();
    let digits = text.len() - text.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (before, id) = text.split_at(digits);
    let before = before.trim_end().strip_suffix(':')?.trim_end();
    before.strip_suffix("\"id\"")?;
    id.parse().ok()
}

/// The members of a server's message that routing reads.
const MEMBERS: [&str; 6] = ["return", "error", "event", "data", "timestamp", "id"];

fn route(shared: &Shared, line: &[u8]) {
    let text = trim(line);
    if text.is_empty() {
        return;
    }
    trace!(message = %String::from_utf8_lossy(text), "received");
    let message = match std::str::from_utf8(text) {
        Ok(text) => wire::split(text, &MEMBERS),
        Err(error) => Err(error.to_string()),
    };
    let [ret, error, event, data, timestamp, id] = match message {
        Ok(message) => message.values,
        Err(error) => return malformed(shared, &error, text),
    };
    if let Some(id) = id {
        let Ok(id) = id.parse::<u64>() else {
            return malformed(shared, "an answer with an id this client never sent", text);
        };
        let answer = match (ret, error) {
            (Some(ret), None) => {
                debug!(id, bytes = text.len(), "answer: return");
                Ok(Box::from(ret))
            }
            (None, Some(error)) => match decode::<ErrorBody>(error) {
                Ok(error) => {
                    debug!(id, class = %error.class, desc = %error.desc, "answer: error");
                    Err(Error::Server {
                        class: error.class,
                        desc: error.desc,
                    })
                }
                Err(error) => Err(Error::malformed(error, text)),
            },
            _ => Err(Error::malformed(
                "an answer needs exactly one of `return` and `error`",
                text,
            )),
        };
        return shared.answer(id, answer);
    }
    if let Some(name) = event {
        let name = match decode::<String>(name) {
            Ok(name) => name,
            Err(error) => return malformed(shared, &error.to_string(), text),
        };
        debug!(event = %name, "event");
        if !shared.has_subscribers() {
            return;
        }
        let data = match data.map(decode::<Value>).transpose() {
            Ok(data) => data.unwrap_or(Value::Null),
            Err(error) => return malformed(shared, &error.to_string(), text),
        };
        let timestamp = match timestamp.map(decode::<Timestamp>) {
            Some(Ok(timestamp)) => timestamp,
            Some(Err(error)) => return malformed(shared, &error.to_string(), text),
            None => return malformed(shared, "an event without a timestamp", text),
        };
        return shared.notify(Notice::Event(EventRecord {
            name,
            data,
            timestamp,
            size: text.len(),
        }));
    }
    if let Some(error) = error {
        let error = match decode::<ErrorBody>(error) {
            Ok(error) => error,
            Err(error) => return malformed(shared, &error.to_string(), text),
        };
        if let Some(id) = shared.oldest_in_band() {
            debug!(id, class = %error.class, desc = %error.desc, "error without an id: the oldest in-band call's");
            return shared.answer(
                id,
                Err(Error::Server {
                    class: error.class,
                    desc: error.desc,
                }),
            );
        }
        warn!(class = %error.class, desc = %error.desc, "error answer without an id, and no call waits");
        return shared.notify(Notice::UnmatchedError(error));
    }
    malformed(shared, "neither an answer with an id nor an event", text)
}

/// A member's value decoded from its JSON text.
fn decode<T: DeserializeOwned>(json: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(json)
}

fn malformed(shared: &Shared, reason: &str, text: &[u8]) {
    warn!(reason, "malformed message from the server");
    let excerpt = &text[..text.len().min(crate::error::MALFORMED_EXCERPT)];
    shared.notify(Notice::Malformed {
        reason: reason.to_owned(),
        bytes: excerpt.to_vec(),
    });
}

/// `line` without its line ending and surrounding white space.
pub(crate) fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &line[start..end]
}
