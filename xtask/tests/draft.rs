//! `cargo xtask draft` against the real `qemu-storage-daemon`, then
//! `check` and `verify` of the draft: a draft must describe the live
//! server exactly.
//!
//! Needs QEMU 10.0 and the QAPI corpus. Without them the test says
//! SKIPPED and passes, unless `QMP_REQUIRE_QEMU=1` (or
//! `QMP_REQUIRE_CORPUS=1`, which CI sets), where it fails.

mod common;

use std::path::PathBuf;

use common::{assert_verified, root, text, xtask};

fn required() -> bool {
    ["QMP_REQUIRE_QEMU", "QMP_REQUIRE_CORPUS"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| v.trim() == "1"))
}

/// `$QMP_QEMU_STORAGE_DAEMON`, else `qemu-storage-daemon` on `PATH`.
fn storage_daemon() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("QMP_QEMU_STORAGE_DAEMON").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("qemu-storage-daemon"))
        .find(|p| p.is_file())
}

fn corpus_present() -> bool {
    let corpus = std::env::var_os("QAPI_CORPUS")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root().parent().unwrap().join("shared/qapi-corpus"));
    corpus
        .join("qemu-10.0.0/storage-daemon/qapi/qapi-schema.json")
        .is_file()
}

#[test]
fn a_draft_of_the_storage_daemon_verifies_with_no_mismatch() {
    let Some(daemon) = storage_daemon().filter(|_| corpus_present()) else {
        assert!(
            !required(),
            "qemu-storage-daemon or the QAPI corpus is missing, and the test is required"
        );
        eprintln!("SKIPPED: needs qemu-storage-daemon (QEMU 10.0) and the QAPI corpus");
        return;
    };
    let daemon = daemon.to_str().unwrap();
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("xtask-draft-storage-daemon");
    let _ = std::fs::remove_dir_all(&out_dir);
    let dump = out_dir.with_extension("introspection.json");
    let out_str = out_dir.to_str().unwrap();

    let draft = xtask(&[
        "draft",
        "--qemu",
        daemon,
        "--out",
        out_str,
        "--dump",
        dump.to_str().unwrap(),
    ]);
    assert!(draft.status.success(), "draft: {}", text(&draft.stderr));
    assert!(
        text(&draft.stdout).starts_with("draft: "),
        "{}",
        text(&draft.stdout)
    );

    let root_file = out_dir.join("qapi-schema.json");
    let check = xtask(&["check", root_file.to_str().unwrap()]);
    assert!(check.status.success(), "check: {}", text(&check.stderr));

    let verify = xtask(&[
        "verify",
        "--qemu",
        daemon,
        "--schema",
        root_file.to_str().unwrap(),
    ]);
    assert_verified(&verify);
    let stdout = text(&verify.stdout);

    // The dump is the same server: verifying against it agrees.
    let offline = xtask(&[
        "verify",
        "--live",
        dump.to_str().unwrap(),
        "--schema",
        root_file.to_str().unwrap(),
    ]);
    assert_eq!(text(&offline.stdout), stdout);
    assert!(offline.status.success());
}
