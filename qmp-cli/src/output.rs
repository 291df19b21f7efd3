//! Standard output that ends quietly when its reader goes away (`qmp
//! events | head -1`), instead of panicking as `println!` does.

use std::io::{self, Write};

use crate::exit::{Exit, Failure};

/// Standard output, locked for `qmp`'s lines.
pub struct Out {
    stdout: io::Stdout,
}

impl Out {
    pub fn stdout() -> Out {
        Out {
            stdout: io::stdout(),
        }
    }

    /// Writes `text` and a newline, and flushes (events come one at a
    /// time, and must show as they come).
    pub fn line(&mut self, text: &str) -> Result<(), Failure> {
        self.write(text.as_bytes())?;
        self.write(b"\n")
    }

    /// Writes `text` as it is, and flushes.
    pub fn text(&mut self, text: &str) -> Result<(), Failure> {
        self.write(text.as_bytes())
    }

    /// Writes `bytes` as they are (a file's, a program's output), and
    /// flushes.
    pub fn bytes(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.write(bytes)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        let mut lock = self.stdout.lock();
        match lock.write_all(bytes).and_then(|()| lock.flush()) {
            Ok(()) => Ok(()),
            // The reader has what it wanted: stop, successfully.
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
            Err(error) => Err(Failure::new(
                Exit::Connection,
                format!("cannot write: {error}"),
            )),
        }
    }
}
