//! The QAPI front end and Rust code generator behind the `qmp` crates.
//!
//! Data flows one way: schema text → tokens → syntax tree (with spans) →
//! checked [model] → Rust source ([emit]). Every layer reports problems as
//! [diagnostics](diagnostic) and goes on, so one run shows every
//! independent mistake.
//!
//! # Public API
//!
//! - Generating bindings, typically from `build.rs`: [`Builder`] (its
//!   options, including [`CommandModes`] per command), [`BuildError`], and
//!   [`write_if_changed`] for a project that checks its bindings in.
//! - Checking a schema: [`check_file`], or [`check_with_loader`] with a
//!   [`syntax::FileLoader`] ([`syntax::FsLoader`], [`syntax::MemoryLoader`]),
//!   under [`Options`]; both give a [`Checked`]: the [sources](source), the
//!   [diagnostics](diagnostic) ([`Severity`](diagnostic::Severity),
//!   [`Rule`](diagnostic::Rule), [`render`](Checked::render)), and the
//!   [model] when there were no errors, with its [`Summary`].
//! - The model, read-only: [`model::Schema`] and its definitions, whose doc
//!   comments are [`syntax::doc::Doc`]s and whose names are [`syntax::Str`]s.
//! - From the model: [`emit::generate`] (with an [`emit::Config`]) gives the
//!   formatted [`emit::Generated`] source, [`emit::tokens`] the unformatted
//!   tokens; [`introspect::introspect`] gives what QEMU's
//!   `query-qmp-schema` would report.
//!
//! The lexer, parser, syntax tree and checker are private. `derive` is the
//! work of `qmp-macros` and not API.
//!
//! ```no_run
//! let checked = qmp_codegen::check_file("schema/qapi-schema.json".as_ref(), &Default::default())?;
//! for diagnostic in &checked.diagnostics {
//!     eprintln!("{}", diagnostic.render(&checked.sources, false));
//! }
//! if let Some(schema) = &checked.schema {
//!     println!("{}", checked.summary(schema));
//!     let _bindings = qmp_codegen::emit::generate(schema, &Default::default());
//! }
//! # Ok::<(), qmp_codegen::LoadError>(())
//! ```

mod builder;
mod check;
pub mod compat;
#[doc(hidden)]
pub mod derive;
pub mod diagnostic;
pub mod emit;
pub mod introspect;
pub mod model;
pub mod source;
pub mod syntax;

mod summary;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub use builder::{write_if_changed, BuildError, Builder};
pub use emit::CommandModes;
pub use summary::Summary;

use diagnostic::{Diagnostic, Diagnostics};
use source::SourceMap;
use syntax::FileLoader;

/// How strictly to check.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Treat documentation rules as errors, as QEMU 10.0's generator does.
    /// Off by default, so that schemas of older QEMU releases are accepted.
    pub strict: bool,
}

/// The result of running the front end on a schema.
#[derive(Debug)]
pub struct Checked {
    /// Every file that was read.
    pub sources: SourceMap,
    /// Errors and warnings, in the order they were found.
    pub diagnostics: Vec<Diagnostic>,
    /// The checked model; `None` when there were errors.
    pub schema: Option<model::Schema>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == diagnostic::Severity::Error)
    }

    /// `diagnostics` (this run's, or the emitter's) rendered without color,
    /// one after another.
    pub fn render(&self, diagnostics: &[Diagnostic]) -> String {
        diagnostics
            .iter()
            .map(|d| d.render(&self.sources, false))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The counts printed by `cargo xtask check`.
    pub fn summary(&self, schema: &model::Schema) -> Summary {
        Summary::of(schema, self.sources.len())
    }
}

/// The root schema file could not be read.
#[derive(Debug)]
pub struct LoadError {
    /// The path given.
    pub path: PathBuf,
    /// Why it could not be read.
    pub error: io::Error,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read schema '{}': {}",
            self.path.display(),
            self.error
        )
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Reads the schema rooted at `path` (and what it includes) from disk and
/// checks it. Problems in the schema are diagnostics in the result; only an
/// unreadable root file is an `Err`.
pub fn check_file(path: &Path, options: &Options) -> Result<Checked, LoadError> {
    check_with_loader(path, &mut syntax::FsLoader, options)
}

/// Like [`check_file`], reading files through `loader`.
pub fn check_with_loader(
    path: &Path,
    loader: &mut dyn FileLoader,
    options: &Options,
) -> Result<Checked, LoadError> {
    let mut sources = SourceMap::new();
    let mut diagnostics = Diagnostics::new(options.strict);
    let tree = syntax::parse(path, loader, &mut sources, &mut diagnostics)?;
    let schema = check::check(tree, &sources, &mut diagnostics);
    let schema = (!diagnostics.has_errors()).then_some(schema);
    Ok(Checked {
        sources,
        diagnostics: diagnostics.into_vec(),
        schema,
    })
}
