//! Cross-release compatibility: what older QEMU releases send and accept
//! that the newest schema does not promise, and the bindings that follow.
//!
//! Bindings generated from the newest schema must decode what every
//! supported release answers. A member that the newest schema requires in
//! an answer or an event, but that an older release leaves out (or sends
//! only sometimes), must be optional in the bindings, or decoding that
//! release's answer fails. [`analyze`] finds every such member, and every
//! command, event, enum value and command argument an older release lacks,
//! by walking each command's answer and each event's data in both schemas
//! side by side, by wire name (type names are not part of the protocol and
//! may differ). The result, [`Compat`], is keyed by the newest schema's
//! names and kept as text ([`Compat::to_text`], [`Compat::parse`]), so a
//! project can check the facts in without the older schemas themselves.
//! [`Compat::apply`] then relaxes the model before it is emitted: such
//! members become optional, and the docs say from which release on things
//! are there.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use crate::model::{Body, DefId, Feature, Member, Schema, TypeRef};
use crate::syntax::Str;

/// A schema and the QEMU release it describes.
#[derive(Clone, Copy, Debug)]
pub struct Release<'a> {
    /// The release, as people name it (`7.2`).
    pub name: &'a str,
    /// Its checked schema.
    pub schema: &'a Schema,
}

/// What a fact is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FactKind {
    /// A command older releases lack.
    Command,
    /// An event older releases lack.
    Event,
    /// A member of an object type that older releases leave out of what
    /// they send (or send only sometimes, though the newest requires it).
    Member,
    /// An enum value older releases do not know.
    Value,
    /// A command argument, or a member of a type an argument reaches,
    /// that older releases do not accept.
    Argument,
    /// A union older releases send without its discriminator, as the
    /// struct it was before, in the shape of the branch named.
    Untagged,
    /// An argument (or a member of one) that older releases require,
    /// though the newest has it optional.
    Required,
    /// A feature (`deprecated`, say) that older releases do not give a
    /// definition, or a member or enum value of one: `NAME` is
    /// `THING/FEATURE`, `THING` the member or value (empty for the
    /// definition itself).
    Feature,
    /// A member whose type older releases send or accept as another kind
    /// of type (a `str` that became an enum, say).
    Retyped,
}

impl FactKind {
    /// The word that starts a fact's line in the text form.
    pub fn word(self) -> &'static str {
        match self {
            FactKind::Command => "command",
            FactKind::Event => "event",
            FactKind::Member => "member",
            FactKind::Value => "value",
            FactKind::Argument => "argument",
            FactKind::Untagged => "untagged",
            FactKind::Required => "required",
            FactKind::Feature => "feature",
            FactKind::Retyped => "retyped",
        }
    }

    fn from_word(word: &str) -> Option<FactKind> {
        Some(match word {
            "command" => FactKind::Command,
            "event" => FactKind::Event,
            "member" => FactKind::Member,
            "value" => FactKind::Value,
            "argument" => FactKind::Argument,
            "untagged" => FactKind::Untagged,
            "required" => FactKind::Required,
            "feature" => FactKind::Feature,
            "retyped" => FactKind::Retyped,
            _ => return None,
        })
    }
}

/// Where a fact applies: a command or event (by wire name), or a member,
/// value or argument of an owner (a type's name in the newest schema, or
/// a command's wire name for arguments).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subject {
    /// What it is.
    pub kind: FactKind,
    /// The command, event, type or (for arguments) command.
    pub owner: String,
    /// The member, value or argument; empty for commands and events.
    pub name: String,
}

/// Cross-release facts: for each subject, the first release from which on
/// every listed release has it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compat {
    /// The releases compared, oldest first; the last is the newest.
    pub releases: Vec<String>,
    /// Each subject some older release lacks, with the first release from
    /// which on it is always there.
    pub since: BTreeMap<Subject, String>,
}

/// Compares `newest` with each of `older` (oldest first).
pub fn analyze(newest: Release<'_>, older: &[Release<'_>]) -> Compat {
    let mut since = BTreeMap::new();
    let names: Vec<&str> = older.iter().chain([&newest]).map(|r| r.name).collect();
    // Later releases overwrite earlier ones: what counts is the newest
    // release that lacks a subject.
    for (i, old) in older.iter().enumerate() {
        let mut walk = Walk {
            new: newest.schema,
            old: old.schema,
            seen: HashSet::new(),
            seen_sent: HashSet::new(),
            lacking: Vec::new(),
        };
        walk.run();
        for subject in walk.lacking {
            since.insert(subject, names[i + 1].to_owned());
        }
    }
    Compat {
        releases: names.into_iter().map(str::to_owned).collect(),
        since,
    }
}

/// One comparison of the newest schema with an older one.
struct Walk<'a> {
    new: &'a Schema,
    old: &'a Schema,
    /// Pairs of types compared as something decoded (answers, events).
    seen: HashSet<(DefId, DefId)>,
    /// Pairs of types compared as something sent (arguments).
    seen_sent: HashSet<(DefId, DefId)>,
    lacking: Vec<Subject>,
}

impl Walk<'_> {
    fn lack(&mut self, kind: FactKind, owner: &str, name: &str) {
        self.lacking.push(Subject {
            kind,
            owner: owner.to_owned(),
            name: name.to_owned(),
        });
    }

    /// A member whose type is of another kind in the older release.
    fn retyped(&mut self, owner: DefId, new: &Member, old: &Member) {
        if shape(self.new, &new.ty) != shape(self.old, &old.ty) {
            let owner = explicit_name(self.new, owner);
            self.lack(FactKind::Retyped, &owner, &new.name);
        }
    }

    /// Features of `new` (those of `owner`'s `thing`, or its own) that the
    /// older release's `old` lacks.
    fn features(&mut self, owner: &str, thing: &str, new: &[Feature], old: &[Feature]) {
        for feature in new {
            if !old.iter().any(|f| f.name == feature.name) {
                let name = format!("{thing}/{}", feature.name);
                self.lack(FactKind::Feature, owner, &name);
            }
        }
    }

    /// [`Walk::features`] of a definition, of its members (those the
    /// older one has too) and of its enum values.
    fn all_features(&mut self, new: DefId, old: DefId) {
        let (new_def, old_def) = (self.new.definition(new), self.old.definition(old));
        if new_def.implicit.is_none() {
            let owner = new_def.name.to_string();
            self.features(&owner, "", &new_def.features, &old_def.features);
        }
        match (&new_def.body, &old_def.body) {
            (Body::Enum(new_enum), Body::Enum(old_enum)) => {
                let owner = new_def.name.to_string();
                for value in &new_enum.values {
                    if let Some(old_value) = old_enum.values.iter().find(|v| v.name == value.name) {
                        self.features(&owner, &value.name, &value.features, &old_value.features);
                    }
                }
            }
            (Body::Struct(_) | Body::Union(_), Body::Struct(_) | Body::Union(_)) => {
                let old_members = self.old.object_members(old);
                for (owner, member) in self.new.object_members_by_owner(new) {
                    if let Some(old_member) = old_members.iter().find(|m| m.name == member.name) {
                        let owner = explicit_name(self.new, owner);
                        self.features(&owner, &member.name, &member.features, &old_member.features);
                    }
                }
            }
            _ => {}
        }
    }

    fn run(&mut self) {
        for (_, def) in self.new.iter() {
            match &def.body {
                Body::Command(command) => {
                    let Some(old) = self.old.lookup(&def.name) else {
                        self.lack(FactKind::Command, &def.name, "");
                        continue;
                    };
                    let old_def = self.old.definition(old);
                    self.features(&def.name, "", &def.features, &old_def.features);
                    let Body::Command(old) = &old_def.body else {
                        continue;
                    };
                    if let (Some(new_args), Some(old_args)) = (command.arguments, old.arguments) {
                        self.sent(new_args, old_args);
                    } else if let Some(new_args) = command.arguments {
                        for member in self.new.object_members(new_args) {
                            self.lack(FactKind::Argument, &def.name, &member.name);
                        }
                    }
                    if let (Some(new), Some(old)) = (&command.returns, &old.returns) {
                        self.compare(new, old);
                    }
                }
                Body::Event(event) => {
                    let Some(old) = self.old.lookup(&def.name) else {
                        self.lack(FactKind::Event, &def.name, "");
                        continue;
                    };
                    let old_def = self.old.definition(old);
                    self.features(&def.name, "", &def.features, &old_def.features);
                    let Body::Event(old) = &old_def.body else {
                        continue;
                    };
                    if let (Some(new), Some(old)) = (event.data, old.data) {
                        self.definitions(new, old);
                    } else if let Some(new) = event.data {
                        // Data the older release never sends at all.
                        for (owner, member) in self.new.object_members_by_owner(new) {
                            if !member.optional {
                                let owner = explicit_name(self.new, owner);
                                self.lack(FactKind::Member, &owner, &member.name);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// A union that was a struct in the older release: its values come
    /// without the discriminator, in the shape of the one branch whose
    /// required members the old struct all has. No such branch, or more
    /// than one, and nothing is said (decoding that release's values then
    /// fails, which the live tests show).
    fn untagged(&mut self, new: DefId, union: &crate::model::UnionType, old_members: &[&Member]) {
        if old_members.iter().any(|m| m.name == union.discriminator) {
            return;
        }
        let fits = |branch: DefId| {
            self.new
                .object_members_by_owner(branch)
                .iter()
                .filter(|(_, m)| !m.optional)
                .all(|(_, m)| old_members.iter().any(|o| o.name == m.name))
        };
        let mut matching = union
            .branches
            .iter()
            .filter(|b| b.ty.is_some_and(fits))
            .map(|b| b.name.to_string());
        if let (Some(branch), None) = (matching.next(), matching.next()) {
            let owner = explicit_name(self.new, new);
            self.lack(FactKind::Untagged, &owner, &branch);
        }
    }

    /// What is sent (a command's arguments, and every type they reach)
    /// compared: members and enum values the older release does not
    /// accept, and members it requires where the newest has them optional.
    fn sent(&mut self, new: DefId, old: DefId) {
        if !self.seen_sent.insert((new, old)) {
            return;
        }
        self.all_features(new, old);
        let (new_def, old_def) = (self.new.definition(new), self.old.definition(old));
        match (&new_def.body, &old_def.body) {
            (Body::Struct(_) | Body::Union(_), Body::Struct(_) | Body::Union(_)) => {
                let old_members = self.old.object_members_by_owner(old);
                for (owner, member) in self.new.object_members_by_owner(new) {
                    let owner_name = || explicit_name(self.new, owner);
                    match old_members.iter().find(|(_, m)| m.name == member.name) {
                        None => self.lack(FactKind::Argument, &owner_name(), &member.name),
                        Some((_, old_member)) => {
                            if member.optional && !old_member.optional {
                                self.lack(FactKind::Required, &owner_name(), &member.name);
                            }
                            self.retyped(owner, member, old_member);
                            self.sent_types(&member.ty, &old_member.ty);
                        }
                    }
                }
                if let (Body::Union(new_union), Body::Union(old_union)) =
                    (&new_def.body, &old_def.body)
                {
                    for branch in &new_union.branches {
                        let old_branch = old_union.branches.iter().find(|b| b.name == branch.name);
                        if let (Some(new), Some(Some(old))) = (branch.ty, old_branch.map(|b| b.ty))
                        {
                            self.sent(new, old);
                        }
                    }
                }
            }
            (Body::Enum(_), Body::Enum(_)) => self.values(new_def, &old_def.body),
            (Body::Alternate(new_alt), Body::Alternate(old_alt)) => {
                for branch in &new_alt.branches {
                    if let Some(old_branch) =
                        old_alt.branches.iter().find(|b| b.name == branch.name)
                    {
                        self.sent_types(&branch.ty, &old_branch.ty);
                    }
                }
            }
            _ => {}
        }
    }

    fn sent_types(&mut self, new: &TypeRef, old: &TypeRef) {
        match (new, old) {
            (TypeRef::Array(new), TypeRef::Array(old)) => self.sent_types(new, old),
            (TypeRef::Definition(new), TypeRef::Definition(old)) => self.sent(*new, *old),
            _ => {}
        }
    }

    /// Enum values of `new` that the older enum lacks.
    fn values(&mut self, new: &crate::model::Definition, old: &Body) {
        let (Body::Enum(new_enum), Body::Enum(old_enum)) = (&new.body, old) else {
            return;
        };
        for value in &new_enum.values {
            if !old_enum.values.iter().any(|v| v.name == value.name) {
                let owner = new.name.to_string();
                self.lack(FactKind::Value, &owner, &value.name);
            }
        }
    }

    fn compare(&mut self, new: &TypeRef, old: &TypeRef) {
        match (new, old) {
            (TypeRef::Array(new), TypeRef::Array(old)) => self.compare(new, old),
            (TypeRef::Definition(new), TypeRef::Definition(old)) => self.definitions(*new, *old),
            _ => {}
        }
    }

    fn definitions(&mut self, new: DefId, old: DefId) {
        if !self.seen.insert((new, old)) {
            return;
        }
        self.all_features(new, old);
        let (new_def, old_def) = (self.new.definition(new), self.old.definition(old));
        match (&new_def.body, &old_def.body) {
            (Body::Struct(_) | Body::Union(_), Body::Struct(_) | Body::Union(_)) => {
                let old_members = self.old.object_members(old);
                for (owner, member) in self.new.object_members_by_owner(new) {
                    let old_member = old_members.iter().find(|m| m.name == member.name);
                    // Absent, or only sometimes there where the newest
                    // always sends it.
                    let lacks = old_member.is_none_or(|m| m.optional && !member.optional);
                    if lacks {
                        let owner = explicit_name(self.new, owner);
                        self.lack(FactKind::Member, &owner, &member.name);
                    }
                    if let Some(old_member) = old_member {
                        self.retyped(owner, member, old_member);
                        self.compare(&member.ty, &old_member.ty);
                    }
                }
                if let (Body::Union(new_union), Body::Struct(_)) = (&new_def.body, &old_def.body) {
                    self.untagged(new, new_union, &old_members);
                }
                if let (Body::Union(new_union), Body::Union(old_union)) =
                    (&new_def.body, &old_def.body)
                {
                    for branch in &new_union.branches {
                        let old_branch = old_union.branches.iter().find(|b| b.name == branch.name);
                        if let (Some(new), Some(Some(old))) = (branch.ty, old_branch.map(|b| b.ty))
                        {
                            self.definitions(new, old);
                        }
                    }
                }
            }
            (Body::Enum(_), Body::Enum(_)) => self.values(new_def, &old_def.body),
            (Body::Alternate(new_alt), Body::Alternate(old_alt)) => {
                for branch in &new_alt.branches {
                    if let Some(old_branch) =
                        old_alt.branches.iter().find(|b| b.name == branch.name)
                    {
                        self.compare(&branch.ty, &old_branch.ty);
                    }
                }
            }
            _ => {}
        }
    }
}

/// What kind of type `ty` is, to tell a change of kind between releases
/// (a built-in by name, an array, or a definition's keyword).
fn shape(schema: &Schema, ty: &TypeRef) -> String {
    match ty {
        TypeRef::Builtin(builtin) => format!("{builtin:?}"),
        TypeRef::Array(_) => "array".to_owned(),
        TypeRef::Definition(id) => schema.definition(*id).kind().keyword().to_owned(),
    }
}

/// The name facts use for the definition `id`: its own, or for an implicit
/// type (command arguments, event data, a union's inline base) the name of
/// the definition it belongs to, which users know.
fn explicit_name(schema: &Schema, id: DefId) -> String {
    let def = schema.definition(id);
    match &def.implicit {
        Some(implicit) => schema.definition(implicit.owner).name.to_string(),
        None => def.name.to_string(),
    }
}

/// The object type a fact's owner stands for: a command's arguments, an
/// event's data, or the owner itself.
fn object_of(schema: &Schema, owner: DefId) -> Option<DefId> {
    match &schema.definition(owner).body {
        Body::Command(command) => command.arguments,
        Body::Event(event) => event.data,
        Body::Struct(_) | Body::Union(_) => Some(owner),
        _ => None,
    }
}

/// The member `name` of the object `owner` stands for, wherever in its
/// base chain it is defined.
fn member_mut<'s>(schema: &'s mut Schema, owner: DefId, name: &str) -> Option<&'s mut Member> {
    let object = object_of(schema, owner)?;
    let (defining, _) = schema
        .object_members_by_owner(object)
        .into_iter()
        .find(|(_, m)| m.name == name)?;
    let Body::Struct(s) = &mut schema.definitions[defining.index()].body else {
        return None;
    };
    s.members.iter_mut().find(|m| m.name == name)
}

/// A line of a facts text that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

impl Compat {
    /// The facts as text, one per line (`member BlockDeviceInfo active
    /// 10.0`), sorted, after a `releases` line: stable, so that a change
    /// shows as a small diff.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        text.push_str("# Cross-release facts: what older QEMU releases lack.\n");
        text.push_str("# Each line: KIND OWNER [NAME] SINCE, where SINCE is the first\n");
        text.push_str("# release from which on every release compared has it.\n");
        text.push_str(&format!("releases {}\n", self.releases.join(" ")));
        for (subject, since) in &self.since {
            let kind = subject.kind.word();
            match subject.kind {
                FactKind::Command | FactKind::Event => {
                    text.push_str(&format!("{kind} {} {since}\n", subject.owner))
                }
                _ => text.push_str(&format!(
                    "{kind} {} {} {since}\n",
                    subject.owner, subject.name
                )),
            }
        }
        text
    }

    /// Reads facts written by [`Compat::to_text`]. Lines starting with `#`
    /// and blank lines are ignored.
    pub fn parse(text: &str) -> Result<Compat, ParseError> {
        let mut compat = Compat::default();
        for (i, line) in text.lines().enumerate() {
            let error = |message: String| ParseError {
                line: i + 1,
                message,
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if words[0] == "releases" {
                compat.releases = words[1..].iter().map(|w| (*w).to_owned()).collect();
                continue;
            }
            let kind = FactKind::from_word(words[0])
                .ok_or_else(|| error(format!("unknown kind `{}`", words[0])))?;
            let (owner, name, since) = match (kind, &words[1..]) {
                (FactKind::Command | FactKind::Event, [owner, since]) => (*owner, "", *since),
                (
                    FactKind::Member
                    | FactKind::Value
                    | FactKind::Argument
                    | FactKind::Untagged
                    | FactKind::Required
                    | FactKind::Feature
                    | FactKind::Retyped,
                    [owner, name, since],
                ) => (*owner, *name, *since),
                _ => return Err(error(format!("wrong number of words for `{}`", words[0]))),
            };
            if !compat.releases.iter().any(|r| r == since) {
                return Err(error(format!(
                    "release `{since}` is not in the `releases` line"
                )));
            }
            compat.since.insert(
                Subject {
                    kind,
                    owner: owner.to_owned(),
                    name: name.to_owned(),
                },
                since.to_owned(),
            );
        }
        Ok(compat)
    }

    /// The oldest release compared.
    fn oldest(&self) -> &str {
        self.releases.first().map_or("", String::as_str)
    }

    /// Relaxes `schema` to decode every release compared: each member some
    /// older release leaves out becomes optional, and the docs of members,
    /// commands, events, enum values and arguments say from which release
    /// on they are there. Returns the subjects that name nothing in
    /// `schema` (facts for another schema, or a stale facts file).
    pub fn apply(&self, schema: &mut Schema) -> Vec<Subject> {
        let mut unknown = Vec::new();
        for (subject, since) in &self.since {
            if !self.apply_one(schema, subject, since) {
                unknown.push(subject.clone());
            }
        }
        unknown
    }

    fn apply_one(&self, schema: &mut Schema, subject: &Subject, since: &str) -> bool {
        let oldest = self.oldest();
        let Some(id) = schema.lookup(&subject.owner) else {
            return false;
        };
        match subject.kind {
            FactKind::Command | FactKind::Event => {
                let note = if subject.kind == FactKind::Command {
                    format!(
                        "Available from QEMU {since} on; older releases (back to {oldest}) \
                         answer it with `CommandNotFound`."
                    )
                } else {
                    format!(
                        "Sent from QEMU {since} on; older releases (back to {oldest}) never \
                         send it."
                    )
                };
                if let Some(doc) = &mut schema.definitions[id.index()].doc {
                    if let Some(body) = doc.sections.first_mut() {
                        append(&mut body.text, &note);
                    }
                }
                true
            }
            FactKind::Member => {
                let Some(member) = member_mut(schema, id, &subject.name) else {
                    return false;
                };
                let note = if member.optional {
                    format!(
                        "Sent from QEMU {since} on; older releases (back to {oldest}) never do."
                    )
                } else {
                    member.optional = true;
                    format!(
                        "Sent from QEMU {since} on; `None` from older releases (back to \
                         {oldest}), which may leave it out."
                    )
                };
                append_member(member, &note);
                true
            }
            FactKind::Feature => {
                let (thing, feature) = subject.name.split_once('/').unwrap_or(("", &subject.name));
                let note = format!("Feature `{feature}` from QEMU {since} on.");
                if thing.is_empty() {
                    if let Some(body) = schema.definitions[id.index()]
                        .doc
                        .as_mut()
                        .and_then(|d| d.sections.first_mut())
                    {
                        append(&mut body.text, &note);
                    }
                    return true;
                }
                if let Body::Enum(e) = &mut schema.definitions[id.index()].body {
                    let Some(value) = e.values.iter_mut().find(|v| v.name == thing) else {
                        return false;
                    };
                    match &mut value.doc {
                        Some(doc) => append(doc, &note),
                        None => value.doc = Some(Str::from(note)),
                    }
                    return true;
                }
                let Some(member) = member_mut(schema, id, thing) else {
                    return false;
                };
                append_member(member, &note);
                true
            }
            FactKind::Retyped => {
                let Some(member) = member_mut(schema, id, &subject.name) else {
                    return false;
                };
                let note = format!(
                    "Of this type from QEMU {since} on; older releases (back to {oldest}) use \
                     another kind of type here."
                );
                append_member(member, &note);
                true
            }
            FactKind::Required => {
                let Some(member) = member_mut(schema, id, &subject.name) else {
                    return false;
                };
                let note = format!(
                    "Optional from QEMU {since} on; older releases (back to {oldest}) refuse \
                     the command without it."
                );
                append_member(member, &note);
                true
            }
            FactKind::Value => {
                let Body::Enum(e) = &mut schema.definitions[id.index()].body else {
                    return false;
                };
                let Some(value) = e.values.iter_mut().find(|v| v.name == subject.name) else {
                    return false;
                };
                let note = format!("From QEMU {since} on.");
                match &mut value.doc {
                    Some(doc) => append(doc, &note),
                    None => value.doc = Some(Str::from(note)),
                }
                true
            }
            FactKind::Untagged => {
                let note = format!(
                    "Releases before QEMU {since} (back to {oldest}) send it without \
                     `{{discriminator}}`: such a value decodes as the `{}` branch.",
                    subject.name
                );
                let def = &mut schema.definitions[id.index()];
                let Body::Union(union) = &mut def.body else {
                    return false;
                };
                if !union.branches.iter().any(|b| b.name == subject.name) {
                    return false;
                }
                let note = note.replace("{discriminator}", &union.discriminator);
                union.untagged = Some(Str::from(subject.name.clone()));
                if let Some(body) = def.doc.as_mut().and_then(|d| d.sections.first_mut()) {
                    append(&mut body.text, &note);
                }
                true
            }
            FactKind::Argument => {
                let Some(member) = member_mut(schema, id, &subject.name) else {
                    return false;
                };
                let note = format!(
                    "Accepted from QEMU {since} on; older releases (back to {oldest}) refuse \
                     the command with it."
                );
                append_member(member, &note);
                true
            }
        }
    }
}

fn append_member(member: &mut Member, note: &str) {
    match &mut member.doc {
        Some(doc) => append(doc, note),
        None => member.doc = Some(Str::from(note.to_owned())),
    }
}

/// `text` followed by a paragraph of `note`.
fn append(text: &mut Str, note: &str) {
    let joined = if text.trim().is_empty() {
        note.to_owned()
    } else {
        format!("{}\n\n{note}", text.trim_end())
    };
    *text = Str::from(joined);
}
