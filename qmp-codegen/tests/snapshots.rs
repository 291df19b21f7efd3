//! Emitter snapshots: each small schema in `tests/snapshots/` sits beside
//! what the [`Builder`] makes of it, so that a change to the emitter shows
//! up as a reviewable diff of a few short files rather than of the whole
//! generated bindings.
//!
//! - `NAME.json` that generates: its bindings are `NAME.rs`;
//! - `NAME.json` that cannot be generated: the error, rendered as a build
//!   script would print it, is `NAME.stderr`;
//! - `agent*.json`: a guest agent schema (`Protocol::GuestAgent`).
//!
//! A mismatch fails, naming the files; `QMP_SNAPSHOTS=overwrite cargo test
//! -p qmp-codegen --test snapshots` rewrites them instead (then review
//! the diff). Every `NAME.rs` must also build, all of them in one scratch
//! crate with `#![deny(warnings)]`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::ScratchCrate;
use qmp_codegen::emit::Protocol;
use qmp_codegen::Builder;

/// The directory of the cases, relative to the crate (the tests' working
/// directory), so that rendered diagnostics name files the same way on
/// every machine.
const DIR: &str = "tests/snapshots";

/// Whether to rewrite the expected files rather than compare.
fn overwrite() -> bool {
    std::env::var("QMP_SNAPSHOTS").as_deref() == Ok("overwrite")
}

/// Every case's schema, by name.
fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(DIR)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    cases.sort();
    cases
}

/// What `schema` generates: `(extension, text)` of its expected file.
/// A case named `agent*` is a guest agent schema.
fn generate(schema: &Path) -> (&'static str, String) {
    let name = schema.file_name().unwrap().to_string_lossy();
    let protocol = if name.starts_with("agent") {
        Protocol::GuestAgent
    } else {
        Protocol::Qmp
    };
    match Builder::new()
        .schema(schema)
        .protocol(protocol)
        .rerun_if_changed(false)
        .build()
    {
        Ok(generated) => (
            "rs",
            format!(
                "// @generated from {name} by tests/snapshots.rs \
                 (QMP_SNAPSHOTS=overwrite rewrites it).\n\n{}",
                generated.single_file()
            ),
        ),
        Err(error) => ("stderr", format!("{error}\n")),
    }
}

#[test]
fn each_schema_generates_its_snapshot_and_the_snapshots_build() {
    let cases = cases();
    let mut mismatches = Vec::new();
    let mut krate = ScratchCrate::new("snapshot-bindings", "The emitter's snapshots.");
    for schema in &cases {
        let (extension, actual) = generate(schema);
        let expected_path = schema.with_extension(extension);
        let other = schema.with_extension(if extension == "rs" { "stderr" } else { "rs" });
        if overwrite() {
            fs::write(&expected_path, &actual).unwrap();
            if other.exists() {
                fs::remove_file(&other).unwrap();
            }
        } else {
            let expected = fs::read_to_string(&expected_path)
                .unwrap_or_default()
                .replace("\r\n", "\n");
            if expected != actual {
                mismatches.push(format!(
                    "{} is not what {} generates now",
                    expected_path.display(),
                    schema.display()
                ));
            }
            if other.exists() {
                mismatches.push(format!("{} is left over", other.display()));
            }
        }
        if extension == "rs" {
            // `case_` keeps names like `enum` from being keywords.
            let module = format!("case_{}", schema.file_stem().unwrap().to_string_lossy());
            krate.include(&module, &fs::canonicalize(&expected_path).unwrap());
        }
    }
    assert!(
        mismatches.is_empty(),
        "{}\nrun `QMP_SNAPSHOTS=overwrite cargo test -p qmp-codegen --test snapshots` \
         and review the diff",
        mismatches.join("\n")
    );
    let took = krate.build();
    eprintln!("{} snapshots; built in {took:.1?}", cases.len());
}
