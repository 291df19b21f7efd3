//! QEMU's introspection (`query-qmp-schema`) as plain data: reading it
//! from JSON ([`parse`]), writing it ([`to_json`]), and comparing two of
//! them structurally ([`compare()`], module [`mod@compare`]): a live server against a schema, or
//! against the bindings' own (`crate::INTROSPECTION`).
//!
//! The bindings' own introspection keeps integer types apart (`uint8`,
//! `size`, ...), where QEMU reports them all as `int`:
//! [`merge_integer_widths`] turns it into what QEMU reports before a
//! comparison; [`integer_range`] says what each integer type accepts.
//!
//! The generator (`qmp_codegen::introspect`) produces this data from a
//! schema; the client and `cargo xtask verify` compare with it.

pub mod compare;
mod integers;

use std::fmt::Write as _;

use serde_json::Value;

pub use compare::{compare, Report};
pub use integers::{integer_range, is_integer_type, merge_integer_widths, INTEGER_TYPES};

/// One entry of `query-qmp-schema`'s result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaInfo {
    /// The command's or event's name; a type's number (or name when
    /// unmasked); a built-in's name; `[ELEMENT]` for an array.
    pub name: String,
    /// Feature names, in order.
    pub features: Vec<String>,
    /// What it describes.
    pub kind: InfoKind,
}

/// The meta-type of a [`SchemaInfo`], with its own members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InfoKind {
    /// `builtin`, with its `json-type` (`string`, `number`, `int`,
    /// `boolean`, `null`, `value`).
    Builtin {
        /// How values are sent.
        json_type: String,
    },
    /// `enum`.
    Enum {
        /// The values, in order.
        members: Vec<EnumMemberInfo>,
    },
    /// `array`.
    Array {
        /// The element type's name.
        element_type: String,
    },
    /// `object`: a struct, union or implicit type.
    Object {
        /// Every member outside the variants, base members first.
        members: Vec<MemberInfo>,
        /// For a union: the tag and its variants.
        variants: Option<Variants>,
    },
    /// `alternate`.
    Alternate {
        /// The alternatives' type names, in order.
        members: Vec<String>,
    },
    /// `command`.
    Command {
        /// The arguments' object type.
        arg_type: String,
        /// The result's type.
        ret_type: String,
        /// Whether it may run out of band.
        allow_oob: bool,
    },
    /// `event`.
    Event {
        /// The data's object type.
        arg_type: String,
    },
}

/// One value of an enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumMemberInfo {
    /// The value.
    pub name: String,
    /// Its features.
    pub features: Vec<String>,
}

/// One member of an object type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberInfo {
    /// The wire name.
    pub name: String,
    /// Its type's name.
    pub ty: String,
    /// Whether it may be absent (QEMU: `"default": null`).
    pub optional: bool,
    /// Its features.
    pub features: Vec<String>,
}

/// A union's variant part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variants {
    /// The member whose value selects the variant.
    pub tag: String,
    /// One per tag value.
    pub cases: Vec<VariantInfo>,
}

/// One variant of a union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantInfo {
    /// The tag value.
    pub case: String,
    /// The object type whose members it adds.
    pub ty: String,
}

impl SchemaInfo {
    /// The `meta-type` QEMU reports.
    pub fn meta_type(&self) -> &'static str {
        match self.kind {
            InfoKind::Builtin { .. } => "builtin",
            InfoKind::Enum { .. } => "enum",
            InfoKind::Array { .. } => "array",
            InfoKind::Object { .. } => "object",
            InfoKind::Alternate { .. } => "alternate",
            InfoKind::Command { .. } => "command",
            InfoKind::Event { .. } => "event",
        }
    }
}

/// The name QEMU gives its empty object type.
pub const EMPTY_OBJECT: &str = "q_empty";

/// Writes `infos` as QEMU's JSON: an array with one object per line.
/// Optional members are written as `"default": null`; empty feature lists
/// and a false `allow-oob` are left out, as QEMU does.
pub fn to_json(infos: &[SchemaInfo]) -> String {
    let mut out = String::from("[");
    for (i, info) in infos.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        write_info(&mut out, info);
    }
    out.push_str("\n]\n");
    out
}

fn write_info(out: &mut String, info: &SchemaInfo) {
    out.push_str("{\"name\": ");
    push_str(out, &info.name);
    out.push_str(", \"meta-type\": ");
    push_str(out, info.meta_type());
    match &info.kind {
        InfoKind::Builtin { json_type } => {
            out.push_str(", \"json-type\": ");
            push_str(out, json_type);
        }
        InfoKind::Enum { members } => {
            out.push_str(", \"members\": [");
            for (i, m) in members.iter().enumerate() {
                sep(out, i);
                out.push_str("{\"name\": ");
                push_str(out, &m.name);
                push_features(out, &m.features);
                out.push('}');
            }
            out.push_str("], \"values\": [");
            for (i, m) in members.iter().enumerate() {
                sep(out, i);
                push_str(out, &m.name);
            }
            out.push(']');
        }
        InfoKind::Array { element_type } => {
            out.push_str(", \"element-type\": ");
            push_str(out, element_type);
        }
        InfoKind::Object { members, variants } => {
            out.push_str(", \"members\": [");
            for (i, m) in members.iter().enumerate() {
                sep(out, i);
                out.push_str("{\"name\": ");
                push_str(out, &m.name);
                out.push_str(", \"type\": ");
                push_str(out, &m.ty);
                if m.optional {
                    out.push_str(", \"default\": null");
                }
                push_features(out, &m.features);
                out.push('}');
            }
            out.push(']');
            if let Some(v) = variants {
                out.push_str(", \"tag\": ");
                push_str(out, &v.tag);
                out.push_str(", \"variants\": [");
                for (i, case) in v.cases.iter().enumerate() {
                    sep(out, i);
                    out.push_str("{\"case\": ");
                    push_str(out, &case.case);
                    out.push_str(", \"type\": ");
                    push_str(out, &case.ty);
                    out.push('}');
                }
                out.push(']');
            }
        }
        InfoKind::Alternate { members } => {
            out.push_str(", \"members\": [");
            for (i, ty) in members.iter().enumerate() {
                sep(out, i);
                out.push_str("{\"type\": ");
                push_str(out, ty);
                out.push('}');
            }
            out.push(']');
        }
        InfoKind::Command {
            arg_type,
            ret_type,
            allow_oob,
        } => {
            out.push_str(", \"arg-type\": ");
            push_str(out, arg_type);
            out.push_str(", \"ret-type\": ");
            push_str(out, ret_type);
            if *allow_oob {
                out.push_str(", \"allow-oob\": true");
            }
        }
        InfoKind::Event { arg_type } => {
            out.push_str(", \"arg-type\": ");
            push_str(out, arg_type);
        }
    }
    push_features(out, &info.features);
    out.push('}');
}

fn sep(out: &mut String, i: usize) {
    if i > 0 {
        out.push_str(", ");
    }
}

fn push_features(out: &mut String, features: &[String]) {
    if features.is_empty() {
        return;
    }
    out.push_str(", \"features\": [");
    for (i, f) in features.iter().enumerate() {
        sep(out, i);
        push_str(out, f);
    }
    out.push(']');
}

/// Writes `s` as a JSON string.
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Reads a `query-qmp-schema` result.
pub fn parse(value: &Value) -> Result<Vec<SchemaInfo>, String> {
    let entries = value
        .as_array()
        .ok_or("query-qmp-schema did not return an array")?;
    entries.iter().map(info).collect()
}

fn info(entry: &Value) -> Result<SchemaInfo, String> {
    let name = string(entry, "name")?;
    let meta = string(entry, "meta-type")?;
    let kind = match meta.as_str() {
        "builtin" => InfoKind::Builtin {
            json_type: string(entry, "json-type")?,
        },
        "enum" => InfoKind::Enum {
            members: match entry.get("members") {
                Some(members) => array(members, "members")?
                    .iter()
                    .map(|m| {
                        Ok(EnumMemberInfo {
                            name: string(m, "name")?,
                            features: features(m)?,
                        })
                    })
                    .collect::<Result<_, String>>()?,
                None => array(field(entry, "values")?, "values")?
                    .iter()
                    .map(|v| {
                        Ok(EnumMemberInfo {
                            name: v.as_str().ok_or("enum value not a string")?.to_string(),
                            features: Vec::new(),
                        })
                    })
                    .collect::<Result<_, String>>()?,
            },
        },
        "array" => InfoKind::Array {
            element_type: string(entry, "element-type")?,
        },
        "object" => InfoKind::Object {
            members: array(field(entry, "members")?, "members")?
                .iter()
                .map(|m| {
                    Ok(MemberInfo {
                        name: string(m, "name")?,
                        ty: string(m, "type")?,
                        optional: m.get("default").is_some(),
                        features: features(m)?,
                    })
                })
                .collect::<Result<_, String>>()?,
            variants: match entry.get("tag") {
                None => None,
                Some(_) => Some(Variants {
                    tag: string(entry, "tag")?,
                    cases: array(field(entry, "variants")?, "variants")?
                        .iter()
                        .map(|v| {
                            Ok(VariantInfo {
                                case: string(v, "case")?,
                                ty: string(v, "type")?,
                            })
                        })
                        .collect::<Result<_, String>>()?,
                }),
            },
        },
        "alternate" => InfoKind::Alternate {
            members: array(field(entry, "members")?, "members")?
                .iter()
                .map(|m| string(m, "type"))
                .collect::<Result<_, String>>()?,
        },
        "command" => InfoKind::Command {
            arg_type: string(entry, "arg-type")?,
            ret_type: string(entry, "ret-type")?,
            allow_oob: entry
                .get("allow-oob")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        "event" => InfoKind::Event {
            arg_type: string(entry, "arg-type")?,
        },
        other => return Err(format!("{name}: unknown meta-type {other:?}")),
    };
    Ok(SchemaInfo {
        name,
        features: features(entry)?,
        kind,
    })
}

fn field<'v>(value: &'v Value, key: &str) -> Result<&'v Value, String> {
    value
        .get(key)
        .ok_or_else(|| format!("no {key:?} in {value}"))
}

fn string(value: &Value, key: &str) -> Result<String, String> {
    field(value, key)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{key:?} is not a string in {value}"))
}

fn array<'v>(value: &'v Value, what: &str) -> Result<&'v Vec<Value>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("{what:?} is not an array"))
}

fn features(value: &Value) -> Result<Vec<String>, String> {
    match value.get("features") {
        None => Ok(Vec::new()),
        Some(list) => array(list, "features")?
            .iter()
            .map(|f| {
                f.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "feature is not a string".to_string())
            })
            .collect(),
    }
}
