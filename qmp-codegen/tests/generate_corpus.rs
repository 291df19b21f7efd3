//! The bindings of QEMU's whole schemas, the system emulator's and the
//! guest agent's, are generated through the [`Builder`] into one scratch
//! crate, a module each, which must build with `#![deny(warnings)]`: QEMU
//! 10.0's from the QAPI corpus and each older release's that `cargo xtask
//! test` fetched.
//!
//! Skipped loudly without the corpus, unless `CI` or `QMP_REQUIRE_CORPUS=1`;
//! without the older releases only 10.0 is built (also loudly).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use qmp_codegen::Builder;

mod common;

/// `(module name, what, root file)` of every schema to build.
fn schemas() -> Option<Vec<(String, String, PathBuf)>> {
    let mut releases = common::releases();
    releases.push(("10.0".into(), common::corpus()?));
    let mut all = Vec::new();
    for (version, dir) in releases {
        for (dir_name, root) in common::roots(&dir) {
            let (module, what) = match dir_name {
                "qga" => (
                    format!("qemu_{version}_qga"),
                    format!("QEMU {version} guest agent"),
                ),
                _ => (format!("qemu_{version}"), format!("QEMU {version}")),
            };
            all.push((module.replace('.', "_"), what, root));
        }
    }
    Some(all)
}

#[test]
fn full_qemu_schemas_build_without_warnings() {
    let Some(schemas) = schemas() else {
        return;
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let krate = Path::new(env!("CARGO_TARGET_TMPDIR")).join("qemu-bindings");
    std::fs::create_dir_all(krate.join("src")).unwrap();

    let mut lib = String::from("//! QEMU's QMP, generated in a test.\n#![deny(warnings)]\n");
    let mut report = Vec::new();
    for (module, what, schema) in &schemas {
        let started = Instant::now();
        let out = Builder::new()
            .schema(schema)
            .out_file(krate.join(format!("src/{module}.rs")))
            .rerun_if_changed(false)
            .generate()
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let generation = started.elapsed();
        let lines = std::fs::read_to_string(&out).unwrap().lines().count();
        lib += &format!("pub mod {module} {{\n    include!(\"{module}.rs\");\n}}\n");
        report.push(format!(
            "{what}: {lines} lines, generated in {generation:.2?}"
        ));
    }
    std::fs::write(krate.join("src/lib.rs"), lib).unwrap();
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
        "{}; all built (debug, with dependencies) in {:.1?}",
        report.join("; "),
        started.elapsed()
    );
}
