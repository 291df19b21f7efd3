//! Phase 1: the name table. Definitions are entered in schema order
//! (duplicates and built-in names are rejected), with the arrays and
//! implicit object types they make where they first use them; checking
//! then resolves the names it reads against the table.

use crate::check::fxhash::HashMap;
use crate::check::names::is_builtin_name;
use crate::check::shape::{BranchDecl, Decl, DeclBody, ObjectRef, Rejected, TypeName};
use crate::model::{Builtin, DefinitionKind, ImplicitRole};
use crate::source::Span;
use crate::syntax::tree::Str;

use super::{
    inline_members, ArrayEntity, Checker, DefEntity, DefKind, Entity, Lookup, Name, State, Ty,
};

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
    /// Enters every declaration in schema order. The names of `rejected`
    /// ones (which failed their shape check) are poisoned: a use of one
    /// is not reported again.
    pub(super) fn define_all(&mut self, rejected: &[Rejected]) {
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

    pub(super) fn lookup(&self, name: &str) -> Lookup {
        lookup_in(&self.names, name)
    }

    /// Resolves a written type; reports unknown names in `decl`.
    pub(super) fn resolve(
        &mut self,
        ty: &TypeName,
        decl: usize,
        what: impl std::fmt::Display,
    ) -> Option<Ty> {
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
}
