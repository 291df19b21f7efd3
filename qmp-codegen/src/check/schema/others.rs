//! Phase 2, everything but object types: arrays (element types), enums
//! (value clashes), alternates (branches told apart by JSON type),
//! commands (arguments, what they return) and events (data).

use std::borrow::Cow;

use crate::check::fxhash::HashMap;
use crate::check::lazy;
use crate::check::names::{c_name_cow, first_c_name_clash};
use crate::check::shape::{Decl, DeclBody, ObjectRef};
use crate::model::JsonType;
use crate::source::Span;

use super::{Checker, Lookup, Ty};

impl<'c, 'a> Checker<'c, 'a> {
    /// An array made for a use of `[T]`: `T` must be a type, and no array.
    pub(super) fn check_array(&mut self, a: usize) {
        let element = self.arrays[a].element.clone();
        let decl = self.arrays[a].decl;
        let span = self.arrays[a].span;
        match self.lookup(&element) {
            Lookup::Found(Ty::Array(_) | Ty::BuiltinArray(_)) => {
                let d = self
                    .error(
                        decl,
                        format!("array of the array type '{element}': arrays cannot nest"),
                    )
                    .with_label(span, "array of an array");
                self.report(d);
            }
            Lookup::Found(ty) => self.arrays[a].element_ty = Some(ty),
            Lookup::Poisoned => self.failed = true,
            Lookup::Unknown => {
                let d = self
                    .error(decl, format!("array of the unknown type '{element}'"))
                    .with_label(span, "no such type");
                self.report(d);
            }
            Lookup::NotType(id) => {
                let d = self
                    .error(
                        decl,
                        format!(
                            "array of '{element}', which is {}, not a type",
                            self.describe_def(id)
                        ),
                    )
                    .with_label(span, "not a type");
                self.report(d);
            }
        }
    }

    /// Checks an enum, alternate, command or event.
    pub(super) fn check_other(&mut self, id: usize) -> Result<(), ()> {
        let decls: &'c [Decl<'a>] = self.decls;
        let decl_index = self.defs[id].decl;
        let decl = &decls[decl_index];
        match &decl.body {
            DeclBody::Enum { values, .. } => {
                self.check_definition_features(id, &decl.features, true)?;
                if let Some((earlier, later)) = first_c_name_clash(values.iter().map(|v| v.name)) {
                    let (previous, v) = (values[earlier].name, &values[later]);
                    let message = if previous == v.name {
                        format!("value '{}' is listed twice", v.name)
                    } else {
                        format!(
                            "values '{previous}' and '{}' have the same C name '{}'",
                            v.name,
                            c_name_cow(v.name, true)
                        )
                    };
                    let d = self.error(decl_index, message).with_label(v.span, "again");
                    self.report(d);
                    return Err(());
                }
            }
            DeclBody::Alternate { branches } => {
                self.check_definition_features(id, &decl.features, true)?;
                let mut tys = Vec::new();
                for b in branches {
                    let what = lazy(|f| write!(f, "branch '{}'", b.name));
                    tys.push(self.resolve(&b.ty, decl_index, what).ok_or(())?);
                }
                let mut seen: HashMap<Cow<'_, str>, &str> = HashMap::default();
                let mut by_json: Vec<(JsonType, &str, Span, bool)> = Vec::new();
                for (b, &ty) in branches.iter().zip(&tys) {
                    let c = c_name_cow(b.name, true);
                    if let Some(previous) = seen.get(&c) {
                        let d = self
                            .error(
                                decl_index,
                                format!(
                                    "branches '{previous}' and '{}' have the same C name '{c}'",
                                    b.name
                                ),
                            )
                            .with_label(b.span, "clashes");
                        self.report(d);
                        return Err(());
                    }
                    seen.insert(c, b.name);
                    let json = self.json_type(ty);
                    // Integers and numbers are both JSON numbers.
                    let json = if json == JsonType::Int {
                        JsonType::Number
                    } else {
                        json
                    };
                    if json == JsonType::Value {
                        let d = self
                            .error(
                                decl_index,
                                format!(
                                    "branch '{}' cannot be of {}: an alternate tells its branches apart by JSON type",
                                    b.name,
                                    self.describe_ty(ty)
                                ),
                            )
                            .with_label(b.ty.span, "matches any JSON value");
                        self.report(d);
                        return Err(());
                    }
                    let mut conflicting = vec![json];
                    if json == JsonType::String {
                        match self.enum_values(ty) {
                            Some(values) => {
                                if values.iter().any(|v| *v == "on" || *v == "off") {
                                    conflicting.push(JsonType::Boolean);
                                }
                                if values.iter().any(|v| {
                                    v.starts_with(|c: char| {
                                        matches!(c, '-' | '+' | '0'..='9' | '.')
                                    })
                                }) {
                                    conflicting.push(JsonType::Number);
                                }
                            }
                            None => {
                                conflicting.push(JsonType::Number);
                                conflicting.push(JsonType::Boolean);
                            }
                        }
                    }
                    for (k, json) in conflicting.into_iter().enumerate() {
                        // The first is the branch's own JSON type; any other
                        // comes from reading command-line strings.
                        let own = k == 0;
                        if let Some(&(_, previous, previous_span, previous_own)) =
                            by_json.iter().find(|(j, ..)| *j == json)
                        {
                            let mut d = self
                                .error(
                                    decl_index,
                                    format!(
                                        "branches '{previous}' and '{}' cannot be told apart: {} would match both",
                                        b.name,
                                        json_word(json)
                                    ),
                                )
                                .with_label(previous_span, "this branch")
                                .with_label(b.span, "and this one");
                            if !(own && previous_own) {
                                d = d.with_help(
                                    "in input from the command line every value is a string, so a 'str' branch \
                                     also matches numbers and booleans, and an enum branch matches booleans if it \
                                     has a value 'on' or 'off', numbers if it has a value starting with a digit, \
                                     '+', '-' or '.'",
                                );
                            }
                            self.report(d);
                            return Err(());
                        }
                        by_json.push((json, b.name, b.span, own));
                    }
                }
                self.defs[id].member_tys = tys;
            }
            DeclBody::Command {
                data,
                returns,
                boxed,
                ..
            } => {
                self.check_definition_features(id, &decl.features, false)?;
                self.check_arguments(id, data.as_ref(), *boxed, "command")?;
                if let Some(tn) = returns {
                    let ty = self.resolve(tn, decl_index, "'returns'").ok_or(())?;
                    self.defs[id].returns = Some(ty);
                    let excepted = self
                        .pragmas
                        .command_returns_exceptions
                        .iter()
                        .any(|n| n == decl.name);
                    if !excepted {
                        let element = match ty {
                            Ty::Array(a) => match self.arrays[a].element_ty {
                                Some(t) => t,
                                None => {
                                    self.failed = true;
                                    return Err(());
                                }
                            },
                            Ty::BuiltinArray(b) => Ty::Builtin(b),
                            t => t,
                        };
                        if self.object_def(element).is_none() {
                            let d = self
                                .error(
                                    decl_index,
                                    format!(
                                        "a command must return an object or an array of objects, not {}",
                                        self.describe_ty(ty)
                                    ),
                                )
                                .with_label(tn.span, "not an object type")
                                .with_help("pragma 'command-returns-exceptions' lists the commands excused from this rule");
                            self.report(d);
                            return Err(());
                        }
                    }
                }
            }
            DeclBody::Event { data, boxed } => {
                self.check_definition_features(id, &decl.features, false)?;
                self.check_arguments(id, data.as_ref(), *boxed, "event")?;
            }
            DeclBody::Struct { .. } | DeclBody::Union { .. } => {}
        }
        Ok(())
    }

    /// The `'data'` of a command or event.
    fn check_arguments(
        &mut self,
        id: usize,
        data: Option<&ObjectRef>,
        boxed: bool,
        what: &str,
    ) -> Result<(), ()> {
        let decl_index = self.defs[id].decl;
        let (arg, span) = match data {
            None => return Ok(()),
            Some(ObjectRef::Inline(_)) => match self.decl_implicit[decl_index] {
                Some(a) => (a, None),
                None => return Ok(()),
            },
            Some(ObjectRef::Named(tn)) => {
                let ty = self.resolve(tn, decl_index, "'data'").ok_or(())?;
                match self.object_def(ty) {
                    Some(a) => (a, Some(tn.span)),
                    None => {
                        let d = self
                            .error(
                                decl_index,
                                format!(
                                    "the 'data' of a {what} must be a struct or union, not {}",
                                    self.describe_ty(ty)
                                ),
                            )
                            .with_label(tn.span, "not an object type");
                        self.report(d);
                        return Err(());
                    }
                }
            }
        };
        let label_span = span.unwrap_or(self.decls[decl_index].expr.span);
        if self.is_union(arg) && !boxed {
            let d = self
                .error(
                    decl_index,
                    format!("the 'data' of a {what} can be a union only with 'boxed': true"),
                )
                .with_label(label_span, "a union");
            self.report(d);
            return Err(());
        }
        self.check_object(arg, 0)?;
        if !boxed && self.defs[arg].flat.iter().any(|m| m.conditional) {
            let d = self
                .error(
                    decl_index,
                    format!("the 'data' of a {what} has members with an 'if' condition, which needs 'boxed': true"),
                )
                .with_label(label_span, "has conditional members");
            self.report(d);
            return Err(());
        }
        self.defs[id].arg = Some(arg);
        Ok(())
    }
}

fn json_word(json: JsonType) -> &'static str {
    match json {
        JsonType::String => "a string",
        JsonType::Number | JsonType::Int => "a number",
        JsonType::Boolean => "a boolean",
        JsonType::Null => "null",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
        JsonType::Value => "any value",
    }
}
