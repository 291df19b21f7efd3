//! The first layer: schema text to a syntax tree, following `include`s and
//! collecting `pragma`s and doc comments on the way.

pub mod doc;
mod docparse;
mod lexer;
mod parser;
pub mod tree;

pub use parser::{parse, FileLoader, FsLoader, MemoryLoader};
