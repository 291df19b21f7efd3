//! The read half of a Unix socket connection, which keeps the file
//! descriptors that arrive with the bytes (`SCM_RIGHTS`) for the handlers
//! that take them (`getfd`, `add-fd`).

use std::collections::VecDeque;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

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

/// A Unix socket's read half that reads with `recvmsg`.
pub(crate) struct FdReader {
    half: OwnedReadHalf,
    received: Received,
}

impl FdReader {
    pub(crate) fn new(half: OwnedReadHalf, received: Received) -> FdReader {
        FdReader { half, received }
    }
}

impl AsyncRead for FdReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let stream = this.half.as_ref();
        loop {
            ready!(stream.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            let result = stream.try_io(Interest::READABLE, || {
                let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(PER_READ))];
                let mut control = RecvAncillaryBuffer::new(&mut space);
                let message = rustix::net::recvmsg(
                    stream,
                    &mut [io::IoSliceMut::new(unfilled)],
                    &mut control,
                    RecvFlags::CMSG_CLOEXEC,
                )?;
                for message in control.drain() {
                    if let RecvAncillaryMessage::ScmRights(fds) = message {
                        fds.for_each(|fd| this.received.push(fd));
                    }
                }
                Ok(message.bytes)
            });
            match result {
                Ok(read) => {
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}
