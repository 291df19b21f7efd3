//! `qmp schema`: the compiled schema as a person reads it.
//!
//! Structure comes from the bindings' introspection (`Schema::bindings`),
//! the one the arguments are checked by; documentation from
//! `qmp_types::DOCS`, the schema's doc comments as `cargo xtask codegen`
//! extracted them. `qmp schema NAME` describes a command (arguments,
//! return type), an event (data) or a type (members, values, branches),
//! each member with its type, whether it is optional, its description,
//! and its type explained one level down (an enum's values, an object's
//! members, an alternate's choices); other types are named, for another
//! `qmp schema`. Without a name: every command with its summary.
//! `--search WORD`: every command, event and type whose name or
//! documentation has WORD, ignoring case.

use std::collections::HashMap;

use qmp_server::Schema;
use qmp_types::introspection::{InfoKind, MemberInfo, SchemaInfo, EMPTY_OBJECT};
use serde_json::Value;

use crate::cli::SchemaOptions;
use crate::exit::{Exit, Failure};
use crate::output::Out;

/// Where text is wrapped.
const WIDTH: usize = 80;
/// Where a line of the list of commands, or of `--search`, is cut.
const TABLE_WIDTH: usize = 100;
/// At most this many enum values or object members explained in one
/// member's line; the rest are counted.
const SHOWN: usize = 16;

pub fn run(options: SchemaOptions) -> Result<(), Failure> {
    show(&Schema::bindings(), &Docs::bindings(), options)
}

/// `qmp agent schema`: the same for the guest agent's schema.
pub fn run_agent(schema: &Schema, options: SchemaOptions) -> Result<(), Failure> {
    show(schema, &Docs::parse(qmp_types::agent::DOCS), options)
}

fn show(schema: &Schema, docs: &Docs, options: SchemaOptions) -> Result<(), Failure> {
    let text = match (&options.name, &options.search) {
        (_, Some(word)) => {
            let found = search(schema, docs, word);
            if found.is_empty() {
                eprintln!("qmp: no command, event or type has '{word}' in its name or docs");
            }
            found
        }
        (Some(name), None) => {
            describe(schema, docs, name).map_err(|message| Failure::new(Exit::Usage, message))?
        }
        (None, None) => list(schema, docs),
    };
    Out::stdout().text(&text)
}

/// One definition's documentation.
#[derive(Debug, Default)]
struct Doc {
    doc: Option<String>,
    members: HashMap<String, String>,
    returns: Option<String>,
    errors: Option<String>,
    since: Option<String>,
    features: HashMap<String, String>,
    condition: Option<String>,
}

impl Doc {
    /// Every text, for `--search`.
    fn texts(&self) -> impl Iterator<Item = &str> {
        self.doc
            .iter()
            .chain(self.members.values())
            .chain(&self.returns)
            .chain(&self.errors)
            .chain(self.features.values())
            .map(String::as_str)
    }
}

/// The documentation of every definition, by name.
#[derive(Debug, Default)]
pub struct Docs(HashMap<String, Doc>);

impl Docs {
    /// `qmp_types::DOCS`, which is generated and checked by the project's
    /// tests: anything unreadable in it is left out, not fatal.
    pub fn bindings() -> Docs {
        Docs::parse(qmp_types::DOCS)
    }

    pub fn parse(json: &str) -> Docs {
        let Ok(Value::Array(entries)) = serde_json::from_str::<Value>(json) else {
            return Docs::default();
        };
        let text = |entry: &Value, key: &str| entry[key].as_str().map(str::to_owned);
        let map = |entry: &Value, key: &str| -> HashMap<String, String> {
            entry[key]
                .as_object()
                .map(|object| {
                    object
                        .iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default()
        };
        Docs(
            entries
                .iter()
                .filter_map(|entry| {
                    let doc = Doc {
                        doc: text(entry, "doc"),
                        members: map(entry, "members"),
                        returns: text(entry, "returns"),
                        errors: text(entry, "errors"),
                        since: text(entry, "since"),
                        features: map(entry, "features"),
                        condition: text(entry, "if"),
                    };
                    Some((entry["name"].as_str()?.to_owned(), doc))
                })
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&Doc> {
        self.0.get(name)
    }

    /// The first sentence of `name`'s description, on one line.
    fn summary(&self, name: &str) -> String {
        let Some(text) = self.get(name).and_then(|d| d.doc.as_deref()) else {
            return String::new();
        };
        let paragraph = blocks(text)
            .into_iter()
            .find_map(|block| match block {
                Block::Break => None,
                Block::Text(text) | Block::Item(text) => Some(text),
            })
            .unwrap_or_default();
        match paragraph.find(". ") {
            Some(end) => paragraph[..=end].to_owned(),
            None => paragraph,
        }
    }
}

/// What an entry is, as the schema would say it.
fn kind_name(info: &SchemaInfo) -> &'static str {
    match &info.kind {
        InfoKind::Builtin { .. } => "built-in type",
        InfoKind::Enum { .. } => "enum",
        InfoKind::Array { .. } => "array",
        InfoKind::Object {
            variants: Some(_), ..
        } => "union",
        InfoKind::Object { .. } => "struct",
        InfoKind::Alternate { .. } => "alternate",
        InfoKind::Command { .. } => "command",
        InfoKind::Event { .. } => "event",
    }
}

/// Whether a person may ask for it by name: commands, events and the
/// types the schema names (not the implicit ones, arrays or built-ins).
fn is_named(info: &SchemaInfo) -> bool {
    match &info.kind {
        InfoKind::Command { .. } | InfoKind::Event { .. } => true,
        InfoKind::Builtin { .. } | InfoKind::Array { .. } => false,
        _ => !info.name.starts_with("q_"),
    }
}

/// Every command, one a line, with its summary.
fn list(schema: &Schema, docs: &Docs) -> String {
    let commands: Vec<&SchemaInfo> = schema
        .infos()
        .filter(|info| matches!(info.kind, InfoKind::Command { .. }))
        .collect();
    table(commands.iter().map(|info| (None, info.name.as_str())), docs)
}

/// Every command, event and type whose name or docs has `word`: commands
/// first, then events, then types, each by name.
fn search(schema: &Schema, docs: &Docs, word: &str) -> String {
    let word = word.to_lowercase();
    let has = |text: &str| text.to_lowercase().contains(&word);
    let mut found: Vec<(u8, &SchemaInfo)> = schema
        .infos()
        .filter(|info| is_named(info))
        .filter(|info| has(&info.name) || docs.get(&info.name).is_some_and(|d| d.texts().any(has)))
        .map(|info| {
            let rank = match info.kind {
                InfoKind::Command { .. } => 0,
                InfoKind::Event { .. } => 1,
                _ => 2,
            };
            (rank, info)
        })
        .collect();
    found.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
    table(
        found
            .iter()
            .map(|(_, info)| (Some(kind_name(info)), info.name.as_str())),
        docs,
    )
}

/// Lines of `[kind] name summary`, in columns, each cut to [`TABLE_WIDTH`]
/// (`qmp schema NAME` has the rest).
fn table<'a>(
    rows: impl Iterator<Item = (Option<&'a str>, &'a str)> + Clone,
    docs: &Docs,
) -> String {
    let kind_width = rows.clone().filter_map(|(k, _)| k).map(str::len).max();
    let name_width = rows.clone().map(|(_, n)| n.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (kind, name) in rows {
        let mut line = String::new();
        if let (Some(kind), Some(width)) = (kind, kind_width) {
            line.push_str(&format!("{kind:<width$}  "));
        }
        line.push_str(&format!("{name:<name_width$}  {}", docs.summary(name)));
        out.push_str(&cut(line.trim_end(), TABLE_WIDTH));
        out.push('\n');
    }
    out
}

/// `line` cut to `width` characters, an ellipsis saying so.
fn cut(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_owned();
    }
    let mut cut: String = line.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

/// The description of `name`, or why there is none.
pub fn describe(schema: &Schema, docs: &Docs, name: &str) -> Result<String, String> {
    let Some(info) = schema.get(name) else {
        let named: Vec<&str> = schema
            .infos()
            .filter(|info| is_named(info))
            .map(|info| info.name.as_str())
            .collect();
        // A name that differs only in case is the likeliest meant.
        let hint = match named.iter().find(|n| n.eq_ignore_ascii_case(name)) {
            Some(same) => format!(" (did you mean '{same}'?)"),
            None => crate::args::suggest(name, named.iter().copied()),
        };
        return Err(format!("no command, event or type '{name}'{hint}"));
    };
    let page = Page {
        schema,
        docs,
        out: String::new(),
    };
    Ok(page.describe(info))
}

/// A description being written.
struct Page<'a> {
    schema: &'a Schema,
    docs: &'a Docs,
    out: String,
}

impl Page<'_> {
    fn describe(mut self, info: &SchemaInfo) -> String {
        let doc = self.docs.get(&info.name);
        self.line(&format!("{} ({})", info.name, kind_name(info)));
        if let Some(text) = doc.and_then(|d| d.doc.as_deref()) {
            self.blank();
            self.prose(text, 2);
        }
        let members = doc.map(|d| &d.members);
        match &info.kind {
            InfoKind::Command {
                arg_type,
                ret_type,
                allow_oob,
            } => {
                self.blank();
                self.object("Arguments", arg_type, members);
                self.blank();
                self.returns(ret_type, doc.and_then(|d| d.returns.as_deref()));
                if let Some(errors) = doc.and_then(|d| d.errors.as_deref()) {
                    self.blank();
                    self.line("Errors:");
                    self.prose(errors, 2);
                }
                if *allow_oob {
                    self.blank();
                    self.line("Out of band: allowed (\"exec-oob\").");
                }
            }
            InfoKind::Event { arg_type } => {
                self.blank();
                self.object("Data", arg_type, members);
            }
            InfoKind::Object { .. } => {
                self.blank();
                self.fields("Members:", &info.name, members);
            }
            InfoKind::Enum { members: values } => {
                self.blank();
                self.line("Values:");
                for value in values {
                    self.line(&format!("  {}{}", value.name, flags(&value.features)));
                    if let Some(text) = members.and_then(|m| m.get(&value.name)) {
                        self.prose(text, 6);
                    }
                }
            }
            InfoKind::Alternate { members: choices } => {
                self.blank();
                self.line("One of (told apart by JSON type):");
                for choice in choices {
                    self.line(&format!("  {choice}"));
                    if let Some(text) = members.and_then(|m| m.get(choice)) {
                        self.prose(text, 6);
                    }
                    self.explain(choice, 6);
                }
            }
            InfoKind::Builtin { json_type } => {
                self.blank();
                self.line(&format!("Sent as JSON {json_type}."));
            }
            InfoKind::Array { element_type } => {
                self.blank();
                self.line(&format!("An array of {element_type}."));
                self.explain(element_type, 2);
            }
        }
        self.used_by(info);
        self.features(&info.features, doc);
        if let Some(condition) = doc.and_then(|d| d.condition.as_deref()) {
            self.blank();
            self.wrapped(
                &format!("Condition: {condition} (QEMU builds without it lack this)"),
                0,
                4,
            );
        }
        if let Some(since) = doc.and_then(|d| d.since.as_deref()) {
            self.blank();
            self.line(&format!("Since: {}", since.trim()));
        }
        self.out
    }

    /// A command's arguments or an event's data: the members of object
    /// type `ty`, under `title`.
    fn object(&mut self, title: &str, ty: &str, docs: Option<&HashMap<String, String>>) {
        if ty == EMPTY_OBJECT {
            self.line(&format!("{title}: none"));
        } else if ty.starts_with("q_obj_") {
            self.fields(&format!("{title}:"), ty, docs);
        } else {
            // A type of its own: its name is worth knowing, and its docs
            // are the command's or event's (copied there by codegen).
            self.fields(&format!("{title} ({ty}):"), ty, docs);
        }
    }

    /// What a command returns: the type, its description, and the members
    /// of an object (or of an array's object elements).
    fn returns(&mut self, ty: &str, text: Option<&str>) {
        let element = match self.schema.get(ty).map(|i| &i.kind) {
            Some(InfoKind::Array { element_type }) => Some(element_type.clone()),
            _ => None,
        };
        let shown = match (&element, ty) {
            (_, EMPTY_OBJECT) => "nothing (an empty object)".to_owned(),
            (Some(element), _) => format!("{ty}, an array of {element}"),
            (None, _) => ty.to_owned(),
        };
        self.line(&format!("Returns: {shown}"));
        if let Some(text) = text {
            self.prose(text, 2);
        }
        let object = element.as_deref().unwrap_or(ty);
        match self.schema.get(object).map(|i| &i.kind) {
            Some(InfoKind::Object { .. }) if object != EMPTY_OBJECT => {
                let docs = self.docs.get(object).map(|d| &d.members);
                if text.is_some() {
                    self.blank();
                }
                self.fields("", object, docs);
            }
            Some(_) if object != EMPTY_OBJECT => self.explain(object, 2),
            _ => {}
        }
    }

    /// The members of object type `ty`, each with its type, whether it
    /// is optional, its description (from `docs`) and its type explained;
    /// then a union's branches.
    fn fields(&mut self, title: &str, ty: &str, docs: Option<&HashMap<String, String>>) {
        let Some(InfoKind::Object { members, variants }) = self.schema.get(ty).map(|i| &i.kind)
        else {
            return;
        };
        if !title.is_empty() {
            self.line(title);
        }
        for member in members {
            self.line(&format!("  {}", member_line(member)));
            if let Some(text) = docs.and_then(|d| d.get(&member.name)) {
                self.prose(text, 6);
            }
            self.explain(&member.ty, 6);
        }
        if let Some(variants) = variants {
            self.line(&format!(
                "  More members, by the value of '{}':",
                variants.tag
            ));
            for case in &variants.cases {
                let what = if case.ty == EMPTY_OBJECT {
                    "(none)".to_owned()
                } else {
                    case.ty.clone()
                };
                self.line(&format!("    {}: {what}", case.case));
            }
        }
    }

    /// Type `ty` one level down, indented: an enum's values, an object's
    /// members, an alternate's choices, an array's element so; built-in
    /// types need no more than their name.
    fn explain(&mut self, ty: &str, indent: usize) {
        let Some(text) = self.shape(ty, true) else {
            return;
        };
        self.wrapped(&text, indent, indent + 4);
    }

    /// One line about type `ty`, or `None` for a built-in type.
    fn shape(&self, ty: &str, array_ok: bool) -> Option<String> {
        let info = self.schema.get(ty)?;
        let text = match &info.kind {
            InfoKind::Builtin { .. } => return None,
            InfoKind::Enum { members } => format!(
                "{ty}: one of {}",
                shown(members.iter().map(|m| m.name.clone()), ty, " | ")
            ),
            InfoKind::Object { members, variants } => {
                let mut text = format!(
                    "{ty}: {{{}}}",
                    shown(
                        members.iter().map(|m| {
                            let optional = if m.optional { "?" } else { "" };
                            format!("{}{optional}: {}", m.name, m.ty)
                        }),
                        ty,
                        ", "
                    )
                );
                if let Some(variants) = variants {
                    text.push_str(&format!(
                        ", and more by '{}' (qmp schema {ty})",
                        variants.tag
                    ));
                }
                text
            }
            InfoKind::Alternate { members } => {
                format!("{ty}: {}", members.join(" or "))
            }
            InfoKind::Array { element_type } if array_ok => {
                return self.shape(element_type, false);
            }
            _ => return None,
        };
        Some(text)
    }

    /// What refers to the type `info` directly: members of other types
    /// (`Type.member`, or `command.argument` for inline arguments), union
    /// branches, alternates, the commands that take or return it, the
    /// events that carry it.
    fn used_by(&mut self, info: &SchemaInfo) {
        if matches!(
            info.kind,
            InfoKind::Command { .. } | InfoKind::Event { .. } | InfoKind::Builtin { .. }
        ) {
            return;
        }
        let name = &info.name;
        let array = format!("[{name}]");
        let is = |ty: &String| *ty == *name || *ty == array;
        let mut users: Vec<String> = Vec::new();
        for user in self.schema.infos() {
            let owner = owner(&user.name);
            match &user.kind {
                InfoKind::Command { arg_type, .. } if arg_type == name => {
                    users.push(format!("{owner} (arguments)"))
                }
                InfoKind::Command { ret_type, .. } if is(ret_type) => {
                    users.push(format!("{owner} (returns)"))
                }
                InfoKind::Event { arg_type } if arg_type == name => {
                    users.push(format!("{owner} (data)"))
                }
                InfoKind::Object { members, variants } => {
                    for member in members.iter().filter(|m| is(&m.ty)) {
                        users.push(format!("{owner}.{}", member.name));
                    }
                    if let Some(variants) = variants {
                        let cases: Vec<&str> = variants
                            .cases
                            .iter()
                            .filter(|c| c.ty == *name)
                            .map(|c| c.case.as_str())
                            .collect();
                        if !cases.is_empty() {
                            users.push(format!("{owner} ({} {})", variants.tag, cases.join("|")));
                        }
                    }
                }
                InfoKind::Alternate { members } if members.iter().any(is) => {
                    users.push(owner.to_owned())
                }
                _ => {}
            }
        }
        if users.len() > SHOWN {
            let more = users.len() - SHOWN;
            users.truncate(SHOWN);
            users.push(format!("and {more} more"));
        }
        if !users.is_empty() {
            self.blank();
            let mut line = String::from("Used by:");
            for (i, user) in users.iter().enumerate() {
                let comma = if i + 1 < users.len() { "," } else { "" };
                if line.len() + 1 + user.len() + comma.len() > WIDTH && line.trim() != "" {
                    self.line(&line);
                    line = " ".repeat(3);
                }
                line.push(' ');
                line.push_str(user);
                line.push_str(comma);
            }
            self.line(&line);
        }
    }

    /// The entry's features, each with its description.
    fn features(&mut self, features: &[String], doc: Option<&Doc>) {
        let described: Vec<&String> = doc
            .map(|d| {
                let mut names: Vec<&String> = d
                    .features
                    .keys()
                    .filter(|name| !features.contains(name))
                    .collect();
                names.sort();
                names
            })
            .unwrap_or_default();
        if features.is_empty() && described.is_empty() {
            return;
        }
        self.blank();
        self.line("Features:");
        for name in features.iter().chain(described) {
            self.line(&format!("  {name}"));
            if let Some(text) = doc.and_then(|d| d.features.get(name)) {
                self.prose(text, 6);
            }
        }
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        if !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Doc text, reflowed and wrapped, indented by `indent`.
    fn prose(&mut self, text: &str, indent: usize) {
        let mut first = true;
        for block in blocks(text) {
            match block {
                Block::Break => {
                    if !first {
                        self.out.push('\n');
                    }
                }
                Block::Text(text) => {
                    self.wrapped(&text, indent, indent);
                    first = false;
                }
                Block::Item(text) => {
                    self.wrapped(&format!("- {text}"), indent, indent + 2);
                    first = false;
                }
            }
        }
    }

    /// `text` wrapped at [`WIDTH`]: its first line indented by `first`,
    /// the others by `rest`.
    fn wrapped(&mut self, text: &str, first: usize, rest: usize) {
        for line in wrap(text, first, rest) {
            self.line(&line);
        }
    }
}

/// The definition an implicit type (`q_obj_NAME-arg`, `q_obj_NAME-base`)
/// was written in, or `name` itself.
fn owner(name: &str) -> &str {
    name.strip_prefix("q_obj_")
        .and_then(|rest| {
            rest.strip_suffix("-arg")
                .or_else(|| rest.strip_suffix("-base"))
        })
        .unwrap_or(name)
}

/// `name: type`, and whether it is optional, deprecated or unstable.
fn member_line(member: &MemberInfo) -> String {
    let optional = if member.optional { " (optional)" } else { "" };
    format!(
        "{}: {}{optional}{}",
        member.name,
        member.ty,
        flags(&member.features)
    )
}

/// ` [deprecated]`, ` [unstable]`, or nothing.
fn flags(features: &[String]) -> String {
    features
        .iter()
        .filter(|f| matches!(f.as_str(), "deprecated" | "unstable"))
        .map(|f| format!(" [{f}]"))
        .collect()
}

/// At most [`SHOWN`] of `items`, joined, and how many more there are.
fn shown(items: impl ExactSizeIterator<Item = String>, ty: &str, separator: &str) -> String {
    let total = items.len();
    let mut text = items.take(SHOWN).collect::<Vec<_>>().join(separator);
    if total > SHOWN {
        text.push_str(&format!(
            "{separator}… {} more (qmp schema {ty})",
            total - SHOWN
        ));
    }
    text
}

/// A piece of doc text, reflowed.
#[derive(Debug, PartialEq)]
enum Block {
    /// A paragraph, on one line.
    Text(String),
    /// A list item (`- ...`), on one line, without its mark.
    Item(String),
    /// A blank line between paragraphs.
    Break,
}

/// The schema's doc text (reStructuredText, lines joined with `\n`,
/// continuation lines indented) as paragraphs and list items, each on one
/// line, with the marks a terminal does not need dropped: `@name` is
/// `name`, ` ``code`` ` is `code`.
fn blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut after_break = true;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            if !after_break {
                blocks.push(Block::Break);
            }
            after_break = true;
            continue;
        }
        let line = plain(line);
        if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
            blocks.push(Block::Item(item.to_owned()));
        } else if after_break {
            blocks.push(Block::Text(line));
        } else {
            match blocks.last_mut() {
                Some(Block::Text(text) | Block::Item(text)) => {
                    text.push(' ');
                    text.push_str(&line);
                }
                _ => blocks.push(Block::Text(line)),
            }
        }
        after_break = false;
    }
    if blocks.last() == Some(&Block::Break) {
        blocks.pop();
    }
    blocks
}

/// A line without `@` before names and without ` `` ` around code.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '@' if chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '_') => {}
            '`' if chars.peek() == Some(&'`') => {
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// `text` in lines of at most [`WIDTH`] characters (a longer word stands
/// alone), the first indented by `first`, the others by `rest`.
fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = " ".repeat(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            lines.push(std::mem::replace(&mut line, " ".repeat(rest)));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(name: &str) -> Result<String, String> {
        describe(&Schema::bindings(), &Docs::bindings(), name)
    }

    #[test]
    fn every_documented_name_is_in_the_schema() {
        let schema = Schema::bindings();
        let docs = Docs::bindings();
        assert!(docs.0.len() > 500, "{} entries", docs.0.len());
        for name in docs.0.keys() {
            assert!(
                schema.get(name).is_some(),
                "{name} is documented but absent"
            );
        }
    }

    #[test]
    fn a_command_shows_its_docs_arguments_and_return_type() {
        let text = page("query-status").unwrap();
        assert!(text.starts_with("query-status (command)\n\n  Ask in which state"));
        assert!(text.contains("Arguments: none"), "{text}");
        assert!(
            text.contains("Returns: StatusInfo\n  The run state.\n"),
            "{text}"
        );
        assert!(text.contains("  running: bool\n      True if the virtual CPUs"));
        assert!(text.contains("  status: RunState\n"), "{text}");
        assert!(text.contains("RunState: one of debug | "), "{text}");
        assert!(text.ends_with("Since: 0.14\n"), "{text}");

        let text = page("block-dirty-bitmap-add").unwrap();
        assert!(text.contains("Arguments (BlockDirtyBitmapAdd):\n  node: str\n"));
        assert!(text.contains("  granularity: uint32 (optional)\n      How many bytes"));
        assert!(text.contains("Returns: nothing"), "{text}");
    }

    #[test]
    fn nested_types_are_explained_one_level_down() {
        let text = page("block-dirty-bitmap-merge").unwrap();
        assert!(
            text.contains("BlockDirtyBitmapOrStr: str or BlockDirtyBitmap"),
            "{text}"
        );
        let text = page("blockdev-add").unwrap();
        assert!(text.contains("More members, by the value of 'driver':"));
        assert!(
            text.contains("    null-co: BlockdevOptionsNull\n"),
            "{text}"
        );
    }

    #[test]
    fn types_and_events_show_their_members() {
        let text = page("RunState").unwrap();
        assert!(text.contains("Values:\n  debug\n"), "{text}");
        assert!(text.contains("Used by: StatusInfo.status"), "{text}");
        let text = page("BLOCK_JOB_COMPLETED").unwrap();
        assert!(text.contains("Data:\n  type: JobType\n"), "{text}");
        let text = page("BlockDirtyBitmapOrStr").unwrap();
        assert!(text.contains("One of"), "{text}");
    }

    #[test]
    fn an_unknown_name_gets_the_nearest() {
        assert_eq!(
            page("query-stauts"),
            Err("no command, event or type 'query-stauts' (did you mean 'query-status'?)".into())
        );
        assert_eq!(
            page("statusinfo"),
            Err("no command, event or type 'statusinfo' (did you mean 'StatusInfo'?)".into())
        );
    }

    #[test]
    fn the_list_and_search_have_one_line_each() {
        let schema = Schema::bindings();
        let docs = Docs::bindings();
        let list = list(&schema, &docs);
        assert!(list.lines().any(|l| l.starts_with("query-status ")
            && l.ends_with("Ask in which state the virtual machine is.")));
        let found = search(&schema, &docs, "BITMAP");
        assert!(found
            .lines()
            .all(|l| l.to_lowercase().contains("bitmap") || !l.is_empty()));
        assert!(found
            .lines()
            .any(|l| l.starts_with("command") && l.contains("block-dirty-bitmap-add ")));
        assert!(found.lines().any(|l| l.contains(" BlockDirtyBitmapAdd ")));
        assert!(search(&schema, &docs, "no-such-word-anywhere").is_empty());
    }

    #[test]
    fn doc_text_is_reflowed() {
        assert_eq!(
            blocks("Use @node, or\n    ``x``.\n\n    - If a.\n    - If b\n      too."),
            vec![
                Block::Text("Use node, or x.".into()),
                Block::Break,
                Block::Item("If a.".into()),
                Block::Item("If b too.".into()),
            ]
        );
        let lines = wrap(&"word ".repeat(40), 2, 6);
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("  word") && lines[1].starts_with("      word"));
        assert!(lines.iter().all(|l| l.len() <= WIDTH), "{lines:?}");
    }
}
