//! A shell line to what it asks for, checked before anything is sent.
//!
//! Words are split at white space, except inside quotes (`'...'`,
//! `"..."`, the latter with JSON's escapes) and inside JSON brackets, so
//! that `bitmaps=["a", "b"]` and `desc="two words"` are one word each. A
//! value that is one quoted string loses its quotes. A command's words
//! are then typed and checked by [`crate::args`], exactly as `qmp COMMAND
//! key=value...` does.

use qmp_server::Schema;
use qmp_types::introspection::InfoKind;
use serde_json::{Map, Value};

use super::Dialect;
use crate::args::{self, Target};

/// The word that opens a transaction.
pub const TRANSACTION: &str = "transaction(";

/// What a line asks for.
#[derive(Debug, PartialEq)]
pub enum Line {
    /// Nothing (a blank line).
    Empty,
    /// `help`, or `help NAME`.
    Help(Option<String>),
    /// `quit` or `exit`, alone: end the shell.
    Quit,
    /// `hmp COMMAND...`: the rest of the line, as it is.
    Hmp(String),
    /// A command and its arguments, checked.
    Run(String, Map<String, Value>),
    /// `transaction(` and the actions after it on the line, each checked;
    /// `closed` if the line ends it with `)`.
    Transaction { actions: Vec<Value>, closed: bool },
}

/// A word of a line, as typed (quotes kept), and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Word<'a> {
    pub text: &'a str,
    pub start: usize,
}

/// Splits `line` into words. An unterminated quote or bracket runs to the
/// end of the line (completion works on such a line; [`parse`] refuses an
/// unterminated quote).
pub fn split(line: &str) -> Vec<Word<'_>> {
    scan(line).0
}

/// The words, and the quote left open at the end, if any.
fn scan(line: &str) -> (Vec<Word<'_>>, Option<char>) {
    let mut words = Vec::new();
    let mut start = None;
    let mut quote = None;
    let mut escaped = false;
    let mut depth = 0usize;
    for (i, c) in line.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_whitespace() && depth == 0 {
            if let Some(s) = start.take() {
                words.push(Word {
                    text: &line[s..i],
                    start: s,
                });
            }
            continue;
        }
        start.get_or_insert(i);
        match c {
            '\'' | '"' => quote = Some(c),
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push(Word {
            text: &line[s..],
            start: s,
        });
    }
    (words, quote)
}

/// A value as meant: one quoted string loses its quotes (`"..."` read as
/// a JSON string, `'...'` as it is); anything else stays as typed.
pub fn unquote(value: &str) -> String {
    let quoted = |q: char| value.len() >= 2 && value.starts_with(q) && value.ends_with(q);
    if quoted('\'') && !value[1..value.len() - 1].contains('\'') {
        return value[1..value.len() - 1].to_owned();
    }
    if quoted('"') {
        if let Ok(text) = serde_json::from_str::<String>(value) {
            return text;
        }
    }
    value.to_owned()
}

/// A `key=value` word with its value unquoted, as [`args::add_words`]
/// takes it.
fn argument(word: &str) -> String {
    match word.split_once('=') {
        Some((key, value)) => format!("{key}={}", unquote(value)),
        None => word.to_owned(),
    }
}

/// Reads a line typed at the shell's main prompt (`hmp` and
/// `transaction(` are words of QMP's shell only).
pub fn parse(schema: &Schema, dialect: Dialect, line: &str) -> Result<Line, String> {
    let (words, open) = scan(line);
    if let Some(quote) = open {
        return Err(format!("unterminated quote ({quote})"));
    }
    let Some((first, rest)) = words.split_first() else {
        return Ok(Line::Empty);
    };
    // What follows the first word, as typed.
    let tail = line[first.start + first.text.len()..].trim();
    let qmp = dialect == Dialect::Qmp;
    match first.text {
        "help" | "?" => return Ok(Line::Help(rest.first().map(|w| w.text.to_owned()))),
        "quit" | "exit" if rest.is_empty() => return Ok(Line::Quit),
        "hmp" if qmp && tail.is_empty() => {
            return Err("hmp: give a human monitor command (`hmp info status`)".to_owned())
        }
        "hmp" if qmp => return Ok(Line::Hmp(tail.to_owned())),
        TRANSACTION if qmp => {
            let (actions, closed) = actions(schema, rest)?;
            return Ok(Line::Transaction { actions, closed });
        }
        _ => {}
    }
    let name = first.text;
    let arg_type = args::arg_type(schema, name)?;
    let mut arguments = Map::new();
    if tail.starts_with('{') {
        match serde_json::from_str(tail) {
            Ok(Value::Object(map)) => arguments = map,
            Ok(_) => return Err("the arguments must be a JSON object".to_owned()),
            Err(error) => return Err(format!("the arguments are not JSON: {error}")),
        }
    } else {
        let words: Vec<String> = rest.iter().map(|w| argument(w.text)).collect();
        let hint = format!("`help {name}` lists them");
        let target = Target {
            ty: &arg_type,
            owner: &format!("command '{name}'"),
            hint: &hint,
        };
        args::add_words(schema, &target, &mut arguments, &words)?;
    }
    args::check(schema, name, &arguments)?;
    Ok(Line::Run(name.to_owned(), arguments))
}

/// Reads a line typed inside `transaction(`: actions separated by `;`,
/// and `)` to end the transaction.
pub fn parse_actions(schema: &Schema, line: &str) -> Result<(Vec<Value>, bool), String> {
    let (words, open) = scan(line);
    if let Some(quote) = open {
        return Err(format!("unterminated quote ({quote})"));
    }
    actions(schema, &words)
}

/// The actions in `words` (`ACTION key=value... ; ACTION...`), each
/// checked, and whether a final `)` closes the transaction.
fn actions(schema: &Schema, words: &[Word<'_>]) -> Result<(Vec<Value>, bool), String> {
    let (words, closed) = match words.split_last() {
        Some((last, before)) if last.text == ")" => (before, true),
        _ => (words, false),
    };
    let mut actions = Vec::new();
    for group in words.split(|w| w.text == ";") {
        if group.is_empty() {
            continue;
        }
        let texts: Vec<&str> = group.iter().map(|w| w.text).collect();
        actions.push(action(schema, &texts)?);
    }
    Ok((actions, closed))
}

/// One transaction action, `ACTION key=value...`, as the `transaction`
/// command takes it: `{"type": ACTION, "data": {...}}`, its data typed by
/// the action's branch of the schema's `TransactionAction` and checked.
fn action(schema: &Schema, words: &[&str]) -> Result<Value, String> {
    let Some((kind, rest)) = words.split_first() else {
        return Err("an empty action".to_owned());
    };
    let data_type = action_data_type(schema, kind)?;
    let words: Vec<String> = rest.iter().map(|w| argument(w)).collect();
    let mut data = Map::new();
    let owner = format!("action '{kind}'");
    let target = Target {
        ty: &data_type,
        owner: &owner,
        hint: "`help transaction` shows the form",
    };
    args::add_words(schema, &target, &mut data, &words)?;
    let action = serde_json::json!({"type": kind, "data": data});
    // Checked alone, so that a mistake shows on its own line.
    let mut alone = Map::new();
    alone.insert("actions".to_owned(), Value::Array(vec![action.clone()]));
    schema
        .check_arguments("transaction", &alone)
        .map_err(|desc| format!("{owner}: {}", desc.replace("actions[0].", "")))?;
    Ok(action)
}

/// The transaction actions the schema knows, in order.
pub fn action_names(schema: &Schema) -> Vec<String> {
    action_cases(schema)
        .map(|cases| cases.into_iter().map(|(name, _)| name.to_owned()).collect())
        .unwrap_or_default()
}

/// The type of the `data` of transaction action `kind`.
pub fn action_data_type(schema: &Schema, kind: &str) -> Result<String, String> {
    let cases = action_cases(schema).ok_or("this schema has no transaction actions")?;
    let Some((_, wrapper)) = cases.iter().find(|(name, _)| *name == kind) else {
        return Err(format!(
            "unknown transaction action '{kind}'{}",
            args::suggest(kind, cases.iter().map(|(name, _)| *name))
        ));
    };
    args::member_type(schema, wrapper, &["data"], &format!("action '{kind}'"))
}

/// Each action of the `transaction` command's union (`actions`, an array
/// of `TransactionAction`), with its branch's type.
fn action_cases(schema: &Schema) -> Option<Vec<(&str, &str)>> {
    let arg_type = args::arg_type(schema, "transaction").ok()?;
    let array = args::member_type(schema, &arg_type, &["actions"], "").ok()?;
    let Some(InfoKind::Array { element_type }) = schema.get(&array).map(|i| &i.kind) else {
        return None;
    };
    let Some(InfoKind::Object {
        variants: Some(variants),
        ..
    }) = schema.get(element_type).map(|i| &i.kind)
    else {
        return None;
    };
    Some(
        variants
            .cases
            .iter()
            .map(|case| (case.case.as_str(), case.ty.as_str()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(line: &str) -> Vec<&str> {
        split(line).into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn words_keep_quotes_and_json_whole() {
        assert_eq!(
            texts(r#"  cmd a=1 desc="two words" x='{"k": 1}' y={"a": [1, 2]} z=["p", "q"] "#),
            [
                "cmd",
                "a=1",
                r#"desc="two words""#,
                r#"x='{"k": 1}'"#,
                r#"y={"a": [1, 2]}"#,
                r#"z=["p", "q"]"#
            ]
        );
        assert_eq!(split("a  bc")[1].start, 3);
        assert_eq!(texts(r#"a="x\" y" b"#), [r#"a="x\" y""#, "b"]);
        assert_eq!(unquote(r#""a \"b\"""#), r#"a "b""#);
        assert_eq!(unquote("'it'"), "it");
        assert_eq!(unquote(r#"["a","b"]"#), r#"["a","b"]"#);
    }

    fn run(line: &str) -> Result<Line, String> {
        parse(&Schema::bindings(), Dialect::Qmp, line)
    }

    #[test]
    fn commands_are_built_and_checked_as_the_one_shot_form() {
        let Ok(Line::Run(name, arguments)) =
            run(r#"block-dirty-bitmap-add node="disk 0" name=b0 persistent=on"#)
        else {
            panic!("not a command")
        };
        assert_eq!(name, "block-dirty-bitmap-add");
        assert_eq!(
            Value::Object(arguments),
            json!({"node": "disk 0", "name": "b0", "persistent": true})
        );
        assert_eq!(
            run("block-dirty-bitmap-add nod=x name=b"),
            Err("unknown argument 'nod' for command 'block-dirty-bitmap-add' (did you mean 'node'?)".into())
        );
        assert_eq!(
            run(r#"block-dirty-bitmap-add {"node": "x"}"#),
            Err(
                "Parameter 'name' is missing (command 'block-dirty-bitmap-add'; nothing was sent)"
                    .into()
            )
        );
        assert_eq!(
            run("query-stauts"),
            Err("unknown command 'query-stauts' (did you mean 'query-status'?)".into())
        );
        assert_eq!(run("   "), Ok(Line::Empty));
        assert_eq!(run("quit"), Ok(Line::Quit));
        assert!(matches!(run("quit {}"), Ok(Line::Run(..))));
        assert_eq!(
            run("hmp  info   status"),
            Ok(Line::Hmp("info   status".into()))
        );
        assert_eq!(run("help stop"), Ok(Line::Help(Some("stop".into()))));
        assert_eq!(run("stop a='b"), Err("unterminated quote (')".into()));
    }

    #[test]
    fn transactions_check_each_action_against_its_branch() {
        assert_eq!(
            run("transaction( block-dirty-bitmap-add node=n0 name=b0 ; abort )"),
            Ok(Line::Transaction {
                actions: vec![
                    json!({"type": "block-dirty-bitmap-add", "data": {"node": "n0", "name": "b0"}}),
                    json!({"type": "abort", "data": {}}),
                ],
                closed: true,
            })
        );
        assert_eq!(
            run("transaction("),
            Ok(Line::Transaction {
                actions: vec![],
                closed: false
            })
        );
        let schema = Schema::bindings();
        assert_eq!(
            parse_actions(&schema, "block-dirty-bitmap-add nod=n0 name=b0"),
            Err(
                "unknown argument 'nod' for action 'block-dirty-bitmap-add' (did you mean 'node'?)"
                    .into()
            )
        );
        assert_eq!(
            parse_actions(&schema, "block-dirty-bitmap-add node=n0"),
            Err("action 'block-dirty-bitmap-add': Parameter 'data.name' is missing".into())
        );
        assert_eq!(
            parse_actions(&schema, "block-dirty-bitmap-ad node=n0"),
            Err("unknown transaction action 'block-dirty-bitmap-ad' (did you mean 'block-dirty-bitmap-add'?)".into())
        );
        assert_eq!(parse_actions(&schema, ")"), Ok((vec![], true)));
        assert!(action_names(&schema).contains(&"abort".to_owned()));
    }
}
