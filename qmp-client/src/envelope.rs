//! A server message split into its top-level members, each left as its
//! JSON text: the reader needs no more to route a message, and an
//! answer's `return` value is then decoded once, by its call, straight
//! into the command's return type (which checks its syntax too).
//!
//! The split is a scan for where each member's value ends, which costs a
//! fraction of serde_json's validating skip over the same bytes (that skip
//! was most of the reader's work per answer). It covers objects whose keys
//! have no escapes, which is every message QEMU sends; anything else (not
//! an object, escaped keys, a repeated member, unbalanced brackets) is
//! left to serde_json, which splits what is valid and says what is wrong
//! with the rest.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// The members routing looks at, as JSON text; the others are ignored.
#[derive(Default)]
pub(crate) struct Members<'a> {
    pub(crate) ret: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
    pub(crate) event: Option<&'a str>,
    pub(crate) data: Option<&'a str>,
    pub(crate) timestamp: Option<&'a str>,
    pub(crate) id: Option<&'a str>,
}

/// The same members through serde_json: for what [`scan`] leaves.
#[derive(Deserialize)]
struct Checked<'a> {
    #[serde(rename = "return", borrow, default, deserialize_with = "present")]
    ret: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    error: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    event: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    data: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
}

/// A member that is there, even as `null` (which `Option` would take for
/// absent), as [`scan`] has it.
fn present<'de, D: Deserializer<'de>>(member: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(member).map(Some)
}

/// Splits `text`, a whole message; what is wrong if it is not a JSON
/// object.
pub(crate) fn split(text: &str) -> Result<Members<'_>, String> {
    if let Some(members) = scan(text) {
        return Ok(members);
    }
    // serde would take an array for the struct's members in order.
    if !text.trim_start().starts_with('{') {
        return Err("not a JSON object".to_owned());
    }
    let checked: Checked<'_> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(Members {
        ret: checked.ret.map(RawValue::get),
        error: checked.error.map(RawValue::get),
        event: checked.event.map(RawValue::get),
        data: checked.data.map(RawValue::get),
        timestamp: checked.timestamp.map(RawValue::get),
        id: checked.id.map(RawValue::get),
    })
}

/// The members of `text` if it is an object with plain keys, each member
/// at most once, and balanced brackets; `None` otherwise.
fn scan(text: &str) -> Option<Members<'_>> {
    let bytes = text.as_bytes();
    let mut members = Members::default();
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
        let slot = match key {
            "return" => &mut members.ret,
            "error" => &mut members.error,
            "event" => &mut members.event,
            "data" => &mut members.data,
            "timestamp" => &mut members.timestamp,
            "id" => &mut members.id,
            _ => &mut None,
        };
        if slot.replace(&text[start..end]).is_some() {
            return None;
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

    fn both(text: &str) -> [Option<String>; 6] {
        let members = split(text).unwrap();
        [
            members.ret,
            members.error,
            members.event,
            members.data,
            members.timestamp,
            members.id,
        ]
        .map(|m| m.map(str::to_owned))
    }

    /// The scan agrees with serde_json wherever it answers.
    fn agrees(text: &str) {
        let scanned = scan(text).map(|m| {
            [m.ret, m.error, m.event, m.data, m.timestamp, m.id].map(|m| m.map(str::to_owned))
        });
        let checked = serde_json::from_str::<Checked<'_>>(text).ok().map(|c| {
            [c.ret, c.error, c.event, c.data, c.timestamp, c.id]
                .map(|m| m.map(|raw| raw.get().to_owned()))
        });
        if let Some(scanned) = scanned {
            assert_eq!(Some(scanned), checked, "{text}");
        }
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
        assert!(scan(event).is_some());
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
            assert!(scan(text).is_some(), "{text}");
            agrees(text);
        }
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
            assert!(scan(text).is_none(), "{text}");
            agrees(text);
        }
        // Valid, with an escaped key: serde_json splits it.
        let [ret, .., id] = both(r#"{"ret\u0075rn": 1, "id": 0}"#);
        assert_eq!((ret.as_deref(), id.as_deref()), (Some("1"), Some("0")));
        assert!(split("[1]").is_err());
        assert!(split(r#"{"id": 0, "id": 1}"#).is_err());
    }
}
