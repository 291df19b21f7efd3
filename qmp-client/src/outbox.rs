//! The connection's outgoing side: request lines, written whole and in
//! order, by the call itself when it can and by the writer task otherwise.
//!
//! Most of the time one request is in flight and the transport takes a
//! line at once: the call then writes its line itself, which saves a hop
//! through the writer task (and that task's turn of the scheduler) on
//! every round trip. When lines queue up, or the transport takes only
//! part of a line, the rest is queued and the writer task writes it when
//! the transport is ready.
//!
//! Invariants:
//! - a line is accepted whole, under the lock and without awaiting: the
//!   call's future cannot be dropped halfway, so no half line is ever left
//!   on the wire (what the transport did not take stays queued);
//! - bytes reach the transport in the order their lines were accepted: a
//!   call writes directly only when nothing is queued and no flush is
//!   owed;
//! - the writer task waits on the transport only while something is
//!   queued, and calls poll the transport (with a waker that does nothing)
//!   only while nothing is, so a call never replaces the waker the writer
//!   task waits on;
//! - a write error closes the connection: pending calls get
//!   [`Error::Disconnected`], and so does every later line.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll, Waker};

use tracing::warn;

use crate::conn::Shared;
use crate::transport::{self, Transport};
use crate::Error;

/// Above this, the queue's buffer is given back once it drains (after a
/// large request), rather than kept for the connection's lifetime.
const KEEP_CAPACITY: usize = 64 * 1024;

/// The write half and the lines waiting for it.
pub(crate) struct Outbox {
    queue: Mutex<Queue>,
    shared: Arc<Shared>,
}

struct Queue {
    writer: Pin<Box<dyn Transport>>,
    /// Accepted bytes not yet written: whole lines, the first of which
    /// may be partly written already (up to `written`).
    bytes: Vec<u8>,
    written: usize,
    /// File descriptors to pass with the line that starts at the given
    /// offset of `bytes`, in order.
    fds: VecDeque<(usize, Vec<OwnedFd>)>,
    /// Bytes were handed to the transport since its last flush.
    unflushed: bool,
    /// The writer task, when it waits for lines.
    task: Option<Waker>,
    /// A write failed: nothing more is accepted.
    failed: bool,
    /// Every handle is gone: write what is queued, then shut down.
    finished: bool,
}

impl Queue {
    /// Nothing queued and nothing owed: a call may write directly.
    fn idle(&self) -> bool {
        self.bytes.is_empty() && !self.unflushed
    }

    fn wake_task(&mut self) {
        if let Some(task) = self.task.take() {
            task.wake();
        }
    }
}

impl Outbox {
    /// An outbox on `writer`, with its writer task running.
    pub(crate) fn start(writer: Pin<Box<dyn Transport>>, shared: Arc<Shared>) -> Arc<Outbox> {
        let outbox = Arc::new(Outbox::new(writer, shared));
        tokio::spawn(write_loop(outbox.clone()));
        outbox
    }

    pub(crate) fn new(writer: Pin<Box<dyn Transport>>, shared: Arc<Shared>) -> Self {
        Outbox {
            queue: Mutex::new(Queue {
                writer,
                bytes: Vec::new(),
                written: 0,
                fds: VecDeque::new(),
                unflushed: false,
                task: None,
                failed: false,
                finished: false,
            }),
            shared,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every operation leaves the queue whole before it can panic (the
        // transport's own methods aside, whose failure fails the queue).
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Accepts `line` whole, with `fds` to pass along with it: writes what
    /// the transport takes now if nothing is queued, and queues the rest
    /// for the writer task. An in-band request's id is recorded in wire
    /// order ([`Shared::sent_in_band`]). Descriptors on a transport that
    /// cannot pass them are refused before anything is accepted.
    pub(crate) fn send(
        &self,
        line: &[u8],
        in_band: Option<u64>,
        fds: Vec<OwnedFd>,
    ) -> Result<(), Error> {
        let mut queue = self.lock();
        if queue.failed {
            return Err(Error::Disconnected);
        }
        if !fds.is_empty() && !queue.writer.passes_fds() {
            return Err(Error::Io(transport::no_fds()));
        }
        // Under the queue's lock, so that the order is the wire's.
        if let Some(id) = in_band {
            self.shared.sent_in_band(id);
        }
        let mut done = 0;
        let mut fds = Some(fds).filter(|fds| !fds.is_empty());
        if queue.idle() {
            match write_now(&mut queue, line, &mut fds) {
                Ok(n) => done = n,
                Err(error) => {
                    queue.failed = true;
                    queue.wake_task();
                    drop(queue);
                    self.fail(&error);
                    return Err(Error::Disconnected);
                }
            }
            if done == line.len() && !queue.unflushed {
                return Ok(());
            }
        }
        if let Some(fds) = fds {
            let at = queue.bytes.len();
            queue.fds.push_back((at, fds));
        }
        queue.bytes.extend_from_slice(&line[done..]);
        queue.unflushed = true;
        queue.wake_task();
        Ok(())
    }

    /// No handle is left: the writer task writes what is queued, then
    /// shuts the write half down.
    pub(crate) fn finish(&self) {
        let mut queue = self.lock();
        queue.finished = true;
        queue.wake_task();
    }

    fn fail(&self, error: &io::Error) {
        warn!(%error, "writing to the server failed");
        self.shared.close();
    }

    /// Writes queued lines until the queue is empty and flushed, then
    /// waits for more; ready when the queue is finished (and the write
    /// half shut down) or failed.
    fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut guard = self.lock();
        let queue = &mut *guard;
        if queue.failed {
            return Poll::Ready(Ok(()));
        }
        while queue.written < queue.bytes.len() {
            let written = match queue.fds.front() {
                Some((at, fds)) if *at == queue.written => {
                    // Up to the next line with descriptors of its own.
                    let end = queue
                        .fds
                        .get(1)
                        .map_or(queue.bytes.len(), |(next, _)| *next);
                    let rest = &queue.bytes[queue.written..end];
                    ready!(queue.writer.as_mut().poll_write_fds(cx, rest, fds))
                }
                next => {
                    let end = next.map_or(queue.bytes.len(), |(at, _)| *at);
                    let rest = &queue.bytes[queue.written..end];
                    ready!(queue.writer.as_mut().poll_write(cx, rest))
                }
            };
            match written {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    if queue
                        .fds
                        .front()
                        .is_some_and(|(at, _)| *at == queue.written)
                    {
                        // The descriptors went with the first byte.
                        queue.fds.pop_front();
                    }
                    queue.written += n;
                }
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
        queue.bytes.clear();
        queue.written = 0;
        if queue.bytes.capacity() > KEEP_CAPACITY {
            queue.bytes = Vec::new();
        }
        if queue.unflushed {
            ready!(queue.writer.as_mut().poll_flush(cx))?;
            queue.unflushed = false;
        }
        if queue.finished {
            // The server sees the end of input; an error here changes
            // nothing, the connection is being dropped.
            let _ = ready!(queue.writer.as_mut().poll_shutdown(cx));
            return Poll::Ready(Ok(()));
        }
        match &mut queue.task {
            Some(task) => task.clone_from(cx.waker()),
            None => queue.task = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// Writes as much of `line` as the transport takes without waiting, and
/// flushes if it took it all; how many bytes it took. `fds` go with the
/// first byte written (and are taken then).
fn write_now(queue: &mut Queue, line: &[u8], fds: &mut Option<Vec<OwnedFd>>) -> io::Result<usize> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut done = 0;
    while done < line.len() {
        let written = match fds {
            Some(fds) => queue.writer.as_mut().poll_write_fds(&mut cx, line, fds),
            None => queue.writer.as_mut().poll_write(&mut cx, &line[done..]),
        };
        match written {
            Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
            Poll::Ready(Ok(n)) => {
                done += n;
                *fds = None;
            }
            Poll::Ready(Err(error)) => return Err(error),
            Poll::Pending => return Ok(done),
        }
    }
    match queue.writer.as_mut().poll_flush(&mut cx) {
        Poll::Ready(Ok(())) => {}
        Poll::Ready(Err(error)) => return Err(error),
        Poll::Pending => queue.unflushed = true,
    }
    Ok(done)
}

/// The writer task: writes what calls queued, until every handle is gone
/// (then shuts the write half down) or a write fails (then closes the
/// connection).
pub(crate) async fn write_loop(outbox: Arc<Outbox>) {
    if let Err(error) = poll_fn(|cx| outbox.poll_drain(cx)).await {
        outbox.lock().failed = true;
        outbox.fail(&error);
    }
}
