//! The write half of a connection, and whether it can pass file
//! descriptors with the bytes it writes.
//!
//! QEMU takes a descriptor (`getfd`, `add-fd`) from the ancillary data
//! (`SCM_RIGHTS`) of the message that carries the command's bytes, which
//! only a Unix socket can send. A connection over a Unix socket keeps its
//! socket's write half as its transport; any other byte stream is
//! [`Plain`], which refuses descriptors.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
use tokio::io::{AsyncWrite, Interest};
use tokio::net::unix::OwnedWriteHalf;
use tokio::net::UnixStream;

/// A connection's write half.
pub(crate) trait Transport: AsyncWrite + Send {
    /// Whether it can pass file descriptors.
    fn passes_fds(&self) -> bool;

    /// Writes the start of `bytes` with `fds` attached to its first byte;
    /// how many bytes it wrote.
    fn poll_write_fds(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
        fds: &[OwnedFd],
    ) -> Poll<io::Result<usize>>;
}

/// Any byte stream: no file descriptors.
pub(crate) struct Plain<W>(pub(crate) W);

impl<W: AsyncWrite + Unpin> AsyncWrite for Plain<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<W: AsyncWrite + Unpin + Send> Transport for Plain<W> {
    fn passes_fds(&self) -> bool {
        false
    }

    fn poll_write_fds(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _bytes: &[u8],
        _fds: &[OwnedFd],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(no_fds()))
    }
}

/// The error for descriptors on a transport that cannot pass them.
pub(crate) fn no_fds() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "file descriptors can be passed only over a Unix socket",
    )
}

impl Transport for OwnedWriteHalf {
    fn passes_fds(&self) -> bool {
        true
    }

    fn poll_write_fds(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
        fds: &[OwnedFd],
    ) -> Poll<io::Result<usize>> {
        let stream: &UnixStream = (*self).as_ref();
        loop {
            ready!(stream.poll_write_ready(cx))?;
            match stream.try_io(Interest::WRITABLE, || send_with_fds(stream, bytes, fds)) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                result => return Poll::Ready(result),
            }
        }
    }
}

/// One `sendmsg` of `bytes` with `fds` as `SCM_RIGHTS`.
fn send_with_fds(socket: &UnixStream, bytes: &[u8], fds: &[OwnedFd]) -> io::Result<usize> {
    let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(AsFd::as_fd).collect();
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(borrowed.len()))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&borrowed)) {
        return Err(io::Error::other(
            "too many file descriptors for one message",
        ));
    }
    let sent = rustix::net::sendmsg(
        socket,
        &[io::IoSlice::new(bytes)],
        &mut control,
        SendFlags::NOSIGNAL,
    )?;
    Ok(sent)
}
