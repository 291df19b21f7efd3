//! The live side: `query-qmp-schema` from a running QEMU, read into the
//! same [`SchemaInfo`](qmp_types::introspection::SchemaInfo) form our schema is introspected into.

use std::path::Path;

pub use qmp_types::introspection::parse;
use serde_json::Value;

use crate::qmp::{Kind, Server};

/// What a live server told about itself besides its introspection.
pub struct Identity {
    /// Its release, as its greeting tells it ([`release`]).
    pub release: Option<String>,
    /// Its target architecture (`query-target`'s `arch`), for a system
    /// emulator.
    pub arch: Option<String>,
}

/// Starts `binary`, fetches its introspection and quits it. Also returns
/// what it tells about itself.
pub fn fetch(binary: &Path, kind: Kind) -> Result<(Value, Identity), String> {
    let fail = |e: crate::qmp::Error| format!("{}: {e}", binary.display());
    let mut server = Server::start(binary, kind).map_err(fail)?;
    let release = release(&server.qmp.greeting);
    let schema = server.qmp.execute("query-qmp-schema", None).map_err(fail)?;
    let arch = match kind {
        Kind::System => server
            .qmp
            .execute("query-target", None)
            .map_err(fail)?
            .get("arch")
            .and_then(Value::as_str)
            .map(str::to_owned),
        Kind::StorageDaemon => None,
    };
    server.quit().map_err(fail)?;
    Ok((schema, Identity { release, arch }))
}

/// The condition symbol that holds for a target architecture, as
/// `schema/qapi-schema.json` documents them: `QMP_TARGET_` and the
/// architecture's family, as QEMU groups them (`x86_64` with `i386`,
/// `aarch64` with `arm`, `ppc64` with `ppc`, ...).
pub fn target_symbol(arch: &str) -> String {
    let family = match arch {
        "x86_64" | "i386" => "i386",
        "aarch64" | "arm" => "arm",
        "ppc64" | "ppc" => "ppc",
        "riscv32" | "riscv64" => "riscv",
        "sparc64" | "sparc" => "sparc",
        "microblazeel" | "microblaze" => "microblaze",
        "sh4eb" | "sh4" => "sh4",
        "xtensaeb" | "xtensa" => "xtensa",
        arch if arch.starts_with("mips") => "mips",
        arch => arch,
    };
    format!("QMP_TARGET_{}", family.to_ascii_uppercase())
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
