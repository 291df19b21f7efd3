//! The published crates used from outside this workspace, the way a
//! user's crate uses them: `tests/fleet/` (a program with a schema of its
//! own) is copied into a scratch directory, given a manifest that depends
//! on `qmp-client`, `qmp-server`, `qmp-macros` and `qmp-types` by path and
//! on `qmp-codegen` as a build dependency, built with its own target
//! directory, and run against QEMU 10.0.2 and qemu-ga 10.0. In-crate
//! tests cannot see what only a separate crate meets: the default runtime
//! path of generated code, the proc macro's schema path, a build script's
//! `OUT_DIR`, the features a user turns on.
//!
//! The first run builds the dependencies (about a minute on two cores);
//! later runs rebuild only the program. Without QEMU or the agent the test
//! says SKIPPED, and fails in CI.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use qmp_test_support::{GuestAgent, Kind, Release};

/// The program's files, copied as they are.
const FILES: [&str; 3] = ["build.rs", "src/main.rs", "schema/fleet.json"];

/// The program's manifest: the qmp crates by path (`{root}`), the rest
/// from crates.io as a user writes them.
const MANIFEST: &str = r#"[package]
name = "fleet"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
qmp-client = { path = "{root}/qmp-client" }
qmp-macros = { path = "{root}/qmp-macros" }
qmp-server = { path = "{root}/qmp-server" }
qmp-types = { path = "{root}/qmp-types" }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tempfile = "3"
tokio = { version = "1", features = ["rt-multi-thread", "net", "process", "time"] }

[build-dependencies]
qmp-codegen = { path = "{root}/qmp-codegen" }

# Not a member of any workspace above it.
[workspace]
"#;

/// The scratch crate, written afresh but for its target directory.
fn scratch_crate() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = here.parent().expect("the workspace");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fleet");
    for file in FILES {
        let to = dir.join(file);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(here.join("tests/fleet").join(file), &to).unwrap();
    }
    let manifest = MANIFEST.replace("{root}", root.to_str().expect("a UTF-8 path"));
    fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    // The workspace's lock file: the same versions of every dependency,
    // none fetched anew.
    fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir
}

/// Builds the program and gives its path; panics with cargo's output when
/// it does not build.
fn build(dir: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = dir.join("target");
    let output = Command::new(cargo)
        .args(["build", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        // A warning in the generated code, the macros' output or the
        // program fails the build, as in a crate that denies warnings.
        .env("RUSTFLAGS", "-D warnings")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the fleet program does not build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target.join("debug/fleet")
}

#[test]
fn a_crate_outside_the_workspace_builds_and_runs_against_qemu_and_the_agent() {
    let Some(qemu) = Kind::System.binary() else {
        return;
    };
    let Some(agent_binary) = Release::Current.guest_agent() else {
        return;
    };
    let program = build(&scratch_crate());
    let agent = GuestAgent::start(&agent_binary).expect("the agent starts");
    let output = Command::new(&program)
        .arg(&qemu)
        .arg(&agent.socket)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(output.status.success(), "{stdout}{stderr}");
    let expected = [
        "blocking client: QEMU status Running",
        "server: negotiation command fleet-hello",
        "client: before negotiation: server error CommandNotFound: \
         Expecting capabilities negotiation with 'fleet-hello'",
        "client: fleet alpha Ok with Some(3) machines",
        "client: event FleetRenamed(FleetRenamed { old: \"alpha\", new: \"beta\" })",
        "client: server error GenericError: a fleet needs a name",
        "client (macro bindings): fleet beta",
        "QEMU 10.0: greeted",
        "QEMU: query-name (derived by hand) gives None",
        "QEMU: event STOP",
        "QEMU: probe: query-status supported true, query-fleet false",
        "double: status Paused",
        "double: script done",
        "agent: version 10.0.",
        "agent: exec exit Some(0), output \"from the guest\\n\"",
        "done",
    ];
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{stdout}");
    for (line, expected) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(expected),
            "{line:?}, expected {expected:?}"
        );
    }
}
