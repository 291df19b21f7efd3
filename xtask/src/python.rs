//! QEMU's own Python client library, `qemu.qmp` from PyPI: the reference
//! client that the server's tests run against our server (`python -c`
//! scripts and its `qmp-shell`).
//!
//! [`prerequisite`] is the `cargo xtask test` step: a venv at
//! `<target>/qemu-qmp-venv` ([`crate::prereq::target_dir`]), made with
//! `python3 -m venv` and `pip install qemu.qmp==`[`QEMU_QMP_VERSION`]. When
//! the venv is there it asks the venv's interpreter which `qemu.qmp` it has
//! and installs nothing; otherwise (missing, broken, another version) it
//! makes the venv anew. It reports the interpreter as [`PYTHON_ENV`] and
//! the `bin` directory as [`PYTHON_BIN_ENV`], read back by
//! `qmp_test_support::python` and `qmp_shell`.

use std::path::Path;
use std::process::{Command, Stdio};

use qmp_test_support::{PYTHON_BIN_ENV, PYTHON_ENV, QEMU_QMP_VERSION};

use crate::prereq::{run, target_dir, Context, Status};

/// The venv's directory name in the target directory.
const VENV: &str = "qemu-qmp-venv";

/// Prints the version of `qemu.qmp` the interpreter imports.
const PRINT_VERSION: &str =
    "import importlib.metadata as m, qemu.qmp; print(m.version('qemu.qmp'))";

/// The `cargo xtask test` step: the venv with the pinned `qemu.qmp`.
pub fn prerequisite(ctx: &Context) -> Status {
    let venv = target_dir(&ctx.root).join(VENV);
    if let Some(status) = ready(&venv) {
        return status;
    }
    eprintln!(
        "xtask: making a Python venv with qemu.qmp {QEMU_QMP_VERSION} in {}",
        venv.display()
    );
    let made = make(&venv);
    match (made, ready(&venv)) {
        (Ok(()), Some(status)) => status,
        (made, _) => Status::Missing {
            problem: made.err().unwrap_or_else(|| {
                format!(
                    "{} still lacks qemu.qmp {QEMU_QMP_VERSION} after installing it",
                    venv.display()
                )
            }),
            fix: format!(
                "python3 -m venv --clear {0} && {0}/bin/python -m pip install \
                 qemu.qmp=={QEMU_QMP_VERSION} (on Debian, if venv fails: \
                 apt-get install python3-venv), then rerun",
                venv.display()
            ),
        },
    }
}

/// `Ready` when the venv's interpreter imports `qemu.qmp` at the pinned
/// version and its `qmp-shell` is there.
fn ready(venv: &Path) -> Option<Status> {
    let bin = venv.join("bin");
    let python = bin.join("python");
    let shell = bin.join("qmp-shell");
    if !shell.is_file() {
        return None;
    }
    let output = Command::new(&python)
        .args(["-c", PRINT_VERSION])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&output.stdout);
    (output.status.success() && version.trim() == QEMU_QMP_VERSION).then(|| Status::Ready {
        detail: format!("qemu.qmp {QEMU_QMP_VERSION} in {}", venv.display()),
        env: vec![
            (PYTHON_ENV, python.into_os_string()),
            (PYTHON_BIN_ENV, bin.into_os_string()),
        ],
    })
}

/// Makes the venv anew (`--clear` empties a broken or outdated one) and
/// installs the pinned `qemu.qmp` into it.
fn make(venv: &Path) -> Result<(), String> {
    run(Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(venv))?;
    let python = venv.join("bin/python");
    run(Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg(format!("qemu.qmp=={QEMU_QMP_VERSION}")))
}
