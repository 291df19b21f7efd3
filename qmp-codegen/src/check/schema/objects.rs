//! Phase 2, object types (structs, unions, implicit types): the base,
//! then the members written here, then a union's branches (see
//! `unions`), each containing type checked first; members must not clash
//! and nesting is bounded.

use crate::check::lazy;
use crate::check::shape::{Decl, DeclBody, ObjectRef};
use crate::model::ImplicitRole;
use crate::source::Span;

use super::{Checker, Flat, Seen, State, MAX_NESTING};

impl<'c, 'a> Checker<'c, 'a> {
    /// Checks an object type, and first the object types it contains.
    /// `Err` when it (or something it needs) has an error, reported or not.
    pub(super) fn check_object(&mut self, id: usize, depth: usize) -> Result<(), ()> {
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
    pub(super) fn clash(
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
        if explicit {
            self.check_union_branches(id, depth, &mut seen, &mut nesting)?;
        }
        if nesting > MAX_NESTING {
            return self.too_deep(id);
        }
        self.defs[id].nesting = nesting;
        self.defs[id].flat = seen.list;
        Ok(())
    }

    pub(super) fn too_deep(&mut self, id: usize) -> Result<(), ()> {
        let decl = self.defs[id].decl;
        let d = self.error(
            decl,
            format!("object types nest more than {MAX_NESTING} levels deep (through bases or union branches)"),
        );
        self.report(d);
        Err(())
    }
}
