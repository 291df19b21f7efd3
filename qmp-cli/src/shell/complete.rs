//! Tab completion from the schema: command names; after a command, its
//! arguments (`name=`, or `name.` for a nested object, then
//! `name.member=`); after `name=`, the values of the member's type (an
//! enum's, `on`/`off` for a boolean). Inside a transaction, action names,
//! then each action's data members the same way.
//!
//! Types are resolved by [`crate::args`], which types the words when the
//! line is run, so that what completes is what is accepted.

use qmp_server::Schema;
use qmp_types::introspection::InfoKind;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;

use super::line::{self, Word, TRANSACTION};
use super::Dialect;
use crate::args;

/// What the editor is reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A line at the main prompt.
    Command,
    /// A line inside `transaction(`: actions, or `)`.
    Transaction,
}

/// The line editor's helper: completion only.
pub struct Helper {
    schema: Schema,
    dialect: Dialect,
    /// Set by the editor's thread before each line.
    pub mode: Mode,
}

impl Helper {
    pub fn new(schema: Schema, dialect: Dialect) -> Helper {
        Helper {
            schema,
            dialect,
            mode: Mode::Command,
        }
    }
}

impl Completer for Helper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(complete(
            &self.schema,
            self.dialect,
            self.mode,
            &line[..pos],
        ))
    }
}

impl Hinter for Helper {
    type Hint = String;
}

impl Highlighter for Helper {}

impl Validator for Helper {}

impl rustyline::Helper for Helper {}

/// What words the line names: commands, or transaction actions.
#[derive(Clone, Copy, PartialEq)]
enum Context {
    Command,
    Action,
}

/// Where the word before the cursor starts, and what may replace it,
/// for the text `before` the cursor.
pub fn complete(schema: &Schema, dialect: Dialect, mode: Mode, before: &str) -> (usize, Vec<Pair>) {
    let words = line::split(before);
    let (current, previous) = match words.split_last() {
        Some((last, previous)) if last.start + last.text.len() == before.len() => {
            (last.clone(), previous)
        }
        _ => (
            Word {
                text: "",
                start: before.len(),
            },
            &words[..],
        ),
    };
    let (context, segment) = match (mode, previous.split_first()) {
        (Mode::Transaction, _) => (Context::Action, last_action(previous)),
        (Mode::Command, Some((first, rest)))
            if dialect == Dialect::Qmp && first.text == TRANSACTION =>
        {
            (Context::Action, last_action(rest))
        }
        (Mode::Command, _) => (Context::Command, previous),
    };
    let candidates = match segment.split_first() {
        None => names(schema, dialect, context, current.text),
        Some((name, given)) => arguments(schema, context, name.text, given, current.text),
    };
    let mut candidates: Vec<Pair> = candidates
        .into_iter()
        .map(|(display, replacement)| Pair {
            display,
            replacement,
        })
        .collect();
    candidates.sort_by(|a, b| a.display.cmp(&b.display));
    candidates.dedup_by(|a, b| a.replacement == b.replacement);
    // A value replaces only what follows `=`.
    let start = match current.text.split_once('=') {
        Some((key, _)) if !segment.is_empty() => current.start + key.len() + 1,
        _ => current.start,
    };
    (start, candidates)
}

/// The words of the action being typed: those after the last `;`.
fn last_action<'w, 'a>(words: &'w [Word<'a>]) -> &'w [Word<'a>] {
    match words.iter().rposition(|w| w.text == ";") {
        Some(i) => &words[i + 1..],
        None => words,
    }
}

/// Command (or action) names that start with `prefix`, as (display,
/// replacement); a whole name is followed by a space.
fn names(
    schema: &Schema,
    dialect: Dialect,
    context: Context,
    prefix: &str,
) -> Vec<(String, String)> {
    let names: Vec<String> = match context {
        Context::Command => {
            let mut names = commands(schema);
            names.extend(dialect.words().iter().map(|w| (*w).to_owned()));
            names
        }
        Context::Action => {
            let mut names = line::action_names(schema);
            names.push(")".to_owned());
            names
        }
    };
    names
        .into_iter()
        .filter(|name| name.starts_with(prefix))
        .map(|name| (name.clone(), name + " "))
        .collect()
}

/// The schema's commands, but for negotiation (done already).
fn commands(schema: &Schema) -> Vec<String> {
    args::names(schema, |kind| matches!(kind, InfoKind::Command { .. }))
        .into_iter()
        .filter(|name| name != schema.negotiation_command())
        .collect()
}

/// After `name` and the words `given`, what `current` may become: an
/// argument's key or, after `key=`, a value.
fn arguments(
    schema: &Schema,
    context: Context,
    name: &str,
    given: &[Word<'_>],
    current: &str,
) -> Vec<(String, String)> {
    let ty = match (context, name) {
        (Context::Command, "help") => {
            return commands(schema)
                .into_iter()
                .filter(|n| n.starts_with(current))
                .map(|n| (n.clone(), n + " "))
                .collect()
        }
        (Context::Command, "hmp") => return Vec::new(),
        (Context::Command, _) => args::arg_type(schema, name),
        (Context::Action, _) => line::action_data_type(schema, name),
    };
    let Ok(ty) = ty else {
        return Vec::new();
    };
    if current.starts_with('{') {
        return Vec::new();
    }
    if let Some((key, prefix)) = current.split_once('=') {
        let path: Vec<&str> = key.split('.').collect();
        let Ok(member) = args::member_type(schema, &ty, &path, "") else {
            return Vec::new();
        };
        return args::value_words(schema, &member)
            .into_iter()
            .filter(|value| value.starts_with(prefix))
            .map(|value| (value.clone(), value + " "))
            .collect();
    }
    let (parent, partial) = match current.rsplit_once('.') {
        Some((parent, partial)) => (Some(parent), partial),
        None => (None, current),
    };
    let object = match parent {
        Some(parent) => {
            let path: Vec<&str> = parent.split('.').collect();
            match args::member_type(schema, &ty, &path, "") {
                Ok(object) => object,
                Err(_) => return Vec::new(),
            }
        }
        None => ty,
    };
    let given: Vec<(&str, &str)> = given
        .iter()
        .filter_map(|w| w.text.split_once('='))
        .collect();
    let full = |name: &str| match parent {
        Some(parent) => format!("{parent}.{name}"),
        None => name.to_owned(),
    };
    // A union's members are those of the branch its tag chose, if given.
    let tag = |name: &str| {
        let key = full(name);
        given
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, value)| line::unquote(value))
    };
    let mut candidates = Vec::new();
    for member in args::members_for(schema, &object, &tag) {
        if !member.name.starts_with(partial) {
            continue;
        }
        let key = full(&member.name);
        if !args::members(schema, &member.ty).is_empty() {
            candidates.push((format!("{key}."), format!("{key}.")));
        }
        let object_only = matches!(
            schema.get(&member.ty).map(|i| &i.kind),
            Some(InfoKind::Object { .. })
        );
        if !object_only && !given.iter().any(|(k, _)| *k == key) {
            candidates.push((format!("{key}="), format!("{key}=")));
        }
    }
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The replacements offered, and the text they replace.
    fn offered(mode: Mode, before: &str) -> (String, Vec<String>) {
        let (start, candidates) = complete(&Schema::bindings(), Dialect::Qmp, mode, before);
        (
            before[start..].to_owned(),
            candidates.into_iter().map(|c| c.replacement).collect(),
        )
    }

    #[test]
    fn command_names_then_shell_words() {
        let (word, names) = offered(Mode::Command, "query-sta");
        assert_eq!(word, "query-sta");
        assert_eq!(
            names,
            ["query-stats ", "query-stats-schemas ", "query-status "]
        );
        assert_eq!(
            offered(Mode::Command, "transa").1,
            ["transaction ", "transaction( "]
        );
        assert_eq!(
            offered(Mode::Command, "help query-statu").1,
            ["query-status "]
        );
        assert!(!offered(Mode::Command, "")
            .1
            .contains(&"qmp_capabilities ".to_owned()));
    }

    #[test]
    fn argument_names_nested_members_and_values() {
        assert_eq!(
            offered(Mode::Command, "block-dirty-bitmap-add n").1,
            ["name=", "node="]
        );
        // Given already.
        assert_eq!(
            offered(Mode::Command, "block-dirty-bitmap-add node=x n").1,
            ["name="]
        );
        assert_eq!(
            offered(Mode::Command, "blockdev-add driver=null-co ca").1,
            ["cache."]
        );
        assert_eq!(
            offered(Mode::Command, "blockdev-add cache.").1,
            ["cache.direct=", "cache.no-flush="]
        );
        // An alternate of an object and a string: both.
        assert_eq!(
            offered(Mode::Command, "blockdev-add driver=raw fil").1,
            ["file.", "file="]
        );
        let (word, values) = offered(Mode::Command, "blockdev-add driver=null-c");
        assert_eq!(
            (word.as_str(), values),
            ("null-c", vec!["null-co ".to_owned()])
        );
        assert_eq!(
            offered(Mode::Command, "blockdev-add cache.direct=").1,
            ["off ", "on "]
        );
        assert!(offered(Mode::Command, "hmp inf").1.is_empty());
        assert!(offered(Mode::Command, "no-such-command x").1.is_empty());
    }

    #[test]
    fn transaction_actions_and_their_data() {
        assert_eq!(
            offered(Mode::Transaction, "block-dirty-bitmap-a").1,
            ["block-dirty-bitmap-add "]
        );
        assert_eq!(
            offered(Mode::Transaction, "block-dirty-bitmap-add node=n0 na").1,
            ["name="]
        );
        assert_eq!(
            offered(
                Mode::Command,
                "transaction( abort ; block-dirty-bitmap-add persistent=o"
            )
            .1,
            ["off ", "on "]
        );
        assert_eq!(
            offered(Mode::Transaction, ")").1,
            [")"].map(|s| s.to_owned() + " ")
        );
    }
}
