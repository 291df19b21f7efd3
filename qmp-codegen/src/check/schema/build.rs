//! The model, built from a definition as soon as it passed its check.

use crate::check::shape::{DeclBody, FeatureDecl};
use crate::model::{self, Builtin, DefId};
use crate::syntax::doc::SectionKind;

use super::docs::DocIndex;
use super::{Checker, Entity, Lookup, Ty};

impl<'c, 'a> Checker<'c, 'a> {
    /// Each definition's id in the model: definitions are numbered in the
    /// order they are checked.
    pub(super) fn model_ids(&self) -> Vec<DefId> {
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

    pub(super) fn build_definition(&self, id: usize, ids: &[DefId]) -> model::Definition {
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
                untagged: None,
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
