//! The second phase: checks that need the whole schema, in the order QEMU's
//! generator makes them, so that our first error is the one it reports.
//!
//! 1. Definitions are entered into one name table in schema order
//!    (duplicates are rejected); arrays and implicit object types are
//!    made where they are first used.
//! 2. Each array, implicit type and definition is checked in that order:
//!    names resolve, bases and branches are of the right kind, members do
//!    not clash, unions and alternates are well formed, commands return
//!    what they may. An object type checks the types its C struct would
//!    contain (base, union branches) first. After each definition its doc
//!    comment is matched against its members and features.
//! 3. Doc comments are checked for descriptions of things that do not exist.
//! 4. The number of distinct feature names is bounded.
//!
//! A definition with an error is marked failed; whatever depends on it
//! fails silently, so one mistake is reported once.
//!
//! Each phase has its file: `define` enters definitions into the name
//! table and resolves names; `objects` checks object types and their
//! members, `unions` a union's discriminator and branches; `others` checks
//! arrays, enums, alternates, commands and events; `features` the features
//! of all of them; `docs` matches doc comments against what they describe;
//! `build` makes the model.

mod build;
mod define;
mod docs;
mod features;
mod objects;
mod others;
mod unions;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::{self, Builtin, Condition, DefId, DefinitionKind, ImplicitRole, JsonType};
use crate::source::{SourceMap, Span};
use crate::syntax::tree::{Pragmas, Str};

use super::fxhash::HashMap;
use super::shape::{Decl, DeclBody, MemberDecl, ObjectRef, Rejected};
use docs::Connected;

/// How deeply object types may contain one another (through bases and
/// union branches). Real schemas stay under ten.
const MAX_NESTING: usize = 64;

/// A resolved type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Builtin(Builtin),
    /// The array of a built-in type (`strList`), which always exists.
    BuiltinArray(Builtin),
    /// A type definition (an index into `defs`).
    Def(usize),
    /// An array made for a use of `[T]` (an index into `arrays`).
    Array(usize),
}

#[derive(Clone, Copy, Debug)]
enum Name {
    Type(Ty),
    /// A command or event.
    NotType(usize),
    /// A definition that failed its shape check.
    Poisoned,
}

enum Lookup {
    Found(Ty),
    Unknown,
    /// A command or event, named where a type is needed.
    NotType(usize),
    /// Something already reported.
    Poisoned,
}

struct ArrayEntity {
    element: String,
    /// The definition that first used it, and where.
    decl: usize,
    span: Span,
    /// The element type, once resolved.
    element_ty: Option<Ty>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Unchecked,
    InProgress,
    Complete,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DefKind {
    Enum,
    /// A struct, union or implicit object type.
    Object,
    Alternate,
    Command,
    Event,
}

/// A member of an object type after its check, with everything inherited.
#[derive(Clone, Copy)]
struct Flat<'c> {
    name: &'c str,
    cname: &'c str,
    optional: bool,
    ty: Ty,
    conditional: bool,
    /// The definition that wrote it.
    defined_in: usize,
    /// Where its key is written.
    span: Span,
}

/// Members seen so far, found by C name: by a linear scan while there
/// are few (most objects), through a map once there are many.
#[derive(Clone, Default)]
struct Seen<'c> {
    list: Vec<Flat<'c>>,
    /// Empty until `list` is longer than [`Seen::SCAN`].
    by_cname: HashMap<&'c str, usize>,
}

impl<'c> Seen<'c> {
    const SCAN: usize = 16;

    fn get(&self, cname: &str) -> Option<&Flat<'c>> {
        if self.list.len() <= Self::SCAN {
            self.list.iter().find(|m| m.cname == cname)
        } else {
            self.by_cname.get(cname).map(|&i| &self.list[i])
        }
    }

    /// Forgets the members pushed after the first `mark`.
    fn rewind(&mut self, mark: usize) {
        if mark <= Self::SCAN {
            self.by_cname.clear();
        } else {
            for m in &self.list[mark..] {
                self.by_cname.remove(m.cname);
            }
        }
        self.list.truncate(mark);
    }

    fn push(&mut self, m: Flat<'c>) {
        self.list.push(m);
        if self.list.len() > Self::SCAN {
            if self.by_cname.is_empty() {
                self.by_cname
                    .extend(self.list.iter().enumerate().map(|(i, m)| (m.cname, i)));
            } else {
                self.by_cname.insert(m.cname, self.list.len() - 1);
            }
        }
    }
}

struct Variant {
    name: Str,
    span: Span,
    /// `None` for a branch not written (no members).
    ty: Option<usize>,
    condition: Option<Condition>,
}

struct DefEntity<'c> {
    name: Str,
    kind: DefKind,
    /// The declaration it comes from (the owner, for an implicit type).
    decl: usize,
    implicit: Option<ImplicitRole>,
    state: State,
    /// How many levels of object types it contains (objects only).
    nesting: usize,
    /// Resolved types of the local members (objects), or of the branches
    /// (alternates).
    member_tys: Vec<Ty>,
    base: Option<usize>,
    /// All members, base members first (objects).
    flat: Vec<Flat<'c>>,
    /// Union branches, the unwritten ones included.
    variants: Vec<Variant>,
    discriminator_ty: Option<Ty>,
    /// A command's or event's data type.
    arg: Option<usize>,
    returns: Option<Ty>,
}

#[derive(Clone, Copy)]
enum Entity {
    Array(usize),
    Def(usize),
}

/// Runs the whole-schema checks and builds the model. The model is empty
/// when a language rule was broken.
///
/// Definition doc comments are left out of the model (`doc: None`): the
/// caller moves them in from the syntax tree, definition `i` getting the
/// doc comment of expression `e` for each `(i, e)` of the returned list.
pub fn check_schema(
    decls: &[Decl<'_>],
    rejected: &[Rejected],
    pragmas: &Pragmas,
    sources: &SourceMap,
    diagnostics: &mut Diagnostics,
) -> (model::Schema, Vec<(usize, usize)>) {
    let mut checker = Checker {
        decls,
        sources,
        pragmas,
        diagnostics,
        names: HashMap::with_capacity_and_hasher(2 * decls.len(), Default::default()),
        arrays: Vec::new(),
        defs: Vec::with_capacity(decls.len() + decls.len() / 2),
        entities: Vec::with_capacity(2 * decls.len()),
        decl_def: vec![None; decls.len()],
        decl_implicit: vec![None; decls.len()],
        documented: vec![Connected::default(); decls.len()],
        failed: false,
        scratch: String::new(),
    };
    checker.define_all(rejected);
    let ids = checker.model_ids();
    let (definitions, docs) = checker.check_all(&ids);
    checker.check_docs();
    let feature_names = checker.count_features();
    if checker.failed {
        return (model::Schema::default(), Vec::new());
    }
    let schema = model::Schema {
        definitions,
        feature_names,
    };
    (schema, docs)
}

struct Checker<'c, 'a> {
    decls: &'c [Decl<'a>],
    /// The schema's files, whose text the model's names share.
    sources: &'c SourceMap,
    pragmas: &'c Pragmas,
    diagnostics: &'c mut Diagnostics,
    names: HashMap<Str, Name>,
    arrays: Vec<ArrayEntity>,
    defs: Vec<DefEntity<'c>>,
    /// Arrays and definitions in the order they are checked.
    entities: Vec<Entity>,
    /// Each declaration's definition (`None` for a duplicate).
    decl_def: Vec<Option<usize>>,
    /// Each declaration's implicit object type, if it has one.
    decl_implicit: Vec<Option<usize>>,
    documented: Vec<Connected>,
    /// Whether a language error was reported.
    failed: bool,
    /// A buffer for names made up (`FooList`, `q_obj_foo-arg`).
    scratch: String,
}

impl<'c, 'a> Checker<'c, 'a> {
    /// A name read from the schema, as a [`Str`] sharing its file's text.
    fn share(&self, name: &str) -> Str {
        self.sources.share(name)
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.failed = true;
        self.diagnostics.report(diagnostic);
    }

    /// A language error in declaration `decl`, reported at its start.
    fn error(&self, decl: usize, message: impl Into<String>) -> Diagnostic {
        let d = &self.decls[decl];
        Diagnostic::language(d.expr.span, message).in_definition(d.context())
    }

    fn doc_error(&self, decl: usize, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::documentation(span, message).in_definition(self.decls[decl].context())
    }

    /// Checks every array and definition, in the order they were entered,
    /// and builds each definition's model as soon as it passed, while its
    /// declaration is still in the cache (the model is dropped if anything
    /// failed). Returns the definitions, and which doc comments they get
    /// (see [`check_schema`]).
    fn check_all(&mut self, ids: &[DefId]) -> (Vec<model::Definition>, Vec<(usize, usize)>) {
        let mut definitions = Vec::with_capacity(self.defs.len());
        let mut docs = Vec::new();
        for index in 0..self.entities.len() {
            match self.entities[index] {
                Entity::Array(a) => self.check_array(a),
                Entity::Def(id) => {
                    let ok = match self.defs[id].kind {
                        DefKind::Object => self.check_object(id, 0).is_ok(),
                        _ => {
                            let ok = self.check_other(id).is_ok();
                            self.defs[id].state = if ok { State::Complete } else { State::Failed };
                            ok
                        }
                    };
                    let def = &self.defs[id];
                    if ok && def.implicit.is_none() {
                        if self.decls[def.decl].doc.is_some() {
                            docs.push((definitions.len(), self.decls[def.decl].index));
                        }
                        self.connect_doc(id);
                    }
                    if ok && !self.failed {
                        definitions.push(self.build_definition(id, ids));
                        // Only the model needed the member types.
                        self.defs[id].member_tys = Vec::new();
                    }
                }
            }
        }
        (definitions, docs)
    }

    fn describe_def(&self, id: usize) -> String {
        let def = &self.defs[id];
        let owner = &self.decls[def.decl];
        match def.implicit {
            Some(ImplicitRole::CommandArguments) => {
                format!("the arguments of command '{}'", owner.name)
            }
            Some(ImplicitRole::EventData) => format!("the data of event '{}'", owner.name),
            Some(ImplicitRole::UnionBase) => format!("the base of union '{}'", owner.name),
            None => owner.context(),
        }
    }

    fn describe_ty(&self, ty: Ty) -> String {
        match ty {
            Ty::Builtin(b) => format!("built-in type '{}'", b.name()),
            Ty::BuiltinArray(b) => format!("array type ['{}']", b.name()),
            Ty::Array(a) => format!("array type ['{}']", self.arrays[a].element),
            Ty::Def(id) => self.describe_def(id),
        }
    }

    fn json_type(&self, ty: Ty) -> JsonType {
        match ty {
            Ty::Builtin(b) => b.json_type(),
            Ty::BuiltinArray(_) | Ty::Array(_) => JsonType::Array,
            Ty::Def(id) => match self.defs[id].kind {
                DefKind::Enum => JsonType::String,
                DefKind::Object => JsonType::Object,
                _ => JsonType::Value,
            },
        }
    }

    /// The values of an enum type (`None` if `ty` is no enum).
    fn enum_values(&self, ty: Ty) -> Option<Vec<&str>> {
        match ty {
            Ty::Builtin(Builtin::QType) => Some(Builtin::QTYPE_VALUES.to_vec()),
            Ty::Def(id) if self.defs[id].kind == DefKind::Enum => {
                match &self.decls[self.defs[id].decl].body {
                    DeclBody::Enum { values, .. } => Some(values.iter().map(|v| v.name).collect()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn object_def(&self, ty: Ty) -> Option<usize> {
        match ty {
            Ty::Def(id) if self.defs[id].kind == DefKind::Object => Some(id),
            _ => None,
        }
    }

    fn is_union(&self, id: usize) -> bool {
        self.defs[id].implicit.is_none()
            && self.decls[self.defs[id].decl].kind == DefinitionKind::Union
    }

    /// The members object type `id` writes itself: a struct's, or an
    /// implicit type's (none for a union, whose base is a type of its own).
    fn local_members(&self, id: usize) -> &'c [MemberDecl<'a>] {
        let def = &self.defs[id];
        let decls: &'c [Decl<'a>] = self.decls;
        let decl = &decls[def.decl];
        match (def.implicit, &decl.body) {
            (
                Some(_),
                DeclBody::Union {
                    base: ObjectRef::Inline(m),
                    ..
                },
            )
            | (
                Some(_),
                DeclBody::Command {
                    data: Some(ObjectRef::Inline(m)),
                    ..
                },
            )
            | (
                Some(_),
                DeclBody::Event {
                    data: Some(ObjectRef::Inline(m)),
                    ..
                },
            ) => m,
            (None, DeclBody::Struct { members, .. }) => members,
            _ => &[],
        }
    }
}

/// The members a declaration writes inline: a struct's, or an implicit
/// type's (union base, command arguments, event data).
fn inline_members<'d, 'a>(decl: &'d Decl<'a>) -> &'d [MemberDecl<'a>] {
    match &decl.body {
        DeclBody::Struct { members, .. }
        | DeclBody::Union {
            base: ObjectRef::Inline(members),
            ..
        }
        | DeclBody::Command {
            data: Some(ObjectRef::Inline(members)),
            ..
        }
        | DeclBody::Event {
            data: Some(ObjectRef::Inline(members)),
            ..
        } => members,
        _ => &[],
    }
}
