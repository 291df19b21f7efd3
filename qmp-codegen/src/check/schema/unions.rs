//! Phase 2, a union's own checks: its discriminator must be a required,
//! unconditional base member of an enum type; its branches are values of
//! that enum, of object types whose members do not clash with the common
//! ones. A branch is made for each value not written.

use crate::check::fxhash::HashSet;
use crate::check::lazy;
use crate::check::names::c_name_cow;
use crate::check::shape::{Decl, DeclBody, TypeName};
use crate::model::{Builtin, Condition};
use crate::source::Span;

use super::{Checker, Flat, Seen, Ty, Variant, MAX_NESTING};

impl<'c, 'a> Checker<'c, 'a> {
    /// A union's discriminator and branches, checked against the members
    /// `seen` so far (its base's); `nesting` grows to cover the object
    /// types of the branches. Nothing to check for a struct.
    pub(super) fn check_union_branches(
        &mut self,
        id: usize,
        depth: usize,
        seen: &mut Seen<'c>,
        nesting: &mut usize,
    ) -> Result<(), ()> {
        let decls: &'c [Decl<'a>] = self.decls;
        let decl_index = self.defs[id].decl;
        let decl = &decls[decl_index];
        let DeclBody::Union {
            discriminator,
            discriminator_span,
            branches,
            ..
        } = &decl.body
        else {
            return Ok(());
        };
        let (tag, values) =
            self.check_discriminator(decl_index, discriminator, *discriminator_span, seen)?;
        let value_set: HashSet<&str> = values.iter().map(String::as_str).collect();
        let written: HashSet<&str> = branches.iter().map(|b| b.name).collect();
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
            *nesting = (*nesting).max(self.defs[object].nesting + 1);
            v.ty = Some(object);
        }
        if *nesting > MAX_NESTING {
            return self.too_deep(id);
        }
        for v in &variants {
            if let Some(object) = v.ty {
                // Each branch against the common members alone.
                let mark = seen.list.len();
                self.clash_object(seen, object, id, (v.span, &v.name), 0)?;
                seen.rewind(mark);
            }
        }
        self.defs[id].variants = variants;
        Ok(())
    }

    /// Finds the discriminator among the members `seen`, and checks that it
    /// is required, unconditional and of an enum type, whose values it
    /// returns with it.
    fn check_discriminator(
        &mut self,
        decl_index: usize,
        discriminator: &str,
        discriminator_span: Span,
        seen: &Seen<'c>,
    ) -> Result<(Flat<'c>, Vec<String>), ()> {
        let tag = seen
            .get(&c_name_cow(discriminator, true))
            .filter(|m| m.name == discriminator)
            .copied();
        let Some(tag) = tag else {
            let d = self
                .error(
                    decl_index,
                    format!("the discriminator '{discriminator}' is not a member of the base"),
                )
                .with_label(discriminator_span, "not a base member");
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
                .with_label(discriminator_span, "not an enum");
            self.report(d);
            return Err(());
        };
        let values: Vec<String> = values.into_iter().map(str::to_owned).collect();
        if tag.optional {
            let d = self
                .error(
                    decl_index,
                    format!("the discriminator '{discriminator}' is optional in {where_}; it must be required"),
                )
                .with_label(discriminator_span, "optional");
            self.report(d);
            return Err(());
        }
        if tag.conditional {
            let d = self
                .error(
                    decl_index,
                    format!("the discriminator '{discriminator}' has an 'if' condition in {where_}; it must be unconditional"),
                )
                .with_label(discriminator_span, "conditional");
            self.report(d);
            return Err(());
        }
        Ok((tag, values))
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

    /// The conditions of the values of enum type `ty`, in order (none for
    /// the built-in `QType`).
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
}
