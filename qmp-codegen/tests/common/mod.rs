//! Where the tests find the QAPI corpus.

use std::path::{Path, PathBuf};

/// QEMU 10.0's files in the QAPI corpus (`../shared/qapi-corpus`, or
/// `$QAPI_CORPUS`). When it is missing the test says so loudly and should
/// pass, unless `CI` or `QMP_REQUIRE_CORPUS=1` is set: then this panics.
pub fn corpus() -> Option<PathBuf> {
    let root = std::env::var_os("QAPI_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/qapi-corpus"),
        PathBuf::from,
    );
    let qemu = root.join("qemu-10.0.0");
    if qemu.is_dir() {
        return Some(qemu);
    }
    let required = std::env::var_os("CI").is_some()
        || std::env::var("QMP_REQUIRE_CORPUS").as_deref() == Ok("1");
    assert!(
        !required,
        "the QAPI corpus is required but missing at {}",
        root.display()
    );
    eprintln!(
        "\n*** SKIPPED: QAPI corpus not found at {} (set QAPI_CORPUS) ***\n",
        root.display()
    );
    None
}
