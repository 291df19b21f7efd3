//! [`Agent::read_file`] and [`Agent::write_file`]: a guest file's contents
//! through `guest-file-open`, `-read` or `-write`, and `-close`, in
//! base64 chunks; [`Agent::read_file_to`] and [`Agent::write_file_from`]
//! stream them, a chunk in memory at a time.

use qmp_types::agent::commands::{GuestFileClose, GuestFileOpen, GuestFileRead, GuestFileWrite};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{decode, encode, Agent};
use crate::Error;

/// The bytes moved per command: large enough that a file costs few round
/// trips, small enough that a chunk's base64 line (a third larger) stays
/// far below the client's message limit and the agent's request limit.
const CHUNK: usize = 1 << 20;

impl Agent {
    /// The contents of the guest file at `path`, read whole.
    ///
    /// ```no_run
    /// # async fn run(agent: qmp_client::agent::Agent) -> Result<(), qmp_client::Error> {
    /// let release = agent.read_file("/etc/os-release").await?;
    /// print!("{}", String::from_utf8_lossy(&release));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_file(&self, path: &str) -> Result<Vec<u8>, Error> {
        let mut contents = Vec::new();
        self.read_file_to(path, &mut contents).await?;
        Ok(contents)
    }

    /// Copies the guest file at `path` into `out` as it is read, holding
    /// one chunk (1 MiB) at a time, so that a file larger than memory
    /// passes; gives the number of bytes. Failing to write to `out` is
    /// [`Error::Io`]; the guest file is closed either way.
    ///
    /// ```no_run
    /// # async fn run(agent: qmp_client::agent::Agent) -> Result<(), qmp_client::Error> {
    /// let mut local = tokio::fs::File::create("guest.log").await?;
    /// let bytes = agent.read_file_to("/var/log/syslog", &mut local).await?;
    /// println!("{bytes} bytes copied");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_file_to<W>(&self, path: &str, out: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let handle = self.open(path, "r").await?;
        let read = async {
            let mut total = 0;
            loop {
                let mut command = GuestFileRead::new(handle);
                command.count = Some(CHUNK as i64);
                let chunk = self.execute(command).await?;
                let bytes = decode(Some(&chunk.buf_b64))?;
                out.write_all(&bytes).await?;
                total += bytes.len() as u64;
                if chunk.eof || chunk.count == 0 {
                    out.flush().await?;
                    return Ok(total);
                }
            }
        }
        .await;
        self.close(handle, read).await
    }

    /// Writes `contents` to the guest file at `path`, which is created, or
    /// emptied first.
    pub async fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), Error> {
        self.write_file_from(path, &mut &contents[..]).await?;
        Ok(())
    }

    /// Writes what `input` gives, to its end, to the guest file at `path`
    /// (created, or emptied first), holding one chunk (1 MiB) at a time;
    /// gives the number of bytes. Failing to read `input` is
    /// [`Error::Io`]; the guest file is closed either way, with what was
    /// written so far.
    pub async fn write_file_from<R>(&self, path: &str, input: &mut R) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        let handle = self.open(path, "w").await?;
        let written = async {
            let mut total = 0;
            let mut chunk = Vec::with_capacity(CHUNK);
            loop {
                chunk.clear();
                (&mut *input)
                    .take(CHUNK as u64)
                    .read_to_end(&mut chunk)
                    .await?;
                if chunk.is_empty() {
                    return Ok(total);
                }
                total += chunk.len() as u64;
                let mut rest = &chunk[..];
                // The agent may write less than it was given.
                while !rest.is_empty() {
                    let done = self
                        .execute(GuestFileWrite::new(handle, encode(rest)))
                        .await?;
                    let done = usize::try_from(done.count).unwrap_or(0).min(rest.len());
                    if done == 0 {
                        return Err(Error::malformed(
                            "guest-file-write wrote nothing",
                            path.as_bytes(),
                        ));
                    }
                    rest = &rest[done..];
                }
            }
        }
        .await;
        self.close(handle, written).await
    }

    async fn open(&self, path: &str, mode: &str) -> Result<i64, Error> {
        let mut command = GuestFileOpen::new(path.to_owned());
        command.mode = Some(mode.to_owned());
        self.execute(command).await
    }

    /// Closes `handle` whatever happened, and returns what happened; a
    /// failed close is the error when nothing else failed first (it can
    /// lose written data).
    async fn close<T>(&self, handle: i64, result: Result<T, Error>) -> Result<T, Error> {
        let closed = self.execute(GuestFileClose::new(handle)).await;
        let value = result?;
        closed?;
        Ok(value)
    }
}
