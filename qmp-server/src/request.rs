//! One message of input to one request, or the error QEMU answers for it.
//!
//! The checks and their texts follow QEMU 10.0's monitor (`qmp_dispatch`
//! and its JSON parser), in its order: the JSON itself, then that it is an
//! object, then its members (`execute` or `exec-oob` a string, `arguments`
//! an object, `id` anything, nothing else). An error found after the line
//! parsed as an object echoes its `id`.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use qmp_types::wire::{ErrorClass, QEMU_LIMITS};

/// A request the server understood, whose command is still to be found.
#[derive(Debug)]
pub(crate) struct Request {
    /// The command's name.
    pub name: String,
    /// Whether it came as `exec-oob`.
    pub oob: bool,
    /// The arguments, empty when absent.
    pub arguments: Map<String, Value>,
    /// The id to echo.
    pub id: Option<Value>,
}

/// An error to answer instead of running anything.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refusal {
    /// The error's class.
    pub class: ErrorClass,
    /// The text, in QEMU's words.
    pub desc: String,
    /// The id to echo, when the request had one and got that far.
    pub id: Option<Value>,
}

impl Refusal {
    pub(crate) fn generic(desc: impl Into<String>, id: Option<Value>) -> Refusal {
        Refusal {
            class: ErrorClass::GenericError,
            desc: desc.into(),
            id,
        }
    }
}

/// Parses one message, nested `deepest` levels deep. `oob` says whether
/// the connection negotiated out-of-band execution, without which
/// `exec-oob` is an unexpected member.
pub(crate) fn parse(message: &[u8], deepest: usize, oob: bool) -> Result<Request, Refusal> {
    let value = json(message, deepest).map_err(|desc| Refusal::generic(desc, None))?;
    let Value::Object(mut members) = value else {
        return Err(Refusal::generic("QMP input must be a JSON object", None));
    };
    let id = members.remove("id");
    let refuse = |desc: String| Refusal::generic(desc, id.clone());
    let mut execute = None;
    let mut exec_oob = None;
    let mut arguments = None;
    for (key, value) in members {
        match key.as_str() {
            "execute" | "exec-oob" if key == "execute" || oob => {
                let Value::String(name) = value else {
                    return Err(refuse(format!("QMP input member '{key}' must be a string")));
                };
                if key == "execute" {
                    execute = Some(name);
                } else {
                    exec_oob = Some(name);
                }
            }
            "arguments" => {
                let Value::Object(map) = value else {
                    return Err(refuse(
                        "QMP input member 'arguments' must be an object".to_owned(),
                    ));
                };
                arguments = Some(map);
            }
            _ => return Err(refuse(format!("QMP input member '{key}' is unexpected"))),
        }
    }
    let (name, oob) = match (execute, exec_oob) {
        (Some(_), Some(_)) => {
            return Err(refuse(
                "QMP input member 'execute' clashes with 'exec-oob'".to_owned(),
            ))
        }
        (Some(name), None) => (name, false),
        (None, Some(name)) => (name, true),
        (None, None) => return Err(refuse("QMP input lacks member 'execute'".to_owned())),
    };
    Ok(Request {
        name,
        oob,
        arguments: arguments.unwrap_or_default(),
        id,
    })
}

/// Parses a message's JSON: at most QEMU's nesting depth, each key once
/// per object. The error text is QEMU's where it has the same check.
fn json(message: &[u8], deepest: usize) -> Result<Value, String> {
    if deepest > QEMU_LIMITS.nesting {
        return Err("JSON nesting depth limit exceeded".to_owned());
    }
    let mut deserializer = serde_json::Deserializer::from_slice(message);
    // The depth is checked above, against QEMU's limit, not serde_json's.
    deserializer.disable_recursion_limit();
    let value = StrictValue
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
        .map_err(|e| parse_error(&e))?;
    Ok(value)
}

/// serde_json's error in QEMU's words where they say the same thing.
fn parse_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let what = match text.rsplit_once(" at line ") {
        Some((what, _)) => what,
        None => &text,
    };
    let qemu = match what {
        "expected value" | "EOF while parsing a value" => "expecting value",
        "expected `:`" => "missing : in object pair",
        "key must be a string" => "key is not a string in object",
        other => other,
    };
    format!("JSON parse error, {qemu}")
}

/// A JSON value whose objects may not repeat a key, which QEMU refuses as
/// "duplicate key" and serde_json's `Value` would take silently.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut elements = Vec::new();
        while let Some(element) = seq.next_element_seed(StrictValue)? {
            elements.push(element);
        }
        Ok(Value::Array(elements))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(StrictValue)?;
            if members.insert(key, value).is_some() {
                return Err(serde::de::Error::custom("duplicate key"));
            }
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The depth as the framer measures it, for these tests' inputs.
    fn depth(text: &str) -> usize {
        let mut depth = 0usize;
        let mut deepest = 0;
        for byte in text.bytes() {
            match byte {
                b'{' | b'[' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b'}' | b']' => depth -= 1,
                _ => {}
            }
        }
        deepest
    }

    fn try_parse(text: &str, oob: bool) -> Result<Request, Refusal> {
        parse(text.as_bytes(), depth(text), oob)
    }

    fn refusal(text: &str) -> String {
        try_parse(text, false).unwrap_err().desc
    }

    #[test]
    fn a_plain_request_parses() {
        let request = try_parse(r#"{"execute": "stop", "id": [1, {"x": null}]}"#, false).unwrap();
        assert_eq!(request.name, "stop");
        assert!(!request.oob);
        assert_eq!(request.id, Some(serde_json::json!([1, {"x": null}])));
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert_eq!(
            refusal(r#"{"execute": "a", "arguments": {"x": {"y": 1, "y": 2}}}"#),
            "JSON parse error, duplicate key"
        );
    }

    #[test]
    fn exec_oob_is_unexpected_without_the_capability() {
        assert_eq!(
            refusal(r#"{"exec-oob": "a"}"#),
            "QMP input member 'exec-oob' is unexpected"
        );
        assert!(try_parse(r#"{"exec-oob": "a"}"#, true).unwrap().oob);
    }

    #[test]
    fn nesting_is_bounded_by_qemus_limit() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(try_parse(
            &format!(r#"{{"execute": "a", "id": {}}}"#, deep(1023)),
            false
        )
        .is_ok());
        assert_eq!(
            refusal(&format!(r#"{{"execute": "a", "id": {}}}"#, deep(1024))),
            "JSON nesting depth limit exceeded"
        );
    }
}
