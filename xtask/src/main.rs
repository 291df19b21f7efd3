//! Project tasks: `cargo xtask <task>`.
//!
//! Each task lives in its own module; `main` only parses the command line
//! and dispatches. Add a task by adding a module with an `Args` struct and a
//! `run` function, and a variant to [`Task`].

mod check;
mod codegen;
mod compat;
mod draft;
mod prereq;
mod python;
mod qemu;
mod qmp;
mod releases;
mod test;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Project tasks for the qmp workspace.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Check a QAPI schema and print what it defines.
    Check(check::Args),
    /// Regenerate qmp-types' bindings from schema/ (or check them).
    Codegen(codegen::Args),
    /// Compare schema/ with older QEMU releases' schemas; write the facts.
    Compat(compat::Args),
    /// Ensure what the tests need, then run the whole test suite.
    Test(test::Args),
    /// Compare a schema with a live QEMU's `query-qmp-schema`.
    Verify(verify::Args),
    /// Draft QAPI definitions from a live QEMU's `query-qmp-schema`.
    Draft(draft::Args),
}

fn main() -> ExitCode {
    match Cli::parse().task {
        Task::Check(args) => check::run(&args),
        Task::Codegen(args) => codegen::run(&args),
        Task::Compat(args) => compat::run(&args),
        Task::Test(args) => test::run(&args),
        Task::Verify(args) => verify::run(&args),
        Task::Draft(args) => draft::run(&args),
    }
}

/// The workspace root (the directory holding the root `Cargo.toml`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// The `cargo` that runs us, so that nested runs use the same toolchain.
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Whether this run is in CI, where every prerequisite is required.
///
/// True when `CI` is set to anything but an empty string, `0` or `false`
/// (CI services set `CI=true`), or when `QMP_REQUIRE_CORPUS=1` or
/// `QMP_REQUIRE_QEMU=1`.
pub fn is_ci() -> bool {
    let set = |name: &str| {
        std::env::var(name)
            .map(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE" | "False"))
            .unwrap_or(false)
    };
    set("CI") || set("QMP_REQUIRE_CORPUS") || set(qemu::REQUIRE_ENV)
}
