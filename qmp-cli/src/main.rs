//! `qmp`: the QEMU Machine Protocol from the command line.
//!
//! One-shot commands with their arguments checked against the schema
//! before anything is sent, a stream of events, the schema itself, and
//! (see `qmp --help`) more.

mod agent;
mod args;
mod cli;
mod connect;
mod demo;
mod events;
mod exit;
mod oneshot;
mod output;
mod schema;
mod shell;
mod verify;

use std::process::ExitCode;

fn main() -> ExitCode {
    let matches = <cli::Cli as clap::CommandFactory>::command().get_matches();
    let mut cli = match <cli::Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    // `$QMP_SOCKET` names QEMU's monitor: `qmp agent` takes --socket only
    // from the command line, else `$QMP_AGENT_SOCKET`.
    if matches.value_source("socket") != Some(clap::parser::ValueSource::CommandLine) {
        if let cli::Action::Agent(_) = cli.command {
            cli.connection.socket = None;
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("qmp: cannot start: {error}");
            return exit::Exit::Connection.into();
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // One line, whatever the server's text holds.
            let message: Vec<&str> = failure.message.split_whitespace().collect();
            eprintln!("qmp: {}", message.join(" "));
            failure.exit.into()
        }
    }
}

async fn run(cli: cli::Cli) -> Result<(), exit::Failure> {
    match cli.command {
        cli::Action::Events(options) => events::run(&cli.connection, options).await,
        cli::Action::Shell(options) => shell::run(&cli.connection, options).await,
        cli::Action::Schema(options) => schema::run(options),
        cli::Action::Demo(options) => demo::run(options).await,
        cli::Action::Completions { shell } => {
            let mut command = <cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "qmp", &mut std::io::stdout());
            Ok(())
        }
        cli::Action::Verify { all } => verify::run(&cli.connection, all).await,
        cli::Action::Agent(options) => {
            let connection = cli.connection;
            agent::run(connection.socket, connection.timeout, &cli.output, options).await
        }
        cli::Action::Run(words) => oneshot::run(&cli.connection, &cli.output, words).await,
    }
}
