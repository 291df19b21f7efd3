//! The `build.rs` API: generate bindings for a schema into `OUT_DIR`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::compat::{self, Compat, Release};
use crate::emit::{self, CommandModes, Config, Generated, Protocol};
use crate::introspect;
use crate::{check_file, Options};

/// Generates Rust bindings for a QAPI schema, typically from `build.rs`.
///
/// ```no_run
/// // build.rs, in `fn main`:
/// qmp_codegen::Builder::new()
///     .schema("qapi/my-fork.json")
///     .negotiation_command("qmp_switch_mode")
///     .generate()
///     .unwrap_or_else(|e| panic!("{e}"));
/// ```
///
/// ```ignore
/// // src/lib.rs
/// include!(concat!(env!("OUT_DIR"), "/qapi.rs"));
/// // modules `types`, `commands` and `events`
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    schema: Option<PathBuf>,
    out_file: Option<PathBuf>,
    strict: bool,
    config: Config,
    rerun_if_changed: Option<bool>,
    compat_facts: Option<PathBuf>,
    release: Option<String>,
    older: Vec<(String, PathBuf)>,
    introspection: bool,
}

impl Builder {
    /// A builder with the defaults: bindings refer to the runtime as
    /// `::qmp_types`; output goes to `$OUT_DIR/qapi.rs`.
    pub fn new() -> Self {
        Builder::default()
    }

    /// The schema's root file.
    pub fn schema(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.schema = Some(path.into());
        self
    }

    /// Where to write the bindings (default `$OUT_DIR/qapi.rs`).
    pub fn out_file(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.out_file = Some(path.into());
        self
    }

    /// Check documentation rules strictly, as QEMU 10.0 does.
    pub fn strict(&mut self, strict: bool) -> &mut Self {
        self.strict = strict;
        self
    }

    /// The path generated code uses for the runtime crate (default
    /// `::qmp_types`; for example `::qmp_client::qmp_types` when only the client
    /// is a dependency).
    pub fn runtime_path(&mut self, path: impl Into<String>) -> &mut Self {
        self.config.runtime = path.into();
        self
    }

    /// Declares the modes command `name` (its wire name) may run in,
    /// overriding the default rule.
    pub fn command_modes(&mut self, name: impl Into<String>, modes: CommandModes) -> &mut Self {
        self.config.modes.push((name.into(), modes));
        self
    }

    /// The peer the schema's commands are for (default [`Protocol::Qmp`]).
    /// For QEMU's guest agent, [`Protocol::GuestAgent`]: commands implement
    /// `qmp_types::agent::AgentCommand`, nothing else, and there is no
    /// `events` module; an event, `allow-oob` or a mode in the schema is an
    /// error.
    ///
    /// ```no_run
    /// // build.rs of a crate with its own agent schema:
    /// qmp_codegen::Builder::new()
    ///     .schema("qga/qapi-schema.json")
    ///     .protocol(qmp_codegen::emit::Protocol::GuestAgent)
    ///     .generate()
    ///     .unwrap_or_else(|e| panic!("{e}"));
    /// ```
    pub fn protocol(&mut self, protocol: Protocol) -> &mut Self {
        self.config.protocol = protocol;
        self
    }

    /// Declares `name` the command that ends capabilities negotiation, as
    /// `qmp_capabilities` does in QEMU (the early specification's
    /// `qmp_switch_mode`, say); the same as the `qmp-negotiation` feature
    /// in the schema.
    pub fn negotiation_command(&mut self, name: impl Into<String>) -> &mut Self {
        self.command_modes(name, CommandModes::Negotiation)
    }

    /// Whether to print `cargo:rerun-if-changed` for every schema file
    /// (default: when run by cargo as a build script).
    pub fn rerun_if_changed(&mut self, enabled: bool) -> &mut Self {
        self.rerun_if_changed = Some(enabled);
        self
    }

    /// Makes the bindings decode the answers of older releases too, by the
    /// cross-release facts in `path` (as [`Compat::to_text`] writes them;
    /// `cargo xtask compat` does for this project): members some older
    /// release leaves out become optional, and docs say from which release
    /// on things are there. A fact that names nothing in the schema is an
    /// error (the facts are stale).
    pub fn compat_facts(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.compat_facts = Some(path.into());
        self
    }

    /// Makes the bindings decode the answers of the older release `name`
    /// too, comparing the schema with that release's schema (root file
    /// `schema`) at build time; call it once per release, oldest first.
    /// See [`crate::compat`].
    pub fn compatible_with(
        &mut self,
        name: impl Into<String>,
        schema: impl Into<PathBuf>,
    ) -> &mut Self {
        self.older.push((name.into(), schema.into()));
        self
    }

    /// The release the schema itself describes, for the docs that
    /// [`Builder::compatible_with`] writes (default `newest`).
    pub fn release(&mut self, name: impl Into<String>) -> &mut Self {
        self.release = Some(name.into());
        self
    }

    /// Also generates what `query-qmp-schema` would report for the schema
    /// (type names kept, every condition present, integer types kept
    /// apart), after the cross-release facts: `INTROSPECTION` in the
    /// generated file, for checking arguments by type (integer ranges
    /// included) and, merged by
    /// [`merge_integer_widths`](crate::introspect::merge_integer_widths)
    /// into what QEMU reports, for comparing a live server with the
    /// bindings at run time (`qmp_client::Probe::differences`).
    pub fn introspection(&mut self, enabled: bool) -> &mut Self {
        self.introspection = enabled;
        self
    }

    /// Checks the schema and generates its bindings, without writing them.
    pub fn build(&self) -> Result<Generated, BuildError> {
        let Some(schema_path) = &self.schema else {
            return Err(BuildError::Usage(
                "no schema given: call .schema(PATH)".into(),
            ));
        };
        let options = Options {
            strict: self.strict,
        };
        let checked = check_file(schema_path, &options)
            .map_err(|e| BuildError::Io(e.path.clone(), e.error))?;
        let rerun = self
            .rerun_if_changed
            .unwrap_or_else(|| std::env::var_os("OUT_DIR").is_some());
        if rerun {
            for (_, file) in checked.sources.files() {
                println!("cargo:rerun-if-changed={}", file.path.display());
            }
        }
        let Some(schema) = &checked.schema else {
            return Err(BuildError::Schema(checked.render(&checked.diagnostics)));
        };
        let mut schema = schema.clone();
        for compat in self.compat(&schema, &options, rerun)? {
            let unknown = compat.apply(&mut schema);
            if !unknown.is_empty() {
                let names: Vec<String> = unknown
                    .iter()
                    .map(|s| format!("{:?} {} {}", s.kind, s.owner, s.name))
                    .collect();
                return Err(BuildError::Compat(format!(
                    "facts name what the schema does not have (stale facts?): {}",
                    names.join(", ")
                )));
            }
        }
        let mut generated = emit::generate(&schema, &self.config)
            .map_err(|errors| BuildError::Schema(checked.render(&errors)))?;
        if self.introspection {
            generated.introspection = Some(introspect::to_json(&introspect::introspect(
                &schema,
                &introspect::Config::bindings(),
            )));
        }
        Ok(generated)
    }

    /// The cross-release facts to apply: from the facts file, then from
    /// the older schemas compared now.
    fn compat(
        &self,
        schema: &crate::model::Schema,
        options: &Options,
        rerun: bool,
    ) -> Result<Vec<Compat>, BuildError> {
        let mut all = Vec::new();
        if let Some(path) = &self.compat_facts {
            if rerun {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            let text =
                std::fs::read_to_string(path).map_err(|e| BuildError::Io(path.clone(), e))?;
            let facts = Compat::parse(&text)
                .map_err(|e| BuildError::Compat(format!("{}: {e}", path.display())))?;
            all.push(facts);
        }
        if !self.older.is_empty() {
            let mut olds = Vec::new();
            for (name, path) in &self.older {
                let checked = check_file(path, options)
                    .map_err(|e| BuildError::Io(e.path.clone(), e.error))?;
                let Some(old) = checked.schema else {
                    return Err(BuildError::Schema(checked.render(&checked.diagnostics)));
                };
                olds.push((name.as_str(), old));
            }
            let older: Vec<Release<'_>> = olds
                .iter()
                .map(|(name, schema)| Release { name, schema })
                .collect();
            let newest = Release {
                name: self.release.as_deref().unwrap_or("newest"),
                schema,
            };
            all.push(compat::analyze(newest, &older));
        }
        Ok(all)
    }

    /// Checks the schema, generates its bindings and writes them as one
    /// file (only when its content changed, so cargo does not rebuild
    /// needlessly). Returns the path written.
    pub fn generate(&self) -> Result<PathBuf, BuildError> {
        let generated = self.build()?;
        let out = match &self.out_file {
            Some(path) => path.clone(),
            None => match std::env::var_os("OUT_DIR") {
                Some(dir) => Path::new(&dir).join("qapi.rs"),
                None => {
                    return Err(BuildError::Usage(
                        "OUT_DIR is not set (not in a build script): call .out_file(PATH)".into(),
                    ))
                }
            },
        };
        let source = format!(
            "// @generated by qmp-codegen from {}. Do not edit.\n\n{}",
            self.schema.as_deref().unwrap_or(Path::new("?")).display(),
            generated.single_file()
        );
        write_if_changed(&out, &source).map_err(|e| BuildError::Io(out.clone(), e))?;
        Ok(out)
    }
}

/// Writes `contents` to `path` unless it already holds exactly that.
pub fn write_if_changed(path: &Path, contents: &str) -> io::Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents)
}

/// Why bindings could not be generated.
#[derive(Debug)]
pub enum BuildError {
    /// The builder was not told enough.
    Usage(String),
    /// A file could not be read or written.
    Io(PathBuf, io::Error),
    /// The schema has errors; the rendered diagnostics.
    Schema(String),
    /// The cross-release facts could not be read or applied.
    Compat(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Usage(message) => write!(f, "qmp-codegen: {message}"),
            BuildError::Io(path, error) => write!(f, "qmp-codegen: {}: {error}", path.display()),
            BuildError::Schema(diagnostics) => {
                write!(f, "qmp-codegen: the schema has errors:\n{diagnostics}")
            }
            BuildError::Compat(message) => write!(f, "qmp-codegen: cross-release facts: {message}"),
        }
    }
}

impl std::error::Error for BuildError {}
