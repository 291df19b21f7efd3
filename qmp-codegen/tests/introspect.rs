//! Introspection with integer types kept apart (`Config::integer_widths`),
//! merged afterwards (`merge_integer_widths`), is exactly the default
//! introspection, which is QEMU's, order included: on `schema/`, and on
//! QEMU 10.0's schemas and the generator test cases it accepts in the QAPI
//! corpus (`../shared/qapi-corpus`, or `$QAPI_CORPUS`), masked and
//! unmasked, with conditions all absent and all present.

use std::fs;
use std::path::Path;

mod common;

use common::{check, corpus};
use qmp_codegen::introspect::{
    introspect, merge_integer_widths, Conditions, Config, InfoKind, SchemaInfo,
};
use qmp_codegen::model::Schema;
use qmp_codegen::{check_file, Options};

/// Checks the property on `schema` in every configuration; returns how
/// many entries the precise form had beyond the merged one, summed.
fn merges_exactly(what: &str, schema: &Schema) -> usize {
    let mut extra = 0;
    for unmask in [false, true] {
        for conditions in [Conditions::AllAbsent, Conditions::AllPresent] {
            let merged = Config {
                unmask,
                conditions,
                integer_widths: false,
            };
            let precise = Config {
                integer_widths: true,
                ..merged.clone()
            };
            let expected = introspect(schema, &merged);
            let precise = introspect(schema, &precise);
            extra += precise.len().saturating_sub(expected.len());
            let got = merge_integer_widths(precise);
            if got != expected {
                let at = got.iter().zip(&expected).position(|(g, e)| g != e);
                panic!(
                    "{what} (unmask {unmask}, {:?}): merged differs at entry {at:?} of {}/{}: \
                     {:?} vs {:?}",
                    merged.conditions,
                    got.len(),
                    expected.len(),
                    at.map(|i| &got[i]),
                    at.map(|i| &expected[i]),
                );
            }
        }
    }
    extra
}

/// The integer built-ins of a precise introspection.
fn integer_builtins(infos: &[SchemaInfo]) -> Vec<&str> {
    infos
        .iter()
        .filter(|i| matches!(&i.kind, InfoKind::Builtin { json_type } if json_type == "int"))
        .map(|i| i.name.as_str())
        .collect()
}

#[test]
fn our_schema_merges_into_what_qemu_reports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/qapi-schema.json");
    let checked = check(&root, &Options::default());
    let schema = checked.schema.as_ref().expect("schema/ checks");
    let extra = merges_exactly("schema/", schema);
    assert!(extra > 0, "schema/ uses integer types of several widths");
    let precise = introspect(
        schema,
        &Config {
            integer_widths: true,
            ..Config::default()
        },
    );
    let integers = integer_builtins(&precise);
    for name in ["int", "uint64", "size", "uint32"] {
        assert!(integers.contains(&name), "{name} in {integers:?}");
    }
}

#[test]
fn qemu_schemas_merge_into_what_qemu_reports() {
    let Some(qemu) = corpus() else { return };
    for root in common::QEMU_SCHEMAS {
        let checked = check(&qemu.join(root), &Options::default());
        let schema = checked.schema.as_ref().expect("QEMU's schemas check");
        let extra = merges_exactly(root, schema);
        eprintln!("{root}: {extra} entries more with integer widths, over 4 configurations");
        assert!(extra > 0, "{root} uses integer types of several widths");
    }
}

#[test]
fn generator_test_cases_merge_into_what_qemu_reports() {
    let Some(qemu) = corpus() else { return };
    let dir = qemu.join("tests/qapi-schema");
    let mut paths: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut accepted = 0;
    let mut with_widths = 0;
    for path in &paths {
        let Some(schema) = check_file(path, &Options::default())
            .ok()
            .and_then(|checked| checked.schema)
        else {
            continue;
        };
        accepted += 1;
        if merges_exactly(&path.display().to_string(), &schema) > 0 {
            with_widths += 1;
        }
    }
    // QEMU 10.0's cases reach no integer type but `int` from a command
    // or event (ArrayStruct and UserDefOptions are used by none), so
    // these check that nothing else changes.
    eprintln!("{accepted} accepted cases, {with_widths} with integer types of several widths");
    assert!(accepted > 20, "{accepted}");
}
