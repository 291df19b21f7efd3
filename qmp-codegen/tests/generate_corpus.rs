//! The bindings of QEMU's whole schemas, the system emulator's and the
//! guest agent's, are generated through the [`Builder`] into one scratch
//! crate, a module each, which must build with `#![deny(warnings)]`: QEMU
//! 10.0's from the QAPI corpus and each older release's that `cargo xtask
//! test` fetched.
//!
//! Skipped loudly without the corpus, unless `CI` or `QMP_REQUIRE_CORPUS=1`;
//! without the older releases only 10.0 is built (also loudly).

use std::path::PathBuf;
use std::time::Instant;

use common::ScratchCrate;
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
    let mut krate = ScratchCrate::new("qemu-bindings", "QEMU's QMP, generated in a test.");
    let mut report = Vec::new();
    for (module, what, schema) in &schemas {
        let started = Instant::now();
        let out = Builder::new()
            .schema(schema)
            .out_file(krate.module_file(module))
            .rerun_if_changed(false)
            .generate()
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let generation = started.elapsed();
        let lines = std::fs::read_to_string(&out).unwrap().lines().count();
        krate.include(module, &out);
        report.push(format!(
            "{what}: {lines} lines, generated in {generation:.2?}"
        ));
    }
    let took = krate.build();
    eprintln!("{}; all built in {took:.1?}", report.join("; "));
}
