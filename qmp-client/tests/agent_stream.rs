//! A guest file larger than the client should hold, streamed both ways
//! through qemu-ga 10.0 (`Agent::write_file_from`, `Agent::read_file_to`,
//! and their blocking twins): every byte arrives in order, and the
//! process's peak memory grows by a few chunks, not by the file. A test
//! binary of its own, so that no other test moves the peak it measures.

use std::pin::Pin;
use std::task::{Context, Poll};

use qmp_client::agent::Agent;
use qmp_test_support::{peak_rss, GuestAgent, Release};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The file's size: 32 times the client's chunk.
const SIZE: u64 = 32 << 20;

/// The byte at `offset` of the file: a pattern with a period prime to
/// the chunk size, so that a chunk out of place shows.
fn byte(offset: u64) -> u8 {
    (offset % 251) as u8
}

/// The file's bytes, made as they are read.
struct Pattern {
    offset: u64,
}

impl AsyncRead for Pattern {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = (buf.remaining() as u64).min(SIZE - self.offset);
        for _ in 0..n {
            buf.put_slice(&[byte(self.offset)]);
            self.offset += 1;
        }
        Poll::Ready(Ok(()))
    }
}

/// Checks each byte written against the pattern, holding none.
#[derive(Default)]
struct Check {
    offset: u64,
    wrong: Option<u64>,
}

impl AsyncWrite for Check {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        for &b in buf {
            if b != byte(self.offset) && self.wrong.is_none() {
                self.wrong = Some(self.offset);
            }
            self.offset += 1;
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The same check for the blocking twin.
impl std::io::Write for Check {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut pinned = Pin::new(self);
        let waker = std::task::Waker::noop();
        match pinned
            .as_mut()
            .poll_write(&mut Context::from_waker(waker), buf)
        {
            Poll::Ready(written) => written,
            Poll::Pending => unreachable!("never pending"),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_large_file_streams_both_ways_in_bounded_memory() {
    let Some(binary) = Release::Current.guest_agent() else {
        return;
    };
    let agent_process = GuestAgent::start(&binary).expect("the agent starts");
    let path = agent_process.dir.join("large.bin");
    let path = path.to_str().expect("a UTF-8 path");
    // The blocking twins first, from a thread outside the runtime (the
    // agent serves one connection at a time: this one ends with the
    // thread).
    let socket = agent_process.socket.clone();
    let small_path = path.to_owned();
    std::thread::spawn(move || {
        let agent = qmp_client::blocking::Agent::connect_unix(&socket).expect("the agent answers");
        let small: Vec<u8> = (0..100_000).map(byte).collect();
        assert_eq!(
            agent.write_file_from(&small_path, &small[..]).unwrap(),
            100_000
        );
        let mut check = Check::default();
        assert_eq!(
            agent.read_file_to(&small_path, &mut check).unwrap(),
            100_000
        );
        assert_eq!((check.offset, check.wrong), (100_000, None));
    })
    .join()
    .unwrap();

    let agent = Agent::connect_unix(&agent_process.socket)
        .await
        .expect("the agent answers");

    let before = peak_rss();
    let written = agent
        .write_file_from(path, &mut Pattern { offset: 0 })
        .await
        .expect("written");
    assert_eq!(written, SIZE);
    assert_eq!(std::fs::metadata(path).unwrap().len(), SIZE);
    let mut check = Check::default();
    let read = agent.read_file_to(path, &mut check).await.expect("read");
    let grown = peak_rss().saturating_sub(before);
    assert_eq!((read, check.offset, check.wrong), (SIZE, SIZE, None));
    eprintln!("peak memory grew by {grown} bytes moving {SIZE} bytes each way");
    assert!(
        grown < SIZE as usize / 4,
        "peak memory grew by {grown} bytes moving {SIZE} bytes each way"
    );
}
