//! The compiler the pinned `.stderr` files of the trybuild tests were
//! written with (their text is rustc's), shared by the workspace's
//! compile-fail suites.

/// The `rustc --version` prefix the `.stderr` files were written with.
const STDERR_TOOLCHAIN: &str = "rustc 1.95.";

/// Whether the running compiler is the one the messages were written
/// with. Another one skips the comparison, loudly; in CI (`CI` set) it
/// fails, since there the toolchain is the project's.
pub fn matches_pinned() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if version.starts_with(STDERR_TOOLCHAIN) {
        return true;
    }
    let message = format!(
        "the pinned compiler messages were written with {STDERR_TOOLCHAIN}x; this is {}",
        version.trim()
    );
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("SKIPPED: {message}");
    false
}
