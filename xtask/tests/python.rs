//! The reference client `cargo xtask test` provides: QEMU's `qemu.qmp` at
//! the pinned version in a venv, and its `qmp-shell` runs.

use std::process::{Command, Stdio};

use qmp_test_support::{python_or_skip, qmp_shell_or_skip, QEMU_QMP_VERSION};

#[test]
fn the_venv_has_the_pinned_qemu_qmp_and_qmp_shell_runs() {
    let (Some(python), Some(shell)) = (python_or_skip(), qmp_shell_or_skip()) else {
        return;
    };
    let output = Command::new(&python)
        .args([
            "-c",
            "import importlib.metadata as m\n\
             from qemu.qmp import QMPClient\n\
             print(m.version('qemu.qmp'), QMPClient.__name__)",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("the venv's python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}: {}\n{stdout}{}",
        python.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.trim(), format!("{QEMU_QMP_VERSION} QMPClient"));

    // The console script starts with the venv's interpreter.
    let help = Command::new(&shell)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .expect("qmp-shell runs");
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.status.success() && text.contains("usage: qmp-shell"),
        "{} --help: {}\n{text}{}",
        shell.display(),
        help.status,
        String::from_utf8_lossy(&help.stderr)
    );
}
