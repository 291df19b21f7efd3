//! A command's `key=value` words to its JSON arguments, typed as the
//! schema says, and checked before anything is sent.
//!
//! A key names a member, dotted for nested ones (`cache.direct=on`). A
//! value is read as its member's type wants: text for a string or enum,
//! a number for an integer or number, `on`/`off`/`true`/`false`/`yes`/`no`
//! for a boolean, and JSON for anything else (objects, arrays,
//! alternates, `any`), or when it parses as JSON of the wanted type.
//! Every mistake is one line naming the nearest valid name.

use qmp_server::Schema;
use qmp_types::introspection::{InfoKind, MemberInfo};
use serde_json::{Map, Value};

/// Builds the arguments of `command` from `words` (and a whole object,
/// `json`, which the words add to), then checks them against the schema.
/// `hint` says where the keys are listed, for a mistake's message.
pub fn build(
    schema: &Schema,
    command: &str,
    words: &[String],
    json: Option<&str>,
    hint: &str,
) -> Result<Map<String, Value>, String> {
    let arg_type = arg_type(schema, command)?;
    let mut arguments = match json {
        Some(text) => match serde_json::from_str(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err("--json: the arguments must be a JSON object".to_owned()),
            Err(error) => return Err(format!("--json: {error}")),
        },
        None => Map::new(),
    };
    let target = Target {
        ty: &arg_type,
        owner: &format!("command '{command}'"),
        hint,
    };
    add_words(schema, &target, &mut arguments, words)?;
    check(schema, command, &arguments)?;
    Ok(arguments)
}

/// The object type of `command`'s arguments, or an error naming the
/// nearest command.
pub fn arg_type(schema: &Schema, command: &str) -> Result<String, String> {
    match schema.get(command).map(|info| &info.kind) {
        Some(InfoKind::Command { arg_type, .. }) => Ok(arg_type.clone()),
        _ => {
            let commands = names(schema, |kind| matches!(kind, InfoKind::Command { .. }));
            Err(format!(
                "unknown command '{command}'{}",
                suggest(command, commands.iter().map(String::as_str))
            ))
        }
    }
}

/// An object type that `key=value` words fill, and how mistakes name it.
pub struct Target<'a> {
    /// The object type.
    pub ty: &'a str,
    /// What takes the arguments, for "unknown argument 'k' for ...":
    /// `command 'x'`.
    pub owner: &'a str,
    /// How to list the keys, for "an argument is key=value (...)".
    pub hint: &'a str,
}

/// Adds each `key=value` word to `arguments`, typed by `target`'s member
/// at the (dotted) key. Nothing is checked beyond each word's own key and
/// value: [`check`] the whole afterwards.
pub fn add_words(
    schema: &Schema,
    target: &Target<'_>,
    arguments: &mut Map<String, Value>,
    words: &[String],
) -> Result<(), String> {
    for word in words {
        let Some((key, text)) = word.split_once('=') else {
            return Err(format!(
                "'{word}': an argument is key=value ({})",
                target.hint
            ));
        };
        let path: Vec<&str> = key.split('.').collect();
        let ty = member_type(schema, target.ty, &path, target.owner)?;
        let value = typed(schema, &ty, text).map_err(|why| format!("{key}: {why}"))?;
        insert(arguments, &path, value).map_err(|why| format!("{key}: {why}"))?;
    }
    Ok(())
}

/// Checks `command`'s whole `arguments` as the server would (required
/// members, unions, ranges), in its words.
pub fn check(schema: &Schema, command: &str, arguments: &Map<String, Value>) -> Result<(), String> {
    schema
        .check_arguments(command, arguments)
        .map_err(|desc| format!("{desc} (command '{command}'; nothing was sent)"))
}

/// The names of the schema's entries of one kind.
pub fn names(schema: &Schema, kind: impl Fn(&InfoKind) -> bool) -> Vec<String> {
    schema
        .infos()
        .filter(|info| kind(&info.kind))
        .map(|info| info.name.clone())
        .collect()
}

/// ` (did you mean 'x'?)` for the candidate nearest `word` by edits (a
/// swap of neighbours is one), if one is near enough; between equally
/// near ones, the one of the same length, then the most alike.
pub fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let rank = |candidate: &str| {
        (
            strsim::damerau_levenshtein(word, candidate),
            word.len().abs_diff(candidate.len()),
            std::cmp::Reverse((strsim::jaro_winkler(word, candidate) * 1e6) as u64),
        )
    };
    let best = candidates.min_by_key(|candidate| rank(candidate));
    match best {
        Some(candidate) if rank(candidate).0 <= (word.len() / 3).max(1) => {
            format!(" (did you mean '{candidate}'?)")
        }
        _ => String::new(),
    }
}

/// The members an object type may have: its own, and each variant's;
/// for an alternate, those of its object branches (`file.driver=file`).
pub fn members<'a>(schema: &'a Schema, ty: &str) -> Vec<&'a MemberInfo> {
    members_for(schema, ty, &|_| None)
}

/// [`members`], but of a union only the variant that `tag` chooses when
/// it knows the value of the tag member it is given the name of
/// (`driver=null-co`: the members of `null-co`'s branch).
pub fn members_for<'a>(
    schema: &'a Schema,
    ty: &str,
    tag: &dyn Fn(&str) -> Option<String>,
) -> Vec<&'a MemberInfo> {
    let mut all: Vec<&MemberInfo> = Vec::new();
    let mut add = |member: &'a MemberInfo| {
        if !all.iter().any(|m| m.name == member.name) {
            all.push(member);
        }
    };
    match schema.get(ty).map(|i| &i.kind) {
        Some(InfoKind::Object { members, variants }) => {
            members.iter().for_each(&mut add);
            let chosen = variants.as_ref().and_then(|v| tag(&v.tag));
            for case in variants.iter().flat_map(|v| &v.cases) {
                if chosen.as_ref().is_none_or(|chosen| *chosen == case.case) {
                    members_of(schema, &case.ty).iter().for_each(&mut add);
                }
            }
        }
        Some(InfoKind::Alternate { members: branches }) => {
            for branch in branches {
                if let Some(InfoKind::Object { .. }) = schema.get(branch).map(|i| &i.kind) {
                    members_for(schema, branch, tag)
                        .into_iter()
                        .for_each(&mut add);
                }
            }
        }
        _ => {}
    }
    all
}

fn members_of<'a>(schema: &'a Schema, ty: &str) -> &'a [MemberInfo] {
    match schema.get(ty).map(|i| &i.kind) {
        Some(InfoKind::Object { members, .. }) => members,
        _ => &[],
    }
}

/// The type of the member at `path` in object type `ty`; mistakes name
/// `owner` (`command 'x'`) and the nearest member.
pub fn member_type(
    schema: &Schema,
    ty: &str,
    path: &[&str],
    owner: &str,
) -> Result<String, String> {
    let mut ty = ty.to_owned();
    for (depth, name) in path.iter().enumerate() {
        let candidates = members(schema, &ty);
        let Some(member) = candidates.iter().find(|m| m.name == *name) else {
            let place = if depth == 0 {
                owner.to_owned()
            } else {
                format!("'{}'", path[..depth].join("."))
            };
            if candidates.is_empty() {
                return Err(format!("{place} takes no arguments"));
            }
            return Err(format!(
                "unknown argument '{}' for {place}{}",
                path[..=depth].join("."),
                suggest(name, candidates.iter().map(|m| m.name.as_str()))
            ));
        };
        ty = member.ty.clone();
    }
    Ok(ty)
}

/// The words a value of type `ty` may be, if they are few: an enum's
/// values, `on`/`off` for a boolean, those of an alternate's branches.
pub fn value_words(schema: &Schema, ty: &str) -> Vec<String> {
    match schema.get(ty).map(|i| &i.kind) {
        Some(InfoKind::Enum { members }) => members.iter().map(|m| m.name.clone()).collect(),
        Some(InfoKind::Builtin { json_type }) if json_type == "boolean" => {
            vec!["on".to_owned(), "off".to_owned()]
        }
        Some(InfoKind::Alternate { members: branches }) => {
            let mut words: Vec<String> = Vec::new();
            for word in branches.iter().flat_map(|b| value_words(schema, b)) {
                if !words.contains(&word) {
                    words.push(word);
                }
            }
            words
        }
        _ => Vec::new(),
    }
}

/// `text` as a value of type `ty`.
fn typed(schema: &Schema, ty: &str, text: &str) -> Result<Value, String> {
    let kind = schema.get(ty).map(|i| &i.kind);
    match kind {
        Some(InfoKind::Builtin { json_type }) => match json_type.as_str() {
            "string" => Ok(Value::String(text.to_owned())),
            "int" => text
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<u64>().map(Value::from))
                .map_err(|_| format!("'{text}' is not an integer")),
            "number" => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("'{text}' is not a number")),
            "boolean" => match text {
                "on" | "true" | "yes" => Ok(Value::Bool(true)),
                "off" | "false" | "no" => Ok(Value::Bool(false)),
                _ => Err(format!(
                    "'{text}' is not a boolean (on/off, true/false, yes/no)"
                )),
            },
            "null" => Ok(Value::Null),
            _ => Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))),
        },
        Some(InfoKind::Enum { members }) => {
            if members.iter().any(|m| m.name == text) {
                Ok(Value::String(text.to_owned()))
            } else {
                Err(format!(
                    "'{text}' is not one of {}{}",
                    members
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    suggest(text, members.iter().map(|m| m.name.as_str()))
                ))
            }
        }
        Some(InfoKind::Alternate { .. }) => {
            Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
        }
        _ => serde_json::from_str(text).map_err(|e| format!("expects JSON here: {e}")),
    }
}

/// Puts `value` at `path`, making the objects on the way.
fn insert(arguments: &mut Map<String, Value>, path: &[&str], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("an empty key")?;
    let mut object = arguments;
    for parent in parents {
        let slot = object
            .entry((*parent).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        object = slot
            .as_object_mut()
            .ok_or_else(|| format!("'{parent}' is already given a value that is not an object"))?;
    }
    object.insert((*last).to_owned(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(command: &str, words: &[&str]) -> Result<Value, String> {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        build(
            &Schema::bindings(),
            command,
            &words,
            None,
            "run `qmp schema` for the keys",
        )
        .map(Value::Object)
    }

    #[test]
    fn words_become_typed_nested_arguments() {
        assert_eq!(
            args(
                "blockdev-add",
                &[
                    "driver=null-co",
                    "node-name=n0",
                    "cache.direct=on",
                    "size=1024"
                ]
            ),
            Ok(
                json!({"driver": "null-co", "node-name": "n0", "cache": {"direct": true}, "size": 1024})
            )
        );
    }

    #[test]
    fn mistakes_name_the_nearest_valid_name() {
        assert_eq!(
            args("query-stauts", &[]),
            Err("unknown command 'query-stauts' (did you mean 'query-status'?)".into())
        );
        assert_eq!(
            args("block-dirty-bitmap-add", &["nod=x", "name=b"]),
            Err("unknown argument 'nod' for command 'block-dirty-bitmap-add' (did you mean 'node'?)".into())
        );
        assert_eq!(
            args(
                "block-dirty-bitmap-add",
                &["node=x", "name=b", "granularity=big"]
            ),
            Err("granularity: 'big' is not an integer".into())
        );
        assert_eq!(
            args("block-dirty-bitmap-add", &["node=x"]),
            Err(
                "Parameter 'name' is missing (command 'block-dirty-bitmap-add'; nothing was sent)"
                    .into()
            )
        );
    }

    #[test]
    fn an_alternate_of_an_object_takes_dotted_keys() {
        assert_eq!(
            args(
                "blockdev-add",
                &[
                    "driver=raw",
                    "node-name=r0",
                    "file.driver=file",
                    "file.filename=/tmp/x"
                ]
            ),
            Ok(
                json!({"driver": "raw", "node-name": "r0", "file": {"driver": "file", "filename": "/tmp/x"}})
            )
        );
        assert_eq!(
            args("blockdev-add", &["driver=raw", "node-name=r0", "file=n1"]),
            Ok(json!({"driver": "raw", "node-name": "r0", "file": "n1"}))
        );
    }

    #[test]
    fn members_types_and_value_words_for_completion() {
        let schema = Schema::bindings();
        let ty = arg_type(&schema, "blockdev-add").unwrap();
        let names: Vec<&str> = members(&schema, &ty)
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert!(names.contains(&"cache") && names.contains(&"node-name"));
        let cache = member_type(&schema, &ty, &["cache"], "").unwrap();
        assert!(members(&schema, &cache).iter().any(|m| m.name == "direct"));
        let direct = member_type(&schema, &ty, &["cache", "direct"], "").unwrap();
        assert_eq!(value_words(&schema, &direct), ["on", "off"]);
        let driver = member_type(&schema, &ty, &["driver"], "").unwrap();
        assert!(value_words(&schema, &driver).contains(&"null-co".to_owned()));
        assert!(value_words(&schema, "str").is_empty());
        assert_eq!(
            arg_type(&schema, "query-stauts"),
            Err("unknown command 'query-stauts' (did you mean 'query-status'?)".into())
        );
    }
}
