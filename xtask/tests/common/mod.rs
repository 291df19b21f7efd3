//! What every `xtask` integration test needs: run the binary from the
//! workspace root and read its output.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `cargo xtask ARGS` (the built binary) in the workspace root.
pub fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("xtask runs")
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `verify: commands H/L, events H/L, mismatches N` → (H, L, H, L, N).
pub fn parse_summary(line: &str) -> (u32, u32, u32, u32, u32) {
    let numbers: Vec<u32> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 5, "{line}");
    (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4])
}

/// Asserts that a `verify` run printed only its summary line, with full
/// coverage of a live server that has commands and events, no mismatch,
/// and exit status 0.
pub fn assert_verified(verify: &Output) {
    let stdout = text(&verify.stdout);
    let (have_c, live_c, have_e, live_e, mismatches) =
        parse_summary(stdout.lines().last().unwrap_or_default());
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the summary line expected:\n{stdout}"
    );
    assert!(live_c > 0 && live_e > 0, "{stdout}");
    assert_eq!(
        (have_c, have_e, mismatches),
        (live_c, live_e, 0),
        "{stdout}"
    );
    assert!(verify.status.success(), "{}", text(&verify.stderr));
}
