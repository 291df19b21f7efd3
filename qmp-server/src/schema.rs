//! The schema a server serves, as its introspection: which commands exist,
//! which modes they run in, how their arguments are checked, and what
//! `query-qmp-schema` answers.
//!
//! The server reads the introspection the generator computes
//! (`qmp_types::INTROSPECTION` for the shipped bindings, `INTROSPECTION`
//! from `Builder::introspection(true)` or `qapi_schema!(..., introspection
//! = true)` for another schema), not the schema text: it needs no parser at
//! run time, and it checks arguments against exactly what it reports.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use qmp_types::introspection::{self, InfoKind, SchemaInfo};
use qmp_types::mode::{Modes, NEGOTIATION_FEATURE};

/// A schema, ready to serve: cheap to clone.
#[derive(Clone, Debug)]
pub struct Schema {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Every entry, in the introspection's order.
    entries: Vec<Entry>,
    /// Entry index by name.
    by_name: HashMap<String, usize>,
    /// The command that ends capabilities negotiation; none in a guest
    /// agent's schema ([`Schema::agent`]).
    negotiation: Option<String>,
}

/// One entry, read when first needed: a tool that checks one command's
/// arguments reads a few of the bindings' thousands.
#[derive(Debug)]
struct Entry {
    /// Its JSON text, when it is yet to be read.
    text: &'static str,
    info: OnceLock<SchemaInfo>,
}

impl Entry {
    fn read(info: SchemaInfo) -> Entry {
        Entry {
            text: "",
            info: OnceLock::from(info),
        }
    }

    fn info(&self) -> &SchemaInfo {
        self.info.get_or_init(|| {
            parse_entry(self.text)
                // Only generated introspection is read lazily, and a test
                // reads every entry of the shipped one.
                .unwrap_or_else(|e| panic!("a generated introspection entry is broken: {e}"))
        })
    }
}

/// One entry of an introspection, from its JSON text.
fn parse_entry(text: &str) -> Result<SchemaInfo, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    introspection::parse(&serde_json::Value::Array(vec![value]))?
        .pop()
        .ok_or_else(|| "no entry".to_owned())
}

/// What the server knows of one command from the schema.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CommandInfo<'a> {
    /// The arguments' object type.
    pub arg_type: &'a str,
    /// Whether it may run out of band.
    pub allow_oob: bool,
    /// The modes it runs in, by the same rule as the generator's.
    pub modes: Modes,
}

/// Why an introspection cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The text is not JSON, or not the shape of `query-qmp-schema`'s result.
    #[error("not an introspection (query-qmp-schema's result): {0}")]
    Introspection(String),
    /// A command, an event or a type refers to a type it does not define.
    #[error("`{user}` refers to type `{missing}`, which the introspection does not define")]
    Dangling {
        /// The entry with the reference.
        user: String,
        /// The type it names.
        missing: String,
    },
    /// No command ends negotiation: none is called `qmp_capabilities` and
    /// none has the feature `qmp-negotiation`.
    #[error(
        "no command ends capabilities negotiation: none is called `qmp_capabilities` \
         and none has the feature `qmp-negotiation`"
    )]
    NoNegotiation,
}

impl Schema {
    /// Reads `json`, an introspection as `query-qmp-schema` returns it
    /// (with integer types named by width, or all called `int`).
    ///
    /// ```
    /// let schema = qmp_server::Schema::from_introspection(qmp_types::INTROSPECTION).unwrap();
    /// assert_eq!(schema.negotiation_command(), "qmp_capabilities");
    /// ```
    pub fn from_introspection(json: &str) -> Result<Schema, SchemaError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| SchemaError::Introspection(e.to_string()))?;
        let infos = introspection::parse(&value).map_err(SchemaError::Introspection)?;
        Schema::from_infos(infos)
    }

    /// The schema of the shipped bindings (`qmp_types::INTROSPECTION`).
    pub fn bindings() -> Schema {
        // Generated and checked by the project's own tests: it parses.
        Schema::generated(qmp_types::INTROSPECTION)
            .expect("the shipped bindings' introspection is valid")
    }

    /// The schema of generated bindings, from their `INTROSPECTION`
    /// constant (one entry per line, as the generator writes it). Entries
    /// are read as they are first needed, which makes starting a tool
    /// that checks one command cheap; the text is trusted to be the
    /// generator's, and a broken entry panics when reached. Text in
    /// another layout is read whole, as
    /// [`from_introspection`](Self::from_introspection) reads it.
    pub fn generated(json: &'static str) -> Result<Schema, SchemaError> {
        let schema = Schema::generated_lazily(json)?;
        match schema.inner.negotiation {
            Some(_) => Ok(schema),
            None => Err(SchemaError::NoNegotiation),
        }
    }

    /// The schema of a guest agent's generated bindings
    /// (`qmp_types::agent::INTROSPECTION`), read as
    /// [`generated`](Self::generated) reads QMP's. The agent has no
    /// capabilities negotiation, so no command ends it: such a schema is
    /// for looking commands up and checking their arguments before they
    /// are sent to an agent (as `qmp agent` does), and for a server that
    /// speaks as the agent does ([`Server::builder`](crate::Server::builder)).
    ///
    /// ```
    /// let schema = qmp_server::Schema::agent(qmp_types::agent::INTROSPECTION).unwrap();
    /// let arguments = serde_json::json!({"path": "/etc/hostname", "mode": 5});
    /// let error = schema
    ///     .check_arguments("guest-file-open", arguments.as_object().unwrap())
    ///     .unwrap_err();
    /// assert_eq!(error, "Invalid parameter type for 'mode', expected: string");
    /// ```
    pub fn agent(json: &'static str) -> Result<Schema, SchemaError> {
        Schema::generated_lazily(json)
    }

    /// [`Schema::generated`], with or without a negotiation command.
    fn generated_lazily(json: &'static str) -> Result<Schema, SchemaError> {
        let lines = json
            .lines()
            .map(str::trim)
            .filter(|line| !matches!(*line, "[" | "]" | ""));
        let mut entries = Vec::new();
        let mut by_name = HashMap::new();
        let mut negotiation = None;
        for line in lines {
            let text = line.strip_suffix(',').unwrap_or(line);
            let Some(name) = text
                .strip_prefix(r#"{"name": ""#)
                .and_then(|rest| rest.split_once('"'))
                .map(|(name, _)| name)
                .filter(|name| !name.contains('\\'))
            else {
                let value: serde_json::Value = serde_json::from_str(json)
                    .map_err(|e| SchemaError::Introspection(e.to_string()))?;
                let infos = introspection::parse(&value).map_err(SchemaError::Introspection)?;
                return Schema::from_infos_with(infos, false);
            };
            let entry = Entry {
                text,
                info: OnceLock::new(),
            };
            let command = text.contains(r#""meta-type": "command""#);
            if command
                && negotiation.is_none()
                && (name == "qmp_capabilities" || text.contains(NEGOTIATION_FEATURE))
                && modes_of(entry.info()) == Modes::Negotiation
            {
                negotiation = Some(name.to_owned());
            }
            by_name.insert(name.to_owned(), entries.len());
            entries.push(entry);
        }
        Ok(Schema {
            inner: Arc::new(Inner {
                entries,
                by_name,
                negotiation,
            }),
        })
    }

    /// Builds a schema from introspection entries.
    pub fn from_infos(infos: Vec<SchemaInfo>) -> Result<Schema, SchemaError> {
        Schema::from_infos_with(infos, true)
    }

    /// [`Schema::from_infos`], the negotiation command required or not.
    fn from_infos_with(
        infos: Vec<SchemaInfo>,
        negotiation_required: bool,
    ) -> Result<Schema, SchemaError> {
        let by_name: HashMap<String, usize> = infos
            .iter()
            .enumerate()
            .map(|(i, info)| (info.name.clone(), i))
            .collect();
        for info in &infos {
            for referred in references(&info.kind) {
                if !by_name.contains_key(referred) {
                    return Err(SchemaError::Dangling {
                        user: info.name.clone(),
                        missing: referred.to_owned(),
                    });
                }
            }
        }
        let negotiation = infos
            .iter()
            .filter(|info| matches!(info.kind, InfoKind::Command { .. }))
            .find(|info| modes_of(info) == Modes::Negotiation)
            .map(|info| info.name.clone());
        if negotiation_required && negotiation.is_none() {
            return Err(SchemaError::NoNegotiation);
        }
        Ok(Schema {
            inner: Arc::new(Inner {
                entries: infos.into_iter().map(Entry::read).collect(),
                by_name,
                negotiation,
            }),
        })
    }

    /// The command that ends capabilities negotiation (`qmp_capabilities`,
    /// or the schema's command with the feature `qmp-negotiation`); empty
    /// for a guest agent's schema ([`Schema::agent`]), which has none.
    pub fn negotiation_command(&self) -> &str {
        self.inner.negotiation.as_deref().unwrap_or_default()
    }

    /// Whether a command ends capabilities negotiation: a schema a server
    /// can serve.
    pub(crate) fn negotiates(&self) -> bool {
        self.inner.negotiation.is_some()
    }

    /// Every entry, in order.
    pub fn infos(&self) -> impl Iterator<Item = &SchemaInfo> {
        self.inner.entries.iter().map(Entry::info)
    }

    /// The entry called `name` (a command, an event, a type).
    pub fn get(&self, name: &str) -> Option<&SchemaInfo> {
        self.inner
            .by_name
            .get(name)
            .map(|&i| self.inner.entries[i].info())
    }

    /// Checks `arguments` for command `command` as the server does before
    /// running it: `Err` with QEMU's text for the first mistake, or for a
    /// command the schema does not have.
    ///
    /// ```
    /// let schema = qmp_server::Schema::bindings();
    /// let arguments = serde_json::json!({"node": "disk0"});
    /// let error = schema
    ///     .check_arguments("block-dirty-bitmap-add", arguments.as_object().unwrap())
    ///     .unwrap_err();
    /// assert_eq!(error, "Parameter 'name' is missing");
    /// ```
    pub fn check_arguments(
        &self,
        command: &str,
        arguments: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), String> {
        let info = self
            .command(command)
            .ok_or_else(|| format!("The command {command} has not been found"))?;
        crate::validate::arguments(self, info.arg_type, arguments)
    }

    /// The command called `name`, if the schema has it.
    pub(crate) fn command(&self, name: &str) -> Option<CommandInfo<'_>> {
        let info = self.get(name)?;
        match &info.kind {
            InfoKind::Command {
                arg_type,
                allow_oob,
                ..
            } => Some(CommandInfo {
                arg_type,
                allow_oob: *allow_oob,
                modes: modes_of(info),
            }),
            _ => None,
        }
    }
}

/// A command's modes from its name and features, by the rule the
/// generator applies.
fn modes_of(info: &SchemaInfo) -> Modes {
    Modes::by_rule(&info.name, |feature| {
        info.features.iter().any(|f| f == feature)
    })
}

/// The type names an entry refers to.
fn references(kind: &InfoKind) -> Vec<&str> {
    match kind {
        InfoKind::Builtin { .. } | InfoKind::Enum { .. } => Vec::new(),
        InfoKind::Array { element_type } => vec![element_type],
        InfoKind::Object { members, variants } => {
            let mut names: Vec<&str> = members.iter().map(|m| m.ty.as_str()).collect();
            if let Some(variants) = variants {
                names.extend(variants.cases.iter().map(|v| v.ty.as_str()));
            }
            names
        }
        InfoKind::Alternate { members } => members.iter().map(String::as_str).collect(),
        InfoKind::Command {
            arg_type, ret_type, ..
        } => vec![arg_type, ret_type],
        InfoKind::Event { arg_type } => vec![arg_type],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_schema_checks_arguments_but_has_no_negotiation() {
        let agent = qmp_types::agent::INTROSPECTION;
        assert!(matches!(
            Schema::generated(agent),
            Err(SchemaError::NoNegotiation)
        ));
        let schema = Schema::agent(agent).unwrap();
        assert!(!schema.negotiates());
        assert_eq!(schema.negotiation_command(), "");
        let arguments = serde_json::json!({"handle": "seven"});
        assert_eq!(
            schema.check_arguments("guest-file-read", arguments.as_object().unwrap()),
            Err("Invalid parameter type for 'handle', expected: integer".to_owned())
        );
        // QMP's bindings do negotiate.
        assert!(Schema::agent(qmp_types::INTROSPECTION)
            .unwrap()
            .negotiates());
    }

    #[test]
    fn the_bindings_read_lazily_as_they_read_whole() {
        let lazy = Schema::bindings();
        let whole = Schema::from_introspection(qmp_types::INTROSPECTION).unwrap();
        assert_eq!(lazy.negotiation_command(), whole.negotiation_command());
        let lazy: Vec<&SchemaInfo> = lazy.infos().collect();
        let whole: Vec<&SchemaInfo> = whole.infos().collect();
        assert_eq!(lazy.len(), whole.len());
        assert!(lazy == whole, "an entry reads differently");
    }

    #[test]
    fn another_layout_is_read_whole() {
        let compact = r#"[{"name": "qmp_capabilities", "meta-type": "command", "arg-type": "0", "ret-type": "0"}, {"name": "0", "meta-type": "object", "members": []}]"#;
        let schema = Schema::generated(compact).unwrap();
        assert_eq!(schema.infos().count(), 2);
        assert!(schema.command("qmp_capabilities").is_some());
    }
}
