//! Older QEMU releases: the default mode accepts the system emulator's
//! schema of every release from 7.2 on, and only documentation rules,
//! which QEMU made stricter over the years, complain about it.
//!
//! The schemas are fetched by `cargo xtask test` (see
//! `xtask/src/releases.rs`); without them these tests say so loudly and
//! pass, unless `CI` or `QMP_REQUIRE_CORPUS=1` is set.

mod common;

use common::{count_independently, releases};
use qmp_codegen::diagnostic::Rule;
use qmp_codegen::{check_file, Checked, Options};

fn check(path: &std::path::Path, strict: bool) -> Checked {
    check_file(path, &Options { strict }).unwrap_or_else(|e| panic!("{e}"))
}

/// The language-rule diagnostics, rendered.
fn language_problems(checked: &Checked) -> String {
    common::rendered(checked, |d| d.rule == Rule::Language)
}

#[test]
fn older_releases_pass_in_default_mode() {
    for (version, dir) in releases() {
        let path = dir.join("qapi/qapi-schema.json");
        let checked = check(&path, false);
        let problems = language_problems(&checked);
        assert!(problems.is_empty(), "QEMU {version}:\n{problems}");
        assert!(
            !checked.has_errors(),
            "QEMU {version}: documentation errors in default mode"
        );
        let summary = checked.summary(checked.schema.as_ref().unwrap());
        assert_eq!(summary, count_independently(&path), "QEMU {version}");

        // Strict mode follows QEMU 10.0, so it may reject an older schema,
        // but only for its documentation.
        let strict = check(&path, true);
        let problems = language_problems(&strict);
        assert!(problems.is_empty(), "QEMU {version}, strict:\n{problems}");
        eprintln!(
            "QEMU {version}: {summary}; {} documentation warnings",
            checked.diagnostics.len()
        );
    }
}
