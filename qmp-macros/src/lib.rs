//! Procedural macros for the `qmp` crates. Thin entry points: the work is
//! done by `qmp_codegen::derive` and `qmp_codegen::emit`.
//!
//! - `#[derive(Command)]` with `#[qmp(name = "...", returns = T, mode = ..,
//!   allow_oob)]`, for commands a schema does not describe (a QEMU fork's);
//! - `#[derive(Event)]` with `#[qmp(name = "...")]`;
//! - `qapi_schema!("path/to/schema.json")`, the bindings of a whole schema,
//!   the path relative to the crate's `Cargo.toml` (or, failing that, to
//!   the invoking source file).
//!
//! ```
//! use qmp_macros::Command;
//! use qmp_types::types::VersionInfo;
//!
//! /// Query the version (a hand-written twin of the generated `QueryVersion`).
//! #[derive(serde::Serialize, Command)]
//! #[qmp(name = "query-version", returns = VersionInfo)]
//! struct MyQueryVersion {}
//!
//! assert_eq!(<MyQueryVersion as qmp_types::Command>::NAME, "query-version");
//! ```

use proc_macro::TokenStream;

/// Implements `qmp_types::Command` and the mode traits for a struct of
/// command arguments. See the crate docs for the attributes.
#[proc_macro_derive(Command, attributes(qmp))]
pub fn derive_command(input: TokenStream) -> TokenStream {
    qmp_codegen::derive::command(input.into()).into()
}

/// Implements `qmp_types::Event` for a struct of event data.
#[proc_macro_derive(Event, attributes(qmp))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    qmp_codegen::derive::event(input.into()).into()
}

/// Expands to the `types`, `commands` and `events` modules of a schema,
/// read at compile time; schema errors become compile errors.
#[proc_macro]
pub fn qapi_schema(input: TokenStream) -> TokenStream {
    let file = proc_macro::Span::call_site().local_file();
    let dir = file.as_deref().and_then(std::path::Path::parent);
    qmp_codegen::derive::qapi_schema(input.into(), dir).into()
}
