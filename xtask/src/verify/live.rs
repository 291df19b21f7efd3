//! The live side: `query-qmp-schema` from a running QEMU, read into the
//! same [`SchemaInfo`] form our schema is introspected into.

use std::path::Path;

use qmp_codegen::introspect::{
    EnumMemberInfo, InfoKind, MemberInfo, SchemaInfo, VariantInfo, Variants,
};
use serde_json::Value;

use crate::qmp::{Kind, Server};

/// Starts `binary`, fetches its introspection and quits it. Also returns
/// its release, as its greeting tells it ([`release`]).
pub fn fetch(binary: &Path, kind: Kind) -> Result<(Value, Option<String>), String> {
    let fail = |e: crate::qmp::Error| format!("{}: {e}", binary.display());
    let mut server = Server::start(binary, kind).map_err(fail)?;
    let release = release(&server.qmp.greeting);
    let schema = server.qmp.execute("query-qmp-schema", None).map_err(fail)?;
    server.quit().map_err(fail)?;
    Ok((schema, release))
}

/// `MAJOR.MINOR.MICRO` from a greeting's `QMP` object (`version.qemu`,
/// the same `VersionTriple` `query-version` answers with).
pub fn release(greeting: &Value) -> Option<String> {
    let triple = greeting.get("version")?.get("qemu")?;
    let part = |key: &str| triple.get(key).and_then(Value::as_u64);
    Some(format!(
        "{}.{}.{}",
        part("major")?,
        part("minor")?,
        part("micro")?
    ))
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
