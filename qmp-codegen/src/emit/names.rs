//! Rust names for QAPI names: one rule, in one place.
//!
//! - Type names are kept as QAPI writes them (`BlockdevOptions`).
//! - Commands and events become UpperCamelCase (`query-status` →
//!   `QueryStatus`, `SHUTDOWN` → `Shutdown`), enum values and union branches
//!   too (`virtio-blk` → `VirtioBlk`).
//! - Members become snake_case (`node-name` → `node_name`).
//! - **The legalizing rule**: a converted name that is a Rust keyword gets a
//!   trailing underscore (`type` → `type_`, `Self` → `Self_`); one that starts
//!   with a digit gets a leading underscore (`1g` → `_1g`).
//!
//! Every Rust name keeps its wire name through serde, so these choices never
//! change what is sent. Two QAPI names that end up the same Rust name are a
//! generation error, never a silent rename.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust's strict and reserved keywords (2021 edition and later).
const KEYWORDS: &[&str] = &[
    "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Makes a converted name a legal identifier (see the module docs).
pub fn legalize(name: String) -> String {
    if KEYWORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}

/// The Rust name of a QAPI type: kept as written.
pub fn type_name(qapi: &str) -> String {
    legalize(qapi.to_owned())
}

/// The Rust name of a command, event, enum value or union branch.
pub fn camel(qapi: &str) -> String {
    // heck drops underscores between digits ("x86_64" → "X8664"); keep the
    // digit groups apart instead, so distinct wire names stay distinct.
    let mut out = String::new();
    for word in qapi.split(['-', '_', '.']) {
        let converted = word.to_upper_camel_case();
        if out.ends_with(|c: char| c.is_ascii_digit())
            && converted.starts_with(|c: char| c.is_ascii_digit())
        {
            out.push('_');
        }
        out.push_str(&converted);
    }
    legalize(out)
}

/// The Rust name of a member.
pub fn snake(qapi: &str) -> String {
    legalize(qapi.replace('.', "_").to_snake_case())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        let cases = [
            (camel("query-status"), "QueryStatus"),
            (camel("qmp_capabilities"), "QmpCapabilities"),
            (camel("SHUTDOWN"), "Shutdown"),
            (camel("BLOCK_JOB_COMPLETED"), "BlockJobCompleted"),
            (camel("virtio-blk-pci"), "VirtioBlkPci"),
            (camel("x86_64"), "X86_64"),
            (camel("1g"), "_1g"),
            (camel("self"), "Self_"),
            (camel("qcow2"), "Qcow2"),
            (snake("node-name"), "node_name"),
            (snake("type"), "type_"),
            (snake("x-perf"), "x_perf"),
            (snake("legacyIOAddr"), "legacy_io_addr"),
            (snake("CPU"), "cpu"),
            (snake("async"), "async_"),
            (snake("0"), "_0"),
            (type_name("BlockdevOptions"), "BlockdevOptions"),
            (type_name("Self"), "Self_"),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}
