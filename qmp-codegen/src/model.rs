//! The checked model of a schema (placeholder until the checker lands).

/// The kind of a definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefinitionKind {
    /// `enum`
    Enum,
    /// `struct`
    Struct,
    /// `union`
    Union,
    /// `alternate`
    Alternate,
    /// `command`
    Command,
    /// `event`
    Event,
}

/// A checked schema.
#[derive(Debug, Default)]
pub struct Schema {
    kinds: Vec<DefinitionKind>,
}

impl Schema {
    /// The kinds of the definitions written in the schema, in order.
    pub fn explicit_definition_kinds(&self) -> impl Iterator<Item = DefinitionKind> + '_ {
        self.kinds.iter().copied()
    }
}
