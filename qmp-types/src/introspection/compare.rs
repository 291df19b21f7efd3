//! Structural comparison of two introspections: what a live QEMU reports
//! against what our schema would report.
//!
//! Type names are meaningless in QEMU's introspection (it numbers them),
//! so types are matched by walking both graphs in parallel from each
//! command and event: a command's arguments against ours, its result
//! against ours, each member's type against the same member's type, and
//! so on. Each pair of types is compared once; a mismatch inside a type
//! reached along several paths is reported at the first.
//!
//! Every mismatch is one line starting with its path:
//!
//! - `CMD` / `EVENT`: `allow-oob`, features
//! - `CMD.arguments`, `CMD.returns`, `EVENT.data`: the top types
//! - `PATH.MEMBER`: an object member
//! - `PATH[TAG=CASE]`: a union variant's object
//! - `PATH[]`: an array's element type
//! - `PATH<JSON-TYPE>`: an alternate's branch of that JSON type
//!
//! "missing" means present in the live server but not in ours; "extra"
//! the other way round.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::{InfoKind, SchemaInfo};

/// The outcome of a comparison.
#[derive(Debug, Default)]
pub struct Report {
    /// Every difference, in the order found: live commands and events in
    /// live order, then extras.
    pub differences: Vec<Difference>,
    /// Live commands.
    pub live_commands: usize,
    /// Live commands our schema defines.
    pub have_commands: usize,
    /// Live events.
    pub live_events: usize,
    /// Live events our schema defines.
    pub have_events: usize,
    /// Differences that are mismatches (all but `missing command`/`missing
    /// event`).
    pub mismatches: usize,
    /// The pairs of type names matched (live, ours), in the order reached.
    pub pairs: Vec<(String, String)>,
}

impl Report {
    /// `verify: commands H/L, events H/L, mismatches N`
    pub fn summary(&self) -> String {
        format!(
            "verify: commands {}/{}, events {}/{}, mismatches {}",
            self.have_commands,
            self.live_commands,
            self.have_events,
            self.live_events,
            self.mismatches
        )
    }

    /// Whether coverage is complete and nothing differs.
    pub fn ok(&self) -> bool {
        self.have_commands == self.live_commands
            && self.have_events == self.live_events
            && self.mismatches == 0
    }
}

/// One difference between the live introspection and ours, at `path`
/// (a command's or event's name for [`What::Missing`] and [`What::Extra`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// Where, as the module docs describe.
    pub path: String,
    /// What differs.
    pub what: What,
}

/// What a [`Difference`] is. Type names are ours as introspected (real
/// names when unmasked), so that facts about them can be looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// A live command or event (the word) that ours lacks.
    Missing(&'static str),
    /// A command or event (the word) of ours that the live server lacks.
    Extra(&'static str),
    /// A command's `allow-oob`.
    AllowOob {
        /// The live server's.
        live: bool,
        /// Ours.
        ours: bool,
    },
    /// Two sets of names differ.
    Names(Names),
    /// A member is optional on one side only.
    Optionality {
        /// Our object type.
        ours_type: String,
        /// The member.
        member: String,
        /// Whether the live member is optional (ours is the opposite).
        live_optional: bool,
    },
    /// A type one side names is not in its introspection (`live type
    /// "N"` or `our type "N"`).
    NotDescribed(String),
    /// The meta-types (or built-ins) differ, described as a mismatch line
    /// names them (a built-in by name, otherwise its meta-type).
    TypeDiffers {
        /// The live type, described.
        live: String,
        /// Ours, described.
        ours: String,
        /// When it is a member's own type: our object type and the member.
        member: Option<(String, String)>,
    },
    /// One side is a union, the other a struct.
    Shape {
        /// Whether the live one is the union.
        live_union: bool,
        /// Our object type.
        ours_type: String,
    },
    /// The union tags differ.
    UnionTag {
        /// The live tag member.
        live: String,
        /// Ours.
        ours: String,
    },
}

/// Which names a [`Names`] difference is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameSet {
    /// An enum's values.
    EnumValues,
    /// An object's members.
    Members,
    /// A union's variants (tag values).
    UnionVariants,
    /// An alternate's branches (JSON types).
    Alternatives,
    /// Features.
    Features,
}

impl NameSet {
    fn words(self) -> &'static str {
        match self {
            NameSet::EnumValues => "enum values",
            NameSet::Members => "members",
            NameSet::UnionVariants => "union variants",
            NameSet::Alternatives => "alternatives",
            NameSet::Features => "features",
        }
    }
}

/// Names on one side only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Names {
    /// Which names.
    pub set: NameSet,
    /// Our type (enum, object or alternate); for features, the command,
    /// event or type whose features (or whose member's or value's) they are.
    pub ours_type: String,
    /// For features: the member or enum value they belong to, empty for
    /// `ours_type`'s own.
    pub of: String,
    /// Live names ours lacks, in live order.
    pub missing: Vec<String>,
    /// Of `missing`, the members the live server requires.
    pub required: Vec<String>,
    /// Our names the live server lacks, in our order.
    pub extra: Vec<String>,
}

impl Names {
    /// The same difference with only some of the names.
    pub fn only(&self, missing: &[String], extra: &[String]) -> Names {
        Names {
            set: self.set,
            ours_type: self.ours_type.clone(),
            of: self.of.clone(),
            missing: missing.to_vec(),
            required: self
                .required
                .iter()
                .filter(|n| missing.contains(n))
                .cloned()
                .collect(),
            extra: extra.to_vec(),
        }
    }
}

impl Difference {
    /// Whether the difference is a mismatch (not a missing command or
    /// event, which only lowers coverage).
    pub fn is_mismatch(&self) -> bool {
        !matches!(self.what, What::Missing(_))
    }
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = &self.path;
        match &self.what {
            What::Missing(what) => write!(f, "missing {what}: {path}"),
            What::Extra(what) => write!(f, "extra {what}: {path}"),
            What::AllowOob { live, ours } => {
                write!(f, "{path}: allow-oob differs: live {live}, ours {ours}")
            }
            What::Names(names) => {
                let list = |names: &[String]| {
                    names
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                write!(f, "{path}: {} differ:", names.set.words())?;
                if !names.missing.is_empty() {
                    write!(f, " missing {}", list(&names.missing))?;
                }
                if !names.extra.is_empty() {
                    if !names.missing.is_empty() {
                        f.write_str(";")?;
                    }
                    write!(f, " extra {}", list(&names.extra))?;
                }
                Ok(())
            }
            What::Optionality { live_optional, .. } => {
                let word = |optional: bool| if optional { "optional" } else { "required" };
                write!(
                    f,
                    "{path}: optionality differs: live {}, ours {}",
                    word(*live_optional),
                    word(!live_optional)
                )
            }
            What::NotDescribed(side) => write!(f, "{path}: {side} is not described"),
            What::TypeDiffers { live, ours, .. } => {
                write!(f, "{path}: type differs: live {live}, ours {ours}")
            }
            What::Shape { live_union, .. } => {
                if *live_union {
                    write!(f, "{path}: live is a union, ours a struct")
                } else {
                    write!(f, "{path}: live is a struct, ours a union")
                }
            }
            What::UnionTag { live, ours } => {
                write!(f, "{path}: union tag differs: live {live:?}, ours {ours:?}")
            }
        }
    }
}

type Table<'a> = HashMap<&'a str, &'a SchemaInfo>;

fn table(infos: &[SchemaInfo]) -> Table<'_> {
    infos.iter().map(|i| (i.name.as_str(), i)).collect()
}

struct Walker<'a> {
    live: Table<'a>,
    ours: Table<'a>,
    seen: HashSet<(&'a str, &'a str)>,
    pairs: Vec<(String, String)>,
    differences: Vec<Difference>,
    /// The member whose type is being compared, while it is: a type
    /// difference right there names it.
    member: Option<(String, String)>,
}

/// Compares `live` (a server's introspection) with `ours`.
pub fn compare(live: &[SchemaInfo], ours: &[SchemaInfo]) -> Report {
    let mut w = Walker {
        live: table(live),
        ours: table(ours),
        seen: HashSet::new(),
        pairs: Vec::new(),
        member: None,
        differences: Vec::new(),
    };
    let mut report = Report::default();
    for info in live {
        let is_command = matches!(info.kind, InfoKind::Command { .. });
        let is_event = matches!(info.kind, InfoKind::Event { .. });
        if !is_command && !is_event {
            continue;
        }
        let what = if is_command { "command" } else { "event" };
        let counterpart = w
            .ours
            .get(info.name.as_str())
            .copied()
            .filter(|o| o.meta_type() == info.meta_type());
        if is_command {
            report.live_commands += 1;
        } else {
            report.live_events += 1;
        }
        let Some(our) = counterpart else {
            w.push(&info.name, What::Missing(what));
            continue;
        };
        if is_command {
            report.have_commands += 1;
        } else {
            report.have_events += 1;
        }
        w.entity(info, our);
    }
    let live_names: HashSet<(&str, &str)> = live
        .iter()
        .map(|i| (i.name.as_str(), i.meta_type()))
        .collect();
    for info in ours {
        let what = match info.kind {
            InfoKind::Command { .. } => "command",
            InfoKind::Event { .. } => "event",
            _ => continue,
        };
        if !live_names.contains(&(info.name.as_str(), info.meta_type())) {
            w.push(&info.name, What::Extra(what));
        }
    }
    report.mismatches = w.differences.iter().filter(|d| d.is_mismatch()).count();
    report.differences = w.differences;
    report.pairs = w.pairs;
    report
}

impl<'a> Walker<'a> {
    fn push(&mut self, path: &str, what: What) {
        self.differences.push(Difference {
            path: path.to_string(),
            what,
        });
    }

    fn entity(&mut self, live: &'a SchemaInfo, ours: &'a SchemaInfo) {
        let path = live.name.as_str();
        self.features(path, (&ours.name, ""), &live.features, &ours.features);
        match (&live.kind, &ours.kind) {
            (
                InfoKind::Command {
                    arg_type: la,
                    ret_type: lr,
                    allow_oob: lo,
                },
                InfoKind::Command {
                    arg_type: oa,
                    ret_type: or,
                    allow_oob: oo,
                },
            ) => {
                if lo != oo {
                    let what = What::AllowOob {
                        live: *lo,
                        ours: *oo,
                    };
                    self.push(path, what);
                }
                self.ty(&format!("{path}.arguments"), la, oa);
                self.ty(&format!("{path}.returns"), lr, or);
            }
            (InfoKind::Event { arg_type: la }, InfoKind::Event { arg_type: oa }) => {
                self.ty(&format!("{path}.data"), la, oa);
            }
            _ => unreachable!("entities are matched by meta-type"),
        }
    }

    fn ty(&mut self, path: &str, live: &'a str, ours: &'a str) {
        if !self.seen.insert((live, ours)) {
            return;
        }
        self.pairs.push((live.to_string(), ours.to_string()));
        let (Some(l), Some(o)) = (self.live.get(live).copied(), self.ours.get(ours).copied())
        else {
            let side = if self.live.contains_key(live) {
                format!("our type {ours:?}")
            } else {
                format!("live type {live:?}")
            };
            self.push(path, What::NotDescribed(side));
            return;
        };
        match (&l.kind, &o.kind) {
            (InfoKind::Builtin { json_type: lj }, InfoKind::Builtin { json_type: oj }) => {
                if lj != oj {
                    self.type_differs(path, l, o);
                }
            }
            (InfoKind::Enum { members: lm }, InfoKind::Enum { members: om }) => {
                let names = |m: &'a [super::EnumMemberInfo]| {
                    m.iter().map(|v| v.name.as_str()).collect::<Vec<_>>()
                };
                self.sets(path, NameSet::EnumValues, ours, &names(lm), &names(om));
                for lv in lm {
                    if let Some(ov) = om.iter().find(|ov| ov.name == lv.name) {
                        let at = format!("{path} value {:?}", lv.name);
                        self.features(&at, (ours, &ov.name), &lv.features, &ov.features);
                    }
                }
            }
            (InfoKind::Array { element_type: le }, InfoKind::Array { element_type: oe }) => {
                self.ty(&format!("{path}[]"), le, oe);
            }
            (
                InfoKind::Object {
                    members: lm,
                    variants: lv,
                },
                InfoKind::Object {
                    members: om,
                    variants: ov,
                },
            ) => {
                let names = |m: &'a [super::MemberInfo]| {
                    m.iter().map(|v| v.name.as_str()).collect::<Vec<_>>()
                };
                let required: Vec<&str> = lm
                    .iter()
                    .filter(|m| !m.optional)
                    .map(|m| m.name.as_str())
                    .collect();
                self.names(
                    path,
                    NameSet::Members,
                    (ours, ""),
                    (&names(lm), &names(om)),
                    &required,
                );
                for l_member in lm {
                    let Some(o_member) = om.iter().find(|m| m.name == l_member.name) else {
                        continue;
                    };
                    let at = format!("{path}.{}", l_member.name);
                    if l_member.optional != o_member.optional {
                        let what = What::Optionality {
                            ours_type: ours.to_string(),
                            member: l_member.name.clone(),
                            live_optional: l_member.optional,
                        };
                        self.push(&at, what);
                    }
                    self.features(
                        &at,
                        (ours, &o_member.name),
                        &l_member.features,
                        &o_member.features,
                    );
                    self.member = Some((ours.to_string(), o_member.name.clone()));
                    self.ty(&at, &l_member.ty, &o_member.ty);
                    self.member = None;
                }
                match (lv, ov) {
                    (None, None) => {}
                    (Some(_), None) | (None, Some(_)) => {
                        let what = What::Shape {
                            live_union: lv.is_some(),
                            ours_type: ours.to_string(),
                        };
                        self.push(path, what);
                    }
                    (Some(lv), Some(ov)) => {
                        if lv.tag != ov.tag {
                            let what = What::UnionTag {
                                live: lv.tag.clone(),
                                ours: ov.tag.clone(),
                            };
                            self.push(path, what);
                        }
                        let cases = |v: &'a super::Variants| {
                            v.cases.iter().map(|c| c.case.as_str()).collect::<Vec<_>>()
                        };
                        self.sets(path, NameSet::UnionVariants, ours, &cases(lv), &cases(ov));
                        for lc in &lv.cases {
                            if let Some(oc) = ov.cases.iter().find(|c| c.case == lc.case) {
                                let at = format!("{path}[{}={}]", lv.tag, lc.case);
                                self.ty(&at, &lc.ty, &oc.ty);
                            }
                        }
                    }
                }
            }
            (InfoKind::Alternate { members: lm }, InfoKind::Alternate { members: om }) => {
                let keyed = |w: &Self, table: &Table<'a>, m: &'a [String]| {
                    m.iter()
                        .map(|t| (w.json_kind(table, t), t.as_str()))
                        .collect::<Vec<_>>()
                };
                let lk = keyed(self, &self.live, lm);
                let ok = keyed(self, &self.ours, om);
                let kinds =
                    |k: &[(&'static str, &str)]| k.iter().map(|(k, _)| *k).collect::<Vec<_>>();
                self.sets(path, NameSet::Alternatives, ours, &kinds(&lk), &kinds(&ok));
                for (kind, lt) in &lk {
                    if let Some((_, ot)) = ok.iter().find(|(k, _)| k == kind) {
                        self.ty(&format!("{path}<{kind}>"), lt, ot);
                    }
                }
            }
            _ => self.type_differs(path, l, o),
        }
        self.features(path, (&o.name, ""), &l.features, &o.features);
    }

    /// How values of the type named `name` look in JSON, to match the
    /// branches of alternates.
    fn json_kind(&self, table: &Table<'a>, name: &str) -> &'static str {
        match table.get(name).map(|i| &i.kind) {
            Some(InfoKind::Builtin { json_type }) => match json_type.as_str() {
                "string" => "string",
                "number" => "number",
                "int" => "int",
                "boolean" => "boolean",
                "null" => "null",
                _ => "value",
            },
            Some(InfoKind::Enum { .. }) => "string",
            Some(InfoKind::Array { .. }) => "array",
            Some(InfoKind::Object { .. }) => "object",
            Some(InfoKind::Alternate { .. }) => "alternate",
            _ => "unknown",
        }
    }

    fn type_differs(&mut self, path: &str, live: &SchemaInfo, ours: &SchemaInfo) {
        let what = What::TypeDiffers {
            live: describe(live),
            ours: describe(ours),
            member: self.member.take(),
        };
        self.push(path, what);
    }

    /// The features of `ours_type` itself (`of` empty), or of its member
    /// or enum value `of`.
    fn features(
        &mut self,
        path: &str,
        (ours_type, of): (&str, &str),
        live: &[String],
        ours: &[String],
    ) {
        let live: Vec<&str> = live.iter().map(String::as_str).collect();
        let ours: Vec<&str> = ours.iter().map(String::as_str).collect();
        self.names(
            path,
            NameSet::Features,
            (ours_type, of),
            (&live, &ours),
            &[],
        );
    }

    /// One difference when the two sets of names differ.
    fn sets(&mut self, path: &str, set: NameSet, ours_type: &str, live: &[&str], ours: &[&str]) {
        self.names(path, set, (ours_type, ""), (live, ours), &[]);
    }

    /// [`Self::sets`], knowing which live names are required members.
    fn names(
        &mut self,
        path: &str,
        set: NameSet,
        (ours_type, of): (&str, &str),
        (live, ours): (&[&str], &[&str]),
        required: &[&str],
    ) {
        let live_set: BTreeSet<&str> = live.iter().copied().collect();
        let our_set: BTreeSet<&str> = ours.iter().copied().collect();
        let owned = |names: Vec<&str>| names.into_iter().map(str::to_string).collect::<Vec<_>>();
        let missing: Vec<&str> = live
            .iter()
            .copied()
            .filter(|n| !our_set.contains(n))
            .collect();
        let extra: Vec<&str> = ours
            .iter()
            .copied()
            .filter(|n| !live_set.contains(n))
            .collect();
        if missing.is_empty() && extra.is_empty() {
            return;
        }
        let what = What::Names(Names {
            set,
            ours_type: ours_type.to_string(),
            of: of.to_string(),
            required: owned(
                missing
                    .iter()
                    .copied()
                    .filter(|n| required.contains(n))
                    .collect(),
            ),
            missing: owned(missing),
            extra: owned(extra),
        });
        self.push(path, what);
    }
}

/// A type as the mismatch lines name it: built-ins by name, others by
/// meta-type.
fn describe(info: &SchemaInfo) -> String {
    match &info.kind {
        InfoKind::Builtin { .. } => info.name.clone(),
        InfoKind::Object {
            variants: Some(_), ..
        } => "union".to_string(),
        _ => info.meta_type().to_string(),
    }
}
