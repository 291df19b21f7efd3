//! `qmp schema`.

pub fn run(_options: crate::cli::SchemaOptions) -> Result<(), crate::exit::Failure> {
    Err(crate::exit::Failure::new(
        crate::exit::Exit::Usage,
        "`qmp schema` is not there yet",
    ))
}
