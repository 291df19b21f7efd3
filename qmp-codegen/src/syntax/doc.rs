//! Doc comments: the `##` blocks written before definitions.
//!
//! A definition doc comment names its definition on its first line
//! (`@name:`), then has an overview, one description per member (`@member:`),
//! optionally a `Features:` list, and tagged sections (`Returns:`, `Errors:`,
//! `Since:`, `TODO:`). A free-form doc comment is prose or a `=` heading.

use crate::source::Span;
use crate::syntax::tree::Str;

/// What a section of a doc comment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    /// Untagged prose.
    Plain,
    /// A member or argument description (`@name:`).
    Member,
    /// A feature description (`@name:` under `Features:`).
    Feature,
    /// `Returns:`
    Returns,
    /// `Errors:`
    Errors,
    /// `Since:`
    Since,
    /// `TODO:`
    Todo,
    /// `Note:` or `Notes:`, written by QEMU releases before 9.1; QEMU 10.0
    /// rejects it (strict mode too), the default mode keeps it.
    Note,
    /// `Example:` or `Examples:`, as [`SectionKind::Note`].
    Example,
}

impl SectionKind {
    /// The tag as written in a doc comment, for messages.
    pub fn title(self) -> &'static str {
        match self {
            SectionKind::Plain => "Plain",
            SectionKind::Member => "Member",
            SectionKind::Feature => "Feature",
            SectionKind::Returns => "Returns",
            SectionKind::Errors => "Errors",
            SectionKind::Since => "Since",
            SectionKind::Todo => "TODO",
            SectionKind::Note => "Note",
            SectionKind::Example => "Example",
        }
    }

    /// Whether it describes a name (`@name:`): a member or a feature.
    pub fn is_description(self) -> bool {
        matches!(self, SectionKind::Member | SectionKind::Feature)
    }
}

/// One section of a doc comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// What it is.
    pub kind: SectionKind,
    /// For member and feature descriptions, the name described.
    pub name: Option<Str>,
    /// The line where the section begins.
    pub span: Span,
    /// The text without the tag, lines joined with `\n`, trimmed of blank
    /// lines at either end. Indentation inside is kept. A one-line text
    /// shares the file's text.
    pub text: Str,
}

/// A doc comment block.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    /// The opening `##` line.
    pub span: Span,
    /// For a definition doc comment, the name after `@` on its first line,
    /// and where it is written; `None` for free-form documentation.
    pub symbol: Option<(Str, Span)>,
    /// All sections in textual order; the first is the untagged body.
    pub sections: Vec<Section>,
    /// What the parser wrote into `sections`, for checks to skip scans.
    pub(crate) outline: Outline,
}

/// A summary of a doc comment's sections as the parser wrote them: which
/// kinds occur, how many member and feature descriptions have a name, and
/// whether a name is described twice.
/// The checker reads it instead of walking the sections again (each is
/// a cache line, and a walk over every doc comment's sections is a walk
/// over most of the schema's memory).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Outline {
    kinds: u16,
    /// Member descriptions with a name.
    pub(crate) members: u32,
    /// Feature descriptions with a name.
    pub(crate) features: u32,
    /// Whether a member or feature is described twice.
    pub(crate) duplicate_names: bool,
}

impl Outline {
    /// Counts a new section.
    pub(crate) fn add(&mut self, kind: SectionKind, named: bool) {
        self.kinds |= 1 << kind as u16;
        match (kind, named) {
            (SectionKind::Member, true) => self.members += 1,
            (SectionKind::Feature, true) => self.features += 1,
            _ => {}
        }
    }

    /// Whether a section of `kind` occurs.
    pub(crate) fn has(&self, kind: SectionKind) -> bool {
        self.kinds & (1 << kind as u16) != 0
    }
}

impl Doc {
    /// The body: the overview before any member description or tag.
    pub fn body(&self) -> &Section {
        &self.sections[0]
    }

    /// Member and argument descriptions, in order.
    pub fn members(&self) -> impl Iterator<Item = &Section> {
        self.sections
            .iter()
            .filter(|s| s.kind == SectionKind::Member)
    }

    /// Feature descriptions, in order.
    pub fn features(&self) -> impl Iterator<Item = &Section> {
        self.sections
            .iter()
            .filter(|s| s.kind == SectionKind::Feature)
    }

    /// The description of member `name`, if written.
    pub fn member(&self, name: &str) -> Option<&Section> {
        self.members().find(|s| s.name.as_deref() == Some(name))
    }

    /// The description of feature `name`, if written.
    pub fn feature(&self, name: &str) -> Option<&Section> {
        self.features().find(|s| s.name.as_deref() == Some(name))
    }

    /// The first section of this kind (`Returns`, `Errors`, `Since`).
    pub fn tagged(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }

    /// [`Doc::tagged`] for the checker, which asks the parser's outline
    /// first: most doc comments have no such section and are not walked.
    pub(crate) fn tagged_as_parsed(&self, kind: SectionKind) -> Option<&Section> {
        self.outline.has(kind).then(|| self.tagged(kind)).flatten()
    }
}
