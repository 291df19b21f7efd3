//! `qmp shell`.

pub async fn run(
    _connection: &crate::cli::Connection,
    _options: crate::cli::ShellOptions,
) -> Result<(), crate::exit::Failure> {
    Err(crate::exit::Failure::new(
        crate::exit::Exit::Usage,
        "`qmp shell` is not there yet",
    ))
}
