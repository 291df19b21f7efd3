//! Checks a command's arguments against the schema before a handler sees
//! them, and words what is wrong as QEMU does.
//!
//! QEMU decodes arguments with its input visitor, which walks the schema's
//! type and the value side by side and stops at the first mistake. This
//! walk follows it: members in schema order (base members first, then the
//! variant's), a missing member where it is visited, unexpected members when
//! an object is done. The texts, checked against QEMU 10.0 by the
//! differential test:
//!
//! | mistake | text |
//! | --- | --- |
//! | missing | `Parameter 'a.b' is missing` |
//! | not asked for | `Parameter 'a.b' is unexpected` |
//! | wrong JSON type | `Invalid parameter type for 'a.b', expected: string` (`boolean`, `integer`, `number`, `null`, `object`, `array`) |
//! | unknown enum value | `Parameter 'b' does not accept value 'x'` |
//! | no alternative fits | `Invalid parameter type for 'b', expected: BlockdevRef` |
//! | unsigned not a number | `Parameter 'a.b' expects uint64` |
//! | out of range | `Parameter 'b' expects uint32_t` (`int8_t`, ...) |
//!
//! `a.b` is the member's path (`bitmaps[1].node` inside arrays); the enum,
//! alternate and range texts name the member alone, `null` for an array
//! element, as QEMU does.
//!
//! Where QEMU's choice depends on its hash table's order (which of several
//! unexpected members it names), the first in the request is named.

use serde_json::{Map, Value};

use qmp_types::introspection::{integer_range, InfoKind, MemberInfo};

use crate::schema::Schema;

/// Checks `arguments` against the object type `arg_type`; the text of the
/// first mistake, in QEMU's words.
pub(crate) fn arguments(
    schema: &Schema,
    arg_type: &str,
    arguments: &Map<String, Value>,
) -> Result<(), String> {
    let walk = Walk { schema };
    walk.object_members(arg_type, arguments, &Path::root())
}

/// Where a value sits: its full path for most messages, and its own name
/// (`None` for an array element) for the few QEMU words with that alone.
#[derive(Clone, Debug)]
struct Path {
    full: String,
    name: Option<String>,
}

impl Path {
    fn root() -> Path {
        Path {
            full: String::new(),
            name: None,
        }
    }

    fn member(&self, name: &str) -> Path {
        let full = if self.full.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.full)
        };
        Path {
            full,
            name: Some(name.to_owned()),
        }
    }

    fn element(&self, index: usize) -> Path {
        Path {
            full: format!("{}[{index}]", self.full),
            name: None,
        }
    }

    /// The member's own name, `null` for an array element.
    fn own(&self) -> &str {
        self.name.as_deref().unwrap_or("null")
    }
}

fn invalid_type(path: &Path, expected: &str) -> String {
    format!(
        "Invalid parameter type for '{}', expected: {expected}",
        path.full
    )
}

struct Walk<'a> {
    schema: &'a Schema,
}

impl Walk<'_> {
    fn value(&self, ty: &str, value: &Value, path: &Path) -> Result<(), String> {
        let Some(info) = self.schema.get(ty) else {
            // Schema::from_infos refuses dangling names.
            return Err(format!("internal error: type '{ty}' is not in the schema"));
        };
        match &info.kind {
            InfoKind::Builtin { json_type } => builtin(&info.name, json_type, value, path),
            InfoKind::Enum { members } => {
                let Value::String(text) = value else {
                    return Err(invalid_type(path, "string"));
                };
                if members.iter().any(|m| m.name == *text) {
                    Ok(())
                } else {
                    Err(format!(
                        "Parameter '{}' does not accept value '{text}'",
                        path.own()
                    ))
                }
            }
            InfoKind::Array { element_type } => {
                let Value::Array(elements) = value else {
                    return Err(invalid_type(path, "array"));
                };
                for (i, element) in elements.iter().enumerate() {
                    self.value(element_type, element, &path.element(i))?;
                }
                Ok(())
            }
            InfoKind::Object { .. } => {
                let Value::Object(map) = value else {
                    return Err(invalid_type(path, "object"));
                };
                self.object_members(ty, map, path)
            }
            InfoKind::Alternate { members } => match self.alternative(members, value) {
                Some(branch) => self.value(branch, value, path),
                None => Err(format!(
                    "Invalid parameter type for '{}', expected: {}",
                    path.own(),
                    info.name
                )),
            },
            InfoKind::Command { .. } | InfoKind::Event { .. } => {
                Err(format!("internal error: '{ty}' is not a type"))
            }
        }
    }

    /// Checks the members of object type `ty` (its variant's too), then
    /// that `map` has no others.
    fn object_members(
        &self,
        ty: &str,
        map: &Map<String, Value>,
        path: &Path,
    ) -> Result<(), String> {
        let Some(InfoKind::Object { members, variants }) = self.schema.get(ty).map(|i| &i.kind)
        else {
            return Err(format!("internal error: '{ty}' is not an object type"));
        };
        let mut known: Vec<&MemberInfo> = members.iter().collect();
        self.members(members, map, path)?;
        if let Some(variants) = variants {
            // The tag is a checked enum member by now.
            let tag = map.get(&variants.tag).and_then(Value::as_str);
            let case = variants.cases.iter().find(|c| Some(c.case.as_str()) == tag);
            if let Some(case) = case {
                if let Some(InfoKind::Object { members, .. }) =
                    self.schema.get(&case.ty).map(|i| &i.kind)
                {
                    self.members(members, map, path)?;
                    known.extend(members);
                }
            }
        }
        match map
            .keys()
            .find(|key| !known.iter().any(|m| m.name == **key))
        {
            Some(key) => Err(format!(
                "Parameter '{}' is unexpected",
                path.member(key).full
            )),
            None => Ok(()),
        }
    }

    fn members(
        &self,
        members: &[MemberInfo],
        map: &Map<String, Value>,
        path: &Path,
    ) -> Result<(), String> {
        for member in members {
            let at = path.member(&member.name);
            match map.get(&member.name) {
                Some(value) => self.value(&member.ty, value, &at)?,
                None if member.optional => {}
                None => return Err(format!("Parameter '{}' is missing", at.full)),
            }
        }
        Ok(())
    }

    /// The alternative a value takes, chosen by its JSON type as QEMU does.
    fn alternative<'m>(&self, members: &'m [String], value: &Value) -> Option<&'m str> {
        let kind_of = |ty: &str| -> Option<&str> {
            match &self.schema.get(ty)?.kind {
                InfoKind::Builtin { json_type } => Some(match json_type.as_str() {
                    "string" => "string",
                    "boolean" => "boolean",
                    "null" => "null",
                    "int" => "int",
                    "number" => "number",
                    _ => "value",
                }),
                InfoKind::Enum { .. } => Some("string"),
                InfoKind::Object { .. } => Some("object"),
                InfoKind::Array { .. } => Some("array"),
                _ => None,
            }
        };
        let wanted: &[&str] = match value {
            Value::String(_) => &["string"],
            Value::Bool(_) => &["boolean"],
            Value::Null => &["null"],
            Value::Object(_) => &["object"],
            Value::Array(_) => &["array"],
            Value::Number(n) if n.is_f64() => &["number"],
            Value::Number(_) => &["int", "number"],
        };
        wanted.iter().find_map(|want| {
            members
                .iter()
                .find(|m| kind_of(m) == Some(want))
                .map(String::as_str)
        })
    }
}

/// Checks a value of a built-in type.
fn builtin(name: &str, json_type: &str, value: &Value, path: &Path) -> Result<(), String> {
    let ok = match json_type {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "int" => return integer(name, value, path),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(invalid_type(path, json_type))
    }
}

/// Checks an integer, by its type's width when the introspection names it
/// (`int` alone is QEMU's `int64`).
fn integer(name: &str, value: &Value, path: &Path) -> Result<(), String> {
    let range = integer_range(name).unwrap_or(i64::MIN.into()..=i64::MAX.into());
    let n = if *range.start() < 0 {
        let Some(n) = value.as_i64() else {
            return Err(invalid_type(path, "integer"));
        };
        i128::from(n)
    } else {
        // QEMU takes a negative number for an unsigned one, as its two's
        // complement.
        let Some(n) = value.as_u64().or_else(|| value.as_i64().map(|n| n as u64)) else {
            return Err(format!("Parameter '{}' expects uint64", path.full));
        };
        i128::from(n)
    };
    if range.contains(&n) {
        Ok(())
    } else {
        // Only the narrower types get here: `int8` is `int8_t` in C.
        Err(format!("Parameter '{}' expects {name}_t", path.own()))
    }
}
