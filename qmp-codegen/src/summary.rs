//! The one-line count of what a schema defines.

use std::fmt;

use crate::model::{DefinitionKind, Schema};

/// How many definitions of each kind a schema writes (implicit types, such
/// as command arguments given inline, are not counted), and in how many files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// `enum` definitions.
    pub enums: usize,
    /// `struct` definitions.
    pub structs: usize,
    /// `union` definitions.
    pub unions: usize,
    /// `alternate` definitions.
    pub alternates: usize,
    /// `command` definitions.
    pub commands: usize,
    /// `event` definitions.
    pub events: usize,
    /// Files read, the root included.
    pub files: usize,
}

impl Summary {
    /// Counts the explicit definitions of `schema`.
    pub fn of(schema: &Schema, files: usize) -> Summary {
        let mut summary = Summary {
            files,
            ..Summary::default()
        };
        for kind in schema.explicit_definition_kinds() {
            *match kind {
                DefinitionKind::Enum => &mut summary.enums,
                DefinitionKind::Struct => &mut summary.structs,
                DefinitionKind::Union => &mut summary.unions,
                DefinitionKind::Alternate => &mut summary.alternates,
                DefinitionKind::Command => &mut summary.commands,
                DefinitionKind::Event => &mut summary.events,
            } += 1;
        }
        summary
    }

    /// All definitions counted.
    pub fn definitions(&self) -> usize {
        self.enums + self.structs + self.unions + self.alternates + self.commands + self.events
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ok: {} definitions ({} enums, {} structs, {} unions, {} alternates, {} commands, {} events) in {} files",
            self.definitions(),
            self.enums,
            self.structs,
            self.unions,
            self.alternates,
            self.commands,
            self.events,
            self.files
        )
    }
}
