//! Older QEMU releases' QAPI schemas: test input for the default mode,
//! which must accept every schema from QEMU 7.2 on.
//!
//! The QAPI corpus holds only QEMU 10.0. The `qapi-qmp` crates on
//! crates.io ship the `qapi/` directory of the QEMU release they were
//! generated from, so each older release is one pinned crate: fetched with
//! `curl` from crates.io's download host, checked against the SHA-256 that
//! the crates.io index lists for it, and unpacked (only its `qapi/*.json`)
//! into `target/qapi-releases/qemu-VERSION/qapi/`. The files stay there,
//! outside the sources: they are input, never part of the project.
//!
//! [`prerequisite`] is the `cargo xtask test` step; it reports the
//! directory to the tests as [`RELEASES_ENV`].

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::prereq::{Context, Status};

/// Names the directory that holds one `qemu-VERSION/` per release.
pub const RELEASES_ENV: &str = "QAPI_RELEASES";

/// One QEMU release's schema, as a pinned crate.
struct Release {
    /// The QEMU release, e.g. `7.2`.
    qemu: &'static str,
    /// The `qapi-qmp` version that ships its `qapi/` directory.
    crate_version: &'static str,
    /// The crate file's SHA-256, as the crates.io index lists it.
    sha256: &'static str,
}

/// Every release the tests read, oldest first. 10.0 is in the corpus.
const RELEASES: &[Release] = &[
    Release {
        qemu: "7.2",
        crate_version: "0.11.0",
        sha256: "880760acd8db07239b17051ec801bfb204f81efd269af538aeea242121b244a9",
    },
    Release {
        qemu: "8.0",
        crate_version: "0.13.0",
        sha256: "7ec512aad29acac9ac7ecf56f96e0434747dcca35af5edf5aa67464fd39eb642",
    },
    Release {
        qemu: "8.1",
        crate_version: "0.14.0",
        sha256: "e8b944db7e544d2fa97595e9a000a6ba5c62c426fa185e7e00aabe4b5640b538",
    },
    Release {
        qemu: "9.1",
        crate_version: "0.15.0",
        sha256: "45303cac879d89361cad0287ae15f9ae1e7799b904b474152414aeece39b9875",
    },
];

/// The `cargo xtask test` step: every release unpacked, or what to run.
pub fn prerequisite(ctx: &Context) -> Status {
    let dir = target_dir(&ctx.root).join("qapi-releases");
    for release in RELEASES {
        if let Err(problem) = ensure(release, &dir) {
            return Status::Missing {
                problem: format!("QEMU {}'s schema: {problem}", release.qemu),
                fix: format!(
                    "make sure `curl`, `tar` and `sha256sum` work and {} is reachable, then rerun",
                    download_url(release)
                ),
            };
        }
    }
    let versions: Vec<&str> = RELEASES.iter().map(|r| r.qemu).collect();
    Status::Ready {
        detail: format!("QEMU {} in {}", versions.join(", "), dir.display()),
        env: vec![(RELEASES_ENV, dir.into_os_string())],
    }
}

/// Where cargo builds: `$CARGO_TARGET_DIR`, else `target/` in the workspace.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

fn download_url(release: &Release) -> String {
    format!(
        "https://static.crates.io/crates/qapi-qmp/qapi-qmp-{}.crate",
        release.crate_version
    )
}

/// Unpacks `release` under `dir` unless a complete copy is there already.
fn ensure(release: &Release, dir: &Path) -> Result<(), String> {
    let dest = dir.join(format!("qemu-{}", release.qemu));
    // Written last, so a half-unpacked release is never taken as complete.
    let stamp = dest.join(".sha256");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == release.sha256) {
        return Ok(());
    }
    eprintln!(
        "xtask: fetching QEMU {}'s schema (qapi-qmp {})",
        release.qemu, release.crate_version
    );
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::create_dir_all(dest.join("qapi"))
        .map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let file = dest.join("download.crate");
    let url = download_url(release);
    run(Command::new("curl")
        .args(["--fail", "--silent", "--show-error", "--location"])
        .args(["--retry", "3", "--max-time", "120", "--output"])
        .arg(&file)
        .arg(&url))?;

    let output = Command::new("sha256sum")
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run sha256sum: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let actual = text.split_whitespace().next().unwrap_or("");
    if actual != release.sha256 {
        return Err(format!(
            "{url} has SHA-256 {actual:?}, expected {}",
            release.sha256
        ));
    }

    // `qapi-qmp-X/schema/qapi/*.json` → `qapi/*.json`.
    let inside = format!("qapi-qmp-{}/schema/qapi", release.crate_version);
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&file)
        .arg("-C")
        .arg(dest.join("qapi"))
        .args(["--strip-components=3", &inside]))?;
    std::fs::remove_file(&file).map_err(|e| format!("cannot remove {}: {e}", file.display()))?;
    std::fs::write(&stamp, release.sha256)
        .map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// Runs a command to success, or says what went wrong.
fn run(cmd: &mut Command) -> Result<(), String> {
    let what = format!("{cmd:?}");
    match cmd.stdin(Stdio::null()).status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{what} failed ({status})")),
        Err(error) => Err(format!("cannot run {what}: {error}")),
    }
}
