//! The parser: tokens to a [`SyntaxTree`], one file at a time, following
//! `include` directives as they are met.
//!
//! A syntax error stops the parse of the expression it is in; the parser
//! then skips to the next line that starts a top-level expression or doc
//! comment and goes on, so several independent mistakes are reported in one
//! run. Doc comments are parsed by [`super::docparse`] and never stop the
//! parse.

use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::doc::Doc;
use crate::syntax::docparse;
use crate::syntax::lexer::{LexError, Lexer, Token, TokenKind};
use crate::syntax::tree::{Entry, Expr, Include, Node, Object, Pragmas, Str, SyntaxTree, Value};
use crate::LoadError;

/// Values nest at most this deep; real schemas stay under ten.
const MAX_DEPTH: usize = 64;
/// `include` chains are at most this long.
const MAX_INCLUDE_DEPTH: usize = 64;
/// Larger files are refused (the whole QEMU schema is under 1 MiB).
const MAX_FILE_SIZE: usize = 64 << 20;

/// Reads schema files: from disk ([`FsLoader`]) or memory ([`MemoryLoader`]).
pub trait FileLoader {
    /// The text of the file at `path`. (An `Arc`, so that a loader that
    /// keeps files in memory lends them out without a copy.)
    fn load(&mut self, path: &Path) -> io::Result<Arc<str>>;
}

/// Reads files from disk.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsLoader;

impl FileLoader for FsLoader {
    fn load(&mut self, path: &Path) -> io::Result<Arc<str>> {
        let bytes = std::fs::read(path)?;
        String::from_utf8(bytes)
            .map(Arc::from)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "file is not valid UTF-8"))
    }
}

/// Serves files from memory, by path.
///
/// ```
/// use qmp_codegen::syntax::MemoryLoader;
/// let mut loader = MemoryLoader::default();
/// loader.add("main.json", "{ 'include': 'types.json' }\n");
/// loader.add("types.json", "{ 'enum': 'Color', 'data': [ 'red' ] }\n");
/// let checked = qmp_codegen::check_with_loader("main.json".as_ref(), &mut loader, &Default::default())?;
/// assert!(!checked.has_errors());
/// # Ok::<(), qmp_codegen::LoadError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryLoader {
    files: Vec<(PathBuf, Arc<str>)>,
}

impl MemoryLoader {
    /// Adds (or replaces) a file.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) {
        let path = normalize(&path.into());
        self.files.retain(|(p, _)| *p != path);
        self.files.push((path, text.into()));
    }
}

impl FileLoader for MemoryLoader {
    fn load(&mut self, path: &Path) -> io::Result<Arc<str>> {
        let find = |path: &Path| self.files.iter().find(|(p, _)| same_path(p, path));
        // Paths are stored normalized; most are asked for that way too.
        find(path)
            .or_else(|| find(&normalize(path)))
            .map(|(_, text)| Arc::clone(text))
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
}

/// Parses the schema rooted at `path` and everything it includes. Problems
/// go to `diagnostics`; only an unreadable root file is an `Err`.
pub fn parse(
    path: &Path,
    loader: &mut dyn FileLoader,
    sources: &mut SourceMap,
    diagnostics: &mut Diagnostics,
) -> Result<SyntaxTree, LoadError> {
    let text = read(loader, path).map_err(|error| LoadError {
        path: path.to_owned(),
        error,
    })?;
    let file = sources.add(path.to_owned(), text, None);
    let mut parser = Parser {
        loader,
        sources,
        diagnostics,
        tree: SyntaxTree::default(),
        seen: vec![normalize(path)],
        chain: Vec::new(),
    };
    parser.file(file, parser.seen[0].clone());
    Ok(parser.tree)
}

fn read(loader: &mut dyn FileLoader, path: &Path) -> io::Result<Arc<str>> {
    let text = loader.load(path)?;
    if text.len() > MAX_FILE_SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("file is larger than {} MiB", MAX_FILE_SIZE >> 20),
        ));
    }
    Ok(text)
}

/// Whether two normalized paths are the same. They are compared as bytes:
/// normalizing leaves one spelling per path, and comparing `Path`s walks
/// their components, which is slow enough to show in a profile.
fn same_path(a: &Path, b: &Path) -> bool {
    a.as_os_str() == b.as_os_str()
}

/// An absolute path with `.` and `..` resolved lexically, as QEMU's
/// generator compares included files.
fn normalize(path: &Path) -> PathBuf {
    if is_normal(path) {
        return path.to_owned();
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Whether `path` is already what [`normalize`] makes of it: absolute from
/// `/`, with `/` separators only, no `.` or `..` and no empty component. Includes
/// of an absolute root mostly are, and walking components costs.
fn is_normal(path: &Path) -> bool {
    let Some(text) = path.to_str() else {
        return false;
    };
    path.is_absolute()
        && text.starts_with('/')
        && !text.contains('\\')
        && text[1..]
            .split('/')
            .all(|part| !matches!(part, "" | "." | ".."))
}

/// State shared across all files of one schema.
struct Parser<'a> {
    loader: &'a mut dyn FileLoader,
    sources: &'a mut SourceMap,
    diagnostics: &'a mut Diagnostics,
    tree: SyntaxTree,
    /// Normalized paths of every file read, so each is read once.
    seen: Vec<PathBuf>,
    /// Normalized paths of the files being included, outermost first.
    chain: Vec<PathBuf>,
}

impl Parser<'_> {
    /// Parses `file`, whose normalized path is `key`.
    fn file(&mut self, file: FileId, key: PathBuf) {
        self.chain.push(key);
        // The tree's strings are slices of the map's copy of the text.
        let shared: Arc<str> = Arc::clone(&self.sources.file(file).text);
        let mut reader = FileReader {
            lexer: Lexer::new(&shared),
            shared: &shared,
            token: Token {
                kind: TokenKind::Eof,
                range: 0..0,
            },
            file,
            previous_end: 0,
            doc_text: String::new(),
        };
        let mut pending_doc: Option<Doc> = None;
        let mut primed = reader.advance(false);
        loop {
            if let Err(diagnostic) = primed {
                self.diagnostics.report(diagnostic);
                pending_doc = None;
                primed = reader.recover();
                continue;
            }
            match reader.token.kind {
                TokenKind::Eof => break,
                TokenKind::Comment => {
                    self.reject_dangling_doc(pending_doc.take());
                    primed = docparse::parse_doc(&mut reader, self.diagnostics)
                        .map(|doc| pending_doc = Some(doc));
                    continue;
                }
                _ => {}
            }
            let node = match reader.value(0) {
                Ok(node) => node,
                Err(diagnostic) => {
                    primed = Err(diagnostic);
                    continue;
                }
            };
            let span = node.span;
            let doc = pending_doc.take();
            let Value::Object(object) = node.value else {
                self.diagnostics.report(Diagnostic::language(
                    span,
                    "a top-level expression must be an object ({ ... })",
                ));
                continue;
            };
            if object.contains("include") {
                self.reject_dangling_doc(doc);
                self.include(&object, span);
            } else if object.contains("pragma") {
                self.reject_dangling_doc(doc);
                self.pragma(&object, span);
            } else {
                let doc = match doc {
                    Some(doc) if doc.symbol.is_none() => {
                        self.diagnostics.report(
                            Diagnostic::documentation(
                                doc.span,
                                "a definition's doc comment must start with '@NAME:', naming the definition",
                            )
                            .with_label(span, "the definition it precedes"),
                        );
                        None
                    }
                    doc => doc,
                };
                self.tree.exprs.push(Expr { object, span, doc });
            }
        }
        self.reject_dangling_doc(pending_doc);
        self.chain.pop();
    }

    /// A definition doc comment must be followed by its definition; free-form
    /// doc comments stand alone and are kept.
    fn reject_dangling_doc(&mut self, doc: Option<Doc>) {
        let Some(doc) = doc else { return };
        match &doc.symbol {
            Some((symbol, _)) => self.diagnostics.report(Diagnostic::documentation(
                doc.span,
                format!("the doc comment for '{symbol}' is not followed by the definition of '{symbol}'"),
            )),
            None => self.tree.free_docs.push(doc),
        }
    }

    fn include(&mut self, object: &Object, span: Span) {
        if object.len() != 1 {
            self.diagnostics.report(
                Diagnostic::language(span, "an 'include' directive must have no other keys")
                    .with_help("write it as { 'include': 'FILE.json' }"),
            );
            return;
        }
        let entry = &object.entries[0];
        let Value::Str(name) = &entry.value.value else {
            self.diagnostics.report(
                Diagnostic::language(span, "the value of 'include' must be a file name string")
                    .with_label(entry.value.span, "not a string"),
            );
            return;
        };
        let including = &self.sources.file(span.file).path;
        let path = including
            .parent()
            .unwrap_or(Path::new(""))
            .join(name.as_str());
        let key = normalize(&path);
        if self.chain.iter().any(|p| same_path(p, &key)) {
            self.diagnostics.report(
                Diagnostic::language(
                    span,
                    format!("'{name}' includes itself, directly or through other files"),
                )
                .with_label(entry.value.span, "this include closes the loop"),
            );
            return;
        }
        if self.seen.iter().any(|p| same_path(p, &key)) {
            // Each file is read once, as in QEMU; a repeated include is a no-op.
            return;
        }
        if self.chain.len() >= MAX_INCLUDE_DEPTH {
            self.diagnostics.report(Diagnostic::language(
                span,
                format!("includes nest more than {MAX_INCLUDE_DEPTH} files deep"),
            ));
            return;
        }
        match read(self.loader, &path) {
            Ok(text) => {
                self.seen.push(key.clone());
                let file = self.sources.add(path, text, Some(span));
                self.tree.includes.push(Include {
                    span,
                    file: Some(file),
                });
                self.file(file, key);
            }
            Err(error) => {
                self.tree.includes.push(Include { span, file: None });
                self.diagnostics.report(
                    Diagnostic::language(
                        span,
                        format!(
                            "cannot read included file '{}': {}",
                            path.display(),
                            io_reason(&error)
                        ),
                    )
                    .with_label(entry.value.span, "included here"),
                );
            }
        }
    }

    fn pragma(&mut self, object: &Object, span: Span) {
        if object.len() != 1 {
            self.diagnostics.report(
                Diagnostic::language(span, "a 'pragma' directive must have no other keys")
                    .with_help("write it as { 'pragma': { 'NAME': VALUE } }"),
            );
            return;
        }
        let value = &object.entries[0].value;
        let Value::Object(settings) = &value.value else {
            self.diagnostics.report(
                Diagnostic::language(span, "the value of 'pragma' must be an object")
                    .with_label(value.span, "not an object"),
            );
            return;
        };
        for entry in &settings.entries {
            self.pragma_setting(entry, span);
        }
    }

    fn pragma_setting(&mut self, entry: &Entry, span: Span) {
        let pragmas: &mut Pragmas = &mut self.tree.pragmas;
        let list = match entry.key.as_str() {
            "doc-required" => {
                match entry.value.value {
                    Value::Bool(b) => pragmas.doc_required = b,
                    _ => self.diagnostics.report(
                        Diagnostic::language(span, "pragma 'doc-required' takes true or false")
                            .with_label(entry.value.span, "not a boolean"),
                    ),
                }
                return;
            }
            "command-name-exceptions" => &mut pragmas.command_name_exceptions,
            "command-returns-exceptions" => &mut pragmas.command_returns_exceptions,
            "documentation-exceptions" => &mut pragmas.documentation_exceptions,
            "member-name-exceptions" => &mut pragmas.member_name_exceptions,
            other => {
                self.diagnostics.report(
                    Diagnostic::language(span, format!("unknown pragma '{other}'"))
                        .with_label(entry.key_span, "not a pragma")
                        .with_help(
                            "known pragmas: doc-required, command-name-exceptions, \
                             command-returns-exceptions, documentation-exceptions, \
                             member-name-exceptions",
                        ),
                );
                return;
            }
        };
        let names: Option<Vec<String>> = entry.value.value.as_list().and_then(|items| {
            items
                .iter()
                .map(|item| item.value.as_str().map(str::to_owned))
                .collect()
        });
        match names {
            // Like QEMU, a later setting of the same pragma replaces the earlier.
            Some(names) => *list = names,
            None => self.diagnostics.report(
                Diagnostic::language(
                    span,
                    format!("pragma '{}' takes a list of strings", entry.key),
                )
                .with_label(entry.value.span, "not a list of strings"),
            ),
        }
    }
}

fn io_reason(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        _ => error.to_string(),
    }
}

/// Reads the tokens of one file.
pub(crate) struct FileReader<'t> {
    lexer: Lexer<'t>,
    /// The text the lexer reads, shared with the strings of the tree.
    shared: &'t Arc<str>,
    /// The current token.
    pub token: Token,
    pub file: FileId,
    /// Where the token before the current one ended.
    previous_end: usize,
    /// The text of the doc comment section being read: when it has more
    /// than one line, it is copied, trimmed, into the section when the
    /// next one starts (the buffer is reused for the whole file).
    pub doc_text: String,
}

impl<'t> FileReader<'t> {
    /// Moves to the next token; comments are kept when `keep_comments`.
    pub fn advance(&mut self, keep_comments: bool) -> Result<(), Diagnostic> {
        self.previous_end = self.token.range.end;
        match self.lexer.next_token(keep_comments) {
            Ok(token) => {
                self.token = token;
                Ok(())
            }
            Err(LexError { message, range }) => {
                let span = self.span(range.start, range.end);
                // Skip past the bad bytes so recovery makes progress.
                self.token = Token {
                    kind: TokenKind::Eof,
                    range,
                };
                Err(Diagnostic::language(span, message))
            }
        }
    }

    /// The span of the current token.
    /// Like `advance(true)`, but quicker when the next line is a comment
    /// starting in its first column, as a doc comment's lines are.
    pub fn advance_line(&mut self) -> Result<(), Diagnostic> {
        match self.lexer.next_comment_line() {
            Some(token) => {
                self.previous_end = self.token.range.end;
                self.token = token;
                Ok(())
            }
            None => self.advance(true),
        }
    }

    pub fn token_span(&self) -> Span {
        self.span(self.token.range.start, self.token.range.end)
    }

    /// The text of the current token.
    pub fn token_text(&self) -> &'t str {
        &self.lexer.source()[self.token.range.clone()]
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// After a syntax error: skips to the next line that starts with `{` or
    /// `#`, where the next top-level expression or doc comment probably is.
    fn recover(&mut self) -> Result<(), Diagnostic> {
        let src = self.lexer.source();
        let from = self
            .token
            .range
            .end
            .max(self.token.range.start + 1)
            .min(src.len());
        let mut at = src.len();
        let mut line_start = src[..from].rfind('\n').map_or(0, |i| i + 1);
        while let Some(newline) = src[line_start..].find('\n') {
            line_start += newline + 1;
            if matches!(src.as_bytes().get(line_start), Some(b'{' | b'#')) {
                at = line_start;
                break;
            }
        }
        self.lexer.seek(at);
        self.advance(false)
    }

    /// `part`, a slice of the text being read, as a [`Str`] sharing it.
    /// (Anything else, such as a literal, is copied.)
    pub fn share(&self, part: &'t str) -> Str {
        Str::within(self.shared, part).unwrap_or_else(|| Str::from(part))
    }

    /// An empty string, sharing the text being read (no allocation).
    pub fn empty(&self) -> Str {
        Str::slice(self.shared, 0..0)
    }

    /// The value of the current string token: a slice of the text, or the
    /// lexer's text when the string has an escape.
    fn string(&self, escaped: Option<String>) -> Str {
        match escaped {
            Some(text) => Str::from(text),
            None => {
                let range = &self.token.range;
                Str::slice(self.shared, range.start + 1..range.end - 1)
            }
        }
    }

    fn error(&self, message: impl Into<String>) -> Diagnostic {
        let mut span = self.token_span();
        if self.token.kind == TokenKind::Eof {
            span.end = span.start;
        }
        Diagnostic::language(span, message)
    }

    /// A value: object, list, string or boolean.
    fn value(&mut self, depth: usize) -> Result<Node, Diagnostic> {
        let start = self.token.range.start;
        let value = match &mut self.token.kind {
            TokenKind::LBrace | TokenKind::LBracket if depth >= MAX_DEPTH => {
                return Err(self.error(format!("values nest more than {MAX_DEPTH} levels deep")));
            }
            TokenKind::LBrace => {
                self.advance(false)?;
                Value::Object(self.members(depth + 1)?)
            }
            TokenKind::LBracket => {
                self.advance(false)?;
                Value::List(self.elements(depth + 1)?)
            }
            TokenKind::Str(s) => {
                let escaped = s.take();
                let value = Value::Str(self.string(escaped));
                self.advance(false)?;
                value
            }
            TokenKind::Bool(b) => {
                let value = Value::Bool(*b);
                self.advance(false)?;
                value
            }
            _ => return Err(self.error("expected a value: '{', '[', a string, or a boolean")),
        };
        // The value ends where the token before the current one ended.
        let end = self.previous_end;
        Ok(Node {
            value,
            span: self.span(start, end),
        })
    }

    /// The members of an object, after its `{`.
    fn members(&mut self, depth: usize) -> Result<Object, Diagnostic> {
        let mut object = Object::default();
        if self.token.kind == TokenKind::RBrace {
            self.advance(false)?;
            return Ok(object);
        }
        loop {
            let TokenKind::Str(key) = &mut self.token.kind else {
                return Err(if object.is_empty() {
                    self.error("expected a string key or '}'")
                } else {
                    self.error("expected a string key")
                });
            };
            let escaped = key.take();
            let key = self.string(escaped);
            let key_span = self.token_span();
            self.advance(false)?;
            if self.token.kind != TokenKind::Colon {
                return Err(self.error("expected ':' after the key"));
            }
            self.advance(false)?;
            if let Some(first) = object.entry(&key) {
                return Err(self
                    .error(format!("duplicate key '{key}'"))
                    .with_label(first.key_span, "first written here"));
            }
            let value = self.value(depth)?;
            object.entries.push(Entry {
                key,
                key_span,
                value,
            });
            match self.token.kind {
                TokenKind::RBrace => {
                    self.advance(false)?;
                    return Ok(object);
                }
                TokenKind::Comma => self.advance(false)?,
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    /// The elements of a list, after its `[`.
    fn elements(&mut self, depth: usize) -> Result<Vec<Node>, Diagnostic> {
        let mut list = Vec::new();
        if self.token.kind == TokenKind::RBracket {
            self.advance(false)?;
            return Ok(list);
        }
        if !matches!(
            self.token.kind,
            TokenKind::LBrace | TokenKind::LBracket | TokenKind::Str(_) | TokenKind::Bool(_)
        ) {
            return Err(self.error("expected a value or ']'"));
        }
        loop {
            list.push(self.value(depth)?);
            match self.token.kind {
                TokenKind::RBracket => {
                    self.advance(false)?;
                    return Ok(list);
                }
                TokenKind::Comma => self.advance(false)?,
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn normal_paths_are_kept_and_others_normalized() {
        assert!(is_normal(Path::new("/a/b.json")));
        for odd in [
            "/a/./b.json",
            "/a/../b.json",
            "/a//b.json",
            "/a/b/",
            "a/b.json",
            "/",
        ] {
            assert!(!is_normal(Path::new(odd)), "{odd}");
        }
        assert_eq!(normalize(Path::new("/a/b.json")), Path::new("/a/b.json"));
        assert_eq!(
            normalize(Path::new("/a/x/../b.json")),
            Path::new("/a/b.json")
        );
        assert_eq!(normalize(Path::new("/a/./b.json")), Path::new("/a/b.json"));
        assert_eq!(normalize(Path::new("/a//b.json")), Path::new("/a/b.json"));
        let relative = normalize(Path::new("b.json"));
        assert!(relative.is_absolute() && relative.ends_with("b.json"));
    }
}
