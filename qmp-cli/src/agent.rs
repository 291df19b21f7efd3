//! `qmp agent`: QEMU's guest agent from the command line. A command with
//! `key=value` arguments typed and checked by the agent's schema, as for
//! QMP; a program run in the guest; a guest file read or written; the
//! agent's schema as `qmp schema` shows QMP's; a shell as `qmp shell`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use qmp_client::agent::{Agent, Connector};
use qmp_server::Schema;
use serde_json::Value;

use crate::cli::{AgentAction, AgentOptions, Output};
use crate::exit::{Exit, Failure};
use crate::oneshot::{render, Words};
use crate::output::Out;

/// The variable naming the agent's socket when `--socket` is not given.
pub const SOCKET_ENV: &str = "QMP_AGENT_SOCKET";

/// The agent's schema, from the bindings' introspection.
pub fn schema() -> Schema {
    Schema::agent(qmp_types::agent::INTROSPECTION)
        .expect("the agent bindings' introspection is valid")
}

/// Runs `qmp agent`: `socket` is `--socket` when given on the command
/// line.
pub async fn run(
    socket: Option<PathBuf>,
    timeout: Option<f64>,
    output: &Output,
    options: AgentOptions,
) -> Result<(), Failure> {
    let schema = schema();
    match options.action {
        AgentAction::Schema(options) => crate::schema::run_agent(&schema, options),
        AgentAction::Shell(options) => {
            let agent = connect(socket, timeout).await?;
            crate::shell::run_agent(agent, options).await
        }
        AgentAction::Exec { stdin, command } => {
            let (program, args) = command
                .split_first()
                .ok_or_else(|| Failure::new(Exit::Usage, "exec: no program given"))?;
            let input = if stdin { Some(read_stdin()?) } else { None };
            let agent = connect(socket, timeout).await?;
            let run = match input {
                Some(input) => agent.exec_with_input(program, args, &input).await?,
                None => agent.exec(program, args).await?,
            };
            Out::stdout().bytes(&run.stdout)?;
            // Bytes as the program wrote them; nothing to do if stderr
            // is gone.
            let _ = std::io::stderr().write_all(&run.stderr);
            if run.stdout_truncated || run.stderr_truncated {
                eprintln!("qmp: the agent kept only the start of the output");
            }
            // The program's own status, as ssh gives it.
            let status = match (run.exit_code, run.signal) {
                (Some(code), _) => code,
                (None, Some(signal)) => 128 + signal,
                (None, None) => 1,
            };
            std::process::exit(i32::try_from(status).unwrap_or(1));
        }
        // Both stream, a chunk at a time: a file larger than memory passes.
        AgentAction::Cat { path } => {
            let agent = connect(socket, timeout).await?;
            match agent.read_file_to(&path, &mut tokio::io::stdout()).await {
                // The reader left (`| head`): nothing more to say.
                Err(qmp_client::Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    Ok(())
                }
                read => read.map(drop).map_err(Failure::from),
            }
        }
        AgentAction::Write { path } => {
            let agent = connect(socket, timeout).await?;
            agent
                .write_file_from(&path, &mut tokio::io::stdin())
                .await?;
            Ok(())
        }
        AgentAction::Run(words) => command(&schema, socket, timeout, output, words).await,
    }
}

/// This process's standard input, whole.
fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut contents = Vec::new();
    std::io::stdin()
        .read_to_end(&mut contents)
        .map_err(|e| Failure::new(Exit::Usage, format!("cannot read standard input: {e}")))?;
    Ok(contents)
}

/// `qmp agent COMMAND key=value...`.
async fn command(
    schema: &Schema,
    socket: Option<PathBuf>,
    timeout: Option<f64>,
    output: &Output,
    words: Vec<String>,
) -> Result<(), Failure> {
    let Words {
        name,
        arguments,
        style,
        json,
        fds,
    } = Words::split(output, words)?;
    if !fds.is_empty() {
        return Err(Failure::new(
            Exit::Usage,
            "--fd: the guest agent takes no file descriptors",
        ));
    }
    let name = name.as_str();
    let hint = &format!("run `qmp agent schema {name}` for the keys");
    let arguments = crate::args::build(schema, name, &arguments, json.as_deref(), hint)
        .map_err(|message| Failure::new(Exit::Usage, message))?;
    let agent = connect(socket, timeout).await?;
    let answer = agent.execute_raw(name, Value::Object(arguments)).await?;
    Out::stdout().text(&render(&answer, style))
}

/// Connects to the agent at `socket`, else at `$QMP_AGENT_SOCKET`.
async fn connect(socket: Option<PathBuf>, timeout: Option<f64>) -> Result<Agent, Failure> {
    let Some(path) = socket.or_else(|| std::env::var_os(SOCKET_ENV).map(PathBuf::from)) else {
        return Err(Failure::new(
            Exit::Usage,
            format!("no agent: give --socket PATH (or set {SOCKET_ENV})"),
        ));
    };
    let mut connector = Connector::new();
    if let Some(seconds) = timeout {
        connector = connector.sync_timeout(Duration::from_secs_f64(seconds));
    }
    let agent = connector.unix(&path).await.map_err(|e| {
        let failure = Failure::from(e);
        Failure::new(
            failure.exit,
            format!(
                "cannot reach the agent at {}: {}",
                path.display(),
                failure.message
            ),
        )
    })?;
    Ok(agent.with_timeout(timeout.map(Duration::from_secs_f64)))
}
