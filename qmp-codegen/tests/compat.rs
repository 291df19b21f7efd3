//! Cross-release analysis: `schema/` (QEMU 10.0) against the schemas of
//! QEMU 7.2, 8.0, 8.1 and 9.1, and the facts' text round trip.

mod common;

use std::path::Path;

use qmp_codegen::compat::{self, Compat, FactKind, Release, Subject};
use qmp_codegen::model::Schema;
use qmp_codegen::Options;

fn schema(path: &Path) -> Schema {
    let checked = common::check(path, &Options::default());
    checked
        .schema
        .unwrap_or_else(|| panic!("{} has errors", path.display()))
}

fn ours() -> Schema {
    schema(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/qapi-schema.json"))
}

fn member(owner: &str, name: &str) -> Subject {
    Subject {
        kind: FactKind::Member,
        owner: owner.into(),
        name: name.into(),
    }
}

#[test]
fn members_newer_releases_added_are_found_in_answers_and_events() {
    let releases = common::releases();
    let Some((_, qemu_72)) = releases.iter().find(|(v, _)| v == "7.2") else {
        return;
    };
    let old = schema(&qemu_72.join("qapi/qapi-schema.json"));
    let new = ours();
    let facts = compat::analyze(
        Release {
            name: "10.0",
            schema: &new,
        },
        &[Release {
            name: "7.2",
            schema: &old,
        }],
    );
    // Measured live: QEMU 7.2.22 leaves these out of `query-block`,
    // `query-machines` and `query-dirty-rate` answers, which the newest
    // schema requires.
    for (owner, name) in [
        ("BlockDeviceInfo", "active"),
        ("MachineInfo", "acpi"),
        ("DirtyRateInfo", "calc-time-unit"),
    ] {
        assert_eq!(
            facts.since.get(&member(owner, name)).map(String::as_str),
            Some("10.0"),
            "{owner}.{name} in\n{}",
            facts.to_text()
        );
    }
    let members = facts
        .since
        .keys()
        .filter(|s| s.kind == FactKind::Member)
        .count();
    eprintln!(
        "7.2 -> 10.0: {members} members, {} commands, {} events, {} enum values, {} arguments",
        facts
            .since
            .keys()
            .filter(|s| s.kind == FactKind::Command)
            .count(),
        facts
            .since
            .keys()
            .filter(|s| s.kind == FactKind::Event)
            .count(),
        facts
            .since
            .keys()
            .filter(|s| s.kind == FactKind::Value)
            .count(),
        facts
            .since
            .keys()
            .filter(|s| s.kind == FactKind::Argument)
            .count(),
    );
    // SevInfo was a struct in 7.2 and became a union on `sev-type`: 7.2's
    // values decode as the branch whose members the old struct has.
    let untagged = Subject {
        kind: FactKind::Untagged,
        owner: "SevInfo".into(),
        name: "sev".into(),
    };
    assert_eq!(facts.since.get(&untagged).map(String::as_str), Some("10.0"));
    // Relaxed, the model makes those members optional and says why.
    let mut relaxed = new.clone();
    assert_eq!(facts.apply(&mut relaxed), Vec::<Subject>::new());
    let id = relaxed.lookup("BlockDeviceInfo").unwrap();
    let active = relaxed
        .object_members(id)
        .into_iter()
        .find(|m| m.name == "active")
        .unwrap();
    assert!(active.optional);
    assert!(active.doc.as_deref().unwrap().contains("QEMU 10.0 on"));
    let sev = relaxed.lookup("SevInfo").unwrap();
    let qmp_codegen::model::Body::Union(sev) = &relaxed.definition(sev).body else {
        panic!("SevInfo is a union");
    };
    assert_eq!(sev.untagged.as_deref(), Some("sev"));
}

#[test]
fn the_facts_text_reads_back_as_written() {
    let new = ours();
    let releases = common::releases();
    let olds: Vec<(String, Schema)> = releases
        .iter()
        .map(|(v, dir)| (v.clone(), schema(&dir.join("qapi/qapi-schema.json"))))
        .collect();
    if olds.is_empty() {
        return;
    }
    let older: Vec<Release<'_>> = olds
        .iter()
        .map(|(name, schema)| Release { name, schema })
        .collect();
    let facts = compat::analyze(
        Release {
            name: "10.0",
            schema: &new,
        },
        &older,
    );
    assert_eq!(facts.releases.last().map(String::as_str), Some("10.0"));
    let text = facts.to_text();
    assert_eq!(Compat::parse(&text).unwrap(), facts);
    // A member added in 8.0 and sent ever since is "since 8.0" with 7.2 in
    // the list, not "since 10.0".
    let later: Vec<&String> = facts.since.values().filter(|v| *v != "10.0").collect();
    assert!(!later.is_empty(), "{text}");
}

#[test]
fn bad_facts_are_reported_by_line() {
    let error = Compat::parse("releases 7.2 10.0\nmember A b 9.9\n").unwrap_err();
    assert_eq!(error.line, 2);
    assert!(error.message.contains("9.9"), "{error}");
    let error = Compat::parse("releases 7.2 10.0\nwidget A 10.0\n").unwrap_err();
    assert_eq!(error.to_string(), "line 2: unknown kind `widget`");
    let error = Compat::parse("releases 7.2 10.0\ncommand a b 10.0\n").unwrap_err();
    assert!(error.message.contains("wrong number of words"), "{error}");
}
