//! `cargo xtask test [ARGS...]`: the project's one test command.
//!
//! Ensures every prerequisite ([`crate::prereq`]), then runs
//! `cargo test --workspace --no-fail-fast ARGS...` with the environment the prerequisites
//! report, and exits with its status.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use crate::prereq::{Context, Status, STEPS};

/// Arguments of `cargo xtask test`.
#[derive(clap::Args)]
pub struct Args {
    /// Passed on to `cargo test --workspace` verbatim, e.g.
    /// `-p qmp-codegen -- --nocapture`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    cargo_args: Vec<OsString>,
}

impl Args {
    /// The arguments exactly as typed after `test`. Clap drops a leading
    /// `--`, which would turn `cargo xtask test -- --nocapture` into a
    /// `cargo test` option; the raw command line keeps it.
    fn verbatim(&self) -> Vec<OsString> {
        let mut raw = std::env::args_os().skip_while(|a| a != "test").skip(1);
        let raw: Vec<OsString> = raw.by_ref().collect();
        if raw.len() >= self.cargo_args.len() && raw.ends_with(&self.cargo_args) {
            raw
        } else {
            self.cargo_args.clone()
        }
    }
}

/// Ensures the prerequisites and runs the tests.
pub fn run(args: &Args) -> ExitCode {
    let ctx = Context {
        root: crate::project_root(),
        required: crate::is_ci(),
    };
    let mut cmd = Command::new(crate::cargo());
    cmd.current_dir(&ctx.root)
        // Report every failing test binary, not just the first.
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(args.verbatim());
    if ctx.required {
        // Tests that would skip without a prerequisite fail instead.
        cmd.env("QMP_REQUIRE_CORPUS", "1");
    }

    let mut missing = 0;
    for step in STEPS {
        match (step.ensure)(&ctx) {
            Status::Ready { detail, env } => {
                eprintln!("xtask: {}: {detail}", step.name);
                cmd.envs(env);
            }
            Status::Missing { problem, fix } => {
                missing += 1;
                let level = if ctx.required { "error" } else { "warning" };
                eprintln!("xtask: {level}: {} is missing: {problem}", step.name);
                eprintln!("xtask:   to fix: {fix}");
                if !ctx.required {
                    eprintln!("xtask:   the tests that need it will be SKIPPED");
                }
            }
        }
    }
    if missing > 0 && ctx.required {
        eprintln!("xtask: error: {missing} prerequisite(s) missing, and CI requires them all");
        return ExitCode::FAILURE;
    }

    eprintln!("xtask: running {cmd:?}");
    match cmd.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            // Pass the test run's exit code on where there is one.
            ExitCode::from(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
        }
        Err(error) => {
            eprintln!("xtask: error: cannot run cargo: {error}");
            ExitCode::FAILURE
        }
    }
}
