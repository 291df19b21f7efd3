//! Release-aware verification: which differences from a live server older
//! than `schema/` the cross-release facts (`schema/compat.txt`, see
//! [`qmp_codegen::compat`]) explain.
//!
//! `schema/` describes the newest release ([`crate::compat::NEWEST`]); an
//! older server differs from it in two directions.
//!
//! - **What `schema/` has and the live server lacks.** A difference is
//!   *explained* when a fact says its subject is there only from a release
//!   newer than the live one:
//!   - `extra command`/`extra event`: a `command`/`event` fact;
//!   - an object's extra member, or one the live server has optional and
//!     ours requires: a `member` fact about the struct that defines it (or
//!     the command or event whose inline data does), or, in a command's
//!     top-level arguments, an `argument` fact;
//!   - an enum's extra value: a `value` fact about that enum;
//!   - a union's extra variant: a `value` fact about its tag enum (a union
//!     has one variant per value of its tag);
//!   - a union of ours that is a struct live: a `member` fact about its tag
//!     member (without the tag there is no union).
//!
//!   Anything else is *unexplained*: the facts record only what decoding
//!   every release needs and top-level arguments, so e.g. an optional
//!   member added later, a member of a nested argument, a value of an enum
//!   used only in arguments, or a feature has no fact.
//! - **What the live server has and `schema/` lacks** (a command, event,
//!   member, enum value, union variant or feature that 10.0 no longer
//!   has): no fact records these (the facts say what older releases lack,
//!   never what they have), nor in which release they went, so they are
//!   not explained; but the bindings never send or expect them, so they
//!   are listed as *older only* and do not fail. Two exceptions stay
//!   unexplained: a member the live server requires in a command's
//!   arguments (our bindings cannot send it, so the command fails) and an
//!   alternative of an alternate (our bindings could not decode it).
//!
//! Everything else (`allow-oob`, types, tags, optionality in the other
//! direction) is unexplained.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

use qmp_codegen::compat::{Compat, FactKind, Subject};
use qmp_codegen::model::{Body, DefId, Schema, TypeRef};

use super::compare::{Difference, NameSet, Names, What};

/// What kind of fact explains a difference (a union variant counts apart
/// from its tag's enum value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Command,
    Event,
    Member,
    Value,
    Variant,
    Argument,
    Required,
    Feature,
    Retyped,
}

impl Kind {
    /// Every kind, in summary order.
    pub const ALL: [Kind; 9] = [
        Kind::Command,
        Kind::Event,
        Kind::Member,
        Kind::Value,
        Kind::Variant,
        Kind::Argument,
        Kind::Required,
        Kind::Feature,
        Kind::Retyped,
    ];

    /// The plural the summary counts it with.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Command => "commands",
            Kind::Event => "events",
            Kind::Member => "members",
            Kind::Value => "values",
            Kind::Variant => "variants",
            Kind::Argument => "arguments",
            Kind::Required => "required arguments",
            Kind::Feature => "features",
            Kind::Retyped => "retyped members",
        }
    }
}

/// How a difference (or part of one) is classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// A fact explains it: its kind and the fact's line in `compat.txt`.
    Explained(Kind, String),
    /// The live server has it and `schema/` does not; the bindings do not
    /// need it.
    OlderOnly,
    /// Nothing explains it.
    Unexplained,
}

/// A difference, or the part of one that a class covers (a set of names
/// is split name by name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Its class.
    pub class: Class,
    /// The difference (for names, only those of this class).
    pub difference: Difference,
}

/// The facts that hold against one live release.
pub struct Explainer<'a> {
    /// The live release (`7.2.22`).
    live: &'a str,
    /// The facts.
    compat: &'a Compat,
    /// Our schema, as checked (names as the facts use them).
    model: &'a Schema,
    /// Every definition by name, implicit ones too (as introspected
    /// unmasked).
    ids: HashMap<&'a str, DefId>,
}

/// Compares releases as dotted numbers (`9.1` < `10.0` = `10.0.0`).
pub fn compare_releases(a: &str, b: &str) -> Ordering {
    let numbers = |s: &str| -> Vec<u64> {
        s.split('.')
            .map(|part| {
                let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().unwrap_or(0)
            })
            .collect()
    };
    let (a, b) = (numbers(a), numbers(b));
    let len = a.len().max(b.len());
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| at(&a, i).cmp(&at(&b, i)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

impl<'a> Explainer<'a> {
    /// Facts against the live release `live`, about our schema `model`.
    pub fn new(live: &'a str, compat: &'a Compat, model: &'a Schema) -> Self {
        let ids = model.iter().map(|(id, d)| (&*d.name, id)).collect();
        Explainer {
            live,
            compat,
            model,
            ids,
        }
    }

    /// Classifies every difference, in order; a set of names becomes one
    /// item per class present (names of one fact kind together).
    pub fn classify(&self, differences: &[Difference]) -> Vec<Item> {
        differences.iter().flat_map(|d| self.one(d)).collect()
    }

    fn one(&self, difference: &Difference) -> Vec<Item> {
        let item = |class: Class| {
            vec![Item {
                class,
                difference: difference.clone(),
            }]
        };
        let path = difference.path.as_str();
        match &difference.what {
            What::Missing(_) => item(Class::OlderOnly),
            What::Extra(word) => {
                let (kind, fact_kind) = if *word == "command" {
                    (Kind::Command, FactKind::Command)
                } else {
                    (Kind::Event, FactKind::Event)
                };
                item(self.fact(kind, fact_kind, path, ""))
            }
            What::Optionality {
                ours_type,
                member,
                live_optional: true,
            } => item(self.member(ours_type, member)),
            // The live release requires what ours has optional.
            What::Optionality {
                ours_type,
                member,
                live_optional: false,
            } => item(match self.defining_owner(ours_type, member) {
                Some(owner) => self.fact(Kind::Required, FactKind::Required, &owner, member),
                None => Class::Unexplained,
            }),
            What::Shape {
                live_union: false,
                ours_type,
            } => {
                let tag =
                    self.lookup(ours_type)
                        .and_then(|id| match &self.model.definition(id).body {
                            Body::Union(union) => Some(union.discriminator.to_string()),
                            _ => None,
                        });
                item(match tag {
                    // The older struct lacked the tag, or had it as
                    // another type (a string before it became an enum).
                    Some(tag) => match self.member(ours_type, &tag) {
                        Class::Unexplained => self.retyped(ours_type, &tag),
                        explained => explained,
                    },
                    None => Class::Unexplained,
                })
            }
            What::TypeDiffers {
                member: Some((ours_type, member)),
                ..
            } => item(self.retyped(ours_type, member)),
            What::Names(names) => self.names(difference, names),
            _ => item(Class::Unexplained),
        }
    }

    /// Splits a set of names by class.
    fn names(&self, difference: &Difference, names: &Names) -> Vec<Item> {
        let path = difference.path.as_str();
        // Live names: older only, but for required arguments and
        // alternatives.
        let in_arguments = path
            .split_once('.')
            .is_some_and(|(_, rest)| rest.starts_with("arguments"));
        // Each group: its class (for an explained one, every fact's line
        // joined), then its live and its our names.
        let mut groups: Vec<(Class, Vec<String>, Vec<String>)> = Vec::new();
        let mut add = |class: Class, missing: Option<&String>, extra: Option<&String>| match groups
            .iter_mut()
            .find(|(c, ..)| same_group(c, &class))
        {
            Some((group, m, e)) => {
                if let (Class::Explained(_, lines), Class::Explained(_, line)) = (group, &class) {
                    lines.push_str("; ");
                    lines.push_str(line);
                }
                m.extend(missing.cloned());
                e.extend(extra.cloned());
            }
            None => groups.push((
                class,
                missing.into_iter().cloned().collect(),
                extra.into_iter().cloned().collect(),
            )),
        };
        for name in &names.missing {
            let needed = names.set == NameSet::Alternatives
                || (in_arguments && names.required.contains(name));
            let class = if needed {
                Class::Unexplained
            } else {
                Class::OlderOnly
            };
            add(class, Some(name), None);
        }
        for name in &names.extra {
            let class = match names.set {
                NameSet::Members => {
                    let argument = path
                        .strip_suffix(".arguments")
                        .filter(|command| !command.contains('.'))
                        .map(|command| {
                            self.fact(Kind::Argument, FactKind::Argument, command, name)
                        });
                    match argument {
                        Some(class @ Class::Explained(..)) => class,
                        _ => self.member(&names.ours_type, name),
                    }
                }
                NameSet::EnumValues => {
                    self.fact(Kind::Value, FactKind::Value, &names.ours_type, name)
                }
                NameSet::UnionVariants => match self.tag_enum(&names.ours_type) {
                    Some(tag) => self.fact(Kind::Variant, FactKind::Value, &tag, name),
                    None => Class::Unexplained,
                },
                NameSet::Features => self.feature(&names.ours_type, &names.of, name),
                NameSet::Alternatives => Class::Unexplained,
            };
            add(class, None, Some(name));
        }
        groups
            .into_iter()
            .map(|(class, missing, extra)| Item {
                class,
                difference: Difference {
                    path: difference.path.clone(),
                    what: What::Names(names.only(&missing, &extra)),
                },
            })
            .collect()
    }

    /// A `member` fact (something sent back) or an `argument` fact
    /// (something accepted) about `name` of our object type `ours_type`,
    /// keyed by the struct (or command or event) that defines it.
    fn member(&self, ours_type: &str, name: &str) -> Class {
        let Some(owner) = self.defining_owner(ours_type, name) else {
            return Class::Unexplained;
        };
        match self.fact(Kind::Member, FactKind::Member, &owner, name) {
            Class::Unexplained => self.fact(Kind::Argument, FactKind::Argument, &owner, name),
            explained => explained,
        }
    }

    /// A `retyped` fact about member `name` of our object type `ours_type`.
    fn retyped(&self, ours_type: &str, name: &str) -> Class {
        match self.defining_owner(ours_type, name) {
            Some(owner) => self.fact(Kind::Retyped, FactKind::Retyped, &owner, name),
            None => Class::Unexplained,
        }
    }

    /// A `feature` fact about `feature` of `owner` itself (`of` empty), or
    /// of its enum value or member `of`.
    fn feature(&self, owner: &str, of: &str, feature: &str) -> Class {
        let is_enum = self
            .lookup(owner)
            .is_some_and(|id| matches!(self.model.definition(id).body, Body::Enum(_)));
        let owner = if of.is_empty() || is_enum {
            Some(owner.to_string())
        } else {
            self.defining_owner(owner, of)
        };
        match owner {
            Some(owner) => self.fact(
                Kind::Feature,
                FactKind::Feature,
                &owner,
                &format!("{of}/{feature}"),
            ),
            None => Class::Unexplained,
        }
    }

    /// Whether a fact of `fact_kind` says the subject is there only from a
    /// release newer than the live one.
    fn fact(&self, kind: Kind, fact_kind: FactKind, owner: &str, name: &str) -> Class {
        let subject = Subject {
            kind: fact_kind,
            owner: owner.to_string(),
            name: name.to_string(),
        };
        match self.compat.since.get(&subject) {
            Some(since) if compare_releases(since, self.live).is_gt() => {
                let word = match kind {
                    Kind::Command => "command",
                    Kind::Event => "event",
                    Kind::Member => "member",
                    Kind::Value | Kind::Variant => "value",
                    Kind::Argument => "argument",
                    Kind::Required => "required",
                    Kind::Feature => "feature",
                    Kind::Retyped => "retyped",
                };
                let line = if name.is_empty() {
                    format!("{word} {owner} {since}")
                } else {
                    format!("{word} {owner} {name} {since}")
                };
                Class::Explained(kind, line)
            }
            _ => Class::Unexplained,
        }
    }

    fn lookup(&self, name: &str) -> Option<DefId> {
        self.ids.get(name).copied()
    }

    /// The name facts use for the struct that defines member `name` of
    /// object type `ours_type` (searching its base chain): its own, or for
    /// an implicit type its owner's (the command, event or union).
    fn defining_owner(&self, ours_type: &str, name: &str) -> Option<String> {
        let mut next = self.lookup(ours_type);
        let mut steps = 0;
        while let Some(id) = next.take() {
            steps += 1;
            if steps > self.model.definitions.len() {
                return None;
            }
            let def = self.model.definition(id);
            match &def.body {
                Body::Struct(s) => {
                    if s.members.iter().any(|m| &*m.name == name) {
                        let named = match &def.implicit {
                            Some(implicit) => self.model.definition(implicit.owner),
                            None => def,
                        };
                        return Some(named.name.to_string());
                    }
                    next = s.base;
                }
                Body::Union(u) => next = Some(u.base),
                _ => return None,
            }
        }
        None
    }

    /// The enum that tags our union `ours_type`.
    fn tag_enum(&self, ours_type: &str) -> Option<String> {
        let Body::Union(union) = &self.model.definition(self.lookup(ours_type)?).body else {
            return None;
        };
        match &union.discriminator_type {
            TypeRef::Definition(id) => Some(self.model.definition(*id).name.to_string()),
            _ => None,
        }
    }
}

/// Groups are per class and, for explained ones, per kind.
fn same_group(a: &Class, b: &Class) -> bool {
    match (a, b) {
        (Class::Explained(a, _), Class::Explained(b, _)) => a == b,
        _ => a == b,
    }
}

/// Explained counts per kind, in [`Kind::ALL`] order: one per name.
pub fn counts(items: &[Item]) -> Vec<(Kind, usize)> {
    Kind::ALL
        .iter()
        .map(|kind| {
            let count = items
                .iter()
                .filter_map(|item| match &item.class {
                    Class::Explained(k, _) if k == kind => Some(weight(&item.difference)),
                    _ => None,
                })
                .sum();
            (*kind, count)
        })
        .collect()
}

/// How many subjects an item is about: one per name of a set.
pub fn weight(difference: &Difference) -> usize {
    match &difference.what {
        What::Names(names) => names.missing.len() + names.extra.len(),
        _ => 1,
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.plural())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::compare::compare;
    use qmp_codegen::introspect::{introspect, Config};

    #[test]
    fn releases_compare_as_dotted_numbers() {
        assert!(compare_releases("9.1", "10.0").is_lt());
        assert!(compare_releases("7.2.22", "8.0").is_lt());
        assert!(compare_releases("10.0.2", "10.0").is_gt());
        assert!(compare_releases("10.0", "10.0.0").is_eq());
    }

    /// The newest schema, and what an older server reports: it lacks a
    /// command, a member, an enum value (and so a variant) and an
    /// argument the facts name, one member they do not, and has one member
    /// of its own.
    const OURS: &str = r#"
{ 'enum': 'Kind', 'data': [ 'a', 'b' ] }
{ 'struct': 'Part', 'data': { 'n': 'int' } }
{ 'union': 'Info', 'base': { 'kind': 'Kind', 'when': 'int', '*note': 'str' },
  'discriminator': 'kind', 'data': { 'a': 'Part', 'b': 'Part' } }
{ 'command': 'query-info', 'data': { '*fast': 'bool' }, 'returns': 'Info' }
{ 'command': 'reset' }
"#;

    const LIVE: &str = r#"[
        {"name": "query-info", "meta-type": "command", "arg-type": "0", "ret-type": "1"},
        {"name": "0", "meta-type": "object", "members": []},
        {"name": "1", "meta-type": "object", "members": [
            {"name": "kind", "type": "2"}, {"name": "old", "type": "int"}],
         "tag": "kind", "variants": [{"case": "a", "type": "3"}]},
        {"name": "2", "meta-type": "enum", "members": [{"name": "a"}]},
        {"name": "3", "meta-type": "object", "members": [{"name": "n", "type": "int"}]},
        {"name": "int", "meta-type": "builtin", "json-type": "int"}
    ]"#;

    const FACTS: &str = "releases 7.2 8.0\n\
        command reset 8.0\n\
        member Info when 8.0\n\
        value Kind b 8.0\n\
        argument query-info fast 8.0\n";

    #[test]
    fn facts_explain_what_the_older_release_lacks() {
        let model = crate::verify::compare::tests::model(OURS);
        let config = Config {
            unmask: true,
            ..Config::default()
        };
        let ours = introspect(&model, &config);
        let live = super::super::live::parse(&serde_json::from_str(LIVE).unwrap()).unwrap();
        let report = compare(&live, &ours);
        let compat = Compat::parse(FACTS).unwrap();
        let lines = |release: &str| {
            Explainer::new(release, &compat, &model)
                .classify(&report.differences)
                .into_iter()
                .map(|item| format!("{:?}: {}", item.class, item.difference))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            lines("7.2.1"),
            [
                "Explained(Argument, \"argument query-info fast 8.0\"): \
                 query-info.arguments: members differ: extra \"fast\"",
                "OlderOnly: query-info.returns: members differ: missing \"old\"",
                "Explained(Member, \"member Info when 8.0\"): \
                 query-info.returns: members differ: extra \"when\"",
                "Unexplained: query-info.returns: members differ: extra \"note\"",
                "Explained(Value, \"value Kind b 8.0\"): \
                 query-info.returns.kind: enum values differ: extra \"b\"",
                "Explained(Variant, \"value Kind b 8.0\"): \
                 query-info.returns: union variants differ: extra \"b\"",
                "Explained(Command, \"command reset 8.0\"): extra command: reset",
            ]
        );
        // From the release a fact names on, it explains nothing.
        assert!(lines("8.0.0").iter().all(|l| !l.starts_with("Explained")));
    }
}
