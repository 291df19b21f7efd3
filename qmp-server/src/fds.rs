//! The read half of a Unix socket connection, which keeps the file
//! descriptors that arrive with the bytes (`SCM_RIGHTS`) for the handlers
//! that take them (`getfd`, `add-fd`), and which busy-polls for the next
//! request after an answer when the server is built with
//! [`crate::ServerBuilder::busy_poll`].
//!
//! The busy poll, when armed (the connection arms it after queueing an
//! answer) and no byte is waiting: the reader first yields once, so that
//! the writer task writes the answer, then tries `recvmsg` without
//! blocking, straight on the socket (tokio's readiness flag only changes
//! when the reactor runs, so it would never see the request come), with
//! `sched_yield` between tries (a peer on the same CPU runs at once), for
//! at most the window; then it waits for the reactor as usual. The window
//! adapts as QEMU's `poll-max-ns` does: it stays while requests come
//! within it, grows (to the maximum) when a request came after it but
//! within the maximum, and drops to nothing when the peer took longer than
//! the maximum.

use std::collections::VecDeque;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
use tokio::io::{AsyncRead, Interest, ReadBuf};
use tokio::net::unix::OwnedReadHalf;

/// How many received descriptors a connection keeps before closing the
/// oldest: a peer cannot make the server hold more.
pub(crate) const MAX_HELD_FDS: usize = 64;

/// How many descriptors one read takes at most.
const PER_READ: usize = 16;

/// Descriptors received on a connection and not yet taken by a handler.
#[derive(Clone, Debug, Default)]
pub(crate) struct Received(Arc<Mutex<VecDeque<OwnedFd>>>);

impl Received {
    /// Takes every descriptor held, oldest first.
    pub(crate) fn take(&self) -> Vec<OwnedFd> {
        self.lock().drain(..).collect()
    }

    fn push(&self, fd: OwnedFd) {
        let mut held = self.lock();
        if held.len() == MAX_HELD_FDS {
            held.pop_front();
        }
        held.push_back(fd);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<OwnedFd>> {
        // A panic while holding the lock cannot leave the queue broken.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Set by the connection when it has queued an answer and goes on to
/// read: the next wait for bytes busy-polls first (if the server does).
#[derive(Clone, Debug, Default)]
pub(crate) struct Armed(Arc<AtomicBool>);

impl Armed {
    pub(crate) fn arm(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn take(&self) -> bool {
        self.0.swap(false, Ordering::Relaxed)
    }

    fn clear(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// The adaptive busy poll of one connection.
#[derive(Debug)]
struct BusyPoll {
    /// The most it polls at once; zero: never.
    max: Duration,
    /// How long it polls now.
    window: Duration,
    /// The wait for bytes under way, if armed.
    wait: Option<Wait>,
}

#[derive(Debug)]
struct Wait {
    since: Instant,
    /// Whether it yielded (and polls when next called) or has polled
    /// (or will not) and waits for the reactor.
    yielded: bool,
}

/// What `poll_read` does when no byte is ready.
enum Next {
    /// Waits for the reactor.
    Block,
    /// Lets the other tasks (the writer) run first.
    Yield,
    /// Polls the socket until then.
    Spin(Instant),
}

impl BusyPoll {
    fn new(max: Duration) -> BusyPoll {
        BusyPoll {
            max,
            window: max,
            wait: None,
        }
    }

    /// No byte is ready.
    fn next(&mut self, armed: &Armed) -> Next {
        match &mut self.wait {
            None if self.max.is_zero() || !armed.take() => Next::Block,
            None => {
                let yielded = !self.window.is_zero();
                self.wait = Some(Wait {
                    since: Instant::now(),
                    yielded,
                });
                if yielded {
                    Next::Yield
                } else {
                    Next::Block
                }
            }
            Some(wait) if wait.yielded => {
                wait.yielded = false;
                Next::Spin(Instant::now() + self.window)
            }
            Some(_) => Next::Block,
        }
    }

    /// Bytes came while polling: the window is right.
    fn polled(&mut self) {
        self.wait = None;
    }

    /// Bytes came from the reactor.
    fn read(&mut self) {
        let Some(wait) = self.wait.take() else {
            return;
        };
        if wait.yielded {
            // They came while the writer wrote: nothing to learn.
            return;
        }
        if wait.since.elapsed() <= self.max {
            // Polling a little longer would have caught them.
            let grown = match self.window {
                window if window.is_zero() => self.max / 8,
                window => window * 2,
            };
            self.window = grown.min(self.max);
        } else {
            // The peer is slower than polling can help: stop polling
            // until it is quicker again.
            self.window = Duration::ZERO;
        }
    }
}

/// A Unix socket's read half that reads with `recvmsg`.
pub(crate) struct FdReader {
    half: OwnedReadHalf,
    received: Received,
    armed: Armed,
    poll: BusyPoll,
}

impl FdReader {
    /// Busy-polls for at most `busy_poll` after an answer, when `armed`.
    pub(crate) fn new(
        half: OwnedReadHalf,
        received: Received,
        armed: Armed,
        busy_poll: Duration,
    ) -> FdReader {
        FdReader {
            half,
            received,
            armed,
            poll: BusyPoll::new(busy_poll),
        }
    }

    /// Tries to read until `until`, straight on the socket; `None` if
    /// nothing came.
    fn spin(&mut self, until: Instant, buf: &mut ReadBuf<'_>) -> Option<io::Result<()>> {
        loop {
            let flags = RecvFlags::CMSG_CLOEXEC | RecvFlags::DONTWAIT;
            match receive(&self.half, &self.received, buf.initialize_unfilled(), flags) {
                Ok(read) => {
                    self.poll.polled();
                    buf.advance(read);
                    return Some(Ok(()));
                }
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(error) => return Some(Err(error)),
            }
            if Instant::now() >= until {
                return None;
            }
            // Lets a peer on this CPU run: it is the one we wait for.
            std::thread::yield_now();
        }
    }
}

/// One `recvmsg`, keeping the descriptors that come with the bytes.
fn receive(
    stream: &OwnedReadHalf,
    received: &Received,
    into: &mut [u8],
    flags: RecvFlags,
) -> io::Result<usize> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(PER_READ))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let message = rustix::net::recvmsg(
        stream.as_ref(),
        &mut [io::IoSliceMut::new(into)],
        &mut control,
        flags,
    )?;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = message {
            fds.for_each(|fd| received.push(fd));
        }
    }
    Ok(message.bytes)
}

impl AsyncRead for FdReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match this.half.as_ref().poll_read_ready(cx) {
                Poll::Ready(ready) => ready?,
                Poll::Pending => match this.poll.next(&this.armed) {
                    Next::Block => return Poll::Pending,
                    Next::Yield => {
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    Next::Spin(until) => match this.spin(until, buf) {
                        Some(result) => return Poll::Ready(result),
                        // Waits for the reactor: polled again, the
                        // readiness registers this task's waker.
                        None => continue,
                    },
                },
            }
            let stream = this.half.as_ref();
            let unfilled = buf.initialize_unfilled();
            let result = stream.try_io(Interest::READABLE, || {
                receive(
                    &this.half,
                    &this.received,
                    unfilled,
                    RecvFlags::CMSG_CLOEXEC,
                )
            });
            match result {
                Ok(read) => {
                    this.armed.clear();
                    this.poll.read();
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixStream;

    use super::*;
    use crate::{Router, Schema, Server};

    #[test]
    fn the_window_drops_after_a_slow_peer_and_grows_back() {
        let armed = Armed::default();
        let mut poll = BusyPoll::new(Duration::from_micros(1));
        armed.arm();
        assert!(matches!(poll.next(&armed), Next::Yield));
        assert!(matches!(poll.next(&armed), Next::Spin(_)));
        assert!(matches!(poll.next(&armed), Next::Block));
        std::thread::sleep(Duration::from_millis(1));
        poll.read();
        assert_eq!(poll.window, Duration::ZERO);
        // Not armed: no poll at all.
        assert!(matches!(poll.next(&armed), Next::Block));
        assert!(poll.wait.is_none());

        let mut poll = BusyPoll::new(Duration::from_secs(3600));
        poll.window = Duration::ZERO;
        armed.arm();
        assert!(matches!(poll.next(&armed), Next::Block));
        poll.read();
        assert_eq!(poll.window, Duration::from_secs(450));
        armed.arm();
        assert!(matches!(poll.next(&armed), Next::Yield));
        assert!(matches!(poll.next(&armed), Next::Spin(_)));
        poll.read();
        assert_eq!(poll.window, Duration::from_secs(900));
        armed.arm();
        assert!(matches!(poll.next(&armed), Next::Yield));
        assert!(matches!(poll.next(&armed), Next::Spin(_)));
        poll.polled();
        assert_eq!(poll.window, Duration::from_secs(900));
    }

    /// A server busy-polling for up to `busy_poll`, on its own thread,
    /// and a negotiated blocking client.
    fn busy_server(busy_poll: Duration) -> (Server, std::thread::JoinHandle<()>, UnixStream) {
        let (ours, theirs) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let server = Server::builder(Schema::bindings(), Router::new())
            .busy_poll(busy_poll)
            .build(());
        let serving = std::thread::spawn({
            let server = server.clone();
            move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let stream = tokio::net::UnixStream::from_std(ours).unwrap();
                    let (read, write) = stream.into_split();
                    let (received, armed) = (Received::default(), Armed::default());
                    let reader = FdReader::new(read, received.clone(), armed.clone(), busy_poll);
                    server.serve_with(reader, write, received, armed).await;
                })
            }
        });
        (server, serving, theirs)
    }

    fn line(reader: &mut BufReader<UnixStream>) -> String {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        line
    }

    #[test]
    fn a_busy_polling_server_answers_every_request_in_order() {
        for poll in [Duration::from_micros(50), Duration::from_secs(3600)] {
            let (server, serving, mut client) = busy_server(poll);
            let mut reader = BufReader::new(client.try_clone().unwrap());
            assert!(line(&mut reader).starts_with("{\"QMP\""));
            client
                .write_all(b"{\"execute\": \"qmp_capabilities\"}\n")
                .unwrap();
            assert_eq!(line(&mut reader), "{\"return\": {}}\n");
            for id in 0..200 {
                let request = format!("{{\"execute\": \"query-version\", \"id\": {id}}}");
                // Now and then a request in two pieces, a while apart,
                // and two at once.
                if id % 50 == 7 {
                    let (one, two) = request.split_at(10);
                    client.write_all(one.as_bytes()).unwrap();
                    std::thread::sleep(Duration::from_millis(2));
                    client.write_all(two.as_bytes()).unwrap();
                } else if id % 50 == 9 {
                    client
                        .write_all(format!("{request}{request}").as_bytes())
                        .unwrap();
                    assert!(line(&mut reader).ends_with(&format!(", \"id\": {id}}}\n")));
                } else {
                    client.write_all(request.as_bytes()).unwrap();
                }
                assert!(line(&mut reader).ends_with(&format!(", \"id\": {id}}}\n")));
                if id % 50 == 20 {
                    // An idle client.
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            // The peer leaves while the server polls.
            drop((client, reader));
            serving.join().unwrap();
            assert!(!server.is_shut_down());
        }
    }
}
