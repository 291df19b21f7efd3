//! `qmp demo`.

pub async fn run(_options: crate::cli::DemoOptions) -> Result<(), crate::exit::Failure> {
    Err(crate::exit::Failure::new(
        crate::exit::Exit::Usage,
        "`qmp demo` is not there yet",
    ))
}
