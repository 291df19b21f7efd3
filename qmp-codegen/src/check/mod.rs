//! The checker: syntax tree to model.
//!
//! It follows QEMU 10.0's generator (`expr.py`, then `schema.py`) in what
//! it accepts and in the order it looks at things, so that the first error
//! we report is the one QEMU reports, at the same line: a problem inside a
//! definition is reported at the start of the definition's expression,
//! with a label at the exact key or value at fault; a doc comment problem
//! at the doc comment section concerned.
//!
//! - `shape`: each expression on its own (keys, names, conditions,
//!   features, flags, doc comment placement);
//! - `schema`: everything that needs the whole schema, and the model.
//!
//! Unlike QEMU, checking goes on after an error, so one run shows every
//! independent mistake; a definition with an error is left out of what
//! follows, and whatever depends on it is not reported again.

mod fxhash;
mod names;
mod schema;
mod shape;

use crate::diagnostic::Diagnostics;
use crate::model::Schema;
use crate::source::SourceMap;
use crate::syntax::tree::SyntaxTree;

/// Text for messages, written only when a message is made: `what`
/// arguments built on the success path cost no allocation.
/// (`let x = format_args!(..)` would do, but needs Rust 1.89.)
struct Lazy<F>(F);

fn lazy<F: Fn(&mut std::fmt::Formatter<'_>) -> std::fmt::Result>(f: F) -> Lazy<F> {
    Lazy(f)
}

impl<F: Fn(&mut std::fmt::Formatter<'_>) -> std::fmt::Result> std::fmt::Display for Lazy<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (self.0)(f)
    }
}

/// Checks a parsed schema and builds its model.
///
/// Problems are reported to `diagnostics`. When a language rule is broken
/// the returned model is empty; documentation problems alone leave it whole.
/// The tree is consumed: doc comments move into the model.
pub fn check(mut tree: SyntaxTree, sources: &SourceMap, diagnostics: &mut Diagnostics) -> Schema {
    let (decls, rejected) = shape::check_exprs(&tree.exprs, &tree.pragmas, diagnostics);
    let (mut schema, docs) =
        schema::check_schema(&decls, &rejected, &tree.pragmas, sources, diagnostics);
    drop(decls);
    for (definition, expr) in docs {
        schema.definitions[definition].doc = tree.exprs[expr].doc.take();
    }
    schema
}

#[cfg(test)]
mod tests;
