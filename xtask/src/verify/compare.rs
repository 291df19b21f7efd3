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
use std::fmt::Write as _;

use qmp_codegen::introspect::{InfoKind, SchemaInfo};

/// The outcome of a comparison.
#[derive(Debug, Default)]
pub struct Report {
    /// Every difference, one line each, in the order found: live commands
    /// and events in live order, then extras.
    pub lines: Vec<String>,
    /// Live commands.
    pub live_commands: usize,
    /// Live commands our schema defines.
    pub have_commands: usize,
    /// Live events.
    pub live_events: usize,
    /// Live events our schema defines.
    pub have_events: usize,
    /// Lines that are mismatches (all but `missing command`/`missing event`).
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

type Table<'a> = HashMap<&'a str, &'a SchemaInfo>;

fn table(infos: &[SchemaInfo]) -> Table<'_> {
    infos.iter().map(|i| (i.name.as_str(), i)).collect()
}

struct Walker<'a> {
    live: Table<'a>,
    ours: Table<'a>,
    seen: HashSet<(&'a str, &'a str)>,
    pairs: Vec<(String, String)>,
    lines: Vec<String>,
}

/// Compares `live` (a server's introspection) with `ours`.
pub fn compare(live: &[SchemaInfo], ours: &[SchemaInfo]) -> Report {
    let mut w = Walker {
        live: table(live),
        ours: table(ours),
        seen: HashSet::new(),
        pairs: Vec::new(),
        lines: Vec::new(),
    };
    let mut report = Report::default();
    let mut missing = 0;
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
            w.lines.push(format!("missing {what}: {}", info.name));
            missing += 1;
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
            w.lines.push(format!("extra {what}: {}", info.name));
        }
    }
    report.mismatches = w.lines.len() - missing;
    report.lines = w.lines;
    report.pairs = w.pairs;
    report
}

impl<'a> Walker<'a> {
    fn entity(&mut self, live: &'a SchemaInfo, ours: &'a SchemaInfo) {
        let path = live.name.as_str();
        self.features(path, &live.features, &ours.features);
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
                    self.lines
                        .push(format!("{path}: allow-oob differs: live {lo}, ours {oo}"));
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
            self.lines.push(format!("{path}: {side} is not described"));
            return;
        };
        match (&l.kind, &o.kind) {
            (InfoKind::Builtin { json_type: lj }, InfoKind::Builtin { json_type: oj }) => {
                if lj != oj {
                    self.type_differs(path, l, o);
                }
            }
            (InfoKind::Enum { members: lm }, InfoKind::Enum { members: om }) => {
                let names = |m: &'a [qmp_codegen::introspect::EnumMemberInfo]| {
                    m.iter().map(|v| v.name.as_str()).collect::<Vec<_>>()
                };
                self.sets(path, "enum values", &names(lm), &names(om));
                for lv in lm {
                    if let Some(ov) = om.iter().find(|ov| ov.name == lv.name) {
                        let at = format!("{path} value {:?}", lv.name);
                        self.features(&at, &lv.features, &ov.features);
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
                let names = |m: &'a [qmp_codegen::introspect::MemberInfo]| {
                    m.iter().map(|v| v.name.as_str()).collect::<Vec<_>>()
                };
                self.sets(path, "members", &names(lm), &names(om));
                for l_member in lm {
                    let Some(o_member) = om.iter().find(|m| m.name == l_member.name) else {
                        continue;
                    };
                    let at = format!("{path}.{}", l_member.name);
                    if l_member.optional != o_member.optional {
                        let word = |optional| if optional { "optional" } else { "required" };
                        self.lines.push(format!(
                            "{at}: optionality differs: live {}, ours {}",
                            word(l_member.optional),
                            word(o_member.optional)
                        ));
                    }
                    self.features(&at, &l_member.features, &o_member.features);
                    self.ty(&at, &l_member.ty, &o_member.ty);
                }
                match (lv, ov) {
                    (None, None) => {}
                    (Some(_), None) => self
                        .lines
                        .push(format!("{path}: live is a union, ours a struct")),
                    (None, Some(_)) => self
                        .lines
                        .push(format!("{path}: live is a struct, ours a union")),
                    (Some(lv), Some(ov)) => {
                        if lv.tag != ov.tag {
                            self.lines.push(format!(
                                "{path}: union tag differs: live {:?}, ours {:?}",
                                lv.tag, ov.tag
                            ));
                        }
                        let cases = |v: &'a qmp_codegen::introspect::Variants| {
                            v.cases.iter().map(|c| c.case.as_str()).collect::<Vec<_>>()
                        };
                        self.sets(path, "union variants", &cases(lv), &cases(ov));
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
                self.sets(path, "alternatives", &kinds(&lk), &kinds(&ok));
                for (kind, lt) in &lk {
                    if let Some((_, ot)) = ok.iter().find(|(k, _)| k == kind) {
                        self.ty(&format!("{path}<{kind}>"), lt, ot);
                    }
                }
            }
            _ => self.type_differs(path, l, o),
        }
        self.features(path, &l.features, &o.features);
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
        self.lines.push(format!(
            "{path}: type differs: live {}, ours {}",
            describe(live),
            describe(ours)
        ));
    }

    fn features(&mut self, path: &str, live: &[String], ours: &[String]) {
        let live: Vec<&str> = live.iter().map(String::as_str).collect();
        let ours: Vec<&str> = ours.iter().map(String::as_str).collect();
        self.sets(path, "features", &live, &ours);
    }

    /// One line when the two sets of names differ.
    fn sets(&mut self, path: &str, what: &str, live: &[&str], ours: &[&str]) {
        let live_set: BTreeSet<&str> = live.iter().copied().collect();
        let our_set: BTreeSet<&str> = ours.iter().copied().collect();
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
        let mut line = format!("{path}: {what} differ:");
        let list = |names: &[&str]| {
            names
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !missing.is_empty() {
            let _ = write!(line, " missing {}", list(&missing));
        }
        if !extra.is_empty() {
            if !missing.is_empty() {
                line.push(';');
            }
            let _ = write!(line, " extra {}", list(&extra));
        }
        self.lines.push(line);
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

#[cfg(test)]
mod tests {
    use super::*;
    use qmp_codegen::introspect::{introspect, Config};
    use qmp_codegen::syntax::MemoryLoader;

    /// What a server reports, written by hand in QEMU's masked form.
    const LIVE: &str = r#"[
        {"name": "set-mode", "meta-type": "command", "arg-type": "0", "ret-type": "1",
         "allow-oob": true},
        {"name": "query-mode", "meta-type": "command", "arg-type": "1", "ret-type": "2"},
        {"name": "stop-all", "meta-type": "command", "arg-type": "1", "ret-type": "1"},
        {"name": "MODE_CHANGED", "meta-type": "event", "arg-type": "3",
         "features": ["unstable"]},
        {"name": "0", "meta-type": "object", "members": [
            {"name": "mode", "type": "4"},
            {"name": "force", "type": "bool", "default": null},
            {"name": "delay", "type": "int"}]},
        {"name": "1", "meta-type": "object", "members": []},
        {"name": "2", "meta-type": "object", "members": [
            {"name": "mode", "type": "4"}, {"name": "since", "type": "str"}]},
        {"name": "3", "meta-type": "object", "members": [{"name": "mode", "type": "4"}]},
        {"name": "4", "meta-type": "enum", "members": [{"name": "a"}, {"name": "b"},
            {"name": "c"}], "values": ["a", "b", "c"]},
        {"name": "bool", "meta-type": "builtin", "json-type": "boolean"},
        {"name": "int", "meta-type": "builtin", "json-type": "int"},
        {"name": "str", "meta-type": "builtin", "json-type": "string"}
    ]"#;

    /// Our schema, with one deliberate difference of each kind.
    const OURS: &str = r#"
{ 'enum': 'Mode', 'data': [ 'a', 'b' ] }
{ 'struct': 'ModeInfo', 'data': { 'mode': 'Mode', 'since': 'str' } }
{ 'command': 'set-mode',
  'data': { 'mode': 'Mode', 'force': 'bool', 'delay': 'str' } }
{ 'command': 'query-mode', 'returns': 'ModeInfo' }
{ 'command': 'reset' }
{ 'event': 'MODE_CHANGED', 'data': { 'mode': 'Mode' } }
"#;

    fn ours() -> Vec<SchemaInfo> {
        let mut loader = MemoryLoader::default();
        loader.add("ours.json", OURS);
        let checked =
            qmp_codegen::check_with_loader("ours.json".as_ref(), &mut loader, &Default::default())
                .unwrap();
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        introspect(&checked.schema.unwrap(), &Config::default())
    }

    fn live() -> Vec<SchemaInfo> {
        super::super::live::parse(&serde_json::from_str(LIVE).unwrap()).unwrap()
    }

    #[test]
    fn every_difference_is_one_line() {
        let report = compare(&live(), &ours());
        assert_eq!(
            report.lines,
            [
                "set-mode: allow-oob differs: live true, ours false",
                "set-mode.arguments.mode: enum values differ: missing \"c\"",
                "set-mode.arguments.force: optionality differs: live optional, ours required",
                "set-mode.arguments.delay: type differs: live int, ours str",
                "missing command: stop-all",
                "MODE_CHANGED: features differ: missing \"unstable\"",
                "extra command: reset",
            ]
        );
        assert_eq!(
            report.summary(),
            "verify: commands 2/3, events 1/1, mismatches 6"
        );
        assert!(!report.ok());
    }

    #[test]
    fn a_schema_matches_its_own_introspection() {
        let ours = ours();
        let report = compare(&ours, &ours);
        assert_eq!(report.lines, Vec::<String>::new());
        assert_eq!(
            report.summary(),
            "verify: commands 3/3, events 1/1, mismatches 0"
        );
        assert!(report.ok());
    }

    #[test]
    fn unions_alternates_and_arrays_are_walked() {
        let live = r#"[
            {"name": "go", "meta-type": "command", "arg-type": "0", "ret-type": "[1]"},
            {"name": "0", "meta-type": "object", "members": [{"name": "how", "type": "2"}]},
            {"name": "[1]", "meta-type": "array", "element-type": "1"},
            {"name": "1", "meta-type": "object", "members": [{"name": "kind", "type": "3"}],
             "tag": "kind", "variants": [{"case": "x", "type": "4"}, {"case": "y", "type": "5"}]},
            {"name": "2", "meta-type": "alternate", "members": [{"type": "str"}, {"type": "4"}]},
            {"name": "3", "meta-type": "enum", "members": [{"name": "x"}, {"name": "y"}]},
            {"name": "4", "meta-type": "object", "members": [{"name": "n", "type": "int"}]},
            {"name": "5", "meta-type": "object", "members": []},
            {"name": "int", "meta-type": "builtin", "json-type": "int"},
            {"name": "str", "meta-type": "builtin", "json-type": "string"}
        ]"#;
        let ours = r#"
{ 'enum': 'Kind', 'data': [ 'x', 'y' ] }
{ 'struct': 'Ex', 'data': { 'n': 'number' } }
{ 'union': 'Thing', 'base': { 'kind': 'Kind' }, 'discriminator': 'kind',
  'data': { 'x': 'Ex' } }
{ 'alternate': 'How', 'data': { 's': 'str', 'n': 'null' } }
{ 'command': 'go', 'data': { 'how': 'How' }, 'returns': [ 'Thing' ] }
"#;
        let mut loader = MemoryLoader::default();
        loader.add("ours.json", ours);
        let checked =
            qmp_codegen::check_with_loader("ours.json".as_ref(), &mut loader, &Default::default())
                .unwrap();
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let ours = introspect(&checked.schema.unwrap(), &Config::default());
        let live = super::super::live::parse(&serde_json::from_str(live).unwrap()).unwrap();
        let report = compare(&live, &ours);
        assert_eq!(
            report.lines,
            [
                "go.arguments.how: alternatives differ: missing \"object\"; extra \"null\"",
                "go.returns[][kind=x].n: type differs: live int, ours number",
            ]
        );
        assert_eq!(
            report.summary(),
            "verify: commands 1/1, events 0/0, mismatches 2"
        );
    }
}
