//! What QEMU's `query-qmp-schema` would report for a schema.
//!
//! [`introspect`] turns a checked [`Schema`] into the list of
//! [`SchemaInfo`] entries a QEMU built from it returns, following QEMU's
//! introspection generator:
//!
//! - One entry per command and event, in schema order, then one per type
//!   reached from them, in order of first use (breadth first from the
//!   commands and events; an array is followed by its element type).
//! - Types are named by numbers (`"0"`, `"1"`, ...) in order of first use,
//!   unless [`Config::unmask`] is set. Commands, events, built-in types and
//!   arrays (`"[ELEMENT]"`) keep their names.
//! - A command without arguments or result, and an event without data,
//!   refer to the empty object type `q_empty`; so does a union branch that
//!   adds no members.
//! - Every integer type (`int8` … `uint64`, `size`) is reported as `int`,
//!   unless [`Config::integer_widths`] is set: then each keeps its name (a
//!   `builtin` of `json-type` `int`), arrays of them too (`[uint8]`), and
//!   [`merge_integer_widths`] turns the result into the default one.
//! - Object types are flat: base members come first in `members`; a union
//!   adds `tag` and one variant per value of its discriminator enum.
//! - `QType` is an enum type, as in QEMU.
//!
//! **Conditions.** QEMU evaluates `if` conditions when it is compiled; a
//! schema does not say how. By default ([`Conditions::AllAbsent`]) anything
//! with an `if` (definition, member, enum value, branch, feature) is taken
//! as absent. [`Conditions::Defined`] evaluates conditions instead, with
//! the given configuration symbols defined and all others undefined;
//! [`Conditions::AllPresent`] takes everything as present. A
//! conditional type that a present member still refers to is reported
//! anyway (QEMU would not compile such a schema).
//!
//! The result is plain data; [`to_json`] writes it in QEMU's JSON shape.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::model::{Body, Builtin, Condition, DefId, Feature, JsonType, Schema, TypeRef};

// The data model and its JSON live in the runtime crate, where the client
// compares a live server with the bindings and `xtask verify` compares it
// with `schema/`.
pub use qmp_types::introspection::{
    merge_integer_widths, to_json, EnumMemberInfo, InfoKind, MemberInfo, SchemaInfo, VariantInfo,
    Variants, EMPTY_OBJECT,
};

/// How to introspect.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Keep the schema's type names instead of numbering them, as QEMU's
    /// generator does with `--unmask-non-abi-names`.
    pub unmask: bool,
    /// Which conditional parts are present.
    pub conditions: Conditions,
    /// Keep integer types apart (`uint8`, `size`, ...), each a built-in
    /// reported by its QAPI name, instead of merging them into `int` as
    /// QEMU does: for checking values against their type's range.
    /// [`merge_integer_widths`] of the result is what QEMU reports.
    pub integer_widths: bool,
}

impl Config {
    /// What generated bindings carry as `INTROSPECTION`: type names kept,
    /// every condition present, integer types apart (see
    /// [`INTROSPECTION_DOC`](crate::emit::INTROSPECTION_DOC)).
    pub fn bindings() -> Config {
        Config {
            unmask: true,
            conditions: Conditions::AllPresent,
            integer_widths: true,
        }
    }
}

/// Which `if` conditions hold.
#[derive(Clone, Debug, Default)]
pub enum Conditions {
    /// Anything with an `if` is absent.
    #[default]
    AllAbsent,
    /// Every condition holds: the union of all configurations (useful to
    /// match against any build, not to describe one).
    AllPresent,
    /// A configuration symbol holds exactly when it is in the set;
    /// `all`/`any`/`not` combine as usual.
    Defined(BTreeSet<String>),
}

impl Conditions {
    /// Whether something with condition `condition` is present.
    pub fn present(&self, condition: Option<&Condition>) -> bool {
        match (self, condition) {
            (_, None) => true,
            (Conditions::AllAbsent, Some(_)) => false,
            (Conditions::AllPresent, Some(_)) => true,
            (Conditions::Defined(symbols), Some(c)) => eval(c, symbols),
        }
    }
}

fn eval(condition: &Condition, symbols: &BTreeSet<String>) -> bool {
    match condition {
        Condition::Name(name) => symbols.contains(name.as_str()),
        Condition::All(all) => all.iter().all(|c| eval(c, symbols)),
        Condition::Any(any) => any.iter().any(|c| eval(c, symbols)),
        Condition::Not(c) => !eval(c, symbols),
    }
}

/// A type as introspection sees it: integer types merged (unless
/// [`Config::integer_widths`]), `q_empty` added.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Ty {
    Builtin(Builtin),
    Def(DefId),
    Array(Box<Ty>),
    Empty,
}

struct Introspector<'a> {
    schema: &'a Schema,
    config: &'a Config,
    /// Types in order of first use; the work queue.
    used: Vec<Ty>,
    seen: HashSet<Ty>,
    /// Masked names, by type name.
    numbers: HashMap<String, usize>,
}

/// What `query-qmp-schema` reports for `schema`.
pub fn introspect(schema: &Schema, config: &Config) -> Vec<SchemaInfo> {
    let mut cx = Introspector {
        schema,
        config,
        used: Vec::new(),
        seen: HashSet::new(),
        numbers: HashMap::new(),
    };
    let mut infos = Vec::new();
    for (_, def) in schema.iter() {
        if def.implicit.is_some() || !cx.present(def.condition.as_ref()) {
            continue;
        }
        let kind = match &def.body {
            Body::Command(c) => {
                let arg_type = cx.use_object(c.arguments);
                let ret_type = match &c.returns {
                    Some(ty) => cx.use_ref(ty),
                    None => cx.use_ty(Ty::Empty),
                };
                InfoKind::Command {
                    arg_type,
                    ret_type,
                    allow_oob: c.allow_oob,
                }
            }
            Body::Event(e) => InfoKind::Event {
                arg_type: cx.use_object(e.data),
            },
            _ => continue,
        };
        infos.push(SchemaInfo {
            name: def.name.to_string(),
            features: cx.features(&def.features),
            kind,
        });
    }
    // Types used while describing a type join the end of the queue.
    let mut next = 0;
    while let Some(ty) = cx.used.get(next).cloned() {
        infos.push(cx.type_info(&ty));
        next += 1;
    }
    infos
}

impl Introspector<'_> {
    fn present(&self, condition: Option<&Condition>) -> bool {
        self.config.conditions.present(condition)
    }

    fn features(&self, features: &[Feature]) -> Vec<String> {
        features
            .iter()
            .filter(|f| self.present(f.condition.as_ref()))
            .map(|f| f.name.to_string())
            .collect()
    }

    /// The name a type is reported by (masked unless configured not to).
    fn masked(&mut self, name: &str) -> String {
        if self.config.unmask {
            return name.to_string();
        }
        let next = self.numbers.len();
        self.numbers
            .entry(name.to_string())
            .or_insert(next)
            .to_string()
    }

    fn use_object(&mut self, id: Option<DefId>) -> String {
        match id {
            Some(id) => self.use_ty(Ty::Def(id)),
            None => self.use_ty(Ty::Empty),
        }
    }

    fn use_ref(&mut self, ty: &TypeRef) -> String {
        let ty = to_ty(ty, self.config.integer_widths);
        self.use_ty(ty)
    }

    /// Records a use of `ty` and returns the name it is reported by.
    fn use_ty(&mut self, ty: Ty) -> String {
        if self.seen.insert(ty.clone()) {
            self.used.push(ty.clone());
        }
        match ty {
            Ty::Builtin(Builtin::QType) => self.masked("QType"),
            Ty::Builtin(b) => b.name().to_string(),
            Ty::Array(element) => format!("[{}]", self.use_ty(*element)),
            Ty::Empty => self.masked(EMPTY_OBJECT),
            Ty::Def(id) => {
                let name = self.schema.definition(id).name.clone();
                self.masked(&name)
            }
        }
    }

    /// The name `ty` is reported by, when it has been used already.
    fn name_of(&mut self, ty: &Ty) -> String {
        self.use_ty(ty.clone())
    }

    fn type_info(&mut self, ty: &Ty) -> SchemaInfo {
        let name = self.name_of(ty);
        let (features, kind) = match ty {
            Ty::Builtin(Builtin::QType) => (
                Vec::new(),
                InfoKind::Enum {
                    members: Builtin::QTYPE_VALUES
                        .iter()
                        .map(|v| EnumMemberInfo {
                            name: v.to_string(),
                            features: Vec::new(),
                        })
                        .collect(),
                },
            ),
            Ty::Builtin(b) => (
                Vec::new(),
                InfoKind::Builtin {
                    json_type: json_type_name(b.json_type()).to_string(),
                },
            ),
            Ty::Array(element) => (
                Vec::new(),
                InfoKind::Array {
                    element_type: self.use_ty((**element).clone()),
                },
            ),
            Ty::Empty => (
                Vec::new(),
                InfoKind::Object {
                    members: Vec::new(),
                    variants: None,
                },
            ),
            Ty::Def(id) => self.definition_info(*id),
        };
        SchemaInfo {
            name,
            features,
            kind,
        }
    }

    fn definition_info(&mut self, id: DefId) -> (Vec<String>, InfoKind) {
        let schema = self.schema;
        let conditions = &self.config.conditions;
        let def = schema.definition(id);
        let features = self.features(&def.features);
        let kind = match &def.body {
            Body::Enum(e) => InfoKind::Enum {
                members: e
                    .values
                    .iter()
                    .filter(|v| conditions.present(v.condition.as_ref()))
                    .map(|v| EnumMemberInfo {
                        name: v.name.to_string(),
                        features: self.features(&v.features),
                    })
                    .collect(),
            },
            Body::Struct(_) | Body::Union(_) => {
                let members = schema
                    .object_members(id)
                    .into_iter()
                    .filter(|m| conditions.present(m.condition.as_ref()))
                    .map(|m| MemberInfo {
                        name: m.name.to_string(),
                        ty: self.use_ref(&m.ty),
                        optional: m.optional,
                        features: self.features(&m.features),
                    })
                    .collect();
                let variants = match &def.body {
                    Body::Union(u) => Some(Variants {
                        tag: u.discriminator.to_string(),
                        cases: u
                            .branches
                            .iter()
                            .filter(|b| conditions.present(b.condition.as_ref()))
                            .map(|b| VariantInfo {
                                case: b.name.to_string(),
                                ty: self.use_object(b.ty),
                            })
                            .collect(),
                    }),
                    _ => None,
                };
                InfoKind::Object { members, variants }
            }
            Body::Alternate(a) => InfoKind::Alternate {
                members: a
                    .branches
                    .iter()
                    .filter(|b| conditions.present(b.condition.as_ref()))
                    .map(|b| self.use_ref(&b.ty))
                    .collect(),
            },
            // Commands and events are never used as types.
            Body::Command(_) | Body::Event(_) => InfoKind::Object {
                members: Vec::new(),
                variants: None,
            },
        };
        (features, kind)
    }
}

/// Integer types merge into `int` unless `integer_widths`.
fn to_ty(ty: &TypeRef, integer_widths: bool) -> Ty {
    match ty {
        TypeRef::Builtin(b) if !integer_widths && b.json_type() == JsonType::Int => {
            Ty::Builtin(Builtin::Int)
        }
        TypeRef::Builtin(b) => Ty::Builtin(*b),
        TypeRef::Definition(id) => Ty::Def(*id),
        TypeRef::Array(element) => Ty::Array(Box::new(to_ty(element, integer_widths))),
    }
}

/// QEMU's name for a JSON type in `json-type`.
pub fn json_type_name(json_type: JsonType) -> &'static str {
    match json_type {
        JsonType::String => "string",
        JsonType::Number => "number",
        JsonType::Int => "int",
        JsonType::Boolean => "boolean",
        JsonType::Null => "null",
        JsonType::Value => "value",
        JsonType::Array => "array",
        JsonType::Object => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::MemoryLoader;

    fn schema(text: &str) -> Schema {
        let mut loader = MemoryLoader::default();
        loader.add("test.json", text);
        let checked =
            crate::check_with_loader("test.json".as_ref(), &mut loader, &Default::default())
                .unwrap();
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        checked.schema.unwrap()
    }

    const TEXT: &str = r#"
{ 'enum': 'Kind', 'data': [ 'a', { 'name': 'b', 'if': 'CONFIG_B' }, 'c' ] }
{ 'struct': 'Base', 'data': { 'kind': 'Kind', '*size': 'size' } }
{ 'struct': 'Item', 'data': { 'list': ['uint8'], 'name': 'str' } }
{ 'union': 'Thing', 'base': 'Base', 'discriminator': 'kind',
  'data': { 'a': 'Item' } }
{ 'alternate': 'Alt', 'data': { 't': 'Thing', 's': 'str' } }
{ 'command': 'do-it', 'data': { 'alt': 'Alt', '*k': 'Kind' },
  'returns': ['Item'], 'allow-oob': true, 'features': [ 'unstable' ] }
{ 'command': 'noop' }
{ 'command': 'hidden', 'if': 'CONFIG_HIDDEN' }
{ 'event': 'HAPPENED', 'data': { 'thing': 'Thing' } }
"#;

    /// The expected text is what QEMU 10.0's generator makes of `TEXT`,
    /// without the conditional parts.
    #[test]
    fn masked_like_qemu() {
        let infos = introspect(&schema(TEXT), &Config::default());
        let json = to_json(&infos);
        let expected = r#"[
{"name": "do-it", "meta-type": "command", "arg-type": "0", "ret-type": "[1]", "allow-oob": true, "features": ["unstable"]},
{"name": "noop", "meta-type": "command", "arg-type": "2", "ret-type": "2"},
{"name": "HAPPENED", "meta-type": "event", "arg-type": "3"},
{"name": "0", "meta-type": "object", "members": [{"name": "alt", "type": "4"}, {"name": "k", "type": "5", "default": null}]},
{"name": "[1]", "meta-type": "array", "element-type": "1"},
{"name": "1", "meta-type": "object", "members": [{"name": "list", "type": "[int]"}, {"name": "name", "type": "str"}]},
{"name": "2", "meta-type": "object", "members": []},
{"name": "3", "meta-type": "object", "members": [{"name": "thing", "type": "6"}]},
{"name": "4", "meta-type": "alternate", "members": [{"type": "6"}, {"type": "str"}]},
{"name": "5", "meta-type": "enum", "members": [{"name": "a"}, {"name": "c"}], "values": ["a", "c"]},
{"name": "[int]", "meta-type": "array", "element-type": "int"},
{"name": "int", "meta-type": "builtin", "json-type": "int"},
{"name": "str", "meta-type": "builtin", "json-type": "string"},
{"name": "6", "meta-type": "object", "members": [{"name": "kind", "type": "5"}, {"name": "size", "type": "int", "default": null}], "tag": "kind", "variants": [{"case": "a", "type": "1"}, {"case": "c", "type": "2"}]}
]
"#;
        assert_eq!(json, expected);
    }

    /// With integer widths, `TEXT`'s `size` and `uint8` keep their names
    /// where `masked_like_qemu` has `int`; merging them gives that again.
    #[test]
    fn integer_widths_kept_and_merged_back() {
        let config = Config {
            integer_widths: true,
            ..Config::default()
        };
        let infos = introspect(&schema(TEXT), &config);
        let json = to_json(&infos);
        let lines: Vec<&str> = json.lines().collect();
        for line in [
            r#"{"name": "1", "meta-type": "object", "members": [{"name": "list", "type": "[uint8]"}, {"name": "name", "type": "str"}]},"#,
            r#"{"name": "[uint8]", "meta-type": "array", "element-type": "uint8"},"#,
            r#"{"name": "uint8", "meta-type": "builtin", "json-type": "int"},"#,
            r#"{"name": "6", "meta-type": "object", "members": [{"name": "kind", "type": "5"}, {"name": "size", "type": "size", "default": null}], "tag": "kind", "variants": [{"case": "a", "type": "1"}, {"case": "c", "type": "2"}]},"#,
            r#"{"name": "size", "meta-type": "builtin", "json-type": "int"}"#,
        ] {
            assert!(lines.contains(&line), "{line}\n{json}");
        }
        for merged in [r#""name": "int""#, r#""type": "int""#, "[int]"] {
            assert!(!json.contains(merged), "{merged} in {json}");
        }
        assert_eq!(
            merge_integer_widths(infos),
            introspect(&schema(TEXT), &Config::default())
        );
    }

    #[test]
    fn unmasked_and_conditions_defined() {
        let config = Config {
            unmask: true,
            conditions: Conditions::Defined(["CONFIG_B".to_string()].into()),
            ..Config::default()
        };
        let infos = introspect(&schema(TEXT), &config);
        let names: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "do-it",
                "noop",
                "HAPPENED",
                "q_obj_do-it-arg",
                "[Item]",
                "Item",
                "q_empty",
                "q_obj_HAPPENED-arg",
                "Alt",
                "Kind",
                "[int]",
                "int",
                "str",
                "Thing"
            ]
        );
        let kind = infos.iter().find(|i| i.name == "Kind").unwrap();
        let InfoKind::Enum { members } = &kind.kind else {
            panic!("{kind:?}")
        };
        let values: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(values, ["a", "b", "c"]);
    }
}
