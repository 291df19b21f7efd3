//! The first layer: schema text to a syntax tree, following `include`s and
//! collecting `pragma`s and doc comments on the way.

pub mod doc;
mod docparse;
mod lexer;
mod parser;
pub(crate) mod tree;

pub(crate) use parser::parse;
pub use parser::{FileLoader, FsLoader, MemoryLoader};
pub use tree::Str;
