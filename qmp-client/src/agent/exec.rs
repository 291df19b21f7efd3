//! [`Agent::exec`]: a program run in the guest with `guest-exec`, waited
//! for by polling `guest-exec-status`, its output decoded from base64.

use std::time::Duration;

use qmp_types::agent::commands::{GuestExec, GuestExecStatus};
use qmp_types::agent::types::GuestExecCaptureOutput;

use super::{decode, encode, Agent};
use crate::Error;

/// `guest-exec` of `program` with `args`, both output streams kept.
fn capturing<S: AsRef<str>>(program: &str, args: &[S]) -> GuestExec {
    let mut command = GuestExec::new(program.to_owned());
    command.arg = Some(args.iter().map(|a| a.as_ref().to_owned()).collect());
    // A boolean, which every agent release takes (7.2 knows no other).
    command.capture_output = Some(GuestExecCaptureOutput::Flag(true));
    command
}

/// The first pause between two `guest-exec-status` polls; it doubles up
/// to [`POLL_MAX`], so a short program is seen ending within milliseconds
/// and a long one costs a poll every fifth of a second.
const POLL_FIRST: Duration = Duration::from_millis(2);
/// The longest pause between two polls.
const POLL_MAX: Duration = Duration::from_millis(200);

/// What a program run with [`Agent::exec`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecOutput {
    /// Its exit status, when it exited normally.
    pub exit_code: Option<i64>,
    /// The signal that ended it, when one did.
    pub signal: Option<i64>,
    /// Its standard output, as far as the agent kept it.
    pub stdout: Vec<u8>,
    /// Its standard error, as far as the agent kept it.
    pub stderr: Vec<u8>,
    /// Whether the agent kept only the start of its standard output (it
    /// keeps some 16 MiB of each stream).
    pub stdout_truncated: bool,
    /// The same for standard error.
    pub stderr_truncated: bool,
}

impl ExecOutput {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}

impl Agent {
    /// Runs `program` with `args` in the guest (looked up on the guest's
    /// `PATH` when it has no directory part), waits for it to end, and
    /// returns its exit status and output.
    ///
    /// A program that cannot be started is the agent's error; one that
    /// fails is an [`ExecOutput`] whose [`success`](ExecOutput::success)
    /// is false.
    ///
    /// ```no_run
    /// # async fn run(agent: qmp_client::agent::Agent) -> Result<(), qmp_client::Error> {
    /// let run = agent.exec("cat", &["/etc/hostname"]).await?;
    /// assert!(run.success());
    /// print!("{}", String::from_utf8_lossy(&run.stdout));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn exec<S: AsRef<str>>(
        &self,
        program: &str,
        args: &[S],
    ) -> Result<ExecOutput, Error> {
        self.exec_command(capturing(program, args)).await
    }

    /// [`Agent::exec`], with `input` on the program's standard input.
    ///
    /// ```no_run
    /// # async fn run(agent: qmp_client::agent::Agent) -> Result<(), qmp_client::Error> {
    /// let run = agent.exec_with_input("sh", &["-s"], b"uname -r\n").await?;
    /// print!("{}", String::from_utf8_lossy(&run.stdout));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn exec_with_input<S: AsRef<str>>(
        &self,
        program: &str,
        args: &[S],
        input: &[u8],
    ) -> Result<ExecOutput, Error> {
        let mut command = capturing(program, args);
        command.input_data = Some(encode(input));
        self.exec_command(command).await
    }

    /// Runs `command` as given (environment, standard input, which output
    /// to keep), then waits for it as [`Agent::exec`] does.
    pub async fn exec_command(&self, command: GuestExec) -> Result<ExecOutput, Error> {
        let started = self.execute(command).await?;
        self.wait_exec(started.pid).await
    }

    /// Waits for the program the agent started as `pid` to end, and
    /// returns what it did. The agent forgets a program once its end has
    /// been reported: waiting twice for one is the agent's error.
    pub async fn wait_exec(&self, pid: i64) -> Result<ExecOutput, Error> {
        let mut pause = POLL_FIRST;
        loop {
            let status = self.execute(GuestExecStatus::new(pid)).await?;
            if status.exited {
                return Ok(ExecOutput {
                    exit_code: status.exitcode,
                    signal: status.signal,
                    stdout: decode(status.out_data.as_deref())?,
                    stderr: decode(status.err_data.as_deref())?,
                    stdout_truncated: status.out_truncated.unwrap_or(false),
                    stderr_truncated: status.err_truncated.unwrap_or(false),
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(POLL_MAX);
        }
    }
}
