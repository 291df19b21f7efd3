//! Run-time probing: what the connected server has, asked of its
//! `query-qmp-schema` introspection once, answered by name or by type.
//!
//! A program that supports several QEMU releases asks before it relies on
//! a command, an event, an argument or an argument's value that only newer
//! releases have (the bindings' docs say which, from `schema/compat.txt`).
//! QEMU's introspection hides type names, so arguments are named by a path
//! from the command (`"cache.direct"`), as QMP itself spells them.

use std::collections::{BTreeSet, HashMap};

use qmp_types::introspection::{self, InfoKind, Report, SchemaInfo};
use qmp_types::{Command, Event};

/// How a server differs from the bindings ([`Probe::differences`]); each
/// list sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Differences {
    /// Commands the bindings have and the server lacks.
    pub commands_missing: Vec<String>,
    /// Commands the server has and the bindings lack.
    pub commands_unknown: Vec<String>,
    /// Events the bindings have and the server never sends.
    pub events_missing: Vec<String>,
    /// Events the server may send that the bindings lack (they arrive as
    /// `AnyEvent::Unknown`).
    pub events_unknown: Vec<String>,
    /// Top-level arguments `(command, argument)` the bindings have and the
    /// server does not accept.
    pub arguments_missing: Vec<(String, String)>,
    /// Top-level arguments the server accepts that the bindings lack.
    pub arguments_unknown: Vec<(String, String)>,
}

impl Differences {
    /// Whether the server and the bindings agree on all of it.
    pub fn is_empty(&self) -> bool {
        self == &Differences::default()
    }
}

/// What the server reported about itself: commands, events and the types
/// their arguments reach. Made by [`Client::probe`](crate::Client::probe).
///
/// ```no_run
/// # async fn run(client: qmp_client::Client) -> Result<(), qmp_client::Error> {
/// use qmp_client::commands::BlockdevSetActive;
///
/// let probe = client.probe().await?;
/// if probe.supports::<BlockdevSetActive>() {
///     // QEMU 10.0 or newer
/// }
/// let zoned = probe.accepts("blockdev-add", "driver", "null-co");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Probe {
    /// Command name → its argument type's name.
    commands: HashMap<String, String>,
    /// Event name → its data type's name.
    events: HashMap<String, String>,
    /// Every type, by its (hidden) name.
    types: HashMap<String, InfoKind>,
    /// The introspection as it came, for [`Probe::report`].
    infos: Vec<SchemaInfo>,
}

impl Probe {
    /// Indexes the answer of `query-qmp-schema`.
    pub fn new(schema: Vec<SchemaInfo>) -> Probe {
        let mut probe = Probe {
            commands: HashMap::new(),
            events: HashMap::new(),
            types: HashMap::new(),
            infos: Vec::new(),
        };
        for info in &schema {
            match &info.kind {
                InfoKind::Command { arg_type, .. } => {
                    probe.commands.insert(info.name.clone(), arg_type.clone());
                }
                InfoKind::Event { arg_type } => {
                    probe.events.insert(info.name.clone(), arg_type.clone());
                }
                _ => {}
            }
            probe.types.insert(info.name.clone(), info.kind.clone());
        }
        probe.infos = schema;
        probe
    }

    /// Reads the answer of `query-qmp-schema` as JSON.
    pub fn from_json(schema: &serde_json::Value) -> Result<Probe, String> {
        introspection::parse(schema).map(Probe::new)
    }

    /// The structural comparison `cargo xtask verify` makes, of this
    /// server against `bindings` (usually [`Probe::bindings`]): every
    /// command's arguments and answer and every event's data walked in
    /// depth, one [`introspection::compare::Difference`] per mismatch.
    ///
    /// The bindings describe every target at once, so what only other
    /// targets have shows as "extra" (the bindings have it, the server
    /// does not).
    pub fn report(&self, bindings: &Probe) -> Report {
        introspection::compare(&self.infos, &bindings.infos)
    }

    /// What the bindings themselves describe (`qmp_types::INTROSPECTION`),
    /// to compare a server with ([`Probe::differences`]): as QEMU would
    /// report it, every integer type `int`
    /// ([`introspection::merge_integer_widths`]).
    pub fn bindings() -> Probe {
        let schema: serde_json::Value = serde_json::from_str(qmp_types::INTROSPECTION)
            .expect("the bindings' own introspection is JSON");
        let infos = introspection::parse(&schema).expect("the bindings' own introspection reads");
        Probe::new(introspection::merge_integer_widths(infos))
    }

    /// How this server differs from `bindings` (usually
    /// [`Probe::bindings`]): commands, events and top-level arguments (a
    /// union's common members) one side has and the other lacks. Empty
    /// when they agree. `cargo xtask verify` compares every type in depth;
    /// this is the part a program can act on.
    ///
    /// ```no_run
    /// # async fn run(client: qmp_client::Client) -> Result<(), qmp_client::Error> {
    /// let report = client.probe().await?.differences(&qmp_client::Probe::bindings());
    /// for command in &report.commands_missing {
    ///     println!("this QEMU lacks {command}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn differences(&self, bindings: &Probe) -> Differences {
        let sorted = |names: Vec<&String>| {
            let mut names: Vec<String> = names.into_iter().cloned().collect();
            names.sort();
            names
        };
        let only = |a: &HashMap<String, String>, b: &HashMap<String, String>| {
            sorted(a.keys().filter(|k| !b.contains_key(*k)).collect())
        };
        let mut differences = Differences {
            commands_missing: only(&bindings.commands, &self.commands),
            commands_unknown: only(&self.commands, &bindings.commands),
            events_missing: only(&bindings.events, &self.events),
            events_unknown: only(&self.events, &bindings.events),
            ..Differences::default()
        };
        let mut common: Vec<&String> = self
            .commands
            .keys()
            .filter(|k| bindings.commands.contains_key(*k))
            .collect();
        common.sort();
        for command in common {
            let ours = bindings.argument_names(command);
            let theirs = self.argument_names(command);
            for name in ours.difference(&theirs) {
                differences
                    .arguments_missing
                    .push((command.clone(), (*name).to_owned()));
            }
            for name in theirs.difference(&ours) {
                differences
                    .arguments_unknown
                    .push((command.clone(), (*name).to_owned()));
            }
        }
        differences
    }

    /// The top-level argument names of `command`: for a union, its common
    /// members (a branch a server lacks is a value its tag lacks, which
    /// [`Probe::accepts`] tells).
    fn argument_names(&self, command: &str) -> BTreeSet<&str> {
        match self.commands.get(command).and_then(|ty| self.types.get(ty)) {
            Some(InfoKind::Object { members, .. }) => {
                members.iter().map(|m| m.name.as_str()).collect()
            }
            _ => BTreeSet::new(),
        }
    }

    /// Whether the server has the command `name`.
    pub fn has_command(&self, name: &str) -> bool {
        self.commands.contains_key(name)
    }

    /// Whether the server has the command `C`.
    pub fn supports<C: Command>(&self) -> bool {
        self.has_command(C::NAME)
    }

    /// Whether the server has the event `name`.
    pub fn has_event(&self, name: &str) -> bool {
        self.events.contains_key(name)
    }

    /// Whether the server has the event `E`.
    pub fn supports_event<E: Event>(&self) -> bool {
        self.has_event(E::NAME)
    }

    /// The names of every command the server has, in no order.
    pub fn commands(&self) -> impl Iterator<Item = &str> {
        self.commands.keys().map(String::as_str)
    }

    /// The names of every event the server has, in no order.
    pub fn events(&self) -> impl Iterator<Item = &str> {
        self.events.keys().map(String::as_str)
    }

    /// Whether `command` takes the argument at `path`: a member name, or
    /// dotted names into nested objects (`"cache.direct"`). Members of any
    /// union branch count.
    pub fn has_argument(&self, command: &str, path: &str) -> bool {
        self.argument_type(command, path).is_some()
    }

    /// Whether the argument at `path` of `command` accepts the enum value
    /// `value` (directly, in an array, or as a branch of an alternate).
    pub fn accepts(&self, command: &str, path: &str, value: &str) -> bool {
        self.argument_type(command, path)
            .is_some_and(|ty| self.has_value(ty, value, 0))
    }

    /// Whether the data of `event` has the member at `path`.
    pub fn event_has_member(&self, event: &str, path: &str) -> bool {
        self.events
            .get(event)
            .is_some_and(|data| self.walk(data, path).is_some())
    }

    fn argument_type(&self, command: &str, path: &str) -> Option<&str> {
        self.walk(self.commands.get(command)?, path)
    }

    /// The type reached from object type `ty` by the dotted member names
    /// of `path`.
    fn walk<'a>(&'a self, ty: &'a str, path: &str) -> Option<&'a str> {
        let mut ty = ty;
        for name in path.split('.') {
            ty = self.member_type(self.element(ty), name, 0)?;
        }
        Some(ty)
    }

    /// The element type of an array type, or `ty` itself.
    fn element<'a>(&'a self, ty: &'a str) -> &'a str {
        match self.types.get(ty) {
            Some(InfoKind::Array { element_type }) => element_type,
            _ => ty,
        }
    }

    /// The type of member `name` of object type `ty`, looking into union
    /// branches; `depth` bounds the search, whatever the server sent.
    fn member_type<'a>(&'a self, ty: &str, name: &str, depth: usize) -> Option<&'a str> {
        if depth > 32 {
            return None;
        }
        let Some(InfoKind::Object { members, variants }) = self.types.get(ty) else {
            return None;
        };
        if let Some(member) = members.iter().find(|m| m.name == name) {
            return Some(&member.ty);
        }
        variants
            .iter()
            .flat_map(|v| &v.cases)
            .find_map(|case| self.member_type(&case.ty, name, depth + 1))
    }

    fn has_value(&self, ty: &str, value: &str, depth: usize) -> bool {
        if depth > 32 {
            return false;
        }
        match self.types.get(ty) {
            Some(InfoKind::Enum { members }) => members.iter().any(|m| m.name == value),
            Some(InfoKind::Array { element_type }) => {
                self.has_value(element_type, value, depth + 1)
            }
            Some(InfoKind::Alternate { members }) => members
                .iter()
                .any(|member| self.has_value(member, value, depth + 1)),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bindings keep integer types apart; their probe, like a server's,
    /// has only `int`.
    #[test]
    fn the_bindings_probe_merges_integer_types() {
        assert!(qmp_types::INTROSPECTION.contains(r#"{"name": "uint64", "meta-type": "builtin""#));
        let bindings = Probe::bindings();
        assert!(bindings.types.contains_key("int"));
        for name in introspection::INTEGER_TYPES.iter().filter(|n| **n != "int") {
            assert!(!bindings.types.contains_key(*name), "{name}");
            assert!(
                !bindings.types.contains_key(&format!("[{name}]")),
                "[{name}]"
            );
        }
    }
}
