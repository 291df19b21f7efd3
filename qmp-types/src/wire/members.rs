//! A message split into its top-level members, each left as its JSON
//! text: a peer needs no more to route a message, and a value is then
//! decoded once, by whoever wants it, straight into its type (which checks
//! its syntax too). The client splits answers and events by `return`,
//! `error`, `event`, `data`, `timestamp` and `id`; a server splits
//! requests by `execute`, `exec-oob`, `arguments` and `id`.
//!
//! The split is a scan for where each member's value ends, which costs a
//! fraction of serde_json's validating skip over the same bytes (that skip
//! was most of the client's work per answer). It covers objects whose keys
//! have no escapes, which is every message QEMU sends; anything else (not
//! an object, escaped keys, a repeated member, unbalanced brackets) is
//! left to serde_json, which splits what is valid and says what is wrong
//! with the rest.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The members of a message that were asked for, in the order of the keys
/// given to [`split`], as JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Members<'a, const N: usize> {
    /// Each asked-for member's value, `None` where it is absent.
    pub values: [Option<&'a str>; N],
    /// The first member that was not asked for, if any (a server refuses
    /// requests with unexpected members; a client ignores them).
    pub unexpected: Option<String>,
}

/// Splits `text`, a whole message, into the members named by `keys`.
///
/// Fails, saying what is wrong, when `text` is not a JSON object or names
/// one of `keys` twice.
///
/// ```
/// let members = qmp_types::wire::split(r#"{"return": {}, "id": 7}"#, &["return", "id"]).unwrap();
/// assert_eq!(members.values, [Some("{}"), Some("7")]);
/// ```
pub fn split<'a, const N: usize>(
    text: &'a str,
    keys: &[&str; N],
) -> Result<Members<'a, N>, String> {
    if let Some(members) = scan(text, keys) {
        return Ok(members);
    }
    // serde would take an array for a struct's members in order.
    if !text.trim_start().starts_with('{') {
        return Err("not a JSON object".to_owned());
    }
    let entries: Entries<'a> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut members = Members {
        values: [None; N],
        unexpected: None,
    };
    for (key, value) in entries.0 {
        match keys.iter().position(|k| *k == key) {
            Some(i) if members.values[i].is_some() => {
                return Err(format!("member `{key}` appears twice"))
            }
            Some(i) => members.values[i] = Some(value.get()),
            None if members.unexpected.is_none() => members.unexpected = Some(key),
            None => {}
        }
    }
    Ok(members)
}

/// An object's members in order, through serde_json: for what [`scan`]
/// leaves.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// The members of `text` if it is an object with plain keys, each member
/// at most once, and balanced brackets; `None` otherwise.
fn scan<'a, const N: usize>(text: &'a str, keys: &[&str; N]) -> Option<Members<'a, N>> {
    let bytes = text.as_bytes();
    let mut members = Members {
        values: [None; N],
        unexpected: None,
    };
    let mut at = blank(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = blank(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return (blank(bytes, at + 1) == bytes.len()).then_some(members);
    }
    loop {
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let key_end = at + 1 + bytes[at + 1..].iter().position(|b| *b == b'"')?;
        let key = &text[at + 1..key_end];
        if key.contains('\\') {
            return None;
        }
        at = blank(bytes, key_end + 1);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        let start = blank(bytes, at + 1);
        let end = value_end(bytes, start)?;
        match keys.iter().position(|k| *k == key) {
            Some(i) => {
                if members.values[i].replace(&text[start..end]).is_some() {
                    return None;
                }
            }
            None => {
                if members.unexpected.is_none() {
                    members.unexpected = Some(key.to_owned());
                }
            }
        }
        at = blank(bytes, end);
        match bytes.get(at) {
            Some(b',') => at = blank(bytes, at + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    (blank(bytes, at + 1) == bytes.len()).then_some(members)
}

/// The first index from `at` that is not JSON white space.
fn blank(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// Where the value starting at `start` ends: after its closing quote or
/// bracket, or before the delimiter that ends a number or literal.
fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    match *bytes.get(start)? {
        b'"' => string_end(bytes, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut at = start;
            loop {
                match *bytes.get(at)? {
                    b'"' => {
                        at = string_end(bytes, at)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(at + 1);
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
        }
        _ => {
            let length = bytes[start..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(bytes.len() - start);
            (length > 0).then_some(start + length)
        }
    }
}

/// Where the string whose opening quote is at `start` ends: after its
/// closing quote.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    loop {
        match *bytes.get(at)? {
            b'"' => return Some(at + 1),
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 6] = ["return", "error", "event", "data", "timestamp", "id"];

    fn both(text: &str) -> [Option<String>; 6] {
        split(text, &KEYS)
            .unwrap()
            .values
            .map(|m| m.map(str::to_owned))
    }

    /// The scan agrees with serde_json wherever it answers.
    fn agrees(text: &str) {
        let Some(scanned) = scan(text, &KEYS) else {
            return;
        };
        let entries: Entries<'_> = serde_json::from_str(text).unwrap();
        let mut values = [None; 6];
        let mut unexpected = None;
        for (key, value) in &entries.0 {
            match KEYS.iter().position(|k| k == key) {
                Some(i) => values[i] = Some(value.get()),
                None => unexpected = unexpected.or(Some(key.clone())),
            }
        }
        assert_eq!(scanned.values, values, "{text}");
        assert_eq!(scanned.unexpected, unexpected, "{text}");
    }

    #[test]
    fn qemu_messages_are_scanned() {
        let answer = r#"{"return": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": "v10.0.2"}, "id": 0}"#;
        let [ret, _, _, _, _, id] = both(answer);
        assert_eq!(
            ret.as_deref(),
            Some(r#"{"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": "v10.0.2"}"#)
        );
        assert_eq!(id.as_deref(), Some("0"));
        let event = r#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}"#;
        assert!(scan(event, &KEYS).is_some());
        let [_, _, name, data, timestamp, _] = both(event);
        assert_eq!(name.as_deref(), Some(r#""STOP""#));
        assert_eq!(data, None);
        assert_eq!(
            timestamp.as_deref(),
            Some(r#"{"seconds": 1, "microseconds": 2}"#)
        );
        for text in [
            answer,
            event,
            r#"{"error": {"class": "GenericError", "desc": "a \"quoted\" }]"}, "id": 12}"#,
            r#"{"return": [[], {}, "[", "\\"], "id": "x"}"#,
            r#"{"return": -1.5e3, "id": null}"#,
            r#" { "return" : true , "other" : [1, {"id": 3}] , "id" : 7 } "#,
            "{}",
        ] {
            assert!(scan(text, &KEYS).is_some(), "{text}");
            agrees(text);
        }
    }

    #[test]
    fn members_not_asked_for_are_named() {
        let request = r#"{"execute": "stop", "argument": {}, "id": 1}"#;
        let members = split(request, &["execute", "arguments", "id"]).unwrap();
        assert_eq!(members.values, [Some(r#""stop""#), None, Some("1")]);
        assert_eq!(members.unexpected.as_deref(), Some("argument"));
        let escaped = r#"{"execute": "stop", "\u0061rgument": {}}"#;
        let members = split(escaped, &["execute", "arguments", "id"]).unwrap();
        assert_eq!(members.unexpected.as_deref(), Some("argument"));
    }

    #[test]
    fn anything_else_is_left_to_serde() {
        for text in [
            "this is not JSON",
            "[1]",
            r#"{"ret\u0075rn": 1, "id": 0}"#,
            r#"{"id": 0, "id": 1}"#,
            r#"{"return": {"a": [}, "id": 0}"#,
            r#"{"return": "open, "id": 0}"#,
            r#"{"return": 1 "id": 0}"#,
            r#"{"return": 1,}"#,
            r#"{"return": 1} trailing"#,
            r#"{"return": , "id": 0}"#,
            "{",
        ] {
            assert!(scan(text, &KEYS).is_none(), "{text}");
            agrees(text);
        }
        // Valid, with an escaped key: serde_json splits it.
        let [ret, .., id] = both(r#"{"ret\u0075rn": 1, "id": 0}"#);
        assert_eq!((ret.as_deref(), id.as_deref()), (Some("1"), Some("0")));
        assert!(split("[1]", &KEYS).is_err());
        assert_eq!(
            split(r#"{"id": 0, "id": 1}"#, &KEYS).unwrap_err(),
            "member `id` appears twice"
        );
    }
}
