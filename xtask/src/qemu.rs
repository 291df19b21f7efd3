//! The reference QMP servers: QEMU 10.0's `qemu-system-x86_64` and
//! `qemu-storage-daemon`, from Debian bookworm-backports, and Debian 12's
//! own QEMU 7.2, unpacked in a directory of its own ([`OLD_DIR_ENV`]); and
//! the reference guest agents, `qemu-ga` of both releases (10.0 installed,
//! 7.2 unpacked in the same directory).
//!
//! [`prerequisite`] is the `cargo xtask test` step: it finds the binaries,
//! runs `.ci/install-qemu` when any is missing (as root, or through
//! `sudo` when that needs no password), and otherwise says the exact
//! command to run. The binaries are looked up as the tests look them up,
//! by `qmp-test-support` ([`Kind::find`]: its variable, else `PATH`;
//! [`Release::find_guest_agent`] for the agents), and the variables it
//! reports name them for the tests.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use qmp_test_support::REQUIRE_ENV;
use qmp_test_support::{Kind, Release, BOTH, GUEST_AGENT_ENV};

use crate::prereq::{Context, Status};

/// The QEMU release the project is verified against.
pub const VERSION: &str = "10.0";

/// Other targets' system emulators the tests verify `schema/` against
/// (`.ci/install-qemu` installs all of Debian's; these stand for them).
const OTHER_TARGETS: [&str; 4] = [
    "qemu-system-aarch64",
    "qemu-system-s390x",
    "qemu-system-ppc64",
    "qemu-system-riscv64",
];

/// Names the directory QEMU 7.2 is unpacked in (default [`OLD_DIR`]).
pub const OLD_DIR_ENV: &str = "QEMU_72_DIR";
/// Where `.ci/install-qemu` unpacks QEMU 7.2 by default.
pub const OLD_DIR: &str = "/opt/qemu-7.2";

/// QEMU 7.2's directory, when its system emulator there reports 7.2.
fn old_release() -> Option<(PathBuf, String)> {
    let dir = PathBuf::from(std::env::var_os(OLD_DIR_ENV).unwrap_or_else(|| OLD_DIR.into()));
    let version = version_of(&dir.join("usr/bin/qemu-system-x86_64"))?;
    version.starts_with("7.2.").then_some((dir, version))
}

/// The `cargo xtask test` step for QEMU.
pub fn prerequisite(ctx: &Context) -> Status {
    if let Some(status) = ready(ctx) {
        return status;
    }
    let script = ctx.root.join(".ci/install-qemu");
    let fix = format!("sudo bash {}", script.display());
    let as_root = if is_root() {
        Some(false)
    } else if sudo_without_password() {
        Some(true)
    } else {
        None
    };
    let Some(sudo) = as_root else {
        return Status::Missing {
            problem: format!(
                "{}, {} or qemu-ga not found at QEMU {VERSION}, or QEMU 7.2 (with its \
                 qemu-ga) not in {OLD_DIR} (${OLD_DIR_ENV}), and installing needs root \
                 (no password-less sudo)",
                BOTH[0].binary_name(),
                BOTH[1].binary_name()
            ),
            fix,
        };
    };
    eprintln!(
        "xtask: QEMU {VERSION}, QEMU 7.2 or a guest agent is missing; running {}",
        script.display()
    );
    let mut cmd = if sudo {
        let mut cmd = Command::new("sudo");
        cmd.arg("-n").arg("bash");
        cmd
    } else {
        Command::new("bash")
    };
    cmd.arg(&script).stdin(Stdio::null());
    let installed = match cmd.status() {
        Ok(status) if status.success() => None,
        Ok(status) => Some(format!("{} failed ({status})", script.display())),
        Err(error) => Some(format!("cannot run {}: {error}", script.display())),
    };
    match (installed, ready(ctx)) {
        (None, Some(status)) => status,
        (problem, _) => Status::Missing {
            problem: problem.unwrap_or_else(|| {
                format!("QEMU {VERSION} or 7.2 still not found after running the installer")
            }),
            fix,
        },
    }
}

/// `Ready` when both binaries are found at the right version.
fn ready(ctx: &Context) -> Option<Status> {
    let system = find(Kind::System)?;
    let daemon = find(Kind::StorageDaemon)?;
    // The other targets' emulators, for verify against each.
    for target in OTHER_TARGETS {
        let path = qmp_test_support::on_path(target)?;
        version_of(&path)?
            .starts_with(&format!("{VERSION}."))
            .then_some(())?;
    }
    let (old_dir, old_version) = old_release()?;
    // The guest agents of both releases.
    let agent = Release::Current.find_guest_agent()?;
    let agent_version = version_of(&agent)?;
    agent_version
        .starts_with(&format!("{VERSION}."))
        .then_some(())?;
    let old_agent = Release::Debian12.find_guest_agent()?;
    version_of(&old_agent)?.starts_with("7.2.").then_some(())?;
    let mut env = vec![
        (Kind::System.env_var(), system.path.clone().into_os_string()),
        (
            Kind::StorageDaemon.env_var(),
            daemon.path.clone().into_os_string(),
        ),
        (GUEST_AGENT_ENV, agent.clone().into_os_string()),
        (OLD_DIR_ENV, old_dir.clone().into_os_string()),
    ];
    if ctx.required {
        env.push((REQUIRE_ENV, OsString::from("1")));
    }
    Some(Status::Ready {
        detail: format!(
            "{} ({}), {} ({}), {} ({agent_version}), QEMU {old_version} in {}",
            system.path.display(),
            system.version,
            daemon.path.display(),
            daemon.version,
            agent.display(),
            old_dir.display()
        ),
        env,
    })
}

/// A QEMU binary that runs.
pub struct Found {
    /// Where it is.
    pub path: PathBuf,
    /// Its version, e.g. `10.0.2`.
    pub version: String,
}

/// The binary of `kind` ([`Kind::find`]), when it runs and reports QEMU
/// [`VERSION`].
pub fn find(kind: Kind) -> Option<Found> {
    let path = kind.find()?;
    let version = version_of(&path)?;
    let wanted = format!("{VERSION}.");
    version
        .starts_with(&wanted)
        .then_some(Found { path, version })
}

/// The version a QEMU binary reports: the first word of its `--version`'s
/// first line that starts with a digit (`QEMU emulator version 10.0.2
/// (...)`, `QEMU Guest Agent 10.0.2`).
pub fn version_of(path: &Path) -> Option<String> {
    let output = Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    version_in(&String::from_utf8_lossy(&output.stdout)).map(str::to_string)
}

/// The version in the text of `--version` (see [`version_of`]).
fn version_in(text: &str) -> Option<&str> {
    text.lines()
        .next()?
        .split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))
}

/// Whether we run as root (per `id -u`; std has no safe geteuid).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Whether `sudo` works without asking for a password.
fn sudo_without_password() -> bool {
    Command::new("sudo")
        .args(["-n", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::version_in;

    #[test]
    fn versions_of_each_binary() {
        let cases = [
            (
                "QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\nCopyright",
                "10.0.2",
            ),
            (
                "qemu-storage-daemon version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)",
                "10.0.2",
            ),
            ("QEMU Guest Agent 7.2.22\n", "7.2.22"),
        ];
        for (text, version) in cases {
            assert_eq!(version_in(text), Some(version), "{text}");
        }
        assert_eq!(version_in("qemu-ga: unknown\n"), None);
    }
}
