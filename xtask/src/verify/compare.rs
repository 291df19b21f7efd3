//! The structural comparison of two introspections lives in
//! `qmp_types::introspection::compare`, where the client uses it too; its
//! tests stay here, where `schema/`'s model can be introspected.

pub use qmp_types::introspection::compare::*;

#[cfg(test)]
pub(crate) mod tests {
    use qmp_codegen::introspect::{introspect, Config};
    use qmp_codegen::syntax::MemoryLoader;
    use qmp_types::introspection::compare::*;
    use qmp_types::introspection::SchemaInfo;

    /// What a server reports, written by hand in QEMU's masked form.
    const LIVE: &str = r#"[
        {"name": "set-mode", "meta-type": "command", "arg-type": "0", "ret-type": "1",
         "allow-oob": true},
        {"name": "query-mode", "meta-type": "command", "arg-type": "1", "ret-type": "2"},
        {"name": "stop-all", "meta-type": "command", "arg-type": "1", "ret-type": "1"},
        {"name": "MODE_CHANGED", "meta-type": "event", "arg-type": "3",
         "features": ["unstable"]},
        {"name": "0", "meta-type": "object", "members": [
            {"name": "mode", "type": "4"},
            {"name": "force", "type": "bool", "default": null},
            {"name": "delay", "type": "int"}]},
        {"name": "1", "meta-type": "object", "members": []},
        {"name": "2", "meta-type": "object", "members": [
            {"name": "mode", "type": "4"}, {"name": "since", "type": "str"}]},
        {"name": "3", "meta-type": "object", "members": [{"name": "mode", "type": "4"}]},
        {"name": "4", "meta-type": "enum", "members": [{"name": "a"}, {"name": "b"},
            {"name": "c"}], "values": ["a", "b", "c"]},
        {"name": "bool", "meta-type": "builtin", "json-type": "boolean"},
        {"name": "int", "meta-type": "builtin", "json-type": "int"},
        {"name": "str", "meta-type": "builtin", "json-type": "string"}
    ]"#;

    /// Our schema, with one deliberate difference of each kind.
    const OURS: &str = r#"
{ 'enum': 'Mode', 'data': [ 'a', 'b' ] }
{ 'struct': 'ModeInfo', 'data': { 'mode': 'Mode', 'since': 'str' } }
{ 'command': 'set-mode',
  'data': { 'mode': 'Mode', 'force': 'bool', 'delay': 'str' } }
{ 'command': 'query-mode', 'returns': 'ModeInfo' }
{ 'command': 'reset' }
{ 'event': 'MODE_CHANGED', 'data': { 'mode': 'Mode' } }
"#;

    /// A small schema's checked model (the verify tests' own schemas).
    pub(crate) fn model(text: &str) -> qmp_codegen::model::Schema {
        let mut loader = MemoryLoader::default();
        loader.add("ours.json", text);
        let checked =
            qmp_codegen::check_with_loader("ours.json".as_ref(), &mut loader, &Default::default())
                .unwrap();
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        checked.schema.unwrap()
    }

    fn ours() -> Vec<SchemaInfo> {
        introspect(&model(OURS), &Config::default())
    }

    fn lines(report: &Report) -> Vec<String> {
        report.differences.iter().map(ToString::to_string).collect()
    }

    fn live() -> Vec<SchemaInfo> {
        qmp_types::introspection::parse(&serde_json::from_str(LIVE).unwrap()).unwrap()
    }

    #[test]
    fn every_difference_is_one_line() {
        let report = compare(&live(), &ours());
        assert_eq!(
            lines(&report),
            [
                "set-mode: allow-oob differs: live true, ours false",
                "set-mode.arguments.mode: enum values differ: missing \"c\"",
                "set-mode.arguments.force: optionality differs: live optional, ours required",
                "set-mode.arguments.delay: type differs: live int, ours str",
                "missing command: stop-all",
                "MODE_CHANGED: features differ: missing \"unstable\"",
                "extra command: reset",
            ]
        );
        assert_eq!(
            report.summary(),
            "verify: commands 2/3, events 1/1, mismatches 6"
        );
        assert!(!report.ok());
    }

    #[test]
    fn a_schema_matches_its_own_introspection() {
        let ours = ours();
        let report = compare(&ours, &ours);
        assert_eq!(lines(&report), Vec::<String>::new());
        assert_eq!(
            report.summary(),
            "verify: commands 3/3, events 1/1, mismatches 0"
        );
        assert!(report.ok());
    }

    #[test]
    fn unions_alternates_and_arrays_are_walked() {
        let live = r#"[
            {"name": "go", "meta-type": "command", "arg-type": "0", "ret-type": "[1]"},
            {"name": "0", "meta-type": "object", "members": [{"name": "how", "type": "2"}]},
            {"name": "[1]", "meta-type": "array", "element-type": "1"},
            {"name": "1", "meta-type": "object", "members": [{"name": "kind", "type": "3"}],
             "tag": "kind", "variants": [{"case": "x", "type": "4"}, {"case": "y", "type": "5"}]},
            {"name": "2", "meta-type": "alternate", "members": [{"type": "str"}, {"type": "4"}]},
            {"name": "3", "meta-type": "enum", "members": [{"name": "x"}, {"name": "y"}]},
            {"name": "4", "meta-type": "object", "members": [{"name": "n", "type": "int"}]},
            {"name": "5", "meta-type": "object", "members": []},
            {"name": "int", "meta-type": "builtin", "json-type": "int"},
            {"name": "str", "meta-type": "builtin", "json-type": "string"}
        ]"#;
        let ours = r#"
{ 'enum': 'Kind', 'data': [ 'x', 'y' ] }
{ 'struct': 'Ex', 'data': { 'n': 'number' } }
{ 'union': 'Thing', 'base': { 'kind': 'Kind' }, 'discriminator': 'kind',
  'data': { 'x': 'Ex' } }
{ 'alternate': 'How', 'data': { 's': 'str', 'n': 'null' } }
{ 'command': 'go', 'data': { 'how': 'How' }, 'returns': [ 'Thing' ] }
"#;
        let ours = introspect(&model(ours), &Config::default());
        let live = qmp_types::introspection::parse(&serde_json::from_str(live).unwrap()).unwrap();
        let report = compare(&live, &ours);
        assert_eq!(
            lines(&report),
            [
                "go.arguments.how: alternatives differ: missing \"object\"; extra \"null\"",
                "go.returns[][kind=x].n: type differs: live int, ours number",
            ]
        );
        assert_eq!(
            report.summary(),
            "verify: commands 1/1, events 0/0, mismatches 2"
        );
    }
}
