//! Conformance with QEMU 10.0's own QAPI generator, on input no one here
//! wrote: the QEMU schemas and the generator's test cases in the QAPI corpus
//! (`../shared/qapi-corpus`, or `$QAPI_CORPUS`).
//!
//! When the corpus is missing these tests say so loudly and pass, unless
//! `CI` or `QMP_REQUIRE_CORPUS=1` is set, in which case they fail.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

mod common;

use common::{check, corpus, count_independently};
use qmp_codegen::diagnostic::{Rule, Severity};
use qmp_codegen::{check_file, Checked, Options};

fn strict() -> Options {
    Options { strict: true }
}

fn errors(checked: &Checked) -> String {
    common::rendered(checked, |d| d.severity == Severity::Error)
}

#[test]
fn qemu_schemas_pass_with_the_right_counts() {
    let Some(qemu) = corpus() else { return };
    for schema in common::QEMU_SCHEMAS {
        let path = qemu.join(schema);
        let expected = count_independently(&path);
        for options in [Options::default(), strict()] {
            let checked = check(&path, &options);
            assert!(!checked.has_errors(), "{schema}:\n{}", errors(&checked));
            let warnings = checked.diagnostics.len();
            assert_eq!(warnings, 0, "{schema} gives {warnings} warnings");
            let summary = checked.summary(checked.schema.as_ref().unwrap());
            assert_eq!(summary, expected, "{schema}");
            eprintln!("{schema}: {summary}");
        }
    }
}

/// One generator test case: its schema and where QEMU reports its error.
struct Case {
    name: String,
    schema: PathBuf,
    /// Whether QEMU rejects the schema.
    rejected: bool,
    /// `(file, line)` of QEMU's error, when it names one.
    expected: Option<(String, u32)>,
}

fn cases(qemu: &Path) -> Vec<Case> {
    let dir = qemu.join("tests/qapi-schema");
    let meson = fs::read_to_string(dir.join("meson.build")).unwrap();
    let mut names: Vec<String> = meson
        .split('\'')
        .filter(|s| s.ends_with(".json"))
        .map(str::to_owned)
        .collect();
    let mut seen = BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    assert!(names.len() > 200, "meson.build lists {} cases", names.len());
    names
        .into_iter()
        .map(|file| {
            let name = file.trim_end_matches(".json").to_owned();
            let err = fs::read_to_string(dir.join(format!("{name}.err"))).unwrap_or_default();
            Case {
                schema: dir.join(&file),
                rejected: !err.trim().is_empty(),
                expected: err.lines().find_map(location),
                name,
            }
        })
        .collect()
}

/// The `file:line` a line of QEMU's error output starts with, if any
/// (`file: In struct ...` context lines and include chains have none).
fn location(line: &str) -> Option<(String, u32)> {
    let (file, rest) = line.split_once(':')?;
    if !file.ends_with(".json") || file.contains(' ') {
        return None;
    }
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((file.to_owned(), digits.parse().ok()?))
}

/// What we say about a case: `None` if accepted, else where the first error is.
fn our_verdict(case: &Case, options: &Options) -> (Option<(String, u32)>, Checked) {
    let dir = case.schema.parent().unwrap();
    match check_file(&case.schema, options) {
        Err(_) => {
            // An unreadable root: QEMU reports it without a line.
            let name = case
                .schema
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                Some((name, 0)),
                Checked {
                    sources: Default::default(),
                    diagnostics: Vec::new(),
                    schema: None,
                },
            )
        }
        Ok(checked) => {
            let first = checked
                .diagnostics
                .iter()
                .find(|d| d.severity == Severity::Error)
                .map(|d| {
                    let (path, pos) = checked.sources.location(d.span);
                    let path = Path::new(&path);
                    let file = path.strip_prefix(dir).unwrap_or(path);
                    (file.to_string_lossy().into_owned(), pos.line)
                });
            (first, checked)
        }
    }
}

/// Cases where we knowingly disagree with QEMU 10.0, each with the reason.
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[];

#[test]
fn generator_test_cases_agree_with_qemu_in_strict_mode() {
    let Some(qemu) = corpus() else { return };
    let cases = cases(&qemu);
    let mut disagreements = Vec::new();
    for case in &cases {
        let (ours, checked) = our_verdict(case, &strict());
        let agree = match (&case.expected, &ours) {
            _ if !case.rejected => ours.is_none(),
            (Some(expected), Some(ours)) => expected == ours,
            // QEMU names no line for an unreadable root file; nor do we.
            (None, Some((_, 0))) => true,
            _ => false,
        };
        if !agree {
            disagreements.push(format!(
                "{}: QEMU {:?}, we {:?}\n{}",
                case.name,
                case.expected,
                ours,
                errors(&checked)
            ));
        }
    }
    let agreed = cases.len() - disagreements.len();
    eprintln!(
        "strict-mode agreement with QEMU 10.0: {agreed}/{} cases",
        cases.len()
    );
    let known: BTreeSet<&str> = KNOWN_DISAGREEMENTS.iter().map(|(n, _)| *n).collect();
    let unexpected: Vec<&String> = disagreements
        .iter()
        .filter(|d| !known.contains(d.split(':').next().unwrap()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} cases disagree with QEMU:\n\n{}",
        unexpected.len(),
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    assert_eq!(
        disagreements.len(),
        known.len(),
        "a known disagreement now agrees: remove it from KNOWN_DISAGREEMENTS"
    );
}

#[test]
fn default_mode_relaxes_only_documentation_rules() {
    let Some(qemu) = corpus() else { return };
    let mut relaxed = Vec::new();
    for case in cases(&qemu) {
        let (strict_verdict, strict_checked) = our_verdict(&case, &strict());
        let (default_verdict, _) = our_verdict(&case, &Options::default());
        if strict_verdict.is_some() && default_verdict.is_none() {
            let language: Vec<_> = strict_checked
                .diagnostics
                .iter()
                .filter(|d| d.rule == Rule::Language)
                .map(|d| d.render(&strict_checked.sources, false))
                .collect();
            assert!(
                language.is_empty(),
                "{}: accepted by default despite language errors:\n{}",
                case.name,
                language.join("\n")
            );
            relaxed.push(case.name.clone());
        }
        assert!(
            !(strict_verdict.is_none() && default_verdict.is_some()),
            "{}: default mode rejects what strict mode accepts",
            case.name
        );
    }
    eprintln!(
        "{} cases are accepted by default and rejected in strict mode (documentation rules only):\n  {}",
        relaxed.len(),
        relaxed.join("\n  ")
    );
}
