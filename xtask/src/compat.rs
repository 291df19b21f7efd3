//! `cargo xtask compat [--check]`: the cross-release facts of `schema/`
//! against the schemas of the older QEMU releases the tests fetch, written
//! to `schema/compat.txt`, from which `cargo xtask codegen` makes the
//! shipped bindings decode every one of those releases.
//!
//! The facts are names and release numbers only (which member, command,
//! event, enum value or argument an older release lacks), never the older
//! schemas' text.

use std::path::Path;
use std::process::ExitCode;

use qmp_codegen::compat::{self, Compat, Release};
use qmp_codegen::model::Schema;
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

/// The facts file, relative to the workspace root.
pub const FACTS: &str = "schema/compat.txt";
/// The release `schema/` describes.
pub const NEWEST: &str = "10.0";

/// Computes (or checks) the facts.
pub fn run(args: &Args) -> ExitCode {
    let root = project_root();
    let facts = match facts(&root) {
        Ok(facts) => facts,
        Err(error) => {
            eprintln!("xtask compat: {error}");
            return ExitCode::FAILURE;
        }
    };
    let path = root.join(FACTS);
    if args.check {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current.replace("\r\n", "\n") != facts {
            eprintln!("{FACTS} is stale: run `cargo xtask compat`, then `cargo xtask codegen`, and commit both");
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    if let Err(error) = write_if_changed(&path, &facts) {
        eprintln!("xtask compat: cannot write {}: {error}", path.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {FACTS}; run `cargo xtask codegen` to apply it");
    ExitCode::SUCCESS
}

/// The facts text for `schema/` against every fetched older release.
pub fn facts(root: &Path) -> Result<String, String> {
    let releases = match crate::releases::prerequisite(&Context {
        root: root.to_path_buf(),
        required: true,
    }) {
        Status::Ready { .. } => crate::releases::directories(root),
        Status::Missing { problem, fix } => return Err(format!("{problem}; {fix}")),
    };
    let newest = schema(&root.join("schema/qapi-schema.json"))?;
    let mut olds = Vec::new();
    for (name, dir) in releases {
        olds.push((name, schema(&dir.join("qapi/qapi-schema.json"))?));
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

fn schema(path: &Path) -> Result<Schema, String> {
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
        let facts = match facts(&root) {
            Ok(facts) => facts,
            Err(error) if !crate::is_ci() => {
                eprintln!("SKIPPED: {error}");
                return;
            }
            Err(error) => panic!("{error}"),
        };
        let current = std::fs::read_to_string(root.join(FACTS)).unwrap_or_default();
        assert!(
            current.replace("\r\n", "\n") == facts,
            "{FACTS} is stale: run `cargo xtask compat`, then `cargo xtask codegen`, and commit both"
        );
    }
}
