//! `cargo xtask check [--strict] PATH`: run the QAPI front end on a schema.
//!
//! Every diagnostic goes to stderr (in color when stderr is a terminal and
//! `NO_COLOR` is unset). On success the one summary line goes to stdout and
//! the exit status is 0; warnings alone do not fail. Errors end with a count
//! on stderr and exit status 1, as does a root file that cannot be read.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use qmp_codegen::diagnostic::Severity;
use qmp_codegen::{check_file, Options};

/// Arguments of `cargo xtask check`.
#[derive(clap::Args)]
pub struct Args {
    /// Treat documentation rules as errors, exactly as QEMU 10.0 does.
    #[arg(long)]
    strict: bool,
    /// The root file of the schema, e.g. `schema/qapi-schema.json`.
    path: PathBuf,
}

/// Runs the check; the exit status is 0 when the schema is accepted.
pub fn run(args: &Args) -> ExitCode {
    let options = Options {
        strict: args.strict,
    };
    let checked = match check_file(&args.path, &options) {
        Ok(checked) => checked,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };

    let color = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut stderr = io::stderr().lock();
    for diagnostic in &checked.diagnostics {
        // A closed stderr is no reason to stop; the exit status still tells.
        // A blank line after each, as rustc does.
        let _ = writeln!(stderr, "{}\n", diagnostic.render(&checked.sources, color));
    }
    let count = |severity| {
        checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    let errors = count(Severity::Error);
    let warnings = count(Severity::Warning);
    let schema_name = args.path.display();

    if checked.has_errors() {
        let mut line = format!("error: {} in {schema_name}", plural(errors, "error"));
        if warnings > 0 {
            line += &format!(" (and {})", plural(warnings, "warning"));
        }
        let _ = writeln!(stderr, "{line}");
        return ExitCode::FAILURE;
    }
    let Some(schema) = &checked.schema else {
        let _ = writeln!(
            stderr,
            "error: internal: no errors reported for {schema_name}, but no model was built"
        );
        return ExitCode::FAILURE;
    };
    if warnings > 0 {
        // Only documentation rules warn; say so, since an older QEMU's
        // schema gives hundreds of them.
        let _ = writeln!(
            stderr,
            "warning: {} in {schema_name} (documentation rules; \
             --strict makes them errors, as in QEMU 10.0)",
            plural(warnings, "warning")
        );
    }
    drop(stderr);
    match writeln!(io::stdout().lock(), "{}", checked.summary(schema)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write the summary: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `1 error`, `2 errors`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
