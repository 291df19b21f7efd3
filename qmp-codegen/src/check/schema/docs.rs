//! Doc comments: after each definition's check its doc comment is
//! matched against its members and features (phase 2), and what is not
//! described is reported; once all are checked, descriptions of members
//! and features that do not exist are reported (phase 3).

use crate::check::fxhash::HashMap;
use crate::check::shape::{Decl, DeclBody, FeatureDecl, MemberDecl, ObjectRef};
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::doc::{Doc, Section, SectionKind};
use crate::syntax::tree::Str;

use super::Checker;

/// Which described members and features of a doc comment were matched.
#[derive(Clone, Default)]
pub(super) struct Connected {
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
pub(super) struct DocIndex<'d> {
    doc: &'d Doc,
    /// Where the next scan starts.
    cursor: std::cell::Cell<usize>,
    members: HashMap<&'d str, usize>,
    features: HashMap<&'d str, usize>,
}

impl<'d> DocIndex<'d> {
    const SCAN: usize = 24;

    pub(super) fn new(doc: &'d Doc) -> DocIndex<'d> {
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

    pub(super) fn text(&self, kind: SectionKind, name: &str) -> Option<Str> {
        self.find(kind, name)
            .map(|i| self.doc.sections[i].text.clone())
    }
}

impl<'c, 'a> Checker<'c, 'a> {
    /// Matches the definition's doc comment against its members and
    /// features.
    pub(super) fn connect_doc(&mut self, id: usize) {
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
    pub(super) fn check_docs(&mut self) {
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
}
