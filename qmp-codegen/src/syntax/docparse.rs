//! Doc comment parsing: the lines of a `##` block to a [`Doc`].
//!
//! Every rule here concerns documentation only, so a broken doc comment is
//! reported (a warning by default, an error in strict mode) and parsing goes
//! on with the most sensible reading: an older QEMU's `Note:` section is
//! kept as a section, a badly indented line as a continuation, and so on.
//! The default mode also reads text written unindented below a bare
//! `@name:` or `Example:` as the older QEMU releases that wrote it did;
//! strict mode reads every line as QEMU 10.0 does.
//! Only a lexical error in the text after the block stops the parse.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::Span;
use crate::syntax::doc::{Doc, Outline, Section, SectionKind};
use crate::syntax::lexer::TokenKind;
use crate::syntax::parser::FileReader;
use crate::syntax::tree::Str;

/// Parses the doc comment whose opening `##` line is the current token, and
/// moves past it.
pub(crate) fn parse_doc(
    reader: &mut FileReader<'_>,
    diagnostics: &mut Diagnostics,
) -> Result<Doc, Diagnostic> {
    let span = reader.token_span();
    reader.doc_text.clear();
    let empty = reader.empty();
    let mut parser = DocParser {
        reader,
        diagnostics,
        doc: Doc {
            span,
            symbol: None,
            outline: Outline::default(),
            sections: {
                // Room for a typical definition doc: body, a few members,
                // `Since:`; growing a vector one section at a time costs.
                let mut sections = Vec::with_capacity(8);
                sections.push(Section {
                    kind: SectionKind::Plain,
                    name: None,
                    span,
                    text: empty,
                });
                sections
            },
        },
        ended: false,
        interrupted: false,
        lines: 0,
        last_line: "",
    };
    if parser.reader.token_text() != "##" {
        parser.warn("a doc comment must open with a line of just '##'");
    }
    let first = parser.next_line()?;
    match first {
        Some(line) if line.starts_with('@') => parser.definition(line)?,
        first => parser.free_form(first)?,
    }
    if !parser.interrupted {
        parser.reader.advance(false)?;
    }
    parser.finish();
    Ok(parser.doc)
}

struct DocParser<'r, 't> {
    reader: &'r mut FileReader<'t>,
    diagnostics: &'r mut Diagnostics,
    doc: Doc,
    /// The closing line (or something that is not a comment) was reached.
    ended: bool,
    /// The block ended at a token that is not a comment.
    interrupted: bool,
    /// How many non-blank lines the text being collected has, and the last
    /// of them: a one-line text (most are) is shared, not copied.
    lines: usize,
    last_line: &'t str,
}

impl<'t> DocParser<'_, 't> {
    /// Reports a documentation problem at the current line.
    fn warn(&mut self, message: impl Into<String>) {
        let span = self.reader.token_span();
        self.warn_at(span, message);
    }

    fn warn_at(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics
            .report(Diagnostic::documentation(span, message));
    }

    /// The text of the next line of the block (without `# `), or `None` at
    /// its end.
    fn next_line(&mut self) -> Result<Option<&'t str>, Diagnostic> {
        if self.ended {
            return Ok(None);
        }
        self.reader.advance_line()?;
        if self.reader.token.kind != TokenKind::Comment {
            self.warn("a doc comment must end with a line of just '##'");
            self.ended = true;
            self.interrupted = true;
            return Ok(None);
        }
        let text = self.reader.token_text();
        if text.starts_with("##") {
            if text != "##" {
                self.warn("the closing '##' of a doc comment must stand alone on its line");
            }
            self.ended = true;
            return Ok(None);
        }
        if text == "#" {
            return Ok(Some(""));
        }
        let line = match text.strip_prefix("# ") {
            Some(rest) => rest,
            None => {
                self.warn("doc comment lines must start with '# ' (a space after '#')");
                &text[1..]
            }
        };
        Ok(Some(line.trim_end()))
    }

    fn section_mut(&mut self) -> &mut Section {
        self.doc
            .sections
            .last_mut()
            .expect("a doc always has its body section")
    }

    fn append(&mut self, line: &'t str) {
        if !line.is_empty() {
            self.lines += 1;
            self.last_line = line;
        }
        self.reader.doc_text.push_str(line);
        self.reader.doc_text.push('\n');
    }

    /// Continues the current untagged section, or starts one.
    fn untagged(&mut self) {
        let span = self.reader.token_span();
        let empty = self.reader.doc_text.is_empty();
        let section = self.section_mut();
        if section.kind == SectionKind::Plain {
            if empty {
                section.span = span;
            }
            self.reader.doc_text.push('\n');
            return;
        }
        self.push(SectionKind::Plain, None);
    }

    /// Moves the collected text, without blank lines at either end, into
    /// the last section.
    fn flush(&mut self) {
        let text = match self.lines {
            0 => None,
            // Blank lines around the one line are trimmed anyway.
            1 => Some(self.reader.share(self.last_line)),
            _ => Some(Str::from(self.reader.doc_text.trim_matches('\n'))),
        };
        if let Some(text) = text {
            self.section_mut().text = text;
        }
        self.reader.doc_text.clear();
        self.lines = 0;
    }

    fn push(&mut self, kind: SectionKind, name: Option<Str>) {
        self.flush();
        let span = self.reader.token_span();
        let text = self.reader.empty();
        self.doc.outline.add(kind, name.is_some());
        self.doc.sections.push(Section {
            kind,
            name,
            span,
            text,
        });
    }

    fn tagged(&mut self, kind: SectionKind) {
        if matches!(
            kind,
            SectionKind::Returns | SectionKind::Errors | SectionKind::Since
        ) && self.doc.outline.has(kind)
        {
            self.warn(format!(
                "a second '{}:' section; a doc comment may have only one",
                kind.title()
            ));
        }
        self.push(kind, None);
    }

    fn description(&mut self, kind: SectionKind, name: &'t str) {
        let what = if kind == SectionKind::Feature {
            "feature"
        } else {
            "member"
        };
        if name.is_empty() {
            self.warn(format!("a {what} description needs a name after '@'"));
        } else if self
            .doc
            .sections
            .iter()
            .any(|s| s.kind == kind && s.name.as_deref() == Some(name))
        {
            self.doc.outline.duplicate_names = true;
            self.warn(format!("{what} '{name}' is described twice"));
        }
        let name = self.reader.share(name);
        self.push(kind, Some(name));
    }

    /// A definition doc comment, whose first line is `@NAME:`.
    fn definition(&mut self, first: &'t str) -> Result<(), Diagnostic> {
        let symbol = match first.strip_suffix(':') {
            Some(symbol) => &symbol[1..],
            None => {
                self.warn("the '@NAME' line that opens a doc comment must end with ':'");
                first[1..].trim_end()
            }
        };
        if symbol.is_empty() {
            self.warn("the opening '@:' line of a doc comment needs the definition's name");
        } else {
            self.doc.symbol = Some((self.reader.share(symbol), self.reader.token_span()));
        }
        let mut line = self.next_line()?;
        let mut no_more_members = false;
        loop {
            while line == Some("") {
                line = self.next_line()?;
            }
            let Some(text) = line else { break };
            if text == "Features:" {
                if self.doc.outline.has(SectionKind::Feature) {
                    self.warn("a second 'Features:' line; list all features under one");
                }
                line = self.next_line()?;
                while line == Some("") {
                    line = self.next_line()?;
                }
                let before = self.doc.sections.len();
                line = self.descriptions(line, SectionKind::Feature)?;
                if self.doc.sections.len() == before {
                    self.warn("'Features:' must be followed by '@NAME: text' feature descriptions");
                }
                no_more_members = true;
            } else if let Some((name, _)) = at_name_colon(text) {
                if no_more_members {
                    self.warn(format!(
                        "the description of '@{name}:' must come before the doc comment's other sections"
                    ));
                }
                line = self.descriptions(Some(text), SectionKind::Member)?;
                no_more_members = true;
            } else if let Some((kind, rest)) = tag(text) {
                match kind {
                    SectionKind::Note => self.warn(
                        "'Note:' sections are no longer accepted; use an rST '.. note::' directive",
                    ),
                    SectionKind::Example => self.warn(
                        "'Example:' sections are no longer accepted; use a '.. qmp-example::' directive",
                    ),
                    _ => {}
                }
                self.tagged(kind);
                if !rest.is_empty() {
                    self.append(rest);
                }
                line = self.indented()?;
                no_more_members = true;
            } else {
                if text.starts_with('=') {
                    self.warn(
                        "'=' headings belong in free-form doc comments, not in a definition's",
                    );
                }
                self.untagged();
                self.append(text);
                line = self.paragraph()?;
            }
        }
        Ok(())
    }

    /// A run of `@NAME: text` descriptions starting at `line`; returns the
    /// first line after them.
    fn descriptions(
        &mut self,
        mut line: Option<&'t str>,
        kind: SectionKind,
    ) -> Result<Option<&'t str>, Diagnostic> {
        while let Some(text) = line {
            let Some((name, rest)) = at_name_colon(text) else {
                break;
            };
            self.description(kind, name);
            if !rest.is_empty() {
                self.append(rest);
            }
            line = self.indented()?;
        }
        Ok(line)
    }

    /// The indented continuation lines of a description or tagged section;
    /// returns the first line that is not part of it.
    fn indented(&mut self) -> Result<Option<&'t str>, Diagnostic> {
        let mut line = self.next_line()?;
        let mut after_blank = false;
        while line == Some("") {
            self.append("");
            line = self.next_line()?;
            after_blank = true;
        }
        let Some(first) = line else { return Ok(None) };
        let indent = leading_spaces(first);
        if indent == 0 {
            if self.older_layout(first, after_blank) {
                return self.unindented(first);
            }
            return Ok(Some(first));
        }
        self.append(first);
        // QEMU 10.0 accepts a shallower line once one continuation line has
        // been read (it ends the section); only the line right after the
        // first is an error. Strict mode follows it exactly.
        let mut lenient = false;
        loop {
            let Some(text) = self.next_line()? else {
                return Ok(None);
            };
            if at_name_colon(text).is_some() {
                return Ok(Some(text));
            }
            if !text.is_empty() && leading_spaces(text) < indent {
                if lenient {
                    return Ok(Some(text));
                }
                self.warn(format!(
                    "this line is indented less than the text it continues (at least {indent} spaces expected)"
                ));
            }
            self.append(text);
            lenient = true;
        }
    }

    /// Whether `first`, an unindented line below a header that has nothing
    /// after its colon, is read as that header's text.
    ///
    /// QEMU 10.0 reads it as a new paragraph and the header as empty, and
    /// so does strict mode. Schemas of QEMU 8.1 and older write a header's
    /// text so, and the default mode reads it as they did: a description's
    /// text starts on the very next line, a tagged section's (an
    /// `Example:`, say) may start after blank lines.
    fn older_layout(&mut self, first: &str, after_blank: bool) -> bool {
        let starts_late = after_blank && self.section_mut().kind.is_description();
        self.lines == 0 && !self.diagnostics.is_strict() && !starts_section(first) && !starts_late
    }

    /// The text of a header in the older layout ([`Self::older_layout`]),
    /// from `first` on: a description's runs to a blank line, a tagged
    /// section's to the next description or tag.
    fn unindented(&mut self, first: &'t str) -> Result<Option<&'t str>, Diagnostic> {
        let section = self.section_mut();
        let (kind, span) = (section.kind, section.span);
        // `Note:` and `Example:` were reported when met: QEMU 10.0 rejects
        // them whatever follows.
        if !matches!(kind, SectionKind::Note | SectionKind::Example) {
            let header = header(section);
            self.warn_at(
                span,
                format!(
                    "the text of {header} must follow it on its line or on indented lines; \
                     the unindented lines below are read as its text, as older QEMU releases did"
                ),
            );
        }
        self.append(first);
        loop {
            match self.next_line()? {
                None => return Ok(None),
                Some(text)
                    if starts_section(text) || (text.is_empty() && kind.is_description()) =>
                {
                    return Ok(Some(text))
                }
                Some(text) => self.append(text),
            }
        }
    }

    /// The rest of a plain paragraph, up to a blank line.
    fn paragraph(&mut self) -> Result<Option<&'t str>, Diagnostic> {
        loop {
            match self.next_line()? {
                None => return Ok(None),
                Some(text) if text.is_empty() => return Ok(Some(text)),
                Some(text) => self.append(text),
            }
        }
    }

    /// A free-form doc comment: prose, possibly opening with a `=` heading.
    fn free_form(&mut self, mut line: Option<&'t str>) -> Result<(), Diagnostic> {
        self.untagged();
        let mut first = true;
        while let Some(text) = line {
            if let Some((name, _)) = at_name_colon(text) {
                self.warn(format!(
                    "'@{name}:' describes a member, but this doc comment does not start with '@NAME:' naming a definition"
                ));
            }
            if text.starts_with('=') && !first {
                self.warn("a '=' heading must be the first line of its doc comment");
            }
            self.append(text);
            line = self.next_line()?;
            first = false;
        }
        Ok(())
    }

    /// Trims the sections and checks that tagged ones have text.
    fn finish(&mut self) {
        self.flush();
        let mut empty = Vec::new();
        for section in &self.doc.sections {
            if section.kind != SectionKind::Plain && section.text.is_empty() {
                empty.push((
                    section.span,
                    format!("{} needs text after it", header(section)),
                ));
            }
        }
        for (span, message) in empty {
            self.warn_at(span, message);
        }
    }
}

/// A section's header as written, for messages: `'@name:'`, `'Returns:'`.
fn header(section: &Section) -> String {
    match &section.name {
        Some(name) if section.kind.is_description() => format!("'@{name}:'"),
        _ => format!("'{}:'", section.kind.title()),
    }
}

/// Whether a line of a definition doc comment starts a section of its own:
/// a description, a tag or the `Features:` line.
fn starts_section(line: &str) -> bool {
    line == "Features:" || at_name_colon(line).is_some() || tag(line).is_some()
}

/// Splits `@name: text` into the name and the text.
fn at_name_colon(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('@')?;
    // Names are short: a plain loop beats `find`'s memchr setup.
    let colon = rest.bytes().position(|b| b == b':')?;
    Some((&rest[..colon], rest[colon + 1..].trim_start_matches(' ')))
}

/// Splits a tagged section's first line (`Since: 7.2`) into its kind and text.
/// `Tag::` is rST markup, not a tag.
fn tag(line: &str) -> Option<(SectionKind, &str)> {
    const TAGS: [(&str, SectionKind); 8] = [
        ("Returns", SectionKind::Returns),
        ("Errors", SectionKind::Errors),
        ("Since", SectionKind::Since),
        ("Notes", SectionKind::Note),
        ("Note", SectionKind::Note),
        ("Examples", SectionKind::Example),
        ("Example", SectionKind::Example),
        ("TODO", SectionKind::Todo),
    ];
    TAGS.iter().find_map(|&(word, kind)| {
        let rest = line.strip_prefix(word)?;
        if rest.starts_with("::") {
            return None;
        }
        Some((kind, rest.strip_prefix(':')?.trim_start_matches(' ')))
    })
}

fn leading_spaces(line: &str) -> usize {
    line.chars().take_while(|c| c.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_colon_splits_name_and_text() {
        assert_eq!(at_name_colon("@foo: bar"), Some(("foo", "bar")));
        assert_eq!(at_name_colon("@: x"), Some(("", "x")));
        assert_eq!(at_name_colon("@foo"), None);
        assert_eq!(at_name_colon("foo: bar"), None);
    }

    #[test]
    fn tags_exclude_rst_double_colon() {
        assert_eq!(tag("Since: 7.2"), Some((SectionKind::Since, "7.2")));
        assert_eq!(tag("Notes: x"), Some((SectionKind::Note, "x")));
        assert_eq!(tag("Returns:: x"), None);
        assert_eq!(tag("Returned: x"), None);
    }
}
