//! What the tests need besides the workspace, and how to get it.
//!
//! Each prerequisite is one [`Step`] in [`STEPS`]: a function that finds
//! the thing, installs it when it can, and otherwise says exactly what to
//! run. `cargo xtask test` runs every step before `cargo test`, and passes
//! the environment the steps report (e.g. `QAPI_CORPUS`) to the tests.
//!
//! In CI ([`crate::is_ci`]) anything missing is an error; on a developer's
//! machine it is a loud warning, and the tests that need it skip, saying so.
//!
//! What a step installs goes into the target directory ([`target_dir`]),
//! never into the sources.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a step needs to know.
pub struct Context {
    /// The workspace root.
    pub root: PathBuf,
    /// Whether a missing prerequisite is an error (CI).
    pub required: bool,
}

/// What a step found.
pub enum Status {
    /// Present (found or just installed); pass `env` to the tests.
    Ready {
        /// One line for the log: where it is, which version.
        detail: String,
        /// Variables for the test run.
        env: Vec<(&'static str, OsString)>,
    },
    /// Missing, and not installable from here.
    Missing {
        /// What is missing and where it was looked for.
        problem: String,
        /// The exact command or action that fixes it.
        fix: String,
    },
}

/// One prerequisite of the tests.
pub struct Step {
    /// What it is, for the log.
    pub name: &'static str,
    /// Finds it, installing it if it can.
    pub ensure: fn(&Context) -> Status,
}

/// Every prerequisite, in the order they are ensured.
pub const STEPS: &[Step] = &[
    Step {
        name: "QAPI corpus",
        ensure: qapi_corpus,
    },
    Step {
        name: "QEMU 10.0",
        ensure: crate::qemu::prerequisite,
    },
    Step {
        name: "older QEMU schemas",
        ensure: crate::releases::prerequisite,
    },
    Step {
        name: "qemu.qmp (Python)",
        ensure: crate::python::prerequisite,
    },
];

/// QEMU's QAPI schemas and generator test cases: test input, read in place.
///
/// Found at `$QAPI_CORPUS`, else at `../shared/qapi-corpus` beside the
/// workspace. It cannot be installed from here; it ships with the machine.
fn qapi_corpus(ctx: &Context) -> Status {
    let (path, from_env) = match std::env::var_os("QAPI_CORPUS") {
        Some(path) if !path.is_empty() => (PathBuf::from(path), true),
        _ => (default_corpus(&ctx.root), false),
    };
    let marker = path.join("qemu-10.0.0/qapi/qapi-schema.json");
    if marker.is_file() {
        let path = path.canonicalize().unwrap_or(path);
        Status::Ready {
            detail: path.display().to_string(),
            env: vec![("QAPI_CORPUS", path.into_os_string())],
        }
    } else {
        let whence = if from_env {
            "QAPI_CORPUS"
        } else {
            "the default location"
        };
        Status::Missing {
            problem: format!("no QEMU 10.0.0 schema at {} ({whence})", marker.display()),
            fix: format!(
                "put the corpus at {} or run with QAPI_CORPUS=/path/to/qapi-corpus",
                default_corpus(&ctx.root).display()
            ),
        }
    }
}

/// `../shared/qapi-corpus` beside the workspace root.
pub fn default_corpus(root: &Path) -> PathBuf {
    root.parent().unwrap_or(root).join("shared/qapi-corpus")
}

/// Where cargo builds: `$CARGO_TARGET_DIR` (relative to the workspace
/// root), else `target/` in the workspace.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// Runs a command to success, its standard input closed, or says what
/// went wrong.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let what = format!("{cmd:?}");
    match cmd.stdin(Stdio::null()).status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{what} failed ({status})")),
        Err(error) => Err(format!("cannot run {what}: {error}")),
    }
}
