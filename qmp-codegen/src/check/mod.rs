//! The checker: syntax tree to model (placeholder).

use crate::diagnostic::Diagnostics;
use crate::model::Schema;
use crate::source::SourceMap;
use crate::syntax::tree::SyntaxTree;

/// Checks a parsed schema and builds its model.
pub fn check(_tree: &SyntaxTree, _sources: &SourceMap, _diagnostics: &mut Diagnostics) -> Schema {
    Schema::default()
}
