//! The checker on schemas written here; the QEMU test suite is in
//! `tests/corpus.rs`.

use crate::diagnostic::{Rule, Severity};
use crate::model::{Body, Builtin, Condition, DefinitionKind, ImplicitRole, Schema, TypeRef};
use crate::syntax::MemoryLoader;
use crate::{check_with_loader, Checked, Options};

fn run(text: &str, strict: bool) -> Checked {
    let mut loader = MemoryLoader::default();
    loader.add("test.json", text);
    check_with_loader("test.json".as_ref(), &mut loader, &Options { strict }).unwrap()
}

/// The errors, as `line: message`.
fn errors(text: &str) -> Vec<String> {
    let checked = run(text, true);
    checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let (_, pos) = checked.sources.location(d.span);
            format!("{}: {}", pos.line, d.message)
        })
        .collect()
}

fn schema(text: &str) -> Schema {
    let checked = run(text, true);
    let rendered: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| d.render(&checked.sources, false))
        .collect();
    assert!(rendered.is_empty(), "{}", rendered.join("\n"));
    checked.schema.unwrap()
}

const GOOD: &str = r#"
{ 'enum': 'Kind', 'data': [ 'a', { 'name': 'b', 'if': 'CONFIG_B' }, 'c' ] }
{ 'struct': 'Base', 'data': { 'kind': 'Kind', '*name': 'str' } }
{ 'struct': 'Extra', 'base': 'Base', 'data': { 'list': ['int'], 'more': 'KindList' } }
{ 'struct': 'Aa', 'data': { 'x': 'int' } }
{ 'union': 'Uu', 'base': 'Base', 'discriminator': 'kind',
  'data': { 'a': 'Aa' } }
{ 'union': 'Vv', 'base': { 'type': 'QType' }, 'discriminator': 'type',
  'data': { 'qnum': 'Aa' } }
{ 'alternate': 'Alt', 'data': { 's': 'str', 'o': 'Aa', 'n': 'null' } }
{ 'command': 'do-it', 'data': { 'k': ['Kind'] }, 'returns': ['Aa'],
  'allow-oob': true, 'features': [ 'unstable' ] }
{ 'command': 'boxed', 'data': 'Uu', 'boxed': true, 'gen': false }
{ 'event': 'DONE', 'data': { 'ok': 'bool' }, 'if': { 'not': { 'any': [ 'X', 'Y' ] } } }
"#;

#[test]
fn builds_the_model_in_schema_order() {
    let schema = schema(GOOD);
    let kinds: Vec<DefinitionKind> = schema.explicit_definition_kinds().collect();
    use DefinitionKind::*;
    assert_eq!(
        kinds,
        [Enum, Struct, Struct, Struct, Union, Union, Alternate, Command, Command, Event]
    );
    let names: Vec<&str> = schema.definitions.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Kind",
            "Base",
            "Extra",
            "Aa",
            "Uu",
            "q_obj_Vv-base",
            "Vv",
            "Alt",
            "q_obj_do-it-arg",
            "do-it",
            "boxed",
            "q_obj_DONE-arg",
            "DONE"
        ]
    );

    let kind = schema.lookup("Kind").unwrap();
    let extra = schema.definition(schema.lookup("Extra").unwrap());
    let Body::Struct(s) = &extra.body else {
        panic!()
    };
    assert_eq!(s.base, schema.lookup("Base"));
    assert_eq!(
        s.members[0].ty,
        TypeRef::Array(Box::new(TypeRef::Builtin(Builtin::Int)))
    );
    assert_eq!(
        s.members[1].ty,
        TypeRef::Array(Box::new(TypeRef::Definition(kind)))
    );
    let all: Vec<&str> = schema
        .object_members(schema.lookup("Extra").unwrap())
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(all, ["kind", "name", "list", "more"]);
    assert!(schema.object_members(schema.lookup("Base").unwrap())[1].optional);

    // Branches not written are filled in, with the enum value's condition.
    let Body::Union(u) = &schema.definition(schema.lookup("Uu").unwrap()).body else {
        panic!()
    };
    assert_eq!(u.discriminator_type, TypeRef::Definition(kind));
    let branches: Vec<(&str, bool)> = u
        .branches
        .iter()
        .map(|b| (b.name.as_str(), b.ty.is_some()))
        .collect();
    assert_eq!(branches, [("a", true), ("b", false), ("c", false)]);
    assert_eq!(
        u.branches[1].condition,
        Some(Condition::Name("CONFIG_B".into()))
    );

    let v = schema.definition(schema.lookup("Vv").unwrap());
    let Body::Union(u) = &v.body else { panic!() };
    assert_eq!(u.discriminator_type, TypeRef::Builtin(Builtin::QType));
    assert_eq!(u.branches.len(), Builtin::QTYPE_VALUES.len());
    let base = schema.definition(u.base);
    assert_eq!(base.implicit.unwrap().role, ImplicitRole::UnionBase);

    let cmd = schema.definition(schema.lookup("do-it").unwrap());
    let Body::Command(c) = &cmd.body else {
        panic!()
    };
    assert!(c.allow_oob && c.gen && c.success_response && !c.boxed);
    assert_eq!(
        c.returns,
        Some(TypeRef::Array(Box::new(TypeRef::Definition(
            schema.lookup("Aa").unwrap()
        ))))
    );
    let args = schema.definition(c.arguments.unwrap());
    assert_eq!(args.implicit.unwrap().role, ImplicitRole::CommandArguments);
    assert_eq!(
        cmd.features[0].special,
        Some(crate::model::SpecialFeature::Unstable)
    );

    let Body::Command(c) = &schema.definition(schema.lookup("boxed").unwrap()).body else {
        panic!()
    };
    assert!(c.boxed && !c.gen);
    assert_eq!(c.arguments, schema.lookup("Uu"));

    let event = schema.definition(schema.lookup("DONE").unwrap());
    assert_eq!(
        event.condition,
        Some(Condition::Not(Box::new(Condition::Any(vec![
            Condition::Name("X".into()),
            Condition::Name("Y".into())
        ]))))
    );
}

#[test]
fn attaches_doc_comments() {
    let schema = schema(
        "##\n# @Thing:\n#\n# A thing.\n#\n# @a: the a\n#\n# Features:\n# @deprecated: old\n##\n\
         { 'struct': 'Thing', 'data': { 'a': { 'type': 'int', 'features': [ 'deprecated' ] } } }\n\
         ##\n# @go:\n#\n# @x: the x\n##\n{ 'command': 'go', 'data': { 'x': 'Thing' } }\n",
    );
    let thing = schema.definition(schema.lookup("Thing").unwrap());
    assert!(thing.doc.is_some());
    let Body::Struct(s) = &thing.body else {
        panic!()
    };
    assert_eq!(s.members[0].doc.as_deref(), Some("the a"));
    assert_eq!(s.members[0].features[0].doc.as_deref(), Some("old"));
    let Body::Command(c) = &schema.definition(schema.lookup("go").unwrap()).body else {
        panic!()
    };
    let Body::Struct(args) = &schema.definition(c.arguments.unwrap()).body else {
        panic!()
    };
    assert_eq!(args.members[0].doc.as_deref(), Some("the x"));
}

#[test]
fn reports_independent_errors_once_each() {
    let errors = errors(
        "{ 'struct': 'Bad', 'data': { 'a': 'int' }, 'bogus': true }\n\
         { 'struct': 'UsesBad', 'base': 'Bad', 'data': { 'b': 'Bad' } }\n\
         { 'struct': 'Unknown1', 'data': { 'c': 'Nope' } }\n\
         { 'struct': 'UsesUnknown1', 'data': { 'd': 'Unknown1' } }\n\
         { 'command': 'cmd', 'returns': 'str' }\n",
    );
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors[0].starts_with("1: struct has the unknown key 'bogus'"));
    assert!(errors[1].starts_with("3: member 'c' has the unknown type 'Nope'"));
    assert!(errors[2].starts_with("5: "));
}

#[test]
fn reports_the_base_error_where_the_base_is_defined() {
    // Checking Sub checks Base first, as QEMU does.
    let errors = errors(
        "{ 'struct': 'Sub', 'base': 'Base', 'data': {} }\n\
         { 'struct': 'Base', 'data': { 'a': 'Nope' } }\n",
    );
    assert_eq!(errors, ["2: member 'a' has the unknown type 'Nope'"]);
}

#[test]
fn duplicates_point_at_the_first_definition() {
    let checked = run(
        "{ 'enum': 'Ee', 'data': [] }\n{ 'struct': 'Ee', 'data': {} }\n",
        true,
    );
    let d = &checked.diagnostics[0];
    assert_eq!(checked.sources.location(d.span).1.line, 2);
    assert_eq!(checked.sources.location(d.labels[0].0).1.line, 1);
    assert_eq!(d.context.as_deref(), Some("struct 'Ee'"));
}

#[test]
fn labels_the_offending_value() {
    let checked = run(
        "{ 'struct': 'Ss',\n  'data': { 'a': 'int', 'b': 'Nope' } }\n",
        true,
    );
    let d = &checked.diagnostics[0];
    assert_eq!(checked.sources.location(d.span).1.line, 1);
    assert_eq!(checked.sources.text(d.labels[0].0), "'Nope'");
}

#[test]
fn documentation_rules_are_warnings_by_default() {
    let text = "{ 'pragma': { 'doc-required': true } }\n\
                ##\n# @Ss:\n#\n# @b: no such member\n##\n\
                { 'struct': 'Ss', 'data': { 'a': 'int' } }\n\
                { 'struct': 'Tt', 'data': {} }\n";
    let checked = run(text, false);
    assert!(!checked.has_errors());
    assert!(checked.schema.is_some());
    assert_eq!(checked.diagnostics.len(), 3);
    assert!(checked
        .diagnostics
        .iter()
        .all(|d| d.rule == Rule::Documentation));
    let lines: Vec<u32> = checked
        .diagnostics
        .iter()
        .map(|d| checked.sources.location(d.span).1.line)
        .collect();
    // As in QEMU: the missing doc comment (line 8) is found with the shape
    // of each definition, the undocumented 'a' (line 7) with the whole
    // schema, the description of 'b' (line 5) after all definitions.
    assert_eq!(lines, [8, 7, 5]);
    assert!(run(text, true).has_errors());
}

/// A doc comment laid out as QEMU releases before 10.0 wrote them: texts
/// that start on the line below a bare `@x:`, `Returns:` or `Example:`.
const OLDER_DOC_LAYOUT: &str = "##\n# @go:\n#\n# @x:\n# the x,\n# on two lines\n# @y: the y\n#\n\
     # Returns:\n# - a number\n#\n# Example:\n#\n# -> { \"execute\": \"go\" }\n#\n\
     # <- { \"return\": 1 }\n#\n# Since: 7.2\n##\n\
     { 'command': 'go', 'data': { 'x': 'int', 'y': 'int' }, 'returns': 'Res' }\n\
     { 'struct': 'Res', 'data': {} }\n";

#[test]
fn older_doc_layout_is_read_as_older_qemu_did_by_default() {
    use crate::syntax::doc::SectionKind;

    let checked = run(OLDER_DOC_LAYOUT, false);
    assert!(!checked.has_errors());
    let schema = checked.schema.as_ref().unwrap();
    let doc = schema
        .definition(schema.lookup("go").unwrap())
        .doc
        .as_ref()
        .unwrap();
    let text = |section: Option<&crate::syntax::doc::Section>| section.unwrap().text.to_string();
    assert_eq!(text(doc.member("x")), "the x,\non two lines");
    assert_eq!(text(doc.member("y")), "the y");
    assert_eq!(text(doc.tagged(SectionKind::Returns)), "- a number");
    assert_eq!(
        text(doc.tagged(SectionKind::Example)),
        "-> { \"execute\": \"go\" }\n\n<- { \"return\": 1 }"
    );
    assert_eq!(text(doc.tagged(SectionKind::Since)), "7.2");
    // One warning per header QEMU 10.0 would reject.
    let warnings: Vec<(u32, &str)> = checked
        .diagnostics
        .iter()
        .map(|d| (checked.sources.location(d.span).1.line, d.message.as_str()))
        .collect();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(warnings[0].0 == 4 && warnings[0].1.contains("'@x:' must follow it"));
    assert!(warnings[1].0 == 9 && warnings[1].1.contains("'Returns:' must follow it"));
    assert!(warnings[2].0 == 12 && warnings[2].1.contains("no longer accepted"));

    // Strict mode reads the lines as QEMU 10.0 does: the headers stay empty.
    let strict = run(OLDER_DOC_LAYOUT, true);
    assert!(strict.has_errors());
    let messages: Vec<&str> = strict
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        messages.contains(&"'@x:' needs text after it"),
        "{messages:#?}"
    );
    assert!(
        messages.contains(&"'Returns:' needs text after it"),
        "{messages:#?}"
    );
}

#[test]
fn diagnostics_render_on_long_lines_that_start_with_odd_whitespace() {
    // The renderer trims lines wider than a terminal around the marked
    // span; leading whitespace that is wider or narrower on screen than
    // one column (a tab, a form feed, an ideographic space...) once made
    // that arithmetic overflow (a fuzzer found it with tabs).
    for space in [
        "\t", "\u{b}", "\u{c}", "\u{85}", "\u{2028}", "\u{3000}", " ",
    ] {
        for count in [1, 5, 40] {
            let indent = space.repeat(count);
            let long = "x".repeat(300);
            // A short span, then enough text to make the line too wide.
            let syntax_error = format!("{indent}is, {long}\n");
            let unknown_type =
                format!("{indent}{{ 'struct': 'Ss', 'data': {{ 'a': 'Nope' }} }} # {long}\n");
            for text in [syntax_error, unknown_type] {
                let checked = run(&text, false);
                assert!(checked.has_errors(), "{text:?}");
                for d in &checked.diagnostics {
                    let rendered = d.render(&checked.sources, false);
                    let (_, pos) = checked.sources.location(d.span);
                    let place = format!("test.json:{}:", pos.line);
                    assert!(rendered.contains(&place), "{rendered}");
                }
            }
        }
    }
}

#[test]
fn language_of_qemu_6_1_and_older_is_named_in_the_help() {
    let help = |text: &str| {
        let checked = run(text, false);
        assert!(checked.has_errors(), "{text}");
        checked.diagnostics[0].help.clone().unwrap_or_default()
    };
    let simple_union = "{ 'struct': 'Aa', 'data': {} }\n{ 'union': 'Uu', 'data': { 'a': 'Aa' } }\n";
    assert!(help(simple_union).contains("QEMU 6.1 and older"));
    let c_condition = "{ 'struct': 'Ss', 'data': {}, 'if': 'defined(CONFIG_X)' }\n";
    assert!(help(c_condition).contains("QEMU 6.1 and older"));
    // Other missing keys and malformed conditions get no such help.
    assert!(!help("{ 'union': 'Uu', 'base': 'Bb', 'data': {} }\n").contains("6.1"));
    assert!(!help("{ 'struct': 'Ss', 'data': {}, 'if': 'lower' }\n").contains("6.1"));
}

#[test]
fn pragma_exceptions() {
    schema(
        "{ 'pragma': { 'command-name-exceptions': [ 'a_b' ],
                       'command-returns-exceptions': [ 'a_b' ],
                       'member-name-exceptions': [ 'Ss' ] } }\n\
         { 'struct': 'Ss', 'data': { 'Mixed_Case': 'int' } }\n\
         { 'command': 'a_b', 'returns': 'int' }\n",
    );
    assert_eq!(errors("{ 'command': 'a_b' }\n").len(), 1);
}

#[test]
fn array_references_by_name() {
    // QEMU names the array of T 'TList'; it can be referred to by that name.
    let schema = schema(
        "{ 'struct': 'Aa', 'data': { 'x': ['Bb'], 'y': 'BbList', 'z': 'strList' } }\n\
         { 'struct': 'Bb', 'data': {} }\n",
    );
    let Body::Struct(s) = &schema.definition(schema.lookup("Aa").unwrap()).body else {
        panic!()
    };
    assert_eq!(s.members[0].ty, s.members[1].ty);
    assert_eq!(
        s.members[2].ty,
        TypeRef::Array(Box::new(TypeRef::Builtin(Builtin::Str)))
    );
    assert_eq!(
        errors("{ 'struct': 'Aa', 'data': { 'x': ['intList'] } }\n").len(),
        1
    );
}

#[test]
fn deep_conditions_are_an_error_not_a_crash() {
    let mut cond = "'X'".to_owned();
    for _ in 0..60 {
        cond = format!("{{ 'not': {cond} }}");
    }
    assert!(errors(&format!(
        "{{ 'struct': 'Ss', 'data': {{}}, 'if': {cond} }}\n"
    ))
    .is_empty());
    for _ in 0..10 {
        cond = format!("{{ 'not': {cond} }}");
    }
    // Either the parser or the checker refuses it.
    assert!(!errors(&format!(
        "{{ 'struct': 'Ss', 'data': {{}}, 'if': {cond} }}\n"
    ))
    .is_empty());
}

#[test]
fn long_base_chains_are_an_error_not_a_crash() {
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!(
            "{{ 'struct': 'Ss{i}', 'base': 'Ss{}', 'data': {{}} }}\n",
            i + 1
        ));
    }
    text.push_str("{ 'struct': 'Ss3000', 'data': {} }\n");
    let found = errors(&text);
    assert!(!found.is_empty());
    assert!(found.iter().all(|e| e.contains("nest")), "{found:?}");

    // The same chain, written base first, is checked without recursion
    // but still too deep.
    let mut text = String::from("{ 'struct': 'Ss0', 'data': {} }\n");
    for i in 1..3000 {
        text.push_str(&format!(
            "{{ 'struct': 'Ss{i}', 'base': 'Ss{}', 'data': {{}} }}\n",
            i - 1
        ));
    }
    assert!(!errors(&text).is_empty());
}

#[test]
fn alternate_ambiguity() {
    assert!(errors("{ 'alternate': 'Aa', 'data': { 'i': 'int', 'n': 'number' } }\n").len() == 1);
    assert!(errors("{ 'alternate': 'Aa', 'data': { 's': 'str', 'b': 'bool' } }\n").len() == 1);
    // An enum without 'on'/'off' or numeric-looking values is fine with bool.
    assert!(errors(
        "{ 'enum': 'Ee', 'data': [ 'x' ] }\n{ 'alternate': 'Aa', 'data': { 'e': 'Ee', 'b': 'bool', 'i': 'int' } }\n"
    )
    .is_empty());
    assert!(
        errors("{ 'enum': 'Ee', 'data': [ 'off' ] }\n{ 'alternate': 'Aa', 'data': { 'e': 'Ee', 'b': 'bool' } }\n")
            .len()
            == 1
    );
}

#[test]
fn union_branch_clashes_reach_nested_unions() {
    let errors = errors(
        "{ 'enum': 'Ee', 'data': [ 'a' ] }\n\
         { 'struct': 'Leaf', 'data': { 'tag': 'int' } }\n\
         { 'union': 'Inner', 'base': { 'k': 'Ee' }, 'discriminator': 'k', 'data': { 'a': 'Leaf' } }\n\
         { 'union': 'Outer', 'base': { 'tag': 'Ee' }, 'discriminator': 'tag', 'data': { 'a': 'Inner' } }\n",
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("4: "));
}

#[test]
fn never_panics_on_odd_shapes() {
    for text in [
        "{ 'struct': 'Ss', 'data': { '*': 'int' } }",
        "{ 'enum': 'Ee', 'data': [ '' ] }",
        "{ 'enum': 'Ee', 'data': [ { 'name': '9' } ], 'prefix': '' }",
        "{ 'union': 'Uu', 'base': {}, 'discriminator': '', 'data': {} }",
        "{ 'alternate': 'Aa', 'data': { 'é': 'int' } }",
        "{ 'command': 'c', 'data': {}, 'boxed': 'x' }",
        "{ 'command': 'c', 'data': 'c' }",
        "{ 'event': 'Ee', 'data': 'Ee' }",
        "{ 'struct': 'Ss', 'data': { 'a': 'q_obj_c-arg' } }\n{ 'command': 'c', 'data': { 'x': 'int' } }",
        "{ 'struct': 'Ss', 'base': 'Ss', 'data': { 'a': 'Ss' } }",
        "{ 'struct': 'Ss', 'features': [ { 'name': 'deprecated', 'if': {} } ], 'data': {} }",
        "{ 'struct': 'xé', 'data': {} }",
    ] {
        let _ = run(text, true);
        let _ = run(text, false);
    }
}
