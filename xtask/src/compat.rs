//! `cargo xtask compat [--check]`: the cross-release facts of `schema/`
//! against the schemas of the older QEMU releases the tests fetch, written
//! to `schema/compat.txt`, from which `cargo xtask codegen` makes the
//! shipped bindings decode every one of those releases; and the same for
//! the guest agent's `schema/qga/` (`schema/qga/compat.txt`), against the
//! releases whose agent schema is fetched.
//!
//! The facts are names and release numbers only (which member, command,
//! event, enum value or argument an older release lacks), never the older
//! schemas' text.

use std::path::Path;
use std::process::ExitCode;

use qmp_codegen::compat::{self, Compat, Release};
use qmp_codegen::{check_file, write_if_changed, Options};

use crate::prereq::{Context, Status};
use crate::project_root;

/// Arguments of `cargo xtask compat`.
#[derive(clap::Args)]
pub struct Args {
    /// Only compare with the checked-in facts; exit 1 if they are stale.
    #[arg(long)]
    check: bool,
}

/// One schema of ours and its facts.
pub struct Schema {
    /// Its root file, relative to the workspace root.
    pub root: &'static str,
    /// Its facts file, relative to the workspace root.
    pub facts: &'static str,
    /// The same schema's root file in an older release's directory.
    pub older_root: &'static str,
}

/// QMP's schema.
pub const QMP: Schema = Schema {
    root: "schema/qapi-schema.json",
    facts: "schema/compat.txt",
    older_root: "qapi/qapi-schema.json",
};

/// The guest agent's schema.
pub const AGENT: Schema = Schema {
    root: "schema/qga/qga-schema.json",
    facts: "schema/qga/compat.txt",
    older_root: "qga/qapi-schema.json",
};

/// The facts file of QMP's schema, relative to the workspace root.
pub const FACTS: &str = QMP.facts;
/// The release `schema/` describes.
pub const NEWEST: &str = "10.0";

/// Computes (or checks) the facts.
pub fn run(args: &Args) -> ExitCode {
    let root = project_root();
    for target in [QMP, AGENT] {
        let facts = match facts_of(&root, &target) {
            Ok(facts) => facts,
            Err(error) => {
                eprintln!("xtask compat: {error}");
                return ExitCode::FAILURE;
            }
        };
        let path = root.join(target.facts);
        if args.check {
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if current.replace("\r\n", "\n") != facts {
                eprintln!("{} is stale: {}", target.facts, STALE_FIX);
                return ExitCode::FAILURE;
            }
            continue;
        }
        if let Err(error) = write_if_changed(&path, &facts) {
            eprintln!("xtask compat: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", target.facts);
    }
    if !args.check {
        println!("run `cargo xtask codegen` to apply them");
    }
    ExitCode::SUCCESS
}

/// What to do about stale facts.
const STALE_FIX: &str = "run `cargo xtask compat`, then `cargo xtask codegen`, and commit both";

/// The facts text for `target` against every fetched older release that
/// has its schema.
pub fn facts_of(root: &Path, target: &Schema) -> Result<String, String> {
    let releases = match crate::releases::prerequisite(&Context {
        root: root.to_path_buf(),
        required: true,
    }) {
        Status::Ready { .. } => crate::releases::directories(root),
        Status::Missing { problem, fix } => return Err(format!("{problem}; {fix}")),
    };
    let newest = schema(&root.join(target.root))?;
    let mut olds = Vec::new();
    for (name, dir) in releases {
        let path = dir.join(target.older_root);
        if path.exists() {
            olds.push((name, schema(&path)?));
        }
    }
    let older: Vec<Release<'_>> = olds
        .iter()
        .map(|(name, schema)| Release { name, schema })
        .collect();
    let compat: Compat = compat::analyze(
        Release {
            name: NEWEST,
            schema: &newest,
        },
        &older,
    );
    Ok(compat.to_text())
}

fn schema(path: &Path) -> Result<qmp_codegen::model::Schema, String> {
    let checked = check_file(path, &Options::default()).map_err(|e| e.to_string())?;
    checked
        .schema
        .ok_or_else(|| format!("{} has errors", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checked-in facts match the schemas, when the older releases'
    /// schemas can be had (the test run fetches them first).
    #[test]
    fn facts_are_fresh() {
        let root = project_root();
        for target in [QMP, AGENT] {
            let facts = match facts_of(&root, &target) {
                Ok(facts) => facts,
                Err(error) if !crate::is_ci() => {
                    eprintln!("SKIPPED: {error}");
                    return;
                }
                Err(error) => panic!("{error}"),
            };
            let current = std::fs::read_to_string(root.join(target.facts)).unwrap_or_default();
            assert!(
                current.replace("\r\n", "\n") == facts,
                "{} is stale: {STALE_FIX}",
                target.facts
            );
        }
    }
}
