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

use std::borrow::Cow;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::{self, Builtin, Condition, DefId, DefinitionKind, ImplicitRole, JsonType};
use crate::source::{SourceMap, Span};
use crate::syntax::doc::{Doc, Section, SectionKind};
use crate::syntax::tree::{Pragmas, Str};

use super::fxhash::{HashMap, HashSet};
use super::lazy;
use super::names::{c_name_cow, first_c_name_clash, is_builtin_name};
use super::shape::{
    BranchDecl, Decl, DeclBody, FeatureDecl, MemberDecl, ObjectRef, Rejected, TypeName, ValueDecl,
};

/// How deeply object types may contain one another (through bases and
/// union branches). Real schemas stay under ten.
const MAX_NESTING: usize = 64;
/// QEMU's generated code keeps feature sets in a 64-bit mask.
const MAX_FEATURES: usize = 64;

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

/// Which described members and features of a doc comment were matched.
#[derive(Clone, Default)]
struct Connected {
    /// Whether the definition was checked and its doc comment matched.
    done: bool,
    /// Per section of the doc comment: whether a member (for member
    /// descriptions) or feature (for feature descriptions) of that name
    /// exists.
    matched: Vec<bool>,
    /// How many member and feature descriptions are marked in `matched`.
    members: u32,
    features: u32,
}

impl Connected {
    /// Marks the (first) description of `kind` named `name`; whether there
    /// is one. A later description of the same name counts as matched when
    /// the first is.
    fn connect(&mut self, doc: &DocIndex<'_>, kind: SectionKind, name: &str) -> bool {
        match doc.find(kind, name) {
            Some(i) => {
                if !self.matched[i] {
                    self.matched[i] = true;
                    match kind {
                        SectionKind::Feature => self.features += 1,
                        _ => self.members += 1,
                    }
                }
                true
            }
            None => false,
        }
    }
}

/// Finds the first member or feature description of a name in a doc
/// comment, as [`Doc::member`] and [`Doc::feature`] do. Descriptions are
/// almost always written in the order of what they describe, so a short
/// doc comment is scanned from just after the previous find, which makes
/// one pass over it for all its members; a long one gets maps (with a bad
/// order, scans would be quadratic).
struct DocIndex<'d> {
    doc: &'d Doc,
    /// Where the next scan starts.
    cursor: std::cell::Cell<usize>,
    members: HashMap<&'d str, usize>,
    features: HashMap<&'d str, usize>,
}

impl<'d> DocIndex<'d> {
    const SCAN: usize = 24;

    fn new(doc: &'d Doc) -> DocIndex<'d> {
        let mut index = DocIndex {
            doc,
            cursor: std::cell::Cell::new(0),
            members: HashMap::default(),
            features: HashMap::default(),
        };
        if doc.sections.len() > Self::SCAN {
            for (i, section) in doc.sections.iter().enumerate() {
                let map = match section.kind {
                    SectionKind::Member => &mut index.members,
                    SectionKind::Feature => &mut index.features,
                    _ => continue,
                };
                if let Some(name) = &section.name {
                    map.entry(name.as_str()).or_insert(i);
                }
            }
        }
        index
    }

    /// The index of the first section of `kind` (member or feature) named
    /// `name`.
    fn find(&self, kind: SectionKind, name: &str) -> Option<usize> {
        let sections = &self.doc.sections;
        if sections.len() > Self::SCAN {
            let map = if kind == SectionKind::Feature {
                &self.features
            } else {
                &self.members
            };
            return map.get(name).copied();
        }
        let is = |s: &Section| s.kind == kind && s.name.as_deref() == Some(name);
        // With a name described twice, only a scan from the start finds
        // the first description.
        let start = if self.doc.outline.duplicate_names {
            0
        } else {
            self.cursor.get()
        };
        let found = sections[start..]
            .iter()
            .position(is)
            .map(|i| start + i)
            .or_else(|| sections[..start].iter().position(is))?;
        self.cursor.set(found + 1);
        Some(found)
    }

    fn text(&self, kind: SectionKind, name: &str) -> Option<Str> {
        self.find(kind, name)
            .map(|i| self.doc.sections[i].text.clone())
    }
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

/// What `name` stands for: a built-in type, its array, or an entry of the
/// name table.
fn lookup_in(names: &HashMap<Str, Name>, name: &str) -> Lookup {
    if let Some(b) = Builtin::from_name(name) {
        return Lookup::Found(Ty::Builtin(b));
    }
    if let Some(b) = name.strip_suffix("List").and_then(Builtin::from_name) {
        if b != Builtin::QType {
            return Lookup::Found(Ty::BuiltinArray(b));
        }
    }
    match names.get(name) {
        Some(Name::Type(ty)) => Lookup::Found(*ty),
        Some(Name::NotType(id)) => Lookup::NotType(*id),
        Some(Name::Poisoned) => Lookup::Poisoned,
        None => Lookup::Unknown,
    }
}

/// The name of the array of `element`, written into `buffer`.
fn array_name<'b>(buffer: &'b mut String, element: &str) -> &'b str {
    buffer.clear();
    buffer.push_str(element);
    buffer.push_str("List");
    buffer
}

/// The type names a declaration writes, where arrays of them are made:
/// its members' (written or inline), an alternate's branches', and a
/// command's return type.
fn type_names_of<'d, 'a>(decl: &'d Decl<'a>) -> impl Iterator<Item = &'d TypeName<'a>> {
    let (branches, returns): (&[BranchDecl], _) = match &decl.body {
        DeclBody::Alternate { branches } => (branches, None),
        DeclBody::Command { returns, .. } => (&[], returns.as_ref()),
        _ => (&[], None),
    };
    inline_members(decl)
        .iter()
        .map(|m| &m.ty)
        .chain(branches.iter().map(|b| &b.ty))
        .chain(returns)
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

    // ---- Phase 1: the name table -------------------------------------

    fn define_all(&mut self, rejected: &[Rejected]) {
        for (index, decl) in self.decls.iter().enumerate() {
            if is_builtin_name(decl.name) {
                let d = self
                    .error(
                        index,
                        format!(
                            "'{}' is a built-in type and cannot be defined again",
                            decl.name
                        ),
                    )
                    .with_label(decl.expr.span, "redefined here");
                self.report(d);
                continue;
            }
            if let Some(previous) = self.names.get(decl.name) {
                let previous_span = match previous {
                    Name::Type(Ty::Def(i)) | Name::NotType(i) => {
                        Some(self.decls[self.defs[*i].decl].expr.span)
                    }
                    _ => None,
                };
                let mut d = self.error(index, format!("'{}' is defined twice", decl.name));
                if let Some(span) = previous_span {
                    d = d.with_label(span, "first defined here");
                }
                self.report(d);
                continue;
            }
            for ty in type_names_of(decl) {
                if ty.array {
                    self.make_array(ty.name, index, ty.span);
                }
            }
            let implicit = match &decl.body {
                DeclBody::Union {
                    base: ObjectRef::Inline(m),
                    ..
                } => Some((ImplicitRole::UnionBase, m, "base")),
                DeclBody::Command {
                    data: Some(ObjectRef::Inline(m)),
                    ..
                } => Some((ImplicitRole::CommandArguments, m, "arg")),
                DeclBody::Event {
                    data: Some(ObjectRef::Inline(m)),
                    ..
                } => Some((ImplicitRole::EventData, m, "arg")),
                _ => None,
            };
            if let Some((role, members, suffix)) = implicit {
                // QEMU makes no type for empty inline members.
                if !members.is_empty() {
                    self.scratch.clear();
                    for part in ["q_obj_", decl.name, "-", suffix] {
                        self.scratch.push_str(part);
                    }
                    let name = Str::from(self.scratch.as_str());
                    let id = self.add_def(name, DefKind::Object, index, Some(role));
                    self.decl_implicit[index] = Some(id);
                }
            }
            let kind = match decl.kind {
                DefinitionKind::Enum => DefKind::Enum,
                DefinitionKind::Struct | DefinitionKind::Union => DefKind::Object,
                DefinitionKind::Alternate => DefKind::Alternate,
                DefinitionKind::Command => DefKind::Command,
                DefinitionKind::Event => DefKind::Event,
            };
            let id = self.add_def(self.share(decl.name), kind, index, None);
            self.decl_def[index] = Some(id);
        }
        for r in rejected {
            if !is_builtin_name(&r.name) {
                self.names
                    .entry(r.name.as_str().into())
                    .or_insert(Name::Poisoned);
            }
        }
    }

    fn add_def(
        &mut self,
        name: Str,
        kind: DefKind,
        decl: usize,
        implicit: Option<ImplicitRole>,
    ) -> usize {
        let id = self.defs.len();
        let entry = match kind {
            DefKind::Command | DefKind::Event => Name::NotType(id),
            _ => Name::Type(Ty::Def(id)),
        };
        self.names.insert(name.clone(), entry);
        self.defs.push(DefEntity {
            name,
            kind,
            decl,
            implicit,
            state: State::Unchecked,
            nesting: 0,
            member_tys: Vec::new(),
            base: None,
            flat: Vec::new(),
            variants: Vec::new(),
            discriminator_ty: None,
            arg: None,
            returns: None,
        });
        self.entities.push(Entity::Def(id));
        id
    }

    fn make_array(&mut self, element: &str, decl: usize, span: Span) {
        if Builtin::from_name(element).is_some_and(|b| b != Builtin::QType) {
            return;
        }
        let name = array_name(&mut self.scratch, element);
        if self.names.contains_key(name) {
            return;
        }
        let name = Str::from(name);
        let id = self.arrays.len();
        self.arrays.push(ArrayEntity {
            element: element.to_owned(),
            decl,
            span,
            element_ty: None,
        });
        self.names.insert(name, Name::Type(Ty::Array(id)));
        self.entities.push(Entity::Array(id));
    }

    fn lookup(&self, name: &str) -> Lookup {
        lookup_in(&self.names, name)
    }

    /// Resolves a written type; reports unknown names in `decl`.
    fn resolve(&mut self, ty: &TypeName, decl: usize, what: impl std::fmt::Display) -> Option<Ty> {
        let found = if ty.array {
            lookup_in(&self.names, array_name(&mut self.scratch, ty.name))
        } else {
            self.lookup(ty.name)
        };
        match found {
            Lookup::Found(t) => Some(t),
            Lookup::Poisoned => {
                self.failed = true;
                None
            }
            Lookup::Unknown => {
                let d = self
                    .error(decl, format!("{what} has the unknown type '{}'", ty.name))
                    .with_label(ty.span, "no such type");
                self.report(d);
                None
            }
            Lookup::NotType(id) => {
                let d = self
                    .error(
                        decl,
                        format!(
                            "{what} has the type '{}', which is {}, not a type",
                            ty.name,
                            self.describe_def(id)
                        ),
                    )
                    .with_label(ty.span, "not a type");
                self.report(d);
                None
            }
        }
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

    // ---- Phase 2: checking --------------------------------------------

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

    fn check_array(&mut self, a: usize) {
        let element = self.arrays[a].element.clone();
        let decl = self.arrays[a].decl;
        let span = self.arrays[a].span;
        match self.lookup(&element) {
            Lookup::Found(Ty::Array(_) | Ty::BuiltinArray(_)) => {
                let d = self
                    .error(
                        decl,
                        format!("array of the array type '{element}': arrays cannot nest"),
                    )
                    .with_label(span, "array of an array");
                self.report(d);
            }
            Lookup::Found(ty) => self.arrays[a].element_ty = Some(ty),
            Lookup::Poisoned => self.failed = true,
            Lookup::Unknown => {
                let d = self
                    .error(decl, format!("array of the unknown type '{element}'"))
                    .with_label(span, "no such type");
                self.report(d);
            }
            Lookup::NotType(id) => {
                let d = self
                    .error(
                        decl,
                        format!(
                            "array of '{element}', which is {}, not a type",
                            self.describe_def(id)
                        ),
                    )
                    .with_label(span, "not a type");
                self.report(d);
            }
        }
    }

    /// Checks an object type, and first the object types it contains.
    /// `Err` when it (or something it needs) has an error, reported or not.
    fn check_object(&mut self, id: usize, depth: usize) -> Result<(), ()> {
        match self.defs[id].state {
            State::Complete => return Ok(()),
            State::Failed => return Err(()),
            State::InProgress => {
                let decl = self.defs[id].decl;
                let d = self.error(
                    decl,
                    format!(
                        "{} contains itself (through bases or union branches)",
                        self.describe_def(id)
                    ),
                );
                self.report(d);
                return Err(());
            }
            State::Unchecked => {}
        }
        if depth > MAX_NESTING {
            let decl = self.defs[id].decl;
            let d = self.error(
                decl,
                format!("object types nest more than {MAX_NESTING} levels deep (through bases or union branches)"),
            );
            self.report(d);
            self.defs[id].state = State::Failed;
            return Err(());
        }
        self.defs[id].state = State::InProgress;
        let result = self.check_object_inner(id, depth);
        self.defs[id].state = if result.is_ok() {
            State::Complete
        } else {
            State::Failed
        };
        result
    }

    fn check_definition_features(
        &mut self,
        id: usize,
        features: &[FeatureDecl],
        is_type: bool,
    ) -> Result<(), ()> {
        let decl = self.defs[id].decl;
        self.check_feature_clash(decl, features)?;
        if is_type {
            if let Some(f) = features
                .iter()
                .find(|f| model::SpecialFeature::from_name(f.name).is_some())
            {
                let d = self
                    .error(
                        decl,
                        format!(
                            "feature '{}' applies to commands, events and members, not to types",
                            f.name
                        ),
                    )
                    .with_label(f.span, "not allowed here");
                self.report(d);
                return Err(());
            }
        }
        Ok(())
    }

    fn check_feature_clash(&mut self, decl: usize, features: &[FeatureDecl]) -> Result<(), ()> {
        let Some((earlier, later)) = first_c_name_clash(features.iter().map(|f| f.name)) else {
            return Ok(());
        };
        let (previous, f) = (&features[earlier], &features[later]);
        let message = if previous.name == f.name {
            format!("feature '{}' is listed twice", f.name)
        } else {
            format!(
                "features '{}' and '{}' have the same C name '{}'",
                previous.name,
                f.name,
                c_name_cow(f.name, true)
            )
        };
        let d = self
            .error(decl, message)
            .with_label(previous.span, "first")
            .with_label(f.span, "again");
        self.report(d);
        Err(())
    }

    fn describe_member(&self, m: &Flat<'_>, context: usize) -> String {
        if self.defs[m.defined_in].decl == self.defs[context].decl {
            let role = match self.defs[m.defined_in].implicit {
                Some(ImplicitRole::CommandArguments) => "argument",
                Some(ImplicitRole::UnionBase) => "base member",
                _ => "member",
            };
            format!("{role} '{}'", m.name)
        } else {
            format!("member '{}' of {}", m.name, self.describe_def(m.defined_in))
        }
    }

    /// Adds `m` to `seen`, reporting a clash in definition `context`;
    /// `branch` is the union branch that brings `m` in, if any.
    fn clash(
        &mut self,
        seen: &mut Seen<'c>,
        m: Flat<'c>,
        context: usize,
        branch: Option<(Span, &str)>,
    ) -> Result<(), ()> {
        if let Some(previous) = seen.get(m.cname) {
            let message = if previous.name == m.name {
                format!(
                    "{} and {} have the same name",
                    self.describe_member(previous, context),
                    self.describe_member(&m, context)
                )
            } else {
                format!(
                    "{} and {} have the same C name '{}'",
                    self.describe_member(previous, context),
                    self.describe_member(&m, context),
                    m.cname
                )
            };
            let decl = self.defs[context].decl;
            let mut d = self
                .error(decl, message)
                .with_label(previous.span, "first")
                .with_label(m.span, "clashes with the first");
            if let Some((span, name)) = branch {
                d = d.with_label(span, format!("through branch '{name}'"));
            }
            self.report(d);
            return Err(());
        }
        seen.push(m);
        Ok(())
    }

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

    fn check_object_inner(&mut self, id: usize, depth: usize) -> Result<(), ()> {
        let decls: &'c [Decl<'a>] = self.decls;
        let decl_index = self.defs[id].decl;
        let decl = &decls[decl_index];
        let explicit = self.defs[id].implicit.is_none();
        if explicit {
            self.check_definition_features(id, &decl.features, true)?;
        }
        let mut seen = Seen::default();
        let mut nesting = 0;

        // The base.
        let base = match (explicit, &decl.body) {
            (true, DeclBody::Struct { base: Some(tn), .. })
            | (
                true,
                DeclBody::Union {
                    base: ObjectRef::Named(tn),
                    ..
                },
            ) => {
                let ty = self.resolve(tn, decl_index, "'base'").ok_or(())?;
                match self.object_def(ty) {
                    Some(b) if !self.is_union(b) => Some((b, Some(tn.span))),
                    _ => {
                        let d = self
                            .error(
                                decl_index,
                                format!(
                                    "the base must be a struct, but {} is not",
                                    self.describe_ty(ty)
                                ),
                            )
                            .with_label(tn.span, "not a struct");
                        self.report(d);
                        return Err(());
                    }
                }
            }
            (
                true,
                DeclBody::Union {
                    base: ObjectRef::Inline(_),
                    ..
                },
            ) => self.decl_implicit[decl_index].map(|b| (b, None)),
            _ => None,
        };
        if let Some((b, _)) = base {
            self.check_object(b, depth + 1)?;
            nesting = nesting.max(self.defs[b].nesting + 1);
            for i in 0..self.defs[b].flat.len() {
                let m = self.defs[b].flat[i];
                self.clash(&mut seen, m, id, None)?;
            }
            self.defs[id].base = Some(b);
        }

        // The members written here.
        let members = self.local_members(id);
        let mut tys = Vec::with_capacity(members.len());
        seen.list.reserve(members.len());
        for m in members {
            let what = lazy(|f| write!(f, "member '{}'", m.name));
            let ty = self.resolve(&m.ty, decl_index, what).ok_or(())?;
            self.check_feature_clash(decl_index, &m.features)?;
            tys.push(ty);
            let flat = Flat {
                name: m.name,
                cname: &m.cname,
                optional: m.optional,
                ty,
                conditional: m.condition.is_some(),
                defined_in: id,
                span: m.span,
            };
            self.clash(&mut seen, flat, id, None)?;
        }
        self.defs[id].member_tys = tys;

        // Union branches.
        if let (
            true,
            DeclBody::Union {
                discriminator,
                discriminator_span,
                branches,
                ..
            },
        ) = (explicit, &decl.body)
        {
            let tag = seen
                .get(&c_name_cow(discriminator, true))
                .filter(|m| m.name == *discriminator)
                .copied();
            let Some(tag) = tag else {
                let d = self
                    .error(
                        decl_index,
                        format!("the discriminator '{discriminator}' is not a member of the base"),
                    )
                    .with_label(*discriminator_span, "not a base member");
                self.report(d);
                return Err(());
            };
            let where_ = if self.defs[tag.defined_in].implicit.is_some() {
                "the base".to_owned()
            } else {
                format!("base type '{}'", self.defs[tag.defined_in].name)
            };
            let Some(values) = self.enum_values(tag.ty) else {
                let d = self
                    .error(
                        decl_index,
                        format!(
                            "the discriminator '{discriminator}' must be of an enum type, but in {where_} it is of {}",
                            self.describe_ty(tag.ty)
                        ),
                    )
                    .with_label(*discriminator_span, "not an enum");
                self.report(d);
                return Err(());
            };
            let values: Vec<String> = values.into_iter().map(str::to_owned).collect();
            let value_set: HashSet<&str> = values.iter().map(String::as_str).collect();
            let written: HashSet<&str> = branches.iter().map(|b| b.name).collect();
            if tag.optional {
                let d = self
                    .error(
                        decl_index,
                        format!("the discriminator '{discriminator}' is optional in {where_}; it must be required"),
                    )
                    .with_label(*discriminator_span, "optional");
                self.report(d);
                return Err(());
            }
            if tag.conditional {
                let d = self
                    .error(
                        decl_index,
                        format!("the discriminator '{discriminator}' has an 'if' condition in {where_}; it must be unconditional"),
                    )
                    .with_label(*discriminator_span, "conditional");
                self.report(d);
                return Err(());
            }
            self.defs[id].discriminator_ty = Some(tag.ty);

            // Branches written, then one (without members) for each value
            // not covered.
            let mut variants = Vec::new();
            let mut written_types: Vec<Option<&TypeName>> = Vec::new();
            for b in branches {
                variants.push(Variant {
                    name: self.share(b.name),
                    span: b.span,
                    ty: None,
                    condition: b.condition.clone(),
                });
                written_types.push(Some(&b.ty));
            }
            let enum_conditions = self.enum_value_conditions(tag.ty);
            for (value, condition) in values.iter().zip(enum_conditions) {
                if !written.contains(value.as_str()) {
                    variants.push(Variant {
                        name: self.share(value),
                        span: decl.expr.span,
                        ty: None,
                        condition,
                    });
                    written_types.push(None);
                }
            }
            if variants.is_empty() {
                let d = self.error(
                    decl_index,
                    "the union has no branches: its discriminator's enum has no values",
                );
                self.report(d);
                return Err(());
            }
            for (i, v) in variants.iter_mut().enumerate() {
                let Some(tn) = written_types[i] else {
                    continue;
                };
                let what = lazy(|f| write!(f, "branch '{}'", v.name));
                let ty = self.resolve(tn, decl_index, what).ok_or(())?;
                if !value_set.contains(v.name.as_str()) {
                    let d = self
                        .error(
                            decl_index,
                            format!(
                                "branch '{}' is not a value of the discriminator's type, {}",
                                v.name,
                                self.describe_ty(tag.ty)
                            ),
                        )
                        .with_label(v.span, "no such value");
                    self.report(d);
                    return Err(());
                }
                let Some(object) = self.object_def(ty) else {
                    let d = self
                        .error(
                            decl_index,
                            format!(
                                "branch '{}' must be of a struct or union type, not of {}",
                                v.name,
                                self.describe_ty(ty)
                            ),
                        )
                        .with_label(tn.span, "not an object type");
                    self.report(d);
                    return Err(());
                };
                self.check_object(object, depth + 1)?;
                nesting = nesting.max(self.defs[object].nesting + 1);
                v.ty = Some(object);
            }
            if nesting > MAX_NESTING {
                return self.too_deep(id);
            }
            for v in &variants {
                if let Some(object) = v.ty {
                    // Each branch against the common members alone.
                    let mark = seen.list.len();
                    self.clash_object(&mut seen, object, id, (v.span, &v.name), 0)?;
                    seen.rewind(mark);
                }
            }
            self.defs[id].variants = variants;
        }
        if nesting > MAX_NESTING {
            return self.too_deep(id);
        }
        self.defs[id].nesting = nesting;
        self.defs[id].flat = seen.list;
        Ok(())
    }

    fn too_deep(&mut self, id: usize) -> Result<(), ()> {
        let decl = self.defs[id].decl;
        let d = self.error(
            decl,
            format!("object types nest more than {MAX_NESTING} levels deep (through bases or union branches)"),
        );
        self.report(d);
        Err(())
    }

    /// Adds the members of object type `object`, and of each of its
    /// branches in turn, to `seen`, reporting clashes in `context`.
    fn clash_object(
        &mut self,
        seen: &mut Seen<'c>,
        object: usize,
        context: usize,
        branch: (Span, &str),
        depth: usize,
    ) -> Result<(), ()> {
        if depth > MAX_NESTING {
            return Err(());
        }
        for i in 0..self.defs[object].flat.len() {
            let m = self.defs[object].flat[i];
            self.clash(seen, m, context, Some(branch))?;
        }
        let branch_types: Vec<usize> = self.defs[object]
            .variants
            .iter()
            .filter_map(|v| v.ty)
            .collect();
        for b in branch_types {
            let mut copy = seen.clone();
            self.clash_object(&mut copy, b, context, branch, depth + 1)?;
        }
        Ok(())
    }

    fn enum_value_conditions(&self, ty: Ty) -> Vec<Option<Condition>> {
        match ty {
            Ty::Def(id) => match &self.decls[self.defs[id].decl].body {
                DeclBody::Enum { values, .. } => {
                    values.iter().map(|v| v.condition.clone()).collect()
                }
                _ => Vec::new(),
            },
            _ => vec![None; Builtin::QTYPE_VALUES.len()],
        }
    }

    /// Checks an enum, alternate, command or event.
    fn check_other(&mut self, id: usize) -> Result<(), ()> {
        let decls: &'c [Decl<'a>] = self.decls;
        let decl_index = self.defs[id].decl;
        let decl = &decls[decl_index];
        match &decl.body {
            DeclBody::Enum { values, .. } => {
                self.check_definition_features(id, &decl.features, true)?;
                if let Some((earlier, later)) = first_c_name_clash(values.iter().map(|v| v.name)) {
                    let (previous, v) = (values[earlier].name, &values[later]);
                    let message = if previous == v.name {
                        format!("value '{}' is listed twice", v.name)
                    } else {
                        format!(
                            "values '{previous}' and '{}' have the same C name '{}'",
                            v.name,
                            c_name_cow(v.name, true)
                        )
                    };
                    let d = self.error(decl_index, message).with_label(v.span, "again");
                    self.report(d);
                    return Err(());
                }
            }
            DeclBody::Alternate { branches } => {
                self.check_definition_features(id, &decl.features, true)?;
                let mut tys = Vec::new();
                for b in branches {
                    let what = lazy(|f| write!(f, "branch '{}'", b.name));
                    tys.push(self.resolve(&b.ty, decl_index, what).ok_or(())?);
                }
                let mut seen: HashMap<Cow<'_, str>, &str> = HashMap::default();
                let mut by_json: Vec<(JsonType, &str, Span, bool)> = Vec::new();
                for (b, &ty) in branches.iter().zip(&tys) {
                    let c = c_name_cow(b.name, true);
                    if let Some(previous) = seen.get(&c) {
                        let d = self
                            .error(
                                decl_index,
                                format!(
                                    "branches '{previous}' and '{}' have the same C name '{c}'",
                                    b.name
                                ),
                            )
                            .with_label(b.span, "clashes");
                        self.report(d);
                        return Err(());
                    }
                    seen.insert(c, b.name);
                    let json = self.json_type(ty);
                    // Integers and numbers are both JSON numbers.
                    let json = if json == JsonType::Int {
                        JsonType::Number
                    } else {
                        json
                    };
                    if json == JsonType::Value {
                        let d = self
                            .error(
                                decl_index,
                                format!(
                                    "branch '{}' cannot be of {}: an alternate tells its branches apart by JSON type",
                                    b.name,
                                    self.describe_ty(ty)
                                ),
                            )
                            .with_label(b.ty.span, "matches any JSON value");
                        self.report(d);
                        return Err(());
                    }
                    let mut conflicting = vec![json];
                    if json == JsonType::String {
                        match self.enum_values(ty) {
                            Some(values) => {
                                if values.iter().any(|v| *v == "on" || *v == "off") {
                                    conflicting.push(JsonType::Boolean);
                                }
                                if values.iter().any(|v| {
                                    v.starts_with(|c: char| {
                                        matches!(c, '-' | '+' | '0'..='9' | '.')
                                    })
                                }) {
                                    conflicting.push(JsonType::Number);
                                }
                            }
                            None => {
                                conflicting.push(JsonType::Number);
                                conflicting.push(JsonType::Boolean);
                            }
                        }
                    }
                    for (k, json) in conflicting.into_iter().enumerate() {
                        // The first is the branch's own JSON type; any other
                        // comes from reading command-line strings.
                        let own = k == 0;
                        if let Some(&(_, previous, previous_span, previous_own)) =
                            by_json.iter().find(|(j, ..)| *j == json)
                        {
                            let mut d = self
                                .error(
                                    decl_index,
                                    format!(
                                        "branches '{previous}' and '{}' cannot be told apart: {} would match both",
                                        b.name,
                                        json_word(json)
                                    ),
                                )
                                .with_label(previous_span, "this branch")
                                .with_label(b.span, "and this one");
                            if !(own && previous_own) {
                                d = d.with_help(
                                    "in input from the command line every value is a string, so a 'str' branch \
                                     also matches numbers and booleans, and an enum branch matches booleans if it \
                                     has a value 'on' or 'off', numbers if it has a value starting with a digit, \
                                     '+', '-' or '.'",
                                );
                            }
                            self.report(d);
                            return Err(());
                        }
                        by_json.push((json, b.name, b.span, own));
                    }
                }
                self.defs[id].member_tys = tys;
            }
            DeclBody::Command {
                data,
                returns,
                boxed,
                ..
            } => {
                self.check_definition_features(id, &decl.features, false)?;
                self.check_arguments(id, data.as_ref(), *boxed, "command")?;
                if let Some(tn) = returns {
                    let ty = self.resolve(tn, decl_index, "'returns'").ok_or(())?;
                    self.defs[id].returns = Some(ty);
                    let excepted = self
                        .pragmas
                        .command_returns_exceptions
                        .iter()
                        .any(|n| n == decl.name);
                    if !excepted {
                        let element = match ty {
                            Ty::Array(a) => match self.arrays[a].element_ty {
                                Some(t) => t,
                                None => {
                                    self.failed = true;
                                    return Err(());
                                }
                            },
                            Ty::BuiltinArray(b) => Ty::Builtin(b),
                            t => t,
                        };
                        if self.object_def(element).is_none() {
                            let d = self
                                .error(
                                    decl_index,
                                    format!(
                                        "a command must return an object or an array of objects, not {}",
                                        self.describe_ty(ty)
                                    ),
                                )
                                .with_label(tn.span, "not an object type")
                                .with_help("pragma 'command-returns-exceptions' lists the commands excused from this rule");
                            self.report(d);
                            return Err(());
                        }
                    }
                }
            }
            DeclBody::Event { data, boxed } => {
                self.check_definition_features(id, &decl.features, false)?;
                self.check_arguments(id, data.as_ref(), *boxed, "event")?;
            }
            DeclBody::Struct { .. } | DeclBody::Union { .. } => {}
        }
        Ok(())
    }

    /// The `'data'` of a command or event.
    fn check_arguments(
        &mut self,
        id: usize,
        data: Option<&ObjectRef>,
        boxed: bool,
        what: &str,
    ) -> Result<(), ()> {
        let decl_index = self.defs[id].decl;
        let (arg, span) = match data {
            None => return Ok(()),
            Some(ObjectRef::Inline(_)) => match self.decl_implicit[decl_index] {
                Some(a) => (a, None),
                None => return Ok(()),
            },
            Some(ObjectRef::Named(tn)) => {
                let ty = self.resolve(tn, decl_index, "'data'").ok_or(())?;
                match self.object_def(ty) {
                    Some(a) => (a, Some(tn.span)),
                    None => {
                        let d = self
                            .error(
                                decl_index,
                                format!(
                                    "the 'data' of a {what} must be a struct or union, not {}",
                                    self.describe_ty(ty)
                                ),
                            )
                            .with_label(tn.span, "not an object type");
                        self.report(d);
                        return Err(());
                    }
                }
            }
        };
        let label_span = span.unwrap_or(self.decls[decl_index].expr.span);
        if self.is_union(arg) && !boxed {
            let d = self
                .error(
                    decl_index,
                    format!("the 'data' of a {what} can be a union only with 'boxed': true"),
                )
                .with_label(label_span, "a union");
            self.report(d);
            return Err(());
        }
        self.check_object(arg, 0)?;
        if !boxed && self.defs[arg].flat.iter().any(|m| m.conditional) {
            let d = self
                .error(
                    decl_index,
                    format!("the 'data' of a {what} has members with an 'if' condition, which needs 'boxed': true"),
                )
                .with_label(label_span, "has conditional members");
            self.report(d);
            return Err(());
        }
        self.defs[id].arg = Some(arg);
        Ok(())
    }

    // ---- Doc comments -----------------------------------------------

    /// Matches the definition's doc comment against its members and
    /// features.
    fn connect_doc(&mut self, id: usize) {
        let decls: &'c [Decl<'a>] = self.decls;
        let decl_index = self.defs[id].decl;
        let decl = &decls[decl_index];
        let Some(doc) = decl.doc else {
            return;
        };
        let mut connected = Connected {
            done: true,
            matched: vec![false; doc.sections.len()],
            ..Connected::default()
        };
        let doc = &DocIndex::new(doc);
        self.connect_features(decl_index, doc, &decl.features, &mut connected);
        let implicit = self.decl_implicit[decl_index]
            .map(|i| self.local_members(i))
            .unwrap_or(&[]);
        match &decl.body {
            DeclBody::Enum { values, .. } => {
                for v in values {
                    self.connect_member(decl_index, doc, "value", v.name, v.span, &mut connected);
                    self.connect_features(decl_index, doc, &v.features, &mut connected);
                }
            }
            DeclBody::Alternate { branches } => {
                for b in branches {
                    self.connect_member(decl_index, doc, "branch", b.name, b.span, &mut connected);
                }
            }
            DeclBody::Struct { members, .. } => {
                self.connect_members(decl_index, doc, members, &mut connected)
            }
            DeclBody::Union { .. } | DeclBody::Command { .. } | DeclBody::Event { .. } => {
                self.connect_members(decl_index, doc, implicit, &mut connected)
            }
        }
        if connected.members == doc.doc.outline.members
            && connected.features == doc.doc.outline.features
        {
            // Every description matched: `check_docs` will not look, so
            // the marks go now, while they are in cache.
            connected.matched = Vec::new();
        }
        self.documented[decl_index] = connected;
    }

    fn connect_members(
        &mut self,
        decl: usize,
        doc: &DocIndex<'_>,
        members: &[MemberDecl],
        connected: &mut Connected,
    ) {
        for m in members {
            self.connect_member(decl, doc, "member", m.name, m.span, connected);
            self.connect_features(decl, doc, &m.features, connected);
        }
    }

    fn connect_member(
        &mut self,
        decl: usize,
        doc: &DocIndex<'_>,
        role: &str,
        name: &str,
        span: Span,
        connected: &mut Connected,
    ) {
        if !connected.connect(doc, SectionKind::Member, name) {
            let symbol = &self.decls[decl].name;
            if !self
                .pragmas
                .documentation_exceptions
                .iter()
                .any(|n| n == symbol)
            {
                let d = self
                    .doc_error(
                        decl,
                        self.decls[decl].expr.span,
                        format!("{role} '{name}' is not described in the doc comment"),
                    )
                    .with_label(span, "undocumented")
                    .with_help(format!("add a line '# @{name}: ...' to the doc comment"));
                self.diagnostics.report(d);
            }
        }
    }

    fn connect_features(
        &mut self,
        decl: usize,
        doc: &DocIndex<'_>,
        features: &[FeatureDecl],
        connected: &mut Connected,
    ) {
        for f in features {
            if !connected.connect(doc, SectionKind::Feature, f.name) {
                let d = self
                    .doc_error(
                        decl,
                        self.decls[decl].expr.span,
                        format!("feature '{}' is not described in the doc comment", f.name),
                    )
                    .with_label(f.span, "undocumented")
                    .with_help(format!(
                        "add '# @{}: ...' under 'Features:' in the doc comment",
                        f.name
                    ));
                self.diagnostics.report(d);
            }
        }
    }

    /// Reports descriptions of members and features that do not exist.
    fn check_docs(&mut self) {
        for (index, decl) in self.decls.iter().enumerate() {
            let Some(doc) = decl.doc else { continue };
            if !self.documented[index].done {
                continue;
            }
            let connected = &self.documented[index];
            // Usually every description matched: no need to look at them.
            if connected.members == doc.outline.members
                && connected.features == doc.outline.features
            {
                continue;
            }
            for (what, kind) in [
                ("member", SectionKind::Member),
                ("feature", SectionKind::Feature),
            ] {
                let mut bogus: Vec<_> = doc
                    .sections
                    .iter()
                    .zip(&connected.matched)
                    .filter(|&(s, &matched)| s.kind == kind && s.name.is_some() && !matched)
                    .map(|(s, _)| s)
                    .collect();
                if !bogus.is_empty() {
                    // A repeated description counts as matched when its
                    // first is.
                    let doc_index = DocIndex::new(doc);
                    bogus.retain(|s| {
                        let first = doc_index.find(kind, s.name.as_deref().unwrap_or_default());
                        !first.is_some_and(|i| connected.matched[i])
                    });
                }
                let Some(first) = bogus.first() else { continue };
                let names = bogus
                    .iter()
                    .filter_map(|s| s.name.as_deref())
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let message = if bogus.len() == 1 {
                    format!(
                        "the doc comment describes {what} {names}, which {} '{}' does not have",
                        decl.kind.keyword(),
                        decl.name
                    )
                } else {
                    format!(
                        "the doc comment describes {what}s {names}, which {} '{}' does not have",
                        decl.kind.keyword(),
                        decl.name
                    )
                };
                let mut d =
                    Diagnostic::documentation(first.span, message).in_definition(decl.context());
                for s in &bogus[1..] {
                    d = d.with_label(s.span, "also");
                }
                if what == "member" {
                    if let DeclBody::Command {
                        data: Some(ObjectRef::Named(_)),
                        ..
                    }
                    | DeclBody::Event {
                        data: Some(ObjectRef::Named(_)),
                        ..
                    } = &decl.body
                    {
                        d = d.with_help("members of a named 'data' type are described in that type's doc comment");
                    }
                }
                self.diagnostics.report(d);
            }
        }
    }

    /// QEMU numbers the feature names of a schema in a 64-bit mask.
    /// Checks the number of distinct feature names, and returns them in
    /// the order they first occur (the two special ones first).
    fn count_features(&mut self) -> Vec<String> {
        let mut names: Vec<&str> = vec!["deprecated", "unstable"];
        let decls: &'c [Decl<'a>] = self.decls;
        for (index, decl) in decls.iter().enumerate() {
            if self.decl_def[index].is_none() {
                continue;
            }
            for f in feature_lists(decl).flatten() {
                if !names.contains(&f.name) {
                    names.push(f.name);
                    if names.len() == MAX_FEATURES + 1 {
                        let d = self
                            .error(index, format!("the schema uses more than {MAX_FEATURES} distinct feature names"))
                            .with_label(f.span, "one too many");
                        self.report(d);
                        return Vec::new();
                    }
                }
            }
        }
        names.into_iter().map(str::to_owned).collect()
    }

    // ---- The model ------------------------------------------------------

    /// Each definition's id in the model: definitions are numbered in the
    /// order they are checked.
    fn model_ids(&self) -> Vec<DefId> {
        let mut ids = vec![DefId(0); self.defs.len()];
        let defs = self.entities.iter().filter_map(|e| match *e {
            Entity::Def(id) => Some(id),
            Entity::Array(_) => None,
        });
        for (number, id) in defs.enumerate() {
            ids[id] = DefId(number as u32);
        }
        ids
    }

    fn type_ref(&self, ty: Ty, ids: &[DefId]) -> model::TypeRef {
        match ty {
            Ty::Builtin(b) => model::TypeRef::Builtin(b),
            Ty::BuiltinArray(b) => model::TypeRef::Array(Box::new(model::TypeRef::Builtin(b))),
            Ty::Def(id) => model::TypeRef::Definition(ids[id]),
            Ty::Array(a) => {
                let array = &self.arrays[a];
                // A definition can name an array (`FooList`) that is
                // checked after it: then its element is looked up here.
                let element_ty = array
                    .element_ty
                    .or_else(|| match self.lookup(&array.element) {
                        Lookup::Found(ty) => Some(ty),
                        _ => None,
                    });
                let element = match element_ty {
                    Some(Ty::Builtin(b)) => model::TypeRef::Builtin(b),
                    Some(Ty::Def(id)) => model::TypeRef::Definition(ids[id]),
                    // Not reached in a model that is kept: such arrays
                    // are errors.
                    _ => model::TypeRef::Builtin(Builtin::Any),
                };
                model::TypeRef::Array(Box::new(element))
            }
        }
    }

    fn build_features(
        &self,
        features: &[FeatureDecl],
        doc: Option<&DocIndex<'_>>,
    ) -> Vec<model::Feature> {
        features
            .iter()
            .map(|f| model::Feature {
                name: self.share(f.name),
                span: f.span,
                condition: f.condition.clone(),
                special: model::SpecialFeature::from_name(f.name),
                doc: doc.and_then(|d| d.text(SectionKind::Feature, f.name)),
            })
            .collect()
    }

    fn build_members(
        &self,
        id: usize,
        ids: &[DefId],
        doc: Option<&DocIndex<'_>>,
    ) -> Vec<model::Member> {
        self.local_members(id)
            .iter()
            .zip(&self.defs[id].member_tys)
            .map(|(m, &ty)| model::Member {
                name: self.share(m.name),
                span: m.span,
                optional: m.optional,
                ty: self.type_ref(ty, ids),
                condition: m.condition.clone(),
                features: self.build_features(&m.features, doc),
                doc: doc.and_then(|d| d.text(SectionKind::Member, m.name)),
            })
            .collect()
    }

    fn build_definition(&self, id: usize, ids: &[DefId]) -> model::Definition {
        let def = &self.defs[id];
        let decl = &self.decls[def.decl];
        let doc = decl.doc.map(DocIndex::new);
        let doc = doc.as_ref();
        if let Some(role) = def.implicit {
            return model::Definition {
                name: def.name.clone(),
                span: decl.expr.span,
                implicit: Some(model::Implicit {
                    owner: self.decl_def[def.decl].map_or(DefId(0), |o| ids[o]),
                    role,
                }),
                doc: None,
                condition: decl.condition.clone(),
                features: Vec::new(),
                body: model::Body::Struct(model::StructType {
                    base: None,
                    members: self.build_members(id, ids, doc),
                }),
            };
        }
        let body = match &decl.body {
            DeclBody::Enum { values, prefix } => model::Body::Enum(model::EnumType {
                values: values
                    .iter()
                    .map(|v| model::EnumValue {
                        name: self.share(v.name),
                        span: v.span,
                        condition: v.condition.clone(),
                        features: self.build_features(&v.features, doc),
                        doc: doc.and_then(|d| d.text(SectionKind::Member, v.name)),
                    })
                    .collect(),
                prefix: prefix.map(|p| self.share(p)),
            }),
            DeclBody::Struct { .. } => model::Body::Struct(model::StructType {
                base: def.base.map(|b| ids[b]),
                members: self.build_members(id, ids, doc),
            }),
            DeclBody::Union { discriminator, .. } => model::Body::Union(model::UnionType {
                base: def.base.map_or(DefId(0), |b| ids[b]),
                discriminator: self.share(discriminator),
                discriminator_type: self.type_ref(
                    def.discriminator_ty.unwrap_or(Ty::Builtin(Builtin::QType)),
                    ids,
                ),
                branches: def
                    .variants
                    .iter()
                    .map(|v| model::UnionBranch {
                        name: v.name.clone(),
                        span: v.span,
                        ty: v.ty.map(|t| ids[t]),
                        condition: v.condition.clone(),
                    })
                    .collect(),
            }),
            DeclBody::Alternate { branches } => model::Body::Alternate(model::AlternateType {
                branches: branches
                    .iter()
                    .zip(&def.member_tys)
                    .map(|(b, &ty)| model::AlternateBranch {
                        name: self.share(b.name),
                        span: b.span,
                        ty: self.type_ref(ty, ids),
                        condition: b.condition.clone(),
                        doc: doc.and_then(|d| d.text(SectionKind::Member, b.name)),
                    })
                    .collect(),
            }),
            DeclBody::Command {
                boxed,
                gen,
                success_response,
                allow_oob,
                allow_preconfig,
                coroutine,
                ..
            } => model::Body::Command(model::Command {
                arguments: def.arg.map(|a| ids[a]),
                boxed: *boxed,
                returns: def.returns.map(|t| self.type_ref(t, ids)),
                gen: *gen,
                success_response: *success_response,
                allow_oob: *allow_oob,
                allow_preconfig: *allow_preconfig,
                coroutine: *coroutine,
            }),
            DeclBody::Event { boxed, .. } => model::Body::Event(model::Event {
                data: def.arg.map(|a| ids[a]),
                boxed: *boxed,
            }),
        };
        model::Definition {
            name: def.name.clone(),
            span: decl.expr.span,
            implicit: None,
            // Moved in from the syntax tree by `check`.
            doc: None,
            condition: decl.condition.clone(),
            features: self.build_features(&decl.features, doc),
            body,
        }
    }
}

fn json_word(json: JsonType) -> &'static str {
    match json {
        JsonType::String => "a string",
        JsonType::Number | JsonType::Int => "a number",
        JsonType::Boolean => "a boolean",
        JsonType::Null => "null",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
        JsonType::Value => "any value",
    }
}

/// Every list of features a declaration writes: its own, then its enum
/// values' or inline members', in order.
fn feature_lists<'d>(decl: &'d Decl<'_>) -> impl Iterator<Item = &'d [FeatureDecl<'d>]> + 'd {
    let values: &[ValueDecl] = match &decl.body {
        DeclBody::Enum { values, .. } => values,
        _ => &[],
    };
    std::iter::once(decl.features.as_slice())
        .chain(values.iter().map(|v| v.features.as_slice()))
        .chain(inline_members(decl).iter().map(|m| m.features.as_slice()))
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
