//! Integer types in introspection: QAPI's ten integer built-ins, and the
//! merge that turns an introspection keeping them apart into what QEMU
//! reports.
//!
//! QEMU's `query-qmp-schema` reports every integer type (`int8` …
//! `uint64`, `size`) as the one built-in `int`. The bindings' own
//! introspection (`crate::INTROSPECTION`) keeps each integer type's name
//! instead, so that a server checking arguments by it knows their ranges;
//! [`merge_integer_widths`] gives QEMU's form back, to compare with a live
//! server.

use std::collections::HashSet;
use std::ops::RangeInclusive;

use super::{InfoKind, SchemaInfo};

/// The name QEMU reports every integer type by.
const MERGED: &str = "int";

/// The array of integers as QEMU reports it.
const MERGED_ARRAY: &str = "[int]";

/// QAPI's integer built-in types, in QAPI's order.
pub const INTEGER_TYPES: [&str; 10] = [
    "int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size",
];

/// Whether `name` is one of QAPI's integer built-in types
/// ([`INTEGER_TYPES`]).
pub fn is_integer_type(name: &str) -> bool {
    INTEGER_TYPES.contains(&name)
}

/// The values the integer built-in type `name` accepts, or `None` when
/// `name` is not one ([`INTEGER_TYPES`]). `int` is 64-bit signed, `size`
/// 64-bit unsigned, as in QEMU.
pub fn integer_range(name: &str) -> Option<RangeInclusive<i128>> {
    let range = |min: i128, max: i128| Some(min..=max);
    match name {
        "int" | "int64" => range(i64::MIN.into(), i64::MAX.into()),
        "int8" => range(i8::MIN.into(), i8::MAX.into()),
        "int16" => range(i16::MIN.into(), i16::MAX.into()),
        "int32" => range(i32::MIN.into(), i32::MAX.into()),
        "uint8" => range(0, u8::MAX.into()),
        "uint16" => range(0, u16::MAX.into()),
        "uint32" => range(0, u32::MAX.into()),
        "uint64" | "size" => range(0, u64::MAX.into()),
        _ => None,
    }
}

/// The introspection QEMU would report for `infos`, an introspection that
/// keeps integer types apart (as the bindings' own does): every reference
/// to an integer type (a command's arguments or result, an event's data,
/// a member's, variant's, alternative's or array element's type) becomes
/// `int`, an array of one (`[uint8]`) becomes `[int]`, and of the entries
/// that then share a name (the built-ins themselves, the arrays) only the
/// first is kept, in place.
///
/// Introspecting a schema with integer types kept apart and merging them
/// afterwards gives exactly what introspecting it merged gives, order
/// included. An introspection already merged is returned unchanged.
pub fn merge_integer_widths(infos: Vec<SchemaInfo>) -> Vec<SchemaInfo> {
    let mut seen = HashSet::new();
    infos
        .into_iter()
        .filter_map(|mut info| {
            let merged = merge_info(&mut info);
            (!merged || seen.insert(info.name.clone())).then_some(info)
        })
        .collect()
}

/// Renames what `info` names (itself, when a built-in or an array, and
/// the types it refers to); whether it is now `int` or `[int]`, which may
/// be there already.
fn merge_info(info: &mut SchemaInfo) -> bool {
    let merged = match &mut info.kind {
        InfoKind::Builtin { .. } | InfoKind::Array { .. } => {
            merge_name(&mut info.name);
            info.name == MERGED || info.name == MERGED_ARRAY
        }
        _ => false,
    };
    match &mut info.kind {
        InfoKind::Builtin { .. } | InfoKind::Enum { .. } => {}
        InfoKind::Array { element_type } => merge_name(element_type),
        InfoKind::Object { members, variants } => {
            for member in members {
                merge_name(&mut member.ty);
            }
            for case in variants.iter_mut().flat_map(|v| &mut v.cases) {
                merge_name(&mut case.ty);
            }
        }
        InfoKind::Alternate { members } => members.iter_mut().for_each(merge_name),
        InfoKind::Command {
            arg_type, ret_type, ..
        } => {
            merge_name(arg_type);
            merge_name(ret_type);
        }
        InfoKind::Event { arg_type } => merge_name(arg_type),
    }
    merged
}

/// `int` for an integer type's name, `[int]` for an array of one.
fn merge_name(name: &mut String) {
    let element = name.strip_prefix('[').and_then(|n| n.strip_suffix(']'));
    if is_integer_type(name) {
        MERGED.clone_into(name);
    } else if element.is_some_and(is_integer_type) {
        MERGED_ARRAY.clone_into(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::introspection::parse;

    fn infos(json: &str) -> Vec<SchemaInfo> {
        parse(&serde_json::from_str(json).unwrap()).unwrap()
    }

    #[test]
    fn every_reference_merges_and_duplicates_go() {
        let precise = infos(
            r#"[
{"name": "c", "meta-type": "command", "arg-type": "0", "ret-type": "[size]"},
{"name": "E", "meta-type": "event", "arg-type": "uint8"},
{"name": "0", "meta-type": "object", "members": [{"name": "a", "type": "uint32"}, {"name": "b", "type": "[uint8]", "default": null}], "tag": "a", "variants": [{"case": "x", "type": "int16"}]},
{"name": "[size]", "meta-type": "array", "element-type": "size"},
{"name": "size", "meta-type": "builtin", "json-type": "int"},
{"name": "uint32", "meta-type": "builtin", "json-type": "int"},
{"name": "[uint8]", "meta-type": "array", "element-type": "uint8"},
{"name": "uint8", "meta-type": "builtin", "json-type": "int"},
{"name": "1", "meta-type": "alternate", "members": [{"type": "int64"}, {"type": "str"}]},
{"name": "str", "meta-type": "builtin", "json-type": "string"}
]"#,
        );
        let merged = infos(
            r#"[
{"name": "c", "meta-type": "command", "arg-type": "0", "ret-type": "[int]"},
{"name": "E", "meta-type": "event", "arg-type": "int"},
{"name": "0", "meta-type": "object", "members": [{"name": "a", "type": "int"}, {"name": "b", "type": "[int]", "default": null}], "tag": "a", "variants": [{"case": "x", "type": "int"}]},
{"name": "[int]", "meta-type": "array", "element-type": "int"},
{"name": "int", "meta-type": "builtin", "json-type": "int"},
{"name": "1", "meta-type": "alternate", "members": [{"type": "int"}, {"type": "str"}]},
{"name": "str", "meta-type": "builtin", "json-type": "string"}
]"#,
        );
        assert_eq!(merge_integer_widths(precise), merged);
        assert_eq!(merge_integer_widths(merged.clone()), merged);
    }

    #[test]
    fn only_integer_types_have_a_range() {
        for name in INTEGER_TYPES {
            assert!(is_integer_type(name));
            assert!(integer_range(name).is_some(), "{name}");
        }
        for name in [
            "str", "number", "bool", "any", "null", "QType", "[int]", "0",
        ] {
            assert!(!is_integer_type(name));
            assert_eq!(integer_range(name), None, "{name}");
        }
        assert_eq!(integer_range("uint8"), Some(0..=255));
        assert_eq!(integer_range("int8"), Some(-128..=127));
        assert_eq!(integer_range("size"), Some(0..=i128::from(u64::MAX)));
        assert_eq!(
            integer_range("int"),
            Some(i128::from(i64::MIN)..=i128::from(i64::MAX))
        );
    }
}
