//! The syntax tree: what the parser read, with a span on every value.
//!
//! QAPI's surface syntax is JSON with single-quoted strings and no numbers or
//! `null`. The tree keeps it that way (an untyped [`Value`] per node) and
//! adds nothing but positions; giving it meaning is the checker's job.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use crate::source::Span;
use crate::syntax::doc::Doc;

/// A string read from the schema: a slice of its file's text, shared rather
/// than copied (a string with an escape keeps its own text). It reads as a
/// `&str` through [`Deref`].
#[derive(Clone)]
pub struct Str {
    text: Arc<str>,
    start: u32,
    end: u32,
}

impl Str {
    /// The bytes `range` of `text`, which must lie on character boundaries.
    pub(crate) fn slice(text: &Arc<str>, range: std::ops::Range<usize>) -> Str {
        debug_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
        Str {
            text: Arc::clone(text),
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    /// `part` as a slice of `text`, when it lies inside `text` (found by
    /// address: `part` was cut from `text`); `None` otherwise.
    pub(crate) fn within(text: &Arc<str>, part: &str) -> Option<Str> {
        let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        (start + part.len() <= text.len()).then(|| Str::slice(text, start..start + part.len()))
    }

    /// The string as a `&str`.
    pub fn as_str(&self) -> &str {
        // The range was checked against the text when the `Str` was made.
        &self.text[self.start as usize..self.end as usize]
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        Str {
            text: Arc::from(s),
            start: 0,
            end: s.len() as u32,
        }
    }
}

impl From<String> for Str {
    fn from(s: String) -> Str {
        Str::from(s.as_str())
    }
}

impl Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// Quoted into generated code as a string literal, as a `&str` is.
impl quote::ToTokens for Str {
    fn to_tokens(&self, tokens: &mut proc_macro2::TokenStream) {
        self.as_str().to_tokens(tokens)
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Str {}

impl std::hash::Hash for Str {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// From its first to its last character.
    pub span: Span,
}

/// A QAPI value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `'text'`
    Str(Str),
    /// `true` or `false`
    Bool(bool),
    /// `[ ... ]`
    List(Vec<Node>),
    /// `{ 'key': value, ... }`
    Object(Object),
}

/// A JSON object with its keys in source order (the parser rejects duplicates).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object {
    /// The entries, in source order.
    pub entries: Vec<Entry>,
}

/// One `'key': value` pair.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key, without quotes.
    pub key: Str,
    /// Where the key (with its quotes) was written.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

impl Object {
    /// The entry for `key`, if present.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The value for `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the object has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is a list.
    pub fn as_list(&self) -> Option<&[Node]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
}

/// A top-level definition expression (`{ 'struct': ... }` and so on), with
/// the doc comment written right before it.
///
/// `include` and `pragma` directives are handled by the parser and never
/// appear here.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The expression's members.
    pub object: Object,
    /// From the opening `{` to the closing `}`. QEMU's generator reports
    /// problems in a definition at the line where this span starts.
    pub span: Span,
    /// The definition doc comment right before it, if any.
    pub doc: Option<Doc>,
}

/// An `include` directive.
#[derive(Clone, Debug, PartialEq)]
pub struct Include {
    /// The directive, in the including file.
    pub span: Span,
    /// The file it names, once read (absent when it could not be read).
    pub file: Option<crate::source::FileId>,
}

/// The settings of `pragma` directives. Like QEMU, a pragma applies to the
/// whole schema, whichever file it is written in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pragmas {
    /// Whether every definition must have a doc comment.
    pub doc_required: bool,
    /// Commands whose names may break the naming rules.
    pub command_name_exceptions: Vec<String>,
    /// Commands that may return something other than an object.
    pub command_returns_exceptions: Vec<String>,
    /// Definitions whose members need not be documented.
    pub documentation_exceptions: Vec<String>,
    /// Types whose member names may break the naming rules.
    pub member_name_exceptions: Vec<String>,
}

/// Everything the parser read from a schema and the files it includes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyntaxTree {
    /// Definitions, in the order QEMU's generator sees them (an included
    /// file's definitions at the place of its `include`).
    pub exprs: Vec<Expr>,
    /// Free-form doc comments (headings and prose between definitions).
    pub free_docs: Vec<Doc>,
    /// `include` directives, in the order they were met.
    pub includes: Vec<Include>,
    /// Pragmas from all files.
    pub pragmas: Pragmas,
}
