//! The first phase: each definition expression on its own. Checks which
//! keys it has and what their values look like, names and naming rules,
//! conditions, features and flags, and the placement of its doc comment;
//! turns what passes into a [`Decl`] for the whole-schema phase.

use std::fmt;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::{Condition, DefinitionKind};
use crate::source::Span;
use crate::syntax::doc::{Doc, SectionKind};
use crate::syntax::tree::{Entry, Expr, Node, Object, Pragmas, Value};

use super::lazy;
use super::names::{c_name_cow, is_camel, stem};

/// How deeply `if` conditions may nest.
const MAX_CONDITION_DEPTH: usize = 64;

/// A definition that passed the shape check.
pub struct Decl<'a> {
    /// The index of its expression in the syntax tree.
    pub index: usize,
    pub kind: DefinitionKind,
    pub name: &'a str,
    pub expr: &'a Expr,
    /// The doc comment, when it is for this definition.
    pub doc: Option<&'a Doc>,
    pub condition: Option<Condition>,
    pub features: Vec<FeatureDecl<'a>>,
    pub body: DeclBody<'a>,
}

impl Decl<'_> {
    /// `struct 'Foo'`, for messages.
    pub fn context(&self) -> String {
        format!("{} '{}'", self.kind.keyword(), self.name)
    }
}

pub struct FeatureDecl<'a> {
    pub name: &'a str,
    pub span: Span,
    pub condition: Option<Condition>,
}

/// A type written by name, or as a one-element array of a name.
#[derive(Clone, Copy)]
pub struct TypeName<'a> {
    pub name: &'a str,
    pub array: bool,
    pub span: Span,
}

pub struct MemberDecl<'a> {
    pub name: &'a str,
    /// `c_name(name, true)`, the name members clash by.
    pub cname: std::borrow::Cow<'a, str>,
    pub optional: bool,
    pub span: Span,
    pub ty: TypeName<'a>,
    pub condition: Option<Condition>,
    pub features: Vec<FeatureDecl<'a>>,
}

pub struct ValueDecl<'a> {
    pub name: &'a str,
    pub span: Span,
    pub condition: Option<Condition>,
    pub features: Vec<FeatureDecl<'a>>,
}

pub struct BranchDecl<'a> {
    pub name: &'a str,
    pub span: Span,
    pub ty: TypeName<'a>,
    pub condition: Option<Condition>,
}

/// A `base` or `data` that is either a type name or inline members.
pub enum ObjectRef<'a> {
    Named(TypeName<'a>),
    Inline(Vec<MemberDecl<'a>>),
}

pub enum DeclBody<'a> {
    Enum {
        values: Vec<ValueDecl<'a>>,
        prefix: Option<&'a str>,
    },
    Struct {
        base: Option<TypeName<'a>>,
        members: Vec<MemberDecl<'a>>,
    },
    Union {
        base: ObjectRef<'a>,
        discriminator: &'a str,
        discriminator_span: Span,
        branches: Vec<BranchDecl<'a>>,
    },
    Alternate {
        branches: Vec<BranchDecl<'a>>,
    },
    Command {
        data: Option<ObjectRef<'a>>,
        returns: Option<TypeName<'a>>,
        boxed: bool,
        gen: bool,
        success_response: bool,
        allow_oob: bool,
        allow_preconfig: bool,
        coroutine: bool,
    },
    Event {
        data: Option<ObjectRef<'a>>,
        boxed: bool,
    },
}

/// A definition that failed the shape check: its name (when it has a
/// usable one) is kept so that uses of it are not reported again.
pub struct Rejected {
    pub name: String,
}

/// Checks every expression, in order.
pub fn check_exprs<'a>(
    exprs: &'a [Expr],
    pragmas: &Pragmas,
    diagnostics: &mut Diagnostics,
) -> (Vec<Decl<'a>>, Vec<Rejected>) {
    let mut decls = Vec::with_capacity(exprs.len());
    let mut rejected = Vec::new();
    for (index, expr) in exprs.iter().enumerate() {
        let mut shape = Shape {
            index,
            expr,
            pragmas,
            context: None,
            diagnostics: &mut *diagnostics,
        };
        match shape.check() {
            Ok(decl) => decls.push(decl),
            Err(diagnostic) => {
                if let Some((_, name)) = shape.context.take() {
                    rejected.push(Rejected {
                        name: name.to_owned(),
                    });
                }
                diagnostics.report(diagnostic);
            }
        }
    }
    (decls, rejected)
}

type Result<T> = std::result::Result<T, Diagnostic>;

const META_KEYS: [(&str, DefinitionKind); 6] = [
    ("enum", DefinitionKind::Enum),
    ("struct", DefinitionKind::Struct),
    ("union", DefinitionKind::Union),
    ("alternate", DefinitionKind::Alternate),
    ("command", DefinitionKind::Command),
    ("event", DefinitionKind::Event),
];

struct Shape<'a, 'd> {
    index: usize,
    expr: &'a Expr,
    pragmas: &'d Pragmas,
    /// The definition's kind and name, once known.
    context: Option<(DefinitionKind, &'a str)>,
    diagnostics: &'d mut Diagnostics,
}

/// Describes a value's JSON kind, for messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Str(_) => "a string",
        Value::Bool(_) => "a boolean",
        Value::List(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Python's truthiness, which decides how QEMU reads `'boxed'` before
/// checking that it is `true`.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Str(s) => !s.is_empty(),
        Value::Bool(b) => *b,
        Value::List(l) => !l.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Help for a union without a `discriminator`, naming the older language
/// when the union has no `base` either.
fn union_help(union: &Object) -> String {
    let mut help = "a union's branches are chosen by the member that 'discriminator' names, \
                    an enum member of its 'base'"
        .to_owned();
    if !union.contains("base") {
        help += "; unions with neither ('simple' unions) are the language of QEMU 6.1 and older";
    }
    help
}

fn quoted_list<'s>(names: impl IntoIterator<Item = &'s str>) -> String {
    let mut names: Vec<&str> = names.into_iter().collect();
    names.sort_unstable();
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'a> Shape<'a, '_> {
    /// A language error in this definition, with a label at `at`.
    fn error(&self, at: Span, label: &str, message: impl Into<String>) -> Diagnostic {
        let mut d = Diagnostic::language(self.expr.span, message).with_label(at, label);
        if let Some((kind, name)) = &self.context {
            d = d.in_definition(format!("{} '{name}'", kind.keyword()));
        }
        d
    }

    fn doc_diagnostic(&mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        let mut d = Diagnostic::documentation(span, message);
        if let Some((kind, name)) = &self.context {
            d = d.in_definition(format!("{} '{name}'", kind.keyword()));
        }
        d
    }

    fn check(&mut self) -> Result<Decl<'a>> {
        let expr = self.expr;
        let object = &expr.object;
        let mut metas = object.entries.iter().filter_map(|e| {
            META_KEYS
                .iter()
                .find(|(k, _)| *k == e.key.as_str())
                .map(|(_, m)| (e, *m))
        });
        let (first, second) = (metas.next(), metas.next());
        let (meta_entry, kind) = match (first, second) {
            (Some(one), None) => one,
            (None, _) => {
                let at = object.entries.first().map_or(expr.span, |e| e.key_span);
                return Err(self
                    .error(at, "no definition keyword", "expression defines nothing: it needs exactly one of the keys 'enum', 'struct', 'union', 'alternate', 'command' or 'event'")
                    .with_help("`include` and `pragma` directives must be spelled exactly so"));
            }
            (Some(first), Some(second)) => {
                let keys = [first, second].into_iter().chain(metas);
                return Err(self.error(
                    second.0.key_span,
                    "second definition keyword",
                    format!(
                        "expression has more than one definition keyword ({})",
                        quoted_list(keys.map(|(e, _)| e.key.as_str()))
                    ),
                ));
            }
        };
        let keyword = kind.keyword();
        let name = match &meta_entry.value.value {
            Value::Str(s) => s.as_str(),
            other => {
                return Err(self.error(
                    meta_entry.value.span,
                    "expected a string",
                    format!(
                        "the name of a {keyword} must be a string, not {}",
                        kind_of(other)
                    ),
                ))
            }
        };
        self.context = Some((kind, name));
        self.check_definition_name(kind, name, meta_entry.value.span)?;

        let doc = self.check_doc(kind, name, object);

        let (required, optional): (&[&str], &[&str]) = match kind {
            DefinitionKind::Enum => (&["enum", "data"], &["if", "features", "prefix"]),
            DefinitionKind::Union => (
                &["union", "base", "discriminator", "data"],
                &["if", "features"],
            ),
            DefinitionKind::Alternate => (&["alternate", "data"], &["if", "features"]),
            DefinitionKind::Struct => (&["struct", "data"], &["base", "if", "features"]),
            DefinitionKind::Command => (
                &["command"],
                &[
                    "data",
                    "returns",
                    "boxed",
                    "if",
                    "features",
                    "gen",
                    "success-response",
                    "allow-oob",
                    "allow-preconfig",
                    "coroutine",
                ],
            ),
            DefinitionKind::Event => (&["event"], &["data", "boxed", "if", "features"]),
        };
        self.check_keys(object, expr.span, &keyword, required, optional)
            .map_err(|error| match kind {
                DefinitionKind::Union if !object.contains("discriminator") => {
                    error.with_help(union_help(object))
                }
                _ => error,
            })?;

        let body = match kind {
            DefinitionKind::Enum => self.check_enum(name, object)?,
            DefinitionKind::Struct => self.check_struct(name, object)?,
            DefinitionKind::Union => self.check_union(name, object)?,
            DefinitionKind::Alternate => self.check_alternate(object)?,
            DefinitionKind::Command => self.check_command(object)?,
            DefinitionKind::Event => self.check_event(object)?,
        };
        let condition = self.check_if(object, &format_args!("the {keyword}"))?;
        let features = self.check_features(object.get("features"))?;
        let body = self.check_flags(object, body)?;
        Ok(Decl {
            index: self.index,
            kind,
            name,
            expr,
            doc,
            condition,
            features,
            body,
        })
    }

    fn check_definition_name(&self, kind: DefinitionKind, name: &str, at: Span) -> Result<()> {
        let keyword = kind.keyword();
        let Some(stem) = stem(name) else {
            return Err(self.invalid_name(at, &format_args!("{keyword} name '{name}'")));
        };
        match kind {
            DefinitionKind::Event => {
                if stem.bytes().any(|b| b.is_ascii_lowercase() || b == b'-') {
                    return Err(self.error(
                        at,
                        "not upper case",
                        format!("event name '{name}' must be written in upper case, with '_' between words"),
                    ));
                }
            }
            DefinitionKind::Command => {
                let permit_underscore = self
                    .pragmas
                    .command_name_exceptions
                    .iter()
                    .any(|n| n == name);
                self.check_lower(
                    stem,
                    at,
                    &format_args!("command name '{name}'"),
                    false,
                    permit_underscore,
                )?;
            }
            _ => {
                if !is_camel(stem) {
                    return Err(self.error(
                        at,
                        "not CamelCase",
                        format!("type name '{name}' must be CamelCase: an upper-case letter first, then letters and digits with at least one in lower case"),
                    ));
                }
                if name.ends_with("List") {
                    return Err(self
                        .error(
                            at,
                            "ends in 'List'",
                            format!("type name '{name}' must not end in 'List'"),
                        )
                        .with_help("names ending in 'List' are reserved for array types"));
                }
            }
        }
        Ok(())
    }

    fn invalid_name(&self, at: Span, what: &dyn fmt::Display) -> Diagnostic {
        self.error(at, "invalid name", format!("{what} is not a valid name"))
            .with_help("a name starts with a letter and continues with letters, digits, '-' and '_'; it may start with 'x-' or a '__RFQDN_' prefix; names starting with 'q_' are reserved")
    }

    /// Checks a member, command, feature or branch name: a valid name whose
    /// stem has no upper case and no `_` unless permitted.
    fn check_name_lower(
        &self,
        name: &str,
        at: Span,
        what: &dyn fmt::Display,
        permit: bool,
    ) -> Result<()> {
        let Some(stem) = stem(name) else {
            return Err(self.invalid_name(at, what));
        };
        self.check_lower(stem, at, what, permit, permit)
    }

    fn check_lower(
        &self,
        stem: &str,
        at: Span,
        what: &dyn fmt::Display,
        permit_upper: bool,
        permit_underscore: bool,
    ) -> Result<()> {
        if !permit_upper && stem.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(self.error(
                at,
                "upper case",
                format!("{what} must be in lower case, with '-' between words"),
            ));
        }
        if !permit_underscore && stem.contains('_') {
            return Err(self.error(
                at,
                "'_' here",
                format!("{what} must use '-' between words, not '_'"),
            ));
        }
        Ok(())
    }

    /// The doc comment's placement rules that concern this definition.
    /// Returns the doc comment when it belongs to this definition.
    fn check_doc(
        &mut self,
        kind: DefinitionKind,
        name: &str,
        object: &'a Object,
    ) -> Option<&'a Doc> {
        let expr = self.expr;
        let Some((doc, (symbol, symbol_span))) = expr
            .doc
            .as_ref()
            .and_then(|d| d.symbol.as_ref().map(|s| (d, s)))
        else {
            if self.pragmas.doc_required {
                let d = self
                    .doc_diagnostic(
                        expr.span,
                        format!("{} '{name}' has no doc comment", kind.keyword()),
                    )
                    .with_help(
                        "pragma 'doc-required' asks for a doc comment before every definition",
                    );
                self.diagnostics.report(d);
            }
            return None;
        };
        if symbol != name {
            let d = self
                .doc_diagnostic(
                    expr.span,
                    format!(
                        "the doc comment before {} '{name}' is for '{symbol}'",
                        kind.keyword()
                    ),
                )
                .with_label(*symbol_span, "documents this name");
            self.diagnostics.report(d);
            return None;
        }
        if kind == DefinitionKind::Command {
            if let Some(section) = doc.tagged_as_parsed(SectionKind::Returns) {
                if !object.contains("returns") {
                    let d = self
                        .doc_diagnostic(
                            section.span,
                            format!("command '{name}' has a 'Returns' section but returns nothing"),
                        )
                        .with_label(expr.span, "command without 'returns'");
                    self.diagnostics.report(d);
                }
            }
        } else {
            for tag in [SectionKind::Returns, SectionKind::Errors] {
                if let Some(section) = doc.tagged_as_parsed(tag) {
                    let d = self.doc_diagnostic(
                        section.span,
                        format!(
                            "'{}' section in the doc comment of {} '{name}': only commands may have one",
                            tag.title(),
                            kind.keyword()
                        ),
                    );
                    self.diagnostics.report(d);
                    // QEMU reports only the first of the two.
                    break;
                }
            }
        }
        Some(doc)
    }

    fn check_keys(
        &self,
        object: &'a Object,
        at: Span,
        what: &dyn fmt::Display,
        required: &[&str],
        optional: &[&str],
    ) -> Result<()> {
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|k| !object.contains(k))
            .collect();
        if !missing.is_empty() {
            let s = if missing.len() > 1 { "s" } else { "" };
            return Err(self.error(
                at,
                "here",
                format!("{what} lacks the key{s} {}", quoted_list(missing)),
            ));
        }
        let unknown: Vec<&Entry> = object
            .entries
            .iter()
            .filter(|e| !required.contains(&e.key.as_str()) && !optional.contains(&e.key.as_str()))
            .collect();
        if let Some(first) = unknown.first() {
            let s = if unknown.len() > 1 { "s" } else { "" };
            return Err(self
                .error(
                    first.key_span,
                    "unknown key",
                    format!(
                        "{what} has the unknown key{s} {}",
                        quoted_list(unknown.iter().map(|e| e.key.as_str()))
                    ),
                )
                .with_help(format!(
                    "the keys allowed here are {}",
                    quoted_list(required.iter().chain(optional).copied())
                )));
        }
        Ok(())
    }

    fn check_if(&self, object: &'a Object, what: &dyn fmt::Display) -> Result<Option<Condition>> {
        match object.get("if") {
            None => Ok(None),
            Some(node) => self.condition(node, what, 0).map(Some),
        }
    }

    fn condition(
        &self,
        node: &'a Node,
        what: &dyn fmt::Display,
        depth: usize,
    ) -> Result<Condition> {
        if depth > MAX_CONDITION_DEPTH {
            return Err(self.error(
                node.span,
                "too deep",
                format!("the 'if' condition of {what} nests more than {MAX_CONDITION_DEPTH} levels deep"),
            ));
        }
        match &node.value {
            Value::Str(s) => {
                let mut bytes = s.bytes();
                let valid = matches!(bytes.next(), Some(b'A'..=b'Z'))
                    && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                if !valid {
                    let error = self.error(
                        node.span,
                        "not a configuration symbol",
                        format!("'if' condition '{s}' of {what} must be an upper-case identifier such as 'CONFIG_FOO'"),
                    );
                    // Schemas of QEMU 6.1 and older write `defined(CONFIG_FOO)`.
                    return Err(if s.contains("defined(") {
                        error.with_help(
                            "C preprocessor conditions are the language of QEMU 6.1 and older; \
                             write 'defined(CONFIG_FOO)' as 'CONFIG_FOO', and combine symbols \
                             with { 'all': [...] }, { 'any': [...] } and { 'not': ... }",
                        )
                    } else {
                        error
                    });
                }
                Ok(Condition::Name(s.clone()))
            }
            Value::Object(o) => {
                let source = format!("the 'if' condition of {what}");
                self.check_keys(o, node.span, &source, &[], &["all", "any", "not"])?;
                let [entry] = o.entries.as_slice() else {
                    return Err(self.error(
                        node.span,
                        "here",
                        format!("{source} must have exactly one of the keys 'all', 'any' or 'not'"),
                    ));
                };
                match entry.key.as_str() {
                    "not" => Ok(Condition::Not(Box::new(self.condition(
                        &entry.value,
                        what,
                        depth + 1,
                    )?))),
                    op => {
                        let Value::List(operands) = &entry.value.value else {
                            return Err(self.error(
                                entry.value.span,
                                "expected an array",
                                format!("the operands of '{op}' in {source} must be an array"),
                            ));
                        };
                        if operands.is_empty() {
                            return Err(self.error(
                                entry.value.span,
                                "empty",
                                format!("'{op}' in {source} has no operands"),
                            ));
                        }
                        let operands = operands
                            .iter()
                            .map(|n| self.condition(n, what, depth + 1))
                            .collect::<Result<Vec<_>>>()?;
                        Ok(if op == "all" {
                            Condition::All(operands)
                        } else {
                            Condition::Any(operands)
                        })
                    }
                }
            }
            other => Err(self.error(
                node.span,
                "not a condition",
                format!(
                    "the 'if' condition of {what} must be a string or an object, not {}",
                    kind_of(other)
                ),
            )),
        }
    }

    fn check_features(&self, node: Option<&'a Node>) -> Result<Vec<FeatureDecl<'a>>> {
        let Some(node) = node else {
            return Ok(Vec::new());
        };
        let Value::List(list) = &node.value else {
            return Err(self.error(
                node.span,
                "expected an array",
                format!("'features' must be an array, not {}", kind_of(&node.value)),
            ));
        };
        let mut features = Vec::with_capacity(list.len());
        for item in list {
            let (name_node, object) = match &item.value {
                Value::Object(o) => {
                    self.check_keys(o, item.span, &"a feature", &["name"], &["if"])?;
                    (o.get("name").unwrap_or(item), Some(o))
                }
                _ => (item, None),
            };
            let Value::Str(name) = &name_node.value else {
                return Err(self.error(
                    name_node.span,
                    "expected a string",
                    format!(
                        "a feature name must be a string, not {}",
                        kind_of(&name_node.value)
                    ),
                ));
            };
            let what = lazy(|f| write!(f, "feature '{name}'"));
            self.check_name_lower(name, name_node.span, &what, false)?;
            let condition = match object {
                Some(o) => self.check_if(o, &what)?,
                None => None,
            };
            features.push(FeatureDecl {
                name,
                span: name_node.span,
                condition,
            });
        }
        Ok(features)
    }

    fn type_name(&self, node: &'a Node, what: &dyn fmt::Display) -> Result<TypeName<'a>> {
        match &node.value {
            Value::Str(s) => Ok(TypeName {
                name: s,
                array: false,
                span: node.span,
            }),
            other => Err(self.error(
                node.span,
                "expected a type name",
                format!(
                    "the type of {what} must be a type name, not {}",
                    kind_of(other)
                ),
            )),
        }
    }

    fn type_name_or_array(&self, node: &'a Node, what: &dyn fmt::Display) -> Result<TypeName<'a>> {
        match &node.value {
            Value::Str(_) => self.type_name(node, what),
            Value::List(items) => match items.as_slice() {
                [Node {
                    value: Value::Str(s),
                    ..
                }] => Ok(TypeName {
                    name: s,
                    array: true,
                    span: node.span,
                }),
                _ => Err(self.error(
                    node.span,
                    "not a one-element array of a type name",
                    format!(
                        "the type of {what} is an array, so it must hold exactly one type name"
                    ),
                )),
            },
            other => Err(self.error(
                node.span,
                "expected a type name or array",
                format!(
                    "the type of {what} must be a type name or an array of one, not {}",
                    kind_of(other)
                ),
            )),
        }
    }

    /// Inline members (`'data'` of a struct, command or event, or an inline
    /// union base). `owner` names the type for `member-name-exceptions`.
    fn members(
        &self,
        node: &'a Node,
        what: &dyn fmt::Display,
        owner: Option<&str>,
    ) -> Result<Vec<MemberDecl<'a>>> {
        let Value::Object(object) = &node.value else {
            return Err(self.error(
                node.span,
                "expected an object",
                format!(
                    "{what} must be an object of members or a type name, not {}",
                    kind_of(&node.value)
                ),
            ));
        };
        let permissive =
            owner.is_some_and(|o| self.pragmas.member_name_exceptions.iter().any(|n| n == o));
        let mut members = Vec::with_capacity(object.len());
        for entry in &object.entries {
            let (name, optional) = match entry.key.strip_prefix('*') {
                Some(rest) => (rest, true),
                None => (entry.key.as_str(), false),
            };
            let member_what = lazy(|f| write!(f, "member '{}' of {what}", entry.key));
            self.check_name_lower(name, entry.key_span, &member_what, permissive)?;
            // Protecting adds `q_` only to names that are neither `u` nor
            // start with `has_`, so the protected name decides as well.
            let c = c_name_cow(name, true);
            if c == "u" || c.starts_with("has_") {
                return Err(self
                    .error(
                        entry.key_span,
                        "reserved name",
                        format!("{member_what} uses a reserved name"),
                    )
                    .with_help("'u' and names starting with 'has-' or 'has_' are reserved for generated C code"));
            }
            let (ty_node, spec) = match &entry.value.value {
                Value::Object(spec) => {
                    self.check_keys(
                        spec,
                        entry.value.span,
                        &member_what,
                        &["type"],
                        &["if", "features"],
                    )?;
                    (spec.get("type").unwrap_or(&entry.value), Some(spec))
                }
                _ => (&entry.value, None),
            };
            let (condition, features) = match spec {
                Some(spec) => (
                    self.check_if(spec, &member_what)?,
                    self.check_features(spec.get("features"))?,
                ),
                None => (None, Vec::new()),
            };
            let ty = self.type_name_or_array(ty_node, &member_what)?;
            members.push(MemberDecl {
                name,
                cname: c,
                optional,
                span: entry.key_span,
                ty,
                condition,
                features,
            });
        }
        Ok(members)
    }

    fn object_ref(
        &self,
        node: &'a Node,
        what: &dyn fmt::Display,
        owner: Option<&str>,
    ) -> Result<ObjectRef<'a>> {
        match &node.value {
            Value::Str(_) => Ok(ObjectRef::Named(self.type_name(node, what)?)),
            _ => Ok(ObjectRef::Inline(self.members(node, what, owner)?)),
        }
    }

    /// A key `check_keys` has made sure of.
    fn required<'o>(&self, object: &'o Object, key: &str) -> Result<&'o Node> {
        object.get(key).ok_or_else(|| {
            self.error(
                self.expr.span,
                "here",
                format!("the key '{key}' is missing"),
            )
        })
    }

    fn check_enum(&self, name: &str, object: &'a Object) -> Result<DeclBody<'a>> {
        let data = self.required(object, "data")?;
        let Value::List(items) = &data.value else {
            return Err(self.error(
                data.span,
                "expected an array",
                format!(
                    "the 'data' of an enum must be an array of values, not {}",
                    kind_of(&data.value)
                ),
            ));
        };
        let prefix = match object.get("prefix") {
            None => None,
            Some(Node {
                value: Value::Str(s),
                ..
            }) => Some(s.as_str()),
            Some(other) => {
                return Err(self.error(
                    other.span,
                    "expected a string",
                    format!("'prefix' must be a string, not {}", kind_of(&other.value)),
                ))
            }
        };
        let permissive = self
            .pragmas
            .member_name_exceptions
            .iter()
            .any(|n| n == name);
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            let (name_node, spec) = match &item.value {
                Value::Object(o) => {
                    self.check_keys(
                        o,
                        item.span,
                        &"an enum value",
                        &["name"],
                        &["if", "features"],
                    )?;
                    (o.get("name").unwrap_or(item), Some(o))
                }
                _ => (item, None),
            };
            let Value::Str(value) = &name_node.value else {
                return Err(self.error(
                    name_node.span,
                    "expected a string",
                    format!(
                        "an enum value must be a string, not {}",
                        kind_of(&name_node.value)
                    ),
                ));
            };
            let what = lazy(|f| write!(f, "enum value '{value}'"));
            // Enum values may start with a digit: check them as if they
            // started with a letter.
            let checked = if value.starts_with(|c: char| c.is_ascii_digit()) {
                std::borrow::Cow::Owned(format!("d{value}"))
            } else {
                std::borrow::Cow::Borrowed(value.as_str())
            };
            self.check_name_lower(&checked, name_node.span, &what, permissive)?;
            let (condition, features) = match spec {
                Some(spec) => (
                    self.check_if(spec, &what)?,
                    self.check_features(spec.get("features"))?,
                ),
                None => (None, Vec::new()),
            };
            values.push(ValueDecl {
                name: value,
                span: name_node.span,
                condition,
                features,
            });
        }
        Ok(DeclBody::Enum { values, prefix })
    }

    fn check_struct(&self, name: &str, object: &'a Object) -> Result<DeclBody<'a>> {
        let members = self.members(self.required(object, "data")?, &"'data'", Some(name))?;
        let base = match object.get("base") {
            None => None,
            Some(node) => Some(self.type_name(node, &"'base'")?),
        };
        Ok(DeclBody::Struct { base, members })
    }

    fn check_union(&self, name: &str, object: &'a Object) -> Result<DeclBody<'a>> {
        let base = self.object_ref(self.required(object, "base")?, &"'base'", Some(name))?;
        let disc = self.required(object, "discriminator")?;
        let Value::Str(discriminator) = &disc.value else {
            return Err(self.error(
                disc.span,
                "expected a string",
                format!(
                    "'discriminator' must be a member name, not {}",
                    kind_of(&disc.value)
                ),
            ));
        };
        let data = self.required(object, "data")?;
        let Value::Object(data_object) = &data.value else {
            return Err(self.error(
                data.span,
                "expected an object",
                format!(
                    "the 'data' of a union must be an object of branches, not {}",
                    kind_of(&data.value)
                ),
            ));
        };
        let mut branches = Vec::with_capacity(data_object.len());
        for entry in &data_object.entries {
            let what = lazy(|f| write!(f, "branch '{}'", entry.key));
            let branch = self.branch(entry, &what, false)?;
            branches.push(branch);
        }
        Ok(DeclBody::Union {
            base,
            discriminator,
            discriminator_span: disc.span,
            branches,
        })
    }

    fn branch(
        &self,
        entry: &'a Entry,
        what: &dyn fmt::Display,
        allow_array: bool,
    ) -> Result<BranchDecl<'a>> {
        let (ty_node, condition) = match &entry.value.value {
            Value::Object(spec) => {
                self.check_keys(spec, entry.value.span, what, &["type"], &["if"])?;
                (
                    spec.get("type").unwrap_or(&entry.value),
                    self.check_if(spec, what)?,
                )
            }
            _ => (&entry.value, None),
        };
        let ty = if allow_array {
            self.type_name_or_array(ty_node, what)?
        } else {
            self.type_name(ty_node, what)?
        };
        Ok(BranchDecl {
            name: &entry.key,
            span: entry.key_span,
            ty,
            condition,
        })
    }

    fn check_alternate(&self, object: &'a Object) -> Result<DeclBody<'a>> {
        let data = self.required(object, "data")?;
        if !truthy(&data.value) {
            return Err(self.error(data.span, "empty", "an alternate needs at least one branch"));
        }
        let Value::Object(data_object) = &data.value else {
            return Err(self.error(
                data.span,
                "expected an object",
                format!(
                    "the 'data' of an alternate must be an object of branches, not {}",
                    kind_of(&data.value)
                ),
            ));
        };
        let mut branches = Vec::with_capacity(data_object.len());
        for entry in &data_object.entries {
            let what = lazy(|f| write!(f, "branch '{}'", entry.key));
            self.check_name_lower(&entry.key, entry.key_span, &what, false)?;
            branches.push(self.branch(entry, &what, true)?);
        }
        Ok(DeclBody::Alternate { branches })
    }

    /// `'data'` of a command or event.
    fn arguments(&self, object: &'a Object) -> Result<Option<ObjectRef<'a>>> {
        let boxed = object.get("boxed").is_some_and(|b| truthy(&b.value));
        let data = object.get("data");
        if boxed {
            let Some(data) = data else {
                return Err(self.error(
                    object.entry("boxed").map_or(self.expr.span, |e| e.key_span),
                    "boxed",
                    "'boxed': true needs 'data' naming a type",
                ));
            };
            return Ok(Some(ObjectRef::Named(self.type_name(data, &"'data'")?)));
        }
        data.map(|data| self.object_ref(data, &"'data'", None))
            .transpose()
    }

    fn check_command(&self, object: &'a Object) -> Result<DeclBody<'a>> {
        let data = self.arguments(object)?;
        let returns = match object.get("returns") {
            None => None,
            Some(node) => Some(self.type_name_or_array(node, &"'returns'")?),
        };
        Ok(DeclBody::Command {
            data,
            returns,
            boxed: false,
            gen: true,
            success_response: true,
            allow_oob: false,
            allow_preconfig: false,
            coroutine: false,
        })
    }

    fn check_event(&self, object: &'a Object) -> Result<DeclBody<'a>> {
        let data = self.arguments(object)?;
        Ok(DeclBody::Event { data, boxed: false })
    }

    /// Checks the flags and records them in `body`.
    fn check_flags(&self, object: &'a Object, mut body: DeclBody<'a>) -> Result<DeclBody<'a>> {
        for key in ["gen", "success-response"] {
            if let Some(node) = object.get(key) {
                if node.value != Value::Bool(false) {
                    return Err(self.error(
                        node.span,
                        "expected false",
                        format!("flag '{key}' can only be false"),
                    ));
                }
            }
        }
        for key in ["boxed", "allow-oob", "allow-preconfig", "coroutine"] {
            if let Some(node) = object.get(key) {
                if node.value != Value::Bool(true) {
                    return Err(self.error(
                        node.span,
                        "expected true",
                        format!("flag '{key}' can only be true"),
                    ));
                }
            }
        }
        if let (Some(oob), Some(_)) = (object.entry("allow-oob"), object.entry("coroutine")) {
            return Err(self.error(
                oob.key_span,
                "with 'coroutine'",
                "a command cannot have both 'allow-oob' and 'coroutine'",
            ));
        }
        let set = |key: &str| object.contains(key);
        match &mut body {
            DeclBody::Command {
                boxed,
                gen,
                success_response,
                allow_oob,
                allow_preconfig,
                coroutine,
                ..
            } => {
                *boxed = set("boxed");
                *gen = !set("gen");
                *success_response = !set("success-response");
                *allow_oob = set("allow-oob");
                *allow_preconfig = set("allow-preconfig");
                *coroutine = set("coroutine");
            }
            DeclBody::Event { boxed, .. } => *boxed = set("boxed"),
            _ => {}
        }
        Ok(body)
    }
}
