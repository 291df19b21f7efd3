//! How `qmp` ends: its exit codes, and a failure's message.

use std::process::ExitCode;

/// The exit codes, as `qmp --help` documents them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The server answered with an error (1).
    Server = 1,
    /// The command line is wrong: an unknown command or argument, a value
    /// of the wrong type; nothing was sent (2, as for any usage error).
    Usage = 2,
    /// No connection, or it broke (3).
    Connection = 3,
    /// No answer, or not enough events, in time (4).
    Timeout = 4,
    /// The server differs from the compiled schema (`qmp verify`) (5).
    Differs = 5,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// Why `qmp` stops: one line for standard error, and its exit code.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            message: message.into(),
        }
    }
}

impl From<qmp_client::Error> for Failure {
    fn from(error: qmp_client::Error) -> Failure {
        use qmp_client::Error;
        let exit = match &error {
            Error::Server { .. } => Exit::Server,
            Error::Timeout(_) => Exit::Timeout,
            _ => Exit::Connection,
        };
        let message = match error {
            Error::Server { class, desc } => format!("{class}: {desc}"),
            other => other.to_string(),
        };
        Failure::new(exit, message)
    }
}
