//! Source files and positions in them.
//!
//! Every file the front end reads is kept in a [`SourceMap`] for the whole run,
//! so that any later layer can turn a [`Span`] back into `file:line:col` and
//! the text of the line, long after the parser is gone.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::syntax::tree::Str;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span covering `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both `self` and `other` (same file).
    pub fn to(self, other: Span) -> Span {
        debug_assert_eq!(self.file, other.file);
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A 1-based line and column, as editors and compilers print them.
///
/// Columns count characters; a tab advances to the next multiple of eight,
/// as QEMU's generator counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    /// Line number, from 1.
    pub line: u32,
    /// Column number, from 1.
    pub col: u32,
}

/// One file that was read.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as it was resolved (relative to the including file).
    pub path: PathBuf,
    /// The full text, shared with the strings read from it.
    pub text: Arc<str>,
    /// Computed on first use: only diagnostics need it.
    line_starts: OnceLock<Vec<u32>>,
    /// The file that included this one, and where.
    pub included_from: Option<Span>,
}

impl SourceFile {
    /// The 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let line = self.line_index(offset);
        let line_start = self.line_start(line);
        let end = (offset as usize).min(self.text.len());
        let mut col = 1;
        for ch in self.text[line_start..end].chars() {
            col = if ch == '\t' {
                (col - 1) / 8 * 8 + 9
            } else {
                col + 1
            };
        }
        LineCol {
            line: line as u32 + 1,
            col,
        }
    }

    /// The 0-based index of the line holding `offset`.
    pub fn line_index(&self, offset: u32) -> usize {
        self.line_starts().partition_point(|&s| s <= offset) - 1
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(self.text.match_indices('\n').map(|(i, _)| i as u32 + 1));
            starts
        })
    }

    /// Byte offset where the 0-based line `index` starts.
    pub fn line_start(&self, index: usize) -> usize {
        self.line_starts()[index] as usize
    }

    /// The file's path for messages.
    pub fn display_path(&self) -> String {
        self.path.display().to_string()
    }
}

/// All files read in one run.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// The file [`SourceMap::share`] found last: consecutive strings
    /// mostly come from one file.
    last_shared: Cell<usize>,
}

impl SourceMap {
    /// An empty map.
    pub(crate) fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub(crate) fn add(
        &mut self,
        path: PathBuf,
        text: Arc<str>,
        included_from: Option<Span>,
    ) -> FileId {
        self.files.push(SourceFile {
            path,
            text,
            line_starts: OnceLock::new(),
            included_from,
        });
        FileId(self.files.len() as u32 - 1)
    }

    /// `part`, a slice of one of the files' texts, as a [`Str`] sharing
    /// that text; anything else is copied.
    pub(crate) fn share(&self, part: &str) -> Str {
        let last = self.last_shared.get();
        let shared = self
            .files
            .get(last)
            .and_then(|f| Str::within(&f.text, part));
        shared
            .or_else(|| {
                self.files.iter().enumerate().find_map(|(index, file)| {
                    let found = Str::within(&file.text, part)?;
                    self.last_shared.set(index);
                    Some(found)
                })
            })
            .unwrap_or_else(|| Str::from(part))
    }

    /// The file with this id.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files, in the order they were read.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// Number of files read.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file was read.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The id of a file already read, by path.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileId(i as u32))
    }

    /// The text a span covers.
    pub fn text(&self, span: Span) -> &str {
        &self.file(span.file).text[span.start as usize..span.end as usize]
    }

    /// Where a span starts, as `(path, line, col)`.
    pub fn location(&self, span: Span) -> (String, LineCol) {
        let file = self.file(span.file);
        (file.display_path(), file.line_col(span.start))
    }
}
