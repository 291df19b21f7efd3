//! `cargo xtask draft --qemu BINARY --out DIR`: a first draft of QAPI
//! definitions from a live QEMU's introspection.
//!
//! The structure (commands, events, members, optionality, types, enum
//! values, union variants, alternatives, features, `allow-oob`) comes from
//! `query-qmp-schema`. QEMU hides the names of types there; they are part
//! of its documented interface all the same, so they are recovered by
//! walking the live introspection in parallel with that of QEMU's own
//! schema from the QAPI corpus ([`crate::verify::compare`]). From the
//! corpus's checked model the draft takes names only, plus what
//! introspection cannot show: which integer type a member has (`uint64`
//! rather than `int`), a command's `boxed`, `gen`, `success-response`,
//! `allow-preconfig` and `coroutine`, and alternates' branch names. No
//! text (documentation, comments) is taken from there: every definition
//! gets a `# TODO: doc` line.
//!
//! Definitions go to one file per corpus file they appear in (types the
//! corpus does not name go to `unnamed.json`, named `UnnamedN`), in corpus
//! order; `qapi-schema.json` includes them all and holds the pragmas the
//! names need. Union bases are written inline and struct bases flattened:
//! humans decide what to factor out.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use qmp_codegen::introspect::{self, Conditions, Config, InfoKind, MemberInfo, SchemaInfo};
use qmp_codegen::model::{Body, Builtin, DefId, JsonType, Schema, TypeRef};
use qmp_codegen::source::SourceMap;

use crate::qmp::Kind;
use crate::verify::{compare, LiveArgs};

/// Arguments of `cargo xtask draft`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    live: LiveArgs,
    /// The directory to write the draft into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The corpus schema to recover type names from; by default QEMU
    /// 10.0's schema for the binary's kind, from the QAPI corpus.
    #[arg(long, value_name = "PATH")]
    corpus: Option<PathBuf>,
}

/// Writes the draft.
pub fn run(args: &Args) -> ExitCode {
    let start = Instant::now();
    match draft(args) {
        Ok(summary) => {
            println!("{summary}");
            eprintln!("draft: took {:.2?}", start.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn draft(args: &Args) -> Result<String, String> {
    let live = args.live.load()?;
    let corpus_path = match &args.corpus {
        Some(path) => path.clone(),
        None => default_corpus_schema(args.live.kind().unwrap_or(Kind::System)),
    };
    let checked =
        qmp_codegen::check_file(&corpus_path, &Default::default()).map_err(|e| e.to_string())?;
    let corpus = checked
        .schema
        .as_ref()
        .ok_or_else(|| format!("{} has errors", corpus_path.display()))?;
    let files = Drafter::new(&live, corpus, &checked.sources).files();
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    for (name, text) in &files {
        let path = args.out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let count = |meta: &str| live.iter().filter(|i| i.meta_type() == meta).count();
    Ok(format!(
        "draft: {} commands, {} events in {} files in {}",
        count("command"),
        count("event"),
        files.len(),
        args.out.display()
    ))
}

/// QEMU 10.0's root schema in the QAPI corpus for a kind of binary.
fn default_corpus_schema(kind: Kind) -> PathBuf {
    let corpus = match std::env::var_os("QAPI_CORPUS") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => crate::prereq::default_corpus(&crate::project_root()),
    };
    let qemu = corpus.join("qemu-10.0.0");
    match kind {
        Kind::System => qemu.join("qapi/qapi-schema.json"),
        Kind::StorageDaemon => qemu.join("storage-daemon/qapi/qapi-schema.json"),
    }
}

/// Where definitions without a corpus counterpart go.
const UNNAMED_FILE: &str = "unnamed.json";

/// How a live type is written in the draft.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Role {
    /// A definition of its own, by this name.
    Named(String),
    /// A command's or event's inline `data`.
    Inline,
    /// QEMU's empty object: no `data`, no `returns`, no union branch.
    Empty,
    /// The built-in enum `QType`.
    QType,
}

struct Drafter<'a> {
    live: &'a [SchemaInfo],
    table: HashMap<&'a str, &'a SchemaInfo>,
    corpus: &'a Schema,
    sources: &'a SourceMap,
    /// Corpus definitions by name, implicit ones included.
    corpus_ids: HashMap<&'a str, DefId>,
    /// Live type name → corpus type name, from the parallel walk.
    to_corpus: HashMap<String, String>,
    roles: HashMap<&'a str, Role>,
    /// Names with upper case or `_` need these pragma lists.
    command_name_exceptions: Vec<String>,
    command_returns_exceptions: Vec<String>,
    member_name_exceptions: Vec<String>,
}

impl<'a> Drafter<'a> {
    fn new(live: &'a [SchemaInfo], corpus: &'a Schema, sources: &'a SourceMap) -> Self {
        let corpus_infos = introspect::introspect(
            corpus,
            &Config {
                unmask: true,
                conditions: Conditions::AllPresent,
                ..Config::default()
            },
        );
        let report = compare::compare(live, &corpus_infos);
        let mut to_corpus = HashMap::new();
        for (l, c) in report.pairs {
            to_corpus.entry(l).or_insert(c);
        }
        let corpus_ids = corpus.iter().map(|(id, d)| (d.name.as_str(), id)).collect();
        let mut drafter = Drafter {
            live,
            table: live.iter().map(|i| (i.name.as_str(), i)).collect(),
            corpus,
            sources,
            corpus_ids,
            to_corpus,
            roles: HashMap::new(),
            command_name_exceptions: Vec::new(),
            command_returns_exceptions: Vec::new(),
            member_name_exceptions: Vec::new(),
        };
        drafter.assign_roles();
        drafter
    }

    /// Every live type reached from a command or event. QEMU also reports
    /// types reached only through members or branches compiled out of it;
    /// those are left out of the draft.
    fn reachable(&self) -> HashSet<&'a str> {
        let mut seen: HashSet<&'a str> = HashSet::new();
        let mut queue: Vec<&'a str> = Vec::new();
        for info in self.live {
            match &info.kind {
                InfoKind::Command {
                    arg_type, ret_type, ..
                } => queue.extend([arg_type.as_str(), ret_type.as_str()]),
                InfoKind::Event { arg_type } => queue.push(arg_type),
                _ => {}
            }
        }
        while let Some(name) = queue.pop() {
            if !seen.insert(name) {
                continue;
            }
            match self.table.get(name).map(|i| &i.kind) {
                Some(InfoKind::Array { element_type }) => queue.push(element_type),
                Some(InfoKind::Object { members, variants }) => {
                    queue.extend(members.iter().map(|m| m.ty.as_str()));
                    if let Some(v) = variants {
                        queue.extend(v.cases.iter().map(|c| c.ty.as_str()));
                    }
                }
                Some(InfoKind::Alternate { members }) => {
                    queue.extend(members.iter().map(String::as_str))
                }
                _ => {}
            }
        }
        seen
    }

    fn assign_roles(&mut self) {
        let mut taken = HashSet::new();
        let mut unnamed = 0;
        let reachable = self.reachable();
        for info in self.live {
            if !reachable.contains(info.name.as_str()) {
                continue;
            }
            if !matches!(
                info.kind,
                InfoKind::Object { .. } | InfoKind::Enum { .. } | InfoKind::Alternate { .. }
            ) {
                continue;
            }
            let corpus = self.to_corpus.get(&info.name).map(String::as_str);
            let role = match corpus {
                Some(introspect::EMPTY_OBJECT) => Role::Empty,
                Some("QType") => Role::QType,
                Some(name) if name.starts_with("q_obj_") => Role::Inline,
                Some(name) if taken.insert(name.to_string()) => Role::Named(name.to_string()),
                _ => {
                    let name = loop {
                        let name = format!("Unnamed{unnamed}");
                        unnamed += 1;
                        if taken.insert(name.clone()) {
                            break name;
                        }
                    };
                    Role::Named(name)
                }
            };
            self.roles.insert(info.name.as_str(), role);
        }
    }

    fn role(&self, live: &str) -> Role {
        self.roles
            .get(live)
            .cloned()
            .unwrap_or_else(|| Role::Named(live.to_string()))
    }

    fn corpus_id(&self, live: &str) -> Option<DefId> {
        let name = self.to_corpus.get(live)?;
        self.corpus_ids.get(name.as_str()).copied()
    }

    /// The corpus file a corpus definition is in ([`UNNAMED_FILE`] if none).
    fn file_of(&self, id: Option<DefId>) -> String {
        id.and_then(|id| {
            let def = self.corpus.definition(id);
            let path = &self.sources.file(def.span.file).path;
            path.file_name().map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| UNNAMED_FILE.to_string())
    }

    /// The draft's files: name → text.
    fn files(mut self) -> BTreeMap<String, String> {
        // (file, sort key) → text; corpus order, then live order for the
        // rest.
        let mut items: Vec<(String, (u32, usize), String)> = Vec::new();
        for (index, info) in self.live.iter().enumerate() {
            let (id, text) = match &info.kind {
                InfoKind::Command { .. } | InfoKind::Event { .. } => {
                    let id = self.corpus.lookup(&info.name);
                    (id, self.entity(info, id))
                }
                InfoKind::Object { .. } | InfoKind::Enum { .. } | InfoKind::Alternate { .. } => {
                    let Some(Role::Named(name)) = self.roles.get(info.name.as_str()).cloned()
                    else {
                        continue;
                    };
                    let id = self.corpus_id(&info.name);
                    (id, self.type_definition(&name, info, id))
                }
                _ => continue,
            };
            let key = (id.map_or(u32::MAX, |id| id.0), index);
            items.push((self.file_of(id), key, text));
        }
        // Files in order of their first definition in the corpus.
        let mut first: HashMap<String, (u32, usize)> = HashMap::new();
        for (file, key, _) in &items {
            let entry = first.entry(file.clone()).or_insert(*key);
            *entry = (*entry).min(*key);
        }
        items.sort_by(|a, b| (first[&a.0], a.1).cmp(&(first[&b.0], b.1)));

        let mut files: BTreeMap<String, String> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for (file, _, text) in items {
            let body = files.entry(file.clone()).or_insert_with(|| {
                order.push(file.clone());
                "# Drafted by `cargo xtask draft`.\n# TODO: doc\n".to_string()
            });
            body.push('\n');
            body.push_str(&text);
        }
        let mut root = String::from(
            "# Drafted by `cargo xtask draft` from a live QEMU's query-qmp-schema.\n\
             # TODO: doc\n",
        );
        let mut pragma = Vec::new();
        for (key, list) in [
            ("command-name-exceptions", &mut self.command_name_exceptions),
            (
                "command-returns-exceptions",
                &mut self.command_returns_exceptions,
            ),
            ("member-name-exceptions", &mut self.member_name_exceptions),
        ] {
            list.sort();
            list.dedup();
            if !list.is_empty() {
                pragma.push(format!("    '{key}': {}", string_list(list)));
            }
        }
        if !pragma.is_empty() {
            let _ = write!(root, "\n{{ 'pragma': {{\n{} }} }}\n", pragma.join(",\n"));
        }
        root.push('\n');
        for file in &order {
            let _ = writeln!(root, "{{ 'include': '{file}' }}");
        }
        assert!(
            !files.contains_key("qapi-schema.json"),
            "the corpus root holds no definitions"
        );
        files.insert("qapi-schema.json".to_string(), root);
        files
    }

    /// A command or event.
    fn entity(&mut self, info: &SchemaInfo, id: Option<DefId>) -> String {
        let corpus = id.map(|id| &self.corpus.definition(id).body);
        let mut fields: Vec<String> = Vec::new();
        let keyword = match info.kind {
            InfoKind::Command { .. } => "command",
            _ => "event",
        };
        fields.push(format!("'{keyword}': '{}'", info.name));
        if keyword == "command" && has_upper_or_underscore(&info.name) {
            self.command_name_exceptions.push(info.name.clone());
        }
        let (arg_type, boxed) = match (&info.kind, corpus) {
            (InfoKind::Command { arg_type, .. }, Some(Body::Command(c))) => (arg_type, c.boxed),
            (InfoKind::Command { arg_type, .. }, _) => (arg_type, false),
            (InfoKind::Event { arg_type }, Some(Body::Event(e))) => (arg_type, e.boxed),
            (InfoKind::Event { arg_type }, _) => (arg_type, false),
            _ => unreachable!("only commands and events"),
        };
        match self.role(arg_type) {
            Role::Empty | Role::QType => {}
            Role::Inline => {
                let corpus_args = self.corpus_id(arg_type);
                let members = self.members(&info.name, arg_type, corpus_args);
                fields.push(format!("'data': {members}"));
            }
            Role::Named(name) => {
                fields.push(format!("'data': '{name}'"));
                if boxed {
                    fields.push("'boxed': true".to_string());
                }
            }
        }
        if let InfoKind::Command {
            ret_type,
            allow_oob,
            ..
        } = &info.kind
        {
            let hint = match corpus {
                Some(Body::Command(c)) => c.returns.as_ref(),
                _ => None,
            };
            if self.role(ret_type) != Role::Empty {
                if !self.is_object_or_object_array(ret_type) {
                    self.command_returns_exceptions.push(info.name.clone());
                }
                fields.push(format!("'returns': {}", self.type_ref(ret_type, hint)));
            }
            if *allow_oob {
                fields.push("'allow-oob': true".to_string());
            }
            if let Some(Body::Command(c)) = corpus {
                if c.allow_preconfig {
                    fields.push("'allow-preconfig': true".to_string());
                }
                if c.coroutine {
                    fields.push("'coroutine': true".to_string());
                }
                if !c.gen {
                    fields.push("'gen': false".to_string());
                }
                if !c.success_response {
                    fields.push("'success-response': false".to_string());
                }
            }
        }
        push_features(&mut fields, &info.features);
        definition(&fields)
    }

    fn is_object_or_object_array(&self, name: &str) -> bool {
        match self.table.get(name).map(|i| &i.kind) {
            Some(InfoKind::Object { .. }) => true,
            Some(InfoKind::Array { element_type }) => matches!(
                self.table.get(element_type.as_str()).map(|i| &i.kind),
                Some(InfoKind::Object { .. })
            ),
            _ => false,
        }
    }

    /// An enum, struct, union or alternate.
    fn type_definition(&mut self, name: &str, info: &SchemaInfo, id: Option<DefId>) -> String {
        let mut fields = Vec::new();
        match &info.kind {
            InfoKind::Enum { members } => {
                fields.push(format!("'enum': '{name}'"));
                if members
                    .iter()
                    .any(|m| has_upper_or_underscore(stem(&m.name)))
                {
                    self.member_name_exceptions.push(name.to_string());
                }
                let values: Vec<String> = members
                    .iter()
                    .map(|m| {
                        if m.features.is_empty() {
                            format!("'{}'", m.name)
                        } else {
                            format!(
                                "{{ 'name': '{}', 'features': {} }}",
                                m.name,
                                string_list(&m.features)
                            )
                        }
                    })
                    .collect();
                fields.push(format!("'data': {}", list_block(&values)));
            }
            InfoKind::Object { variants: None, .. } => {
                fields.push(format!("'struct': '{name}'"));
                fields.push(format!("'data': {}", self.members(name, &info.name, id)));
            }
            InfoKind::Object {
                variants: Some(variants),
                ..
            } => {
                fields.push(format!("'union': '{name}'"));
                fields.push(format!("'base': {}", self.members(name, &info.name, id)));
                fields.push(format!("'discriminator': '{}'", variants.tag));
                let branches: Vec<String> = variants
                    .cases
                    .iter()
                    .filter_map(|case| match self.role(&case.ty) {
                        Role::Named(ty) => Some(format!("'{}': '{ty}'", case.case)),
                        _ => None,
                    })
                    .collect();
                fields.push(format!("'data': {}", dict_block(&branches)));
            }
            InfoKind::Alternate { members } => {
                fields.push(format!("'alternate': '{name}'"));
                let corpus_branches = match id.map(|id| &self.corpus.definition(id).body) {
                    Some(Body::Alternate(a)) => a.branches.as_slice(),
                    _ => &[],
                };
                let mut used = HashSet::new();
                let branches: Vec<String> = members
                    .iter()
                    .enumerate()
                    .map(|(i, ty)| {
                        let corpus = self.to_corpus.get(ty).and_then(|c| {
                            corpus_branches
                                .iter()
                                .find(|b| corpus_ref_name(self.corpus, &b.ty) == *c)
                        });
                        let mut branch =
                            corpus.map_or_else(|| format!("v{i}"), |b| b.name.to_string());
                        if !used.insert(branch.clone()) {
                            branch = format!("v{i}");
                        }
                        format!("'{branch}': {}", self.type_ref(ty, corpus.map(|b| &b.ty)))
                    })
                    .collect();
                fields.push(format!("'data': {}", dict_block(&branches)));
            }
            _ => unreachable!("only types are defined"),
        }
        push_features(&mut fields, &info.features);
        definition(&fields)
    }

    /// The members of the live object `live` as a QAPI dict; `owner` is
    /// the definition that writes them (for pragma exceptions).
    fn members(&mut self, owner: &str, live: &str, corpus: Option<DefId>) -> String {
        let Some(InfoKind::Object { members, .. }) = self.table.get(live).map(|i| &i.kind) else {
            return "{}".to_string();
        };
        let corpus_members = corpus
            .map(|id| self.corpus.object_members(id))
            .unwrap_or_default();
        if members
            .iter()
            .any(|m| has_upper_or_underscore(stem(&m.name)))
        {
            self.member_name_exceptions.push(owner.to_string());
        }
        let lines: Vec<String> = members
            .iter()
            .map(|m: &MemberInfo| {
                let hint = corpus_members
                    .iter()
                    .find(|c| c.name == m.name)
                    .map(|c| &c.ty);
                let key = if m.optional {
                    format!("*{}", m.name)
                } else {
                    m.name.clone()
                };
                let ty = self.type_ref(&m.ty, hint);
                if m.features.is_empty() {
                    format!("'{key}': {ty}")
                } else {
                    format!(
                        "'{key}': {{ 'type': {ty}, 'features': {} }}",
                        string_list(&m.features)
                    )
                }
            })
            .collect();
        dict_block(&lines)
    }

    /// A reference to the live type `live`, as QAPI writes it. `hint` is
    /// the corpus's type at the same place, which tells integer types
    /// apart.
    fn type_ref(&self, live: &str, hint: Option<&TypeRef>) -> String {
        if let Some(InfoKind::Array { element_type }) = self.table.get(live).map(|i| &i.kind) {
            let inner = match hint {
                Some(TypeRef::Array(inner)) => Some(&**inner),
                _ => None,
            };
            return format!("[ {} ]", self.type_ref(element_type, inner));
        }
        if let Some(InfoKind::Builtin { json_type }) = self.table.get(live).map(|i| &i.kind) {
            if json_type == "int" {
                if let Some(TypeRef::Builtin(b)) = hint {
                    if b.json_type() == JsonType::Int {
                        return format!("'{}'", b.name());
                    }
                }
            }
            return format!("'{live}'");
        }
        match self.role(live) {
            Role::Named(name) => format!("'{name}'"),
            Role::QType => "'QType'".to_string(),
            // Neither can be written as a member's type; keep the live
            // name so that the checker points at it.
            Role::Inline | Role::Empty => format!("'{live}'"),
        }
    }
}

/// The name unmasked introspection gives a corpus type reference.
fn corpus_ref_name(schema: &Schema, ty: &TypeRef) -> String {
    match ty {
        TypeRef::Builtin(b) if b.json_type() == JsonType::Int => Builtin::Int.name().to_string(),
        TypeRef::Builtin(b) => b.name().to_string(),
        TypeRef::Definition(id) => schema.definition(*id).name.to_string(),
        TypeRef::Array(inner) => format!("[{}]", corpus_ref_name(schema, inner)),
    }
}

/// A name without QEMU's `x-` (experimental) prefix.
fn stem(name: &str) -> &str {
    name.strip_prefix("x-").unwrap_or(name)
}

fn has_upper_or_underscore(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase() || c == '_')
}

fn push_features(fields: &mut Vec<String>, features: &[String]) {
    if !features.is_empty() {
        fields.push(format!("'features': {}", string_list(features)));
    }
}

/// `[ 'a', 'b' ]`
fn string_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
    format!("[ {} ]", quoted.join(", "))
}

/// A dict with one entry per line, indented under its key.
fn dict_block(entries: &[String]) -> String {
    if entries.is_empty() {
        return "{}".to_string();
    }
    format!("{{\n      {} }}", entries.join(",\n      "))
}

/// A list with one item per line.
fn list_block(items: &[String]) -> String {
    if items.is_empty() {
        return "[]".to_string();
    }
    format!("[\n      {} ]", items.join(",\n      "))
}

/// A definition preceded by its placeholder doc line.
fn definition(fields: &[String]) -> String {
    format!("# TODO: doc\n{{ {} }}\n", fields.join(",\n  "))
}
