//! Tokens: schema text to a stream of QAPI's few token kinds.
//!
//! QAPI has braces, brackets, `:` and `,`, single-quoted strings (printable
//! ASCII, `\\` the only escape), `true` and `false`, and `#` comments. A
//! comment starting with `##` opens a doc comment, so the lexer hands it to
//! the parser even when ordinary comments are being skipped.

use std::ops::Range;

/// The kind of a token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TokenKind {
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Colon,
    Comma,
    /// A string; its text is the token's bytes without the quotes, or,
    /// when it has an escape, the text given.
    Str(Option<String>),
    Bool(bool),
    /// A comment, from `#` to the end of the line.
    Comment,
    Eof,
}

/// A token and the bytes it covers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub range: Range<usize>,
}

/// A lexical error: the message and the bytes at fault.
#[derive(Debug)]
pub(crate) struct LexError {
    pub message: String,
    pub range: Range<usize>,
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    cursor: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer { src, cursor: 0 }
    }

    /// The whole text being read.
    pub fn source(&self) -> &'a str {
        self.src
    }

    /// Continues reading at byte `at` (a line start, after a syntax error).
    pub fn seek(&mut self, at: usize) {
        self.cursor = at.min(self.src.len());
    }

    /// The next token. With `keep_comments` false, ordinary `#` comments
    /// are skipped; doc comments (`##...`) are returned either way.
    pub fn next_token(&mut self, keep_comments: bool) -> Result<Token, LexError> {
        let bytes = self.src.as_bytes();
        loop {
            let start = self.cursor;
            let Some(&byte) = bytes.get(start) else {
                // The end sits on the last line, where its newline is, as
                // QEMU's generator places it.
                let at = if self.src.ends_with('\n') {
                    start - 1
                } else {
                    start
                };
                return Ok(Token {
                    kind: TokenKind::Eof,
                    range: at..at,
                });
            };
            self.cursor += 1;
            // Runs of ASCII blanks (indentation mostly) are the commonest
            // bytes: skip them before anything else.
            if matches!(byte, b' ' | b'\n' | b'\t' | b'\r') {
                let run = bytes[self.cursor..]
                    .iter()
                    .position(|b| !matches!(b, b' ' | b'\n' | b'\t' | b'\r'))
                    .unwrap_or(bytes.len() - self.cursor);
                self.cursor += run;
                continue;
            }
            let simple = match byte {
                b'{' => Some(TokenKind::LBrace),
                b'}' => Some(TokenKind::RBrace),
                b'[' => Some(TokenKind::LBracket),
                b']' => Some(TokenKind::RBracket),
                b':' => Some(TokenKind::Colon),
                b',' => Some(TokenKind::Comma),
                _ => None,
            };
            if let Some(kind) = simple {
                return Ok(self.token(kind, start));
            }
            match byte {
                b'#' => {
                    let is_doc = bytes.get(self.cursor) == Some(&b'#');
                    self.cursor = self.line_end(start);
                    if keep_comments || is_doc {
                        return Ok(self.token(TokenKind::Comment, start));
                    }
                }
                b'\'' => return self.string(start),
                _ if self.src[start..].starts_with("true") => {
                    self.cursor = start + 4;
                    return Ok(self.token(TokenKind::Bool(true), start));
                }
                _ if self.src[start..].starts_with("false") => {
                    self.cursor = start + 5;
                    return Ok(self.token(TokenKind::Bool(false), start));
                }
                _ => {
                    let ch = self.src[start..].chars().next().unwrap_or('\0');
                    if ch.is_whitespace() {
                        self.cursor = start + ch.len_utf8();
                        continue;
                    }
                    // Show the whole stray word, up to the next structural
                    // character, space or quote.
                    let len = self.src[start..]
                        .find(|c: char| "[]{}:,'".contains(c) || c.is_whitespace())
                        .unwrap_or(self.src.len() - start);
                    let word = &self.src[start..start + len];
                    return Err(LexError {
                        message: format!("unexpected '{word}': expected a string, a boolean, or one of {{ }} [ ] : ,"),
                        range: start..start + len,
                    });
                }
            }
        }
    }

    /// The comment on the next line, when that line starts with `#` (the
    /// common case inside a doc comment); `None` leaves the lexer as it was,
    /// for [`Lexer::next_token`] to read whatever comes.
    pub fn next_comment_line(&mut self) -> Option<Token> {
        let bytes = self.src.as_bytes();
        let start = self.cursor + 1;
        if bytes.get(self.cursor) != Some(&b'\n') || bytes.get(start) != Some(&b'#') {
            return None;
        }
        self.cursor = self.line_end(start);
        Some(self.token(TokenKind::Comment, start))
    }

    /// The offset of the newline ending the line that `from` is on, or the
    /// end of the text. Comments are most of a schema's bytes, so this is
    /// the lexer's hottest loop: the `memchr` crate's SIMD search is several
    /// times faster than the standard library's on lines this short.
    fn line_end(&self, from: usize) -> usize {
        memchr::memchr(b'\n', &self.src.as_bytes()[from..]).map_or(self.src.len(), |i| from + i)
    }

    fn token(&self, kind: TokenKind, start: usize) -> Token {
        Token {
            kind,
            range: start..self.cursor,
        }
    }

    fn string(&mut self, start: usize) -> Result<Token, LexError> {
        let bytes = self.src.as_bytes();
        // Most strings have no escape: find the closing quote and copy once.
        let body = start + 1;
        let plain_end = bytes[body..]
            .iter()
            .position(|&b| b == b'\'' || b == b'\\' || b == b'\n' || !(32..127).contains(&b))
            .map(|i| body + i);
        if let Some(end) = plain_end.filter(|&end| bytes[end] == b'\'') {
            self.cursor = end + 1;
            return Ok(self.token(TokenKind::Str(None), start));
        }
        let mut value = String::new();
        let mut escaped = false;
        loop {
            let at = self.cursor;
            let byte = match bytes.get(at) {
                None | Some(b'\n') => {
                    return Err(LexError {
                        message: "string is missing its closing quote (strings cannot span lines)"
                            .into(),
                        range: start..at,
                    })
                }
                Some(&b) => b,
            };
            self.cursor += 1;
            if escaped {
                // Only `\\` is an escape: QAPI names and docs need no others.
                if byte != b'\\' {
                    let ch = self.src[at..].chars().next().unwrap_or('?');
                    return Err(LexError {
                        message: format!(
                            "unknown escape '\\{ch}' in string (only '\\\\' is allowed)"
                        ),
                        range: at - 1..at + ch.len_utf8(),
                    });
                }
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
                continue;
            } else if byte == b'\'' {
                return Ok(self.token(TokenKind::Str(Some(value)), start));
            }
            if !(32..127).contains(&byte) {
                let len = self.src[at..].chars().next().map_or(1, char::len_utf8);
                return Err(LexError {
                    message: "string contains a character outside printable ASCII".into(),
                    range: at..at + len,
                });
            }
            value.push(byte as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token(false).unwrap();
            if token.kind == TokenKind::Eof {
                return out;
            }
            out.push(token.kind);
        }
    }

    #[test]
    fn structural_strings_and_booleans() {
        assert_eq!(
            kinds("{ 'a': [true, false] } # comment\n"),
            vec![
                TokenKind::LBrace,
                TokenKind::Str(None),
                TokenKind::Colon,
                TokenKind::LBracket,
                TokenKind::Bool(true),
                TokenKind::Comma,
                TokenKind::Bool(false),
                TokenKind::RBracket,
                TokenKind::RBrace,
            ]
        );
    }

    #[test]
    fn doc_comments_are_returned_even_when_skipping() {
        assert_eq!(kinds("# plain\n## doc\n"), vec![TokenKind::Comment]);
    }

    #[test]
    fn backslash_escapes_only_itself() {
        assert_eq!(kinds(r"'a\\b'"), vec![TokenKind::Str(Some(r"a\b".into()))]);
        let err = Lexer::new(r"'a\nb'").next_token(false).unwrap_err();
        assert!(err.message.contains("unknown escape"), "{}", err.message);
    }

    #[test]
    fn errors_name_the_stray_word() {
        let err = Lexer::new("  123 }").next_token(false).unwrap_err();
        assert_eq!(err.range, 2..5);
        assert!(err.message.contains("'123'"));
        let err = Lexer::new("'abc\n'").next_token(false).unwrap_err();
        assert!(err.message.contains("closing quote"));
        let err = Lexer::new("'é'").next_token(false).unwrap_err();
        assert!(err.message.contains("printable ASCII"));
    }
}
