//! Older QEMU releases' QAPI schemas: test input for the default mode,
//! which must accept every schema from QEMU 7.2 on.
//!
//! The QAPI corpus holds only QEMU 10.0. The `qapi-qmp` and `qapi-qga`
//! crates on crates.io ship the `qapi/` and `qga/` schema directories of
//! the QEMU release they were generated from, so each older release is one
//! or two pinned crates: fetched with `curl` from crates.io's download
//! host, checked against the SHA-256 that the crates.io index lists, and
//! unpacked (only the schema directory) into
//! `target/qapi-releases/qemu-VERSION/{qapi,qga}/`. The files stay there,
//! outside the sources: they are input, never part of the project.
//!
//! [`prerequisite`] is the `cargo xtask test` step; it reports the
//! directory to the tests as [`RELEASES_ENV`].

use std::path::Path;
use std::process::{Command, Stdio};

use crate::prereq::{run, target_dir, Context, Status};

/// Names the directory that holds one `qemu-VERSION/` per release.
pub const RELEASES_ENV: &str = "QAPI_RELEASES";

/// One QEMU release's schemas.
struct Release {
    /// The QEMU release, e.g. `7.2`.
    qemu: &'static str,
    /// The pinned crates that ship its schema directories.
    crates: &'static [SchemaCrate],
}

/// A crate whose `schema/DIR/` is a QEMU schema directory.
struct SchemaCrate {
    /// `qapi-qmp` (ships `qapi/`, the system emulator's schema) or
    /// `qapi-qga` (ships `qga/`, the guest agent's).
    name: &'static str,
    version: &'static str,
    /// The crate file's SHA-256, as the crates.io index lists it.
    sha256: &'static str,
}

impl SchemaCrate {
    /// The directory it ships under `schema/`, and unpacks to.
    fn dir(&self) -> &'static str {
        match self.name {
            "qapi-qga" => "qga",
            _ => "qapi",
        }
    }

    fn url(&self) -> String {
        format!(
            "https://static.crates.io/crates/{0}/{0}-{1}.crate",
            self.name, self.version
        )
    }
}

const fn qmp(version: &'static str, sha256: &'static str) -> SchemaCrate {
    SchemaCrate {
        name: "qapi-qmp",
        version,
        sha256,
    }
}

const fn qga(version: &'static str, sha256: &'static str) -> SchemaCrate {
    SchemaCrate {
        name: "qapi-qga",
        version,
        sha256,
    }
}

/// Every release the tests read, oldest first. 10.0 is in the corpus.
/// Which release a crate ships was told by the newest `Since:` in it;
/// 7.2's two are identical to the files in Debian's QEMU 7.2 source.
const RELEASES: &[Release] = &[
    Release {
        qemu: "7.2",
        crates: &[
            qmp(
                "0.11.0",
                "880760acd8db07239b17051ec801bfb204f81efd269af538aeea242121b244a9",
            ),
            qga(
                "0.11.0",
                "d7f4921ee81cdaa869d0417064f0a368fae7a82d9740e7467448f13b9f8087c7",
            ),
        ],
    },
    Release {
        qemu: "8.0",
        crates: &[qmp(
            "0.13.0",
            "7ec512aad29acac9ac7ecf56f96e0434747dcca35af5edf5aa67464fd39eb642",
        )],
    },
    Release {
        qemu: "8.1",
        crates: &[qmp(
            "0.14.0",
            "e8b944db7e544d2fa97595e9a000a6ba5c62c426fa185e7e00aabe4b5640b538",
        )],
    },
    Release {
        qemu: "9.1",
        crates: &[
            qmp(
                "0.15.0",
                "45303cac879d89361cad0287ae15f9ae1e7799b904b474152414aeece39b9875",
            ),
            qga(
                "0.13.0",
                "2945a1829999b7e600b98c8326615ece10df20bc9e9ab12ec057a6aa29b7317d",
            ),
        ],
    },
];

/// Where each release's schemas are unpacked, oldest first: `(release,
/// directory)` (the directory holds `qapi/` and maybe `qga/`).
pub fn directories(root: &std::path::Path) -> Vec<(String, std::path::PathBuf)> {
    let dir = target_dir(root).join("qapi-releases");
    RELEASES
        .iter()
        .map(|r| (r.qemu.to_owned(), dir.join(format!("qemu-{}", r.qemu))))
        .collect()
}

/// The `cargo xtask test` step: every release unpacked, or what to run.
pub fn prerequisite(ctx: &Context) -> Status {
    let dir = target_dir(&ctx.root).join("qapi-releases");
    for release in RELEASES {
        let dest = dir.join(format!("qemu-{}", release.qemu));
        for krate in release.crates {
            if let Err(problem) = ensure(krate, &dest) {
                return Status::Missing {
                    problem: format!("QEMU {}'s schema: {problem}", release.qemu),
                    fix: format!(
                        "make sure `curl`, `tar` and `sha256sum` work and {} is reachable, then rerun",
                        krate.url()
                    ),
                };
            }
        }
    }
    let versions: Vec<&str> = RELEASES.iter().map(|r| r.qemu).collect();
    Status::Ready {
        detail: format!("QEMU {} in {}", versions.join(", "), dir.display()),
        env: vec![(RELEASES_ENV, dir.into_os_string())],
    }
}

/// Unpacks the schema directory `krate` ships into `release_dir` unless a
/// complete copy is there already.
fn ensure(krate: &SchemaCrate, release_dir: &Path) -> Result<(), String> {
    let dest = release_dir.join(krate.dir());
    // Written last, so a half-unpacked directory is never taken as complete.
    let stamp = dest.join(".sha256");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == krate.sha256) {
        return Ok(());
    }
    eprintln!("xtask: fetching {} {}", krate.name, krate.version);
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::create_dir_all(&dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let file = release_dir.join(format!("{}.crate", krate.name));
    let url = krate.url();
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
    if actual != krate.sha256 {
        return Err(format!(
            "{url} has SHA-256 {actual:?}, expected {}",
            krate.sha256
        ));
    }

    // `NAME-VERSION/schema/DIR/*.json` → `DIR/*.json`.
    let inside = format!("{}-{}/schema/{}", krate.name, krate.version, krate.dir());
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&file)
        .arg("-C")
        .arg(&dest)
        .args(["--strip-components=3", &inside]))?;
    std::fs::remove_file(&file).map_err(|e| format!("cannot remove {}: {e}", file.display()))?;
    std::fs::write(&stamp, krate.sha256)
        .map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}
