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
//! **Older releases.** When the live server is older than the release
//! `schema/` describes ([`crate::compat::NEWEST`]; its release is read
//! from its greeting, or given with `--release`), the cross-release facts
//! (`schema/compat.txt`) say which differences are expected, as
//! [`explain`] describes. Unexplained differences are printed one line
//! each as above; what only the older release has, one line each after
//! `older only: `; explained ones are counted per kind on a line
//!
//! ```text
//! verify: QEMU <release> is older than schema/ (<newest>): explained <n> commands, <n> events, <n> members, <n> values, <n> variants, <n> arguments; older only <n>
//! ```
//!
//! and listed (`explained (FACT; ...): LINE`) only with `--verbose`.
//! The summary then counts coverage against what the live release can
//! have (live commands and events that are older only left out) and
//! only unexplained differences as mismatches. Against the newest release
//! (or one of unknown release) nothing of this applies.
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
pub mod explain;
pub mod live;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use qmp_codegen::introspect::{self, Conditions, Config, SchemaInfo};
use serde_json::Value;

use qmp_codegen::compat::Compat;

use crate::compat::{FACTS, NEWEST};
use crate::qmp::Kind;
use compare::What;
use explain::Class;

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

/// A live introspection and, when known, the server's release.
pub struct Live {
    /// The introspection.
    pub infos: Vec<SchemaInfo>,
    /// `MAJOR.MINOR.MICRO`, from the greeting; none for `--live`.
    pub release: Option<String>,
    /// The system emulator's target architecture (`query-target`); none
    /// for the storage daemon and `--live` (give `--define` instead).
    pub arch: Option<String>,
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
        self.load_live().map(|live| live.infos)
    }

    /// [`Self::load`], with the server's release when it was started.
    pub fn load_live(&self) -> Result<Live, String> {
        let (value, identity) = match (&self.source.qemu, &self.source.live) {
            (Some(binary), _) => live::fetch(binary, self.kind().unwrap_or(Kind::System))?,
            (None, Some(file)) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                let value: Value =
                    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
                let identity = live::Identity {
                    release: None,
                    arch: None,
                };
                (value, identity)
            }
            (None, None) => return Err("give --qemu BINARY or --live FILE".to_string()),
        };
        if let Some(path) = &self.dump {
            let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
            std::fs::write(path, text + "\n")
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(Live {
            infos: live::parse(&value)?,
            release: identity.release,
            arch: identity.arch,
        })
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
    /// The live server's release (`7.2.22`), instead of its greeting's;
    /// the only way to give it for `--live`.
    #[arg(long, value_name = "RELEASE")]
    release: Option<String>,
    /// Also list the differences the cross-release facts explain.
    #[arg(short, long)]
    verbose: bool,
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
    let live = match args.live.load_live() {
        Ok(live) => live,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let kind = args.live.kind().unwrap_or(Kind::System);
    let mut defines: Vec<String> = vec![kind_symbol(kind).to_string()];
    // The target's own parts (`if`: 'QMP_TARGET_ARM', ...).
    defines.extend(live.arch.as_deref().map(live::target_symbol));
    defines.extend(args.defines.iter().cloned());
    let conditions = Conditions::Defined(defines.into_iter().collect());
    let schema = args
        .schema
        .clone()
        .unwrap_or_else(|| crate::project_root().join(default_root(kind)));
    let model = match load_schema(&schema) {
        Ok(model) => model,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Our type names unmasked: the facts name types.
    let config = Config {
        unmask: true,
        conditions,
        ..Config::default()
    };
    let ours = introspect::introspect(&model, &config);
    let report = compare::compare(&live.infos, &ours);
    let release = args.release.clone().or(live.release);
    let older = release
        .filter(|r| explain::compare_releases(r, NEWEST).is_lt())
        .map(|r| (load_facts(), r));
    let mut out = std::io::stdout().lock();
    let ok = match older {
        None => {
            for difference in &report.differences {
                let _ = writeln!(out, "{difference}");
            }
            let _ = writeln!(out, "{}", report.summary());
            report.ok()
        }
        Some((Err(e), _)) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        Some((Ok(compat), release)) => {
            let explainer = explain::Explainer::new(&release, &compat, &model);
            let older = Older::new(&report, explainer.classify(&report.differences));
            older.print(&mut out, &release, args.verbose);
            older.ok()
        }
    };
    eprintln!("verify: took {:.2?}", start.elapsed());
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `schema/compat.txt`, read.
fn load_facts() -> Result<Compat, String> {
    let path = crate::project_root().join(FACTS);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Compat::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A comparison with an older release, classified.
struct Older<'r> {
    report: &'r compare::Report,
    items: Vec<explain::Item>,
    /// Live commands and events that are older only.
    older_commands: usize,
    older_events: usize,
}

impl<'r> Older<'r> {
    fn new(report: &'r compare::Report, items: Vec<explain::Item>) -> Self {
        let older_only = |word: &str| {
            items
                .iter()
                .filter(|i| i.class == Class::OlderOnly)
                .filter(|i| matches!(i.difference.what, What::Missing(w) if w == word))
                .count()
        };
        Older {
            older_commands: older_only("command"),
            older_events: older_only("event"),
            report,
            items,
        }
    }

    fn unexplained(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.class == Class::Unexplained)
            .count()
    }

    fn older_only(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.class == Class::OlderOnly)
            .map(|i| explain::weight(&i.difference))
            .sum()
    }

    fn print(&self, out: &mut impl Write, release: &str, verbose: bool) {
        for item in &self.items {
            let difference = &item.difference;
            let _ = match &item.class {
                Class::Unexplained => writeln!(out, "{difference}"),
                Class::OlderOnly => writeln!(out, "older only: {difference}"),
                Class::Explained(_, facts) if verbose => {
                    writeln!(out, "explained ({facts}): {difference}")
                }
                Class::Explained(..) => Ok(()),
            };
        }
        let counts: Vec<String> = explain::counts(&self.items)
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        let _ = writeln!(
            out,
            "verify: QEMU {release} is older than schema/ ({NEWEST}): explained {}; older only {}",
            counts.join(", "),
            self.older_only()
        );
        let _ = writeln!(out, "{}", self.summary());
    }

    /// The summary line, coverage against what the live release can have.
    fn summary(&self) -> String {
        let r = self.report;
        format!(
            "verify: commands {}/{}, events {}/{}, mismatches {}",
            r.have_commands,
            r.live_commands - self.older_commands,
            r.have_events,
            r.live_events - self.older_events,
            self.unexplained()
        )
    }

    fn ok(&self) -> bool {
        let r = self.report;
        r.have_commands + self.older_commands == r.live_commands
            && r.have_events + self.older_events == r.live_events
            && self.unexplained() == 0
    }
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
