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
//! Which root and which conditions: the kind of binary (told from its
//! name or `--help`, or given with `--kind`) picks our root file
//! (`schema/qapi-schema.json` for a system emulator,
//! `schema/storage-daemon.json` for the storage daemon) and defines its
//! condition symbol (`QMP_SYSTEM` or `QMP_STORAGE_DAEMON`, see the
//! roots' header comments). `--schema` names another root; `--define
//! SYMBOL` adds symbols that hold too. Conditional parts of the schema
//! under any other symbol are absent.

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
    /// The kind of binary: the one started (`--kind`, else told from
    /// the binary), or `--kind` for a saved introspection.
    pub fn kind(&self) -> Option<Kind> {
        match self.source.qemu.as_deref() {
            Some(binary) => Some(self.kind.unwrap_or_else(|| Kind::detect(binary))),
            None => self.kind,
        }
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
    /// The root file of our schema; by default the kind's root in
    /// `schema/` ([`default_root`]).
    #[arg(long)]
    schema: Option<PathBuf>,
    /// A configuration symbol that holds for the binary besides the
    /// kind's own ([`kind_symbol`]) (repeatable); parts of our schema
    /// under other conditions are absent.
    #[arg(long = "define", value_name = "SYMBOL")]
    defines: Vec<String>,
}

/// Our schema's root for a kind of binary, relative to the workspace.
pub fn default_root(kind: Kind) -> &'static str {
    match kind {
        Kind::System => "schema/qapi-schema.json",
        Kind::StorageDaemon => "schema/storage-daemon.json",
    }
}

/// The condition symbol that holds for a kind of binary, as the header
/// of `schema/qapi-schema.json` documents it.
pub fn kind_symbol(kind: Kind) -> &'static str {
    match kind {
        Kind::System => "QMP_SYSTEM",
        Kind::StorageDaemon => "QMP_STORAGE_DAEMON",
    }
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
    let kind = args.live.kind().unwrap_or(Kind::System);
    let mut defines: Vec<String> = vec![kind_symbol(kind).to_string()];
    defines.extend(args.defines.iter().cloned());
    let conditions = Conditions::Defined(defines.into_iter().collect());
    let schema = args
        .schema
        .clone()
        .unwrap_or_else(|| crate::project_root().join(default_root(kind)));
    let ours = match introspect_file(&schema, conditions) {
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
