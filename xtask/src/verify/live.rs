//! The live side: `query-qmp-schema` from a running QEMU, read into the
//! same [`SchemaInfo`] form our schema is introspected into.

use std::path::Path;

pub use qmp_types::introspection::parse;
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
