//! `cargo xtask verify --qemu BINARY [--schema PATH]`: prove a schema
//! against a live QEMU.
//!
//! Starts the binary with a QMP monitor on a socket in a temporary
//! directory ([`crate::qmp`]), negotiates, fetches `query-qmp-schema`,
//! quits, and compares the result structurally with what our schema would
//! report ([`qmp_codegen::introspect`]), as [`compare`] describes. Prints
//! one line per difference and per missing command or event, then
//!
//! ```text
//! verify: commands <have>/<live>, events <have>/<live>, mismatches <n>
//! ```
//!
//! where *have* counts the live commands (events) our schema defines and
//! *mismatches* every line except the `missing ...` ones. The exit status
//! is 0 only when both coverages are complete and there are no mismatches.
//!
//! Conditional parts of our schema are absent unless `--define SYMBOL`
//! names the configuration symbols that hold.

pub mod compare;
pub mod live;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use qmp_codegen::introspect::{self, Conditions, Config, SchemaInfo};
use serde_json::Value;

use crate::qmp::Kind;

/// Where the live introspection comes from.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct Source {
    /// The QEMU binary to start, e.g. `qemu-system-x86_64`.
    #[arg(long, value_name = "BINARY")]
    qemu: Option<PathBuf>,
    /// Read a `query-qmp-schema` result saved with `--dump` instead.
    #[arg(long, value_name = "FILE")]
    live: Option<PathBuf>,
}

/// The live introspection options shared by `verify` and `draft`.
#[derive(clap::Args)]
pub struct LiveArgs {
    #[command(flatten)]
    source: Source,
    /// How to start the binary; by default told from its name or `--help`.
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// Also write the live introspection (JSON) to this file.
    #[arg(long, value_name = "PATH")]
    dump: Option<PathBuf>,
}

impl LiveArgs {
    /// The kind of binary, when one is started.
    pub fn kind(&self) -> Option<Kind> {
        let binary = self.source.qemu.as_deref()?;
        Some(self.kind.unwrap_or_else(|| Kind::detect(binary)))
    }

    /// Fetches (or reads) the live introspection, dumping it if asked.
    pub fn load(&self) -> Result<Vec<SchemaInfo>, String> {
        let value: Value = match (&self.source.qemu, &self.source.live) {
            (Some(binary), _) => live::fetch(binary, self.kind().unwrap_or(Kind::System))?,
            (None, Some(file)) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?
            }
            (None, None) => return Err("give --qemu BINARY or --live FILE".to_string()),
        };
        if let Some(path) = &self.dump {
            let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
            std::fs::write(path, text + "\n")
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        live::parse(&value)
    }
}

/// Arguments of `cargo xtask verify`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    live: LiveArgs,
    /// The root file of our schema.
    #[arg(long, default_value = "schema/qapi-schema.json")]
    schema: PathBuf,
    /// A configuration symbol that holds for the binary (repeatable);
    /// parts of our schema under other conditions are absent.
    #[arg(long = "define", value_name = "SYMBOL")]
    defines: Vec<String>,
}

/// Runs the verification.
pub fn run(args: &Args) -> ExitCode {
    let start = Instant::now();
    let live = match args.live.load() {
        Ok(live) => live,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let conditions = if args.defines.is_empty() {
        Conditions::AllAbsent
    } else {
        Conditions::Defined(args.defines.iter().cloned().collect())
    };
    let ours = match introspect_file(&args.schema, conditions) {
        Ok(ours) => ours,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = compare::compare(&live, &ours);
    let mut out = std::io::stdout().lock();
    for line in &report.lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "{}", report.summary());
    eprintln!("verify: took {:.2?}", start.elapsed());
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Checks the schema at `path` and introspects it (names masked).
pub fn introspect_file(path: &Path, conditions: Conditions) -> Result<Vec<SchemaInfo>, String> {
    let schema = load_schema(path)?;
    Ok(introspect::introspect(
        &schema,
        &Config {
            unmask: false,
            conditions,
        },
    ))
}

/// Checks the schema at `path`; its errors are printed, and fail.
pub fn load_schema(path: &Path) -> Result<qmp_codegen::model::Schema, String> {
    let checked = qmp_codegen::check_file(path, &Default::default()).map_err(|e| e.to_string())?;
    if checked.has_errors() {
        for diagnostic in &checked.diagnostics {
            eprintln!("{}", diagnostic.render(&checked.sources, false));
        }
    }
    checked
        .schema
        .ok_or_else(|| format!("{} has errors", path.display()))
}
