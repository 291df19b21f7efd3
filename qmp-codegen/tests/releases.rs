//! Older QEMU releases: the default mode accepts the system emulator's
//! and the guest agent's schemas of every release from 7.2 on, and only
//! documentation rules, which QEMU made stricter over the years, complain
//! about them.
//!
//! The schemas are fetched by `cargo xtask test` (see
//! `xtask/src/releases.rs`); without them these tests say so loudly and
//! pass, unless `CI` or `QMP_REQUIRE_CORPUS=1` is set.

mod common;

use common::{check, count_independently, releases, roots};
use qmp_codegen::diagnostic::Rule;
use qmp_codegen::{Checked, Options};

/// The language-rule diagnostics, rendered.
fn language_problems(checked: &Checked) -> String {
    common::rendered(checked, |d| d.rule == Rule::Language)
}

#[test]
fn older_releases_pass_in_default_mode() {
    for (version, dir) in releases() {
        for (dir_name, path) in roots(&dir) {
            let name = format!("QEMU {version} {dir_name}/qapi-schema.json");
            let checked = check(&path, &Options::default());
            let problems = language_problems(&checked);
            assert!(problems.is_empty(), "{name}:\n{problems}");
            assert!(!checked.has_errors(), "{name}: errors in default mode");
            let summary = checked.summary(checked.schema.as_ref().unwrap());
            assert_eq!(summary, count_independently(&path), "{name}");

            // Strict mode follows QEMU 10.0, so it may reject an older
            // schema, but only for its documentation.
            let strict = check(&path, &Options { strict: true });
            let problems = language_problems(&strict);
            assert!(problems.is_empty(), "{name}, strict:\n{problems}");
            eprintln!(
                "{name}: {summary}; {} documentation warnings",
                checked.diagnostics.len()
            );
        }
    }
}
