//! `cargo xtask check` as a whole process: output streams and exit status.

mod common;

use std::path::PathBuf;

use common::{text, xtask};

/// A scratch file under the target directory, unique per test.
fn scratch(name: &str, contents: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("xtask-check");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn our_schema_passes_strict_with_exactly_the_summary_line() {
    for strict in [true, false] {
        let mut args = vec!["check", "schema/qapi-schema.json"];
        if strict {
            args.insert(1, "--strict");
        }
        let out = xtask(&args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            "ok: 903 definitions (152 enums, 413 structs, 40 unions, 6 alternates, 237 commands, 55 events) in 48 files\n"
        );
        assert_eq!(text(&out.stderr), "", "no diagnostics for our own schema");
    }
}

#[test]
fn missing_root_file_is_an_error_not_a_panic() {
    let out = xtask(&["check", "no/such/schema.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("no/such/schema.json"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn broken_schema_reports_and_counts_errors() {
    let path = scratch(
        "broken.json",
        "{ 'enum': 'Ok', 'data': [ 'a' ] }\n{ 'struct': \n",
    );
    let out = xtask(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    let location = format!("{}:", path.display());
    assert!(stderr.contains(&location), "names the file:\n{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: 1 error in ") && last.ends_with("broken.json"),
        "final line counts the errors: {last}"
    );
}

#[test]
fn documentation_rules_warn_by_default_and_fail_when_strict() {
    // Documentation is required, and this definition has none.
    let path = scratch(
        "undocumented.json",
        "{ 'pragma': { 'doc-required': true } }\n{ 'enum': 'Colour', 'data': [ 'red' ] }\n",
    );
    let path = path.to_str().unwrap();

    let out = xtask(&["check", path]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(text(&out.stdout).starts_with("ok: 1 definitions (1 enums,"));
    assert!(stderr.contains("warning"), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap_or_default()
            .contains("1 warning in"),
        "{stderr}"
    );
    assert!(stderr.contains("--strict makes them errors"), "{stderr}");

    let out = xtask(&["check", "--strict", path]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&out.stdout), "");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("error: 1 error in "),
        "{stderr}"
    );
}

#[test]
fn no_arguments_is_a_usage_error() {
    let out = xtask(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage"));
}
