//! `schema/` against its two oracles:
//!
//! - the live servers: `cargo xtask verify --qemu BINARY`, with no other
//!   flag, against `qemu-system-x86_64` and `qemu-storage-daemon` must
//!   print full coverage and no mismatch (the binary's kind picks the root
//!   and its condition symbol);
//! - QEMU 7.2 (Debian 12's, under `$QEMU_72_DIR`, default
//!   `/opt/qemu-7.2`): `verify` reads its release from the greeting and
//!   explains every difference from the cross-release facts (none is left
//!   unexplained), and explains some;
//! - QEMU's own generator: `scripts/qapi-gen.py` from the QAPI corpus
//!   accepts both roots, doc comments included.
//!
//! Without QEMU 10.0 (or the corpus, or `python3`) a test says SKIPPED
//! and passes, unless `QMP_REQUIRE_QEMU=1` (or `QMP_REQUIRE_CORPUS=1`,
//! which CI sets), where it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assert_verified, parse_summary, root, text, xtask};
use qmp_test_support::{Kind, Release};

const ROOTS: [&str; 2] = ["schema/qapi-schema.json", "schema/storage-daemon.json"];

fn required(vars: &[&str]) -> bool {
    vars.iter()
        .any(|v| std::env::var(v).is_ok_and(|v| v.trim() == "1"))
}

/// `$VAR`, else `name` on `PATH`.
fn binary(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn corpus() -> PathBuf {
    std::env::var_os("QAPI_CORPUS")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root().parent().unwrap().join("shared/qapi-corpus"))
}

/// Verifies `schema/` against the binary named by `$var` or `name`.
fn verify_against(var: &str, name: &str) {
    let Some(qemu) = binary(var, name) else {
        assert!(
            !required(&["QMP_REQUIRE_QEMU"]),
            "{name} is missing (set {var} or put it on PATH), and QMP_REQUIRE_QEMU=1"
        );
        eprintln!("SKIPPED: needs {name} (QEMU 10.0)");
        return;
    };
    let verify = xtask(&["verify", "--qemu", qemu.to_str().unwrap()]);
    assert_verified(&verify);
}

#[test]
fn schema_verifies_against_the_system_emulator() {
    verify_against("QMP_QEMU_SYSTEM", "qemu-system-x86_64");
}

#[test]
fn schema_verifies_against_the_storage_daemon() {
    verify_against("QMP_QEMU_STORAGE_DAEMON", "qemu-storage-daemon");
}

/// Verifies `schema/` against QEMU 7.2's binary of `kind`.
fn verify_against_7_2(kind: Kind) {
    let Some(qemu) = Release::Debian12.binary(kind) else {
        return;
    };
    let verify = xtask(&["verify", "--qemu", qemu.to_str().unwrap()]);
    let stdout = text(&verify.stdout);
    let name = kind.binary_name();
    let unexplained: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with("verify: ") && !l.starts_with("older only: "))
        .collect();
    assert!(
        unexplained.is_empty(),
        "differences from QEMU 7.2's {name} that schema/compat.txt does not explain:\n{stdout}"
    );
    assert!(verify.status.success(), "{stdout}");
    let mut lines = stdout.lines().rev();
    let summary = lines.next().unwrap_or_default();
    let explained = lines.next().unwrap_or_default();
    assert!(
        explained.starts_with("verify: QEMU 7.2."),
        "not told apart as QEMU 7.2:\n{stdout}"
    );
    let counts: u32 = explained
        .split_once("explained ")
        .and_then(|(_, rest)| rest.split_once(';'))
        .map(|(counts, _)| counts.split(", "))
        .expect("explained counts")
        .map(|c| c.split(' ').next().unwrap().parse::<u32>().unwrap())
        .sum();
    assert!(counts > 0, "nothing explained:\n{stdout}");
    let (have_c, live_c, have_e, live_e, mismatches) = parse_summary(summary);
    assert_eq!((have_c, have_e), (live_c, live_e), "{stdout}");
    assert_eq!(mismatches, 0, "{stdout}");
}

#[test]
fn differences_from_qemu_7_2_system_emulator_are_explained() {
    verify_against_7_2(Kind::System);
}

#[test]
fn differences_from_qemu_7_2_storage_daemon_are_explained() {
    verify_against_7_2(Kind::StorageDaemon);
}

#[test]
fn qemu_generator_accepts_both_roots() {
    let script = corpus().join("qemu-10.0.0/scripts/qapi-gen.py");
    let python = binary("PYTHON3", "python3");
    let (Some(python), true) = (python, script.is_file()) else {
        assert!(
            !required(&["QMP_REQUIRE_CORPUS", "QMP_REQUIRE_QEMU"]),
            "QEMU's qapi-gen.py ({}) or python3 is missing, and the test is required",
            script.display()
        );
        eprintln!("SKIPPED: needs the QAPI corpus and python3");
        return;
    };
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qapi-gen-schema");
    for schema in ROOTS {
        let dir = out.join(Path::new(schema).file_stem().unwrap());
        let _ = std::fs::remove_dir_all(&dir);
        let run = Command::new(&python)
            .arg(&script)
            .arg("-o")
            .arg(&dir)
            .arg(root().join(schema))
            // Nothing may be written into the corpus.
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .expect("python3 runs");
        assert!(
            run.status.success(),
            "qapi-gen.py rejects {schema}:\n{}{}",
            text(&run.stdout),
            text(&run.stderr)
        );
        assert!(dir.join("qapi-commands.c").is_file(), "{}", dir.display());
    }
}

#[test]
fn both_roots_pass_the_strict_check() {
    for schema in ROOTS {
        let check = xtask(&["check", "--strict", schema]);
        assert!(check.status.success(), "{schema}: {}", text(&check.stderr));
    }
}

/// Every system emulator on `PATH` (`qemu-system-*`), each of its own
/// target: `verify` evaluates the target's conditions and reports full
/// coverage and no mismatch. Debian's `qemu-system-x86_64-microvm` is a
/// build of its own, configured without many optional parts (spice, TPM,
/// replication, COLO, FUSE exports, zstd, most chardev and audio
/// backends): what it lacks is exactly `tests/verify-microvm.expected`.
#[test]
fn schema_verifies_against_every_installed_target() {
    let mut binaries: Vec<PathBuf> = std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("qemu-system-"))
        })
        .collect();
    // The same name in several PATH directories (/bin and /usr/bin) once.
    binaries.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    binaries.dedup_by(|a, b| a.file_name() == b.file_name());
    let targets = |name: &str| binaries.iter().any(|b| b.ends_with(name));
    if !(targets("qemu-system-aarch64") && targets("qemu-system-s390x")) {
        assert!(
            !required(&["QMP_REQUIRE_QEMU"]),
            "the other targets' emulators are missing (bash .ci/install-qemu), and QMP_REQUIRE_QEMU=1"
        );
        eprintln!("SKIPPED: needs qemu-system-aarch64 and qemu-system-s390x (QEMU 10.0)");
        return;
    }
    let expected = std::fs::read_to_string(root().join("xtask/tests/verify-microvm.expected"))
        .expect("the microvm build's listed differences");
    let expected: Vec<&str> = expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    for binary in &binaries {
        let name = binary.file_name().unwrap().to_str().unwrap();
        let verify = xtask(&["verify", "--qemu", binary.to_str().unwrap()]);
        let stdout = text(&verify.stdout);
        let summary = stdout.lines().next_back().unwrap_or_default();
        eprintln!("{name}: {summary}");
        if name.ends_with("-microvm") {
            let lines: Vec<&str> = stdout
                .lines()
                .filter(|l| !l.starts_with("verify: "))
                .collect();
            assert_eq!(
                lines, expected,
                "{name}: other differences than listed:\n{stdout}"
            );
        } else {
            assert_verified(&verify);
        }
    }
}
