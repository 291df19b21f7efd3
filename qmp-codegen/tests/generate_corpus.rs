//! The bindings of QEMU 10.0's whole system-emulator schema (from the QAPI
//! corpus) are generated through the [`Builder`] into a scratch crate, which
//! must build with `#![deny(warnings)]`.
//!
//! Skipped loudly without the corpus, unless `CI` or `QMP_REQUIRE_CORPUS=1`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use qmp_codegen::Builder;

mod common;

fn corpus_schema() -> Option<PathBuf> {
    Some(common::corpus()?.join("qapi/qapi-schema.json"))
}

#[test]
fn full_qemu_schema_builds_without_warnings() {
    let Some(schema) = corpus_schema() else {
        return;
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let krate = Path::new(env!("CARGO_TARGET_TMPDIR")).join("qemu-10.0-bindings");
    std::fs::create_dir_all(krate.join("src")).unwrap();

    let started = Instant::now();
    let out = Builder::new()
        .schema(&schema)
        .out_file(krate.join("src/qapi.rs"))
        .rerun_if_changed(false)
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));
    let generation = started.elapsed();
    let lines = std::fs::read_to_string(&out).unwrap().lines().count();

    std::fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"qemu-bindings\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nqmp-types = {{ path = {:?} }}\nserde = \"1\"\n\
             serde_json = \"1\"\n\n[workspace]\n",
            workspace.join("qmp-types")
        ),
    )
    .unwrap();
    std::fs::write(
        krate.join("src/lib.rs"),
        "//! QEMU 10.0's QMP, generated in a test.\n#![deny(warnings)]\ninclude!(\"qapi.rs\");\n",
    )
    .unwrap();
    // The workspace's lock file pins the same dependency versions.
    std::fs::copy(workspace.join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = Instant::now();
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--manifest-path"])
        .arg(krate.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", krate.join("target"))
        .env_remove("RUSTFLAGS")
        .status()
        .unwrap();
    assert!(status.success(), "the generated bindings do not build");
    eprintln!(
        "QEMU 10.0 bindings: {lines} lines, generated in {generation:.2?}, built (debug, with dependencies) in {:.1?}",
        started.elapsed()
    );
}
