//! Requests: `{"execute": NAME, "arguments": {...}, "id": ID}` on one line,
//! and the limits QEMU's JSON parser puts on what it reads.
//!
//! QEMU answers a request that breaks one of its parser's limits with an
//! error that carries no `id` (it never got as far as reading one), and
//! then reads the rest of the line as new input, answering each piece with
//! another such error. A client cannot tell those answers apart, so
//! [`Request::write_line`] refuses such a request before it is sent.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::Command;

/// The limits of QEMU's JSON parser (its `json-streamer`), the same since
/// QEMU 2.x: past any of them, the request is refused without an `id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParserLimits {
    /// Objects and arrays open at once, the request itself included.
    pub nesting: usize,
    /// Tokens in one message: each bracket, brace, colon and comma, and
    /// each string, number and literal.
    pub tokens: usize,
    /// The bytes of all the message's tokens together (white space aside).
    pub bytes: usize,
}

/// QEMU's parser limits.
pub const QEMU_LIMITS: ParserLimits = ParserLimits {
    nesting: 1024,
    tokens: 2 << 20,
    bytes: 64 << 20,
};

/// Why a request cannot be sent.
#[derive(Debug)]
#[non_exhaustive]
pub enum RequestError {
    /// The arguments could not be serialized.
    Encode(serde_json::Error),
    /// The request nests objects and arrays deeper than the server's
    /// parser allows.
    TooDeep {
        /// How deep it nests (the request object counts as 1).
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// The request has more tokens than the server's parser allows.
    TooManyTokens {
        /// The limit.
        limit: usize,
    },
    /// The request is larger than the server's parser allows.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Encode(e) => write!(f, "cannot encode the request: {e}"),
            RequestError::TooDeep { depth, limit } => write!(
                f,
                "the request nests {depth} levels deep; QEMU's parser refuses more than {limit}"
            ),
            RequestError::TooManyTokens { limit } => write!(
                f,
                "the request has more than {limit} JSON tokens, which QEMU's parser refuses"
            ),
            RequestError::TooLarge { limit } => write!(
                f,
                "the request is larger than {limit} bytes, which QEMU's parser refuses"
            ),
        }
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RequestError::Encode(e) => Some(e),
            _ => None,
        }
    }
}

/// A request to execute a command, written as one line with
/// [`Request::write_line`].
///
/// ```
/// use qmp_types::{commands::QueryStatus, wire::Request};
///
/// let line = Request::new(&QueryStatus::new()).with_id(7).to_line().unwrap();
/// assert_eq!(line, b"{\"execute\":\"query-status\",\"id\":7}\n");
///
/// let raw = serde_json::json!({"device": "ide0-hd0"});
/// let line = Request::raw("eject", &raw).to_line().unwrap();
/// assert_eq!(line, b"{\"execute\":\"eject\",\"arguments\":{\"device\":\"ide0-hd0\"}}\n");
/// ```
#[derive(Debug)]
pub struct Request<'a, A: ?Sized> {
    name: &'a str,
    arguments: &'a A,
    id: Option<Value>,
    oob: bool,
    limits: Option<ParserLimits>,
}

impl<'a, C: Command> Request<'a, C> {
    /// A request to run `command`, without an id.
    pub fn new(command: &'a C) -> Self {
        Request::raw(C::NAME, command)
    }
}

impl<'a, A: Serialize + ?Sized> Request<'a, A> {
    /// A request to run the command `name` with `arguments` (an object, or
    /// `null` or `{}` for none), for commands outside a schema.
    pub fn raw(name: &'a str, arguments: &'a A) -> Self {
        Request {
            name,
            arguments,
            id: None,
            oob: false,
            limits: Some(QEMU_LIMITS),
        }
    }

    /// Sets the id the server echoes in its answer.
    pub fn with_id(mut self, id: impl Into<Value>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sends the command out of band (`exec-oob`); the caller checks that
    /// the command allows it and `oob` was negotiated.
    pub fn out_of_band(mut self) -> Self {
        self.oob = true;
        self
    }

    /// Checks the request against `limits` (default: [`QEMU_LIMITS`]), or
    /// against none.
    pub fn with_limits(mut self, limits: Option<ParserLimits>) -> Self {
        self.limits = limits;
        self
    }

    /// Appends the request and its newline to `out`, leaving `arguments`
    /// out when they are empty (QEMU reads its monitor a byte at a time, so
    /// every byte saved is a turn of its main loop saved). On error, `out`
    /// is as it was.
    pub fn write_line(&self, out: &mut Vec<u8>) -> Result<(), RequestError> {
        let start = out.len();
        let result = self.write_unchecked(out).and_then(|()| match self.limits {
            Some(limits) => check_limits(&out[start..], &limits),
            None => Ok(()),
        });
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// The request as a line of its own.
    pub fn to_line(&self) -> Result<Vec<u8>, RequestError> {
        let mut line = Vec::with_capacity(64 + self.name.len());
        self.write_line(&mut line)?;
        Ok(line)
    }

    fn write_unchecked(&self, out: &mut Vec<u8>) -> Result<(), RequestError> {
        out.extend_from_slice(if self.oob {
            b"{\"exec-oob\":"
        } else {
            b"{\"execute\":"
        });
        serde_json::to_writer(&mut *out, self.name).map_err(RequestError::Encode)?;
        let before = out.len();
        out.extend_from_slice(b",\"arguments\":");
        let arguments = out.len();
        serde_json::to_writer(&mut *out, self.arguments).map_err(RequestError::Encode)?;
        if matches!(&out[arguments..], b"{}" | b"null") {
            out.truncate(before);
        }
        if let Some(id) = &self.id {
            out.extend_from_slice(b",\"id\":");
            serde_json::to_writer(&mut *out, id).map_err(RequestError::Encode)?;
        }
        out.extend_from_slice(b"}\n");
        Ok(())
    }
}

/// How deeply `value` nests objects and arrays (a scalar is 0), counted
/// without recursion: a value too deep for QEMU can be refused before it
/// is serialized, which recurses.
pub fn nesting_depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        let depth = depth + 1;
        match value {
            Value::Array(items) => stack.extend(items.iter().map(|item| (item, depth))),
            Value::Object(members) => stack.extend(members.values().map(|member| (member, depth))),
            _ => continue,
        }
        deepest = deepest.max(depth);
    }
    deepest
}

/// Checks `json`, compact JSON as serde_json writes it, against `limits`,
/// counting as QEMU's parser does.
fn check_limits(json: &[u8], limits: &ParserLimits) -> Result<(), RequestError> {
    if json.len() > limits.bytes {
        return Err(RequestError::TooLarge {
            limit: limits.bytes,
        });
    }
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut tokens = 0usize;
    let mut at = 0;
    while at < json.len() {
        match json[at] {
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
                tokens += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                tokens += 1;
            }
            b':' | b',' => tokens += 1,
            b'"' => {
                at += 1;
                while at < json.len() && json[at] != b'"' {
                    at += if json[at] == b'\\' { 2 } else { 1 };
                }
                tokens += 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => {
                // A number or literal: one token up to the next delimiter.
                while at + 1 < json.len()
                    && !matches!(json[at + 1], b',' | b':' | b'}' | b']' | b' ' | b'\n')
                {
                    at += 1;
                }
                tokens += 1;
            }
        }
        at += 1;
    }
    if deepest > limits.nesting {
        return Err(RequestError::TooDeep {
            depth: deepest,
            limit: limits.nesting,
        });
    }
    if tokens > limits.tokens {
        return Err(RequestError::TooManyTokens {
            limit: limits.tokens,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(depth: usize) -> Value {
        (0..depth).fold(json!(0), |inner, _| json!([inner]))
    }

    #[test]
    fn lines_are_short() {
        let line = Request::raw("x", &json!({"a": 1}))
            .with_id(12345)
            .out_of_band()
            .to_line()
            .unwrap();
        assert_eq!(
            line,
            b"{\"exec-oob\":\"x\",\"arguments\":{\"a\":1},\"id\":12345}\n"
        );
        let line = Request::raw("x", &Value::Null)
            .with_id(u64::MAX)
            .to_line()
            .unwrap();
        assert_eq!(
            line,
            format!("{{\"execute\":\"x\",\"id\":{}}}\n", u64::MAX).as_bytes()
        );
        let line = Request::raw("x", &json!({}))
            .with_id("a")
            .to_line()
            .unwrap();
        assert_eq!(line, b"{\"execute\":\"x\",\"id\":\"a\"}\n");
    }

    #[test]
    fn nesting_is_counted_as_qemu_counts_it() {
        // The request object and `arguments` are two levels.
        let fits = json!({ "a": nested(QEMU_LIMITS.nesting - 2) });
        Request::raw("x", &fits).to_line().unwrap();
        let deep = json!({ "a": nested(QEMU_LIMITS.nesting - 1) });
        let mut out = b"kept".to_vec();
        match Request::raw("x", &deep).write_line(&mut out) {
            Err(RequestError::TooDeep { depth, limit }) => {
                assert_eq!(
                    (depth, limit),
                    (QEMU_LIMITS.nesting + 1, QEMU_LIMITS.nesting)
                );
            }
            other => panic!("expected TooDeep, got {other:?}"),
        }
        assert_eq!(out, b"kept");
        // Brackets inside strings do not count.
        let text = "[".repeat(5000);
        Request::raw("x", &json!({ "a": text })).to_line().unwrap();
        Request::raw("x", &deep)
            .with_limits(None)
            .to_line()
            .unwrap();
    }

    #[test]
    fn depth_of_values() {
        assert_eq!(nesting_depth(&json!(1)), 0);
        assert_eq!(nesting_depth(&json!({"a": [1, {"b": []}], "c": {}})), 4);
        assert_eq!(nesting_depth(&nested(1500)), 1500);
    }

    #[test]
    fn tokens_and_bytes_are_bounded() {
        let limits = ParserLimits {
            nesting: 10,
            tokens: 18,
            bytes: 100,
        };
        // {"execute":"x","arguments":{"a":[1,2,3]}}: 19 tokens.
        let arguments = json!({"a": [1, 2, 3]});
        let err = Request::raw("x", &arguments)
            .with_limits(Some(limits))
            .to_line()
            .unwrap_err();
        assert!(
            matches!(err, RequestError::TooManyTokens { limit: 18 }),
            "{err:?}"
        );
        let fits = ParserLimits {
            tokens: 19,
            ..limits
        };
        Request::raw("x", &arguments)
            .with_limits(Some(fits))
            .to_line()
            .unwrap();
        let long = "y".repeat(100);
        let err = Request::raw("x", &json!({ "a": long }))
            .with_limits(Some(limits))
            .to_line()
            .unwrap_err();
        assert!(
            matches!(err, RequestError::TooLarge { limit: 100 }),
            "{err:?}"
        );
    }
}
