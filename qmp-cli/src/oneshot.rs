//! `qmp COMMAND key=value...`: one command, its answer printed.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use serde_json::Value;

use crate::cli::{Connection, Output};
use crate::connect::connect;
use crate::exit::{Exit, Failure};

/// How the answer is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Pretty,
    Raw,
    Value,
}

/// A command's words: its name, its `key=value` arguments, and the
/// options that may follow the name.
pub struct Words {
    pub name: String,
    pub arguments: Vec<String>,
    pub style: Style,
    /// `--json`'s object, as text.
    pub json: Option<String>,
    /// `--fd` (before the name, or after it).
    pub fds: Vec<String>,
}

impl Words {
    /// Splits `words` (the command's name first); `output` holds the
    /// options given before the name.
    pub fn split(output: &Output, words: Vec<String>) -> Result<Words, Failure> {
        let mut style = if output.raw {
            Style::Raw
        } else if output.value {
            Style::Value
        } else {
            Style::Pretty
        };
        let mut words = words.into_iter();
        let name = words
            .next()
            .ok_or_else(|| Failure::new(Exit::Usage, "no command given"))?;
        let mut json = None;
        let mut fds = output.fd.clone();
        let mut arguments = Vec::new();
        while let Some(word) = words.next() {
            match word.as_str() {
                "--raw" => style = Style::Raw,
                "--value" | "-q" => style = Style::Value,
                "--fd" => fds.push(
                    words
                        .next()
                        .ok_or_else(|| Failure::new(Exit::Usage, "--fd needs N or PATH"))?,
                ),
                "--json" => {
                    json = Some(words.next().ok_or_else(|| {
                        Failure::new(Exit::Usage, "--json needs the arguments as a JSON object")
                    })?)
                }
                _ => arguments.push(word),
            }
        }
        Ok(Words {
            name,
            arguments,
            style,
            json,
            fds,
        })
    }
}

/// Runs the command in `words` (its name first).
pub async fn run(
    connection: &Connection,
    output: &Output,
    words: Vec<String>,
) -> Result<(), Failure> {
    let Words {
        name,
        arguments,
        style,
        json,
        fds,
    } = Words::split(output, words)?;
    let name = name.as_str();
    let schema = qmp_server::Schema::bindings();
    let hint = format!("run `qmp schema {name}` for the keys");
    let arguments = crate::args::build(&schema, name, &arguments, json.as_deref(), &hint)
        .map_err(|message| Failure::new(Exit::Usage, message))?;
    let fds = fds
        .iter()
        .map(|spec| open_fd(spec))
        .collect::<Result<Vec<_>, _>>()?;
    let connected = connect(connection).await?;
    let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(AsFd::as_fd).collect();
    let answer = if borrowed.is_empty() {
        connected
            .client
            .execute_raw(name, Value::Object(arguments))
            .await?
    } else {
        connected
            .client
            .execute_raw_with_fds(name, Value::Object(arguments), &borrowed)
            .await?
    };
    crate::output::Out::stdout().text(&render(&answer, style))
}

/// The descriptor `spec` names: inherited (a number) or a file opened
/// now.
fn open_fd(spec: &str) -> Result<OwnedFd, Failure> {
    if let Ok(number) = spec.parse::<i32>() {
        // Reopened through /proc (code without `unsafe` cannot take a raw
        // number): the same file or pipe, in the widest mode it allows.
        let path = format!("/proc/self/fd/{number}");
        let open = |read, write| std::fs::File::options().read(read).write(write).open(&path);
        return open(true, true)
            .or_else(|_| open(true, false))
            .or_else(|_| open(false, true))
            .map(Into::into)
            .map_err(|e| Failure::new(Exit::Usage, format!("--fd {number}: {e}")));
    }
    std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(spec)
        .map(Into::into)
        .map_err(|e| Failure::new(Exit::Usage, format!("--fd {spec}: {e}")))
}

/// The answer as `style` prints it, with its final newline.
pub fn render(answer: &Value, style: Style) -> String {
    let text = match (style, answer) {
        (Style::Pretty, _) => serde_json::to_string_pretty(answer).unwrap_or_default(),
        (Style::Raw, _) => answer.to_string(),
        (Style::Value, Value::Object(map)) if map.is_empty() => return String::new(),
        (Style::Value, Value::String(text)) => text.clone(),
        (Style::Value, _) => answer.to_string(),
    };
    text + "\n"
}
