//! Where one message ends in the byte stream a client sends.
//!
//! QEMU reads its monitor as a stream of JSON values, not of lines: a
//! message ends where its top-level value does, newline or not. QEMU's own
//! Python client (`qemu.qmp`) relies on that: it sends each request
//! without a newline. So a message here is one top-level JSON value: an
//! object or array when its brackets balance, a string at its closing
//! quote, a number or literal at the next delimiter; a stray `}` or `]`
//! alone. White space between messages is skipped. The scan tracks strings
//! (and their escapes) and bracket depth only; the JSON itself is checked
//! when the message is parsed.
//!
//! A message longer than the limit is skipped as it streams by, never
//! held: only the scan's state is kept until it ends.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The largest buffer kept from one message to the next.
const KEEP_CAPACITY: usize = 64 * 1024;

/// How a read ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Message {
    /// A whole message is in the buffer; `deepest` is its nesting depth.
    Whole {
        /// Objects and arrays open at once, at most.
        deepest: usize,
    },
    /// The message was longer than the limit and was skipped to its end.
    TooLong,
    /// The stream ended (a message cut short by the end is dropped: no
    /// one is left to answer).
    End,
}

/// The scan's state within one message.
#[derive(Debug, Default)]
struct Scan {
    depth: usize,
    deepest: usize,
    started: bool,
    in_string: bool,
    escaped: bool,
    /// In a number or literal at the top level.
    bare: bool,
}

impl Scan {
    /// Scans `bytes`: how many belong to the current message (leading
    /// white space included), and whether it ends there.
    fn feed(&mut self, bytes: &[u8]) -> (usize, bool) {
        for (at, &byte) in bytes.iter().enumerate() {
            if self.in_string {
                match byte {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => {
                        self.in_string = false;
                        if self.depth == 0 {
                            return (at + 1, true);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            if self.bare {
                if byte.is_ascii_whitespace() || b"{}[],:\"".contains(&byte) {
                    // The delimiter belongs to what follows.
                    return (at, true);
                }
                continue;
            }
            match byte {
                b' ' | b'\t' | b'\r' | b'\n' => {}
                b'"' => {
                    self.started = true;
                    self.in_string = true;
                }
                b'{' | b'[' => {
                    self.started = true;
                    self.depth += 1;
                    self.deepest = self.deepest.max(self.depth);
                }
                b'}' | b']' => {
                    self.started = true;
                    // A stray closer at the top level is a message of its
                    // own, which the parser refuses.
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return (at + 1, true);
                    }
                }
                _ => {
                    self.started = true;
                    if self.depth == 0 {
                        self.bare = true;
                    }
                }
            }
        }
        (bytes.len(), false)
    }
}

/// Reads the next message into `message` (cleared first), holding at most
/// `limit` bytes of it.
pub(crate) async fn read_message<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    message: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Message> {
    // A large message's buffer is not kept for the small ones after it.
    if message.capacity() > KEEP_CAPACITY {
        *message = Vec::new();
    }
    message.clear();
    let mut scan = Scan::default();
    let mut too_long = false;
    loop {
        let buffer = reader.fill_buf().await?;
        if !scan.started {
            // White space between messages is no part of either: it does
            // not count against the limit.
            let blank = buffer
                .iter()
                .take_while(|byte| byte.is_ascii_whitespace())
                .count();
            if blank > 0 {
                reader.consume(blank);
                continue;
            }
        }
        if buffer.is_empty() {
            // A number or literal ends with the stream; anything else cut
            // short is dropped.
            return Ok(match () {
                () if scan.bare && !too_long => Message::Whole {
                    deepest: scan.deepest,
                },
                () => Message::End,
            });
        }
        let (used, done) = scan.feed(buffer);
        if !too_long && message.len() + used <= limit {
            message.extend_from_slice(&buffer[..used]);
        } else if !too_long {
            too_long = true;
            *message = Vec::new();
        }
        reader.consume(used);
        if done {
            return Ok(if too_long {
                Message::TooLong
            } else {
                Message::Whole {
                    deepest: scan.deepest,
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages in `input`, as text, or `TooLong`.
    async fn messages(input: &[u8], limit: usize) -> Vec<String> {
        let mut reader = tokio::io::BufReader::with_capacity(3, input);
        let mut message = Vec::new();
        let mut all = Vec::new();
        loop {
            match read_message(&mut reader, &mut message, limit)
                .await
                .unwrap()
            {
                Message::Whole { .. } => {
                    all.push(String::from_utf8_lossy(&message).trim().to_owned())
                }
                Message::TooLong => all.push("TooLong".to_owned()),
                Message::End => return all,
            }
        }
    }

    #[tokio::test]
    async fn messages_end_with_their_value_newline_or_not() {
        assert_eq!(
            messages(br#"{"a": "}{\"]"}{"b": [1, {}]}  42 "x" null]}"#, 100).await,
            [
                r#"{"a": "}{\"]"}"#,
                r#"{"b": [1, {}]}"#,
                "42",
                r#""x""#,
                "null",
                "]",
                "}"
            ]
        );
        assert_eq!(
            messages(b"{\"execute\":\n \"stop\"}\n\n  \n", 100).await,
            ["{\"execute\":\n \"stop\"}"]
        );
    }

    #[tokio::test]
    async fn a_message_past_the_limit_is_skipped_whole() {
        let long = format!(r#"{{"id": "{}"}}"#, "x".repeat(50));
        let input = format!(r#"{long}{{"a": 1}}"#);
        assert_eq!(
            messages(input.as_bytes(), 20).await,
            ["TooLong", r#"{"a": 1}"#]
        );
    }

    #[tokio::test]
    async fn white_space_between_messages_does_not_count_against_the_limit() {
        let input = format!("{0}\n\n   {0}\n", r#"{"execute": "x"}"#);
        assert_eq!(
            messages(input.as_bytes(), 18).await,
            [r#"{"execute": "x"}"#, r#"{"execute": "x"}"#]
        );
    }

    #[tokio::test]
    async fn the_depth_is_measured() {
        let mut reader = &b"[[[{}]]]"[..];
        let mut message = Vec::new();
        assert_eq!(
            read_message(&mut reader, &mut message, 100).await.unwrap(),
            Message::Whole { deepest: 4 }
        );
    }
}
