//! `schema/qga/`, the guest agent's schema, against its checks and the
//! live agent:
//!
//! - `cargo xtask check --strict` accepts it (every definition documented)
//!   and counts no events;
//! - QEMU's own generator (`scripts/qapi-gen.py` of the QAPI corpus)
//!   accepts it, doc comments included;
//! - generated for the guest agent (`Protocol::GuestAgent`, as `cargo
//!   xtask codegen` does), every command is an `AgentCommand` and nothing
//!   else (no modes, no out-of-band), and there is no events module;
//! - qemu-ga 10.0 (`Release::Current`): every command `guest-info` lists
//!   in `supported_commands` is defined, with the same
//!   `success-response`, but those in [`MISSING`], which must not be
//!   defined; a command the schema defines must be one the agent lists;
//! - the same agent's answers to the read-only commands ([`READ_ONLY`])
//!   have the shape the schema gives their return types: every member
//!   the agent sends is defined, with a value of its type, and none the
//!   schema requires is absent.
//!
//! Without the agent the live tests say SKIPPED and pass, unless
//! `QMP_REQUIRE_QEMU=1` (or CI), where they fail; the same for the
//! corpus and `QMP_REQUIRE_CORPUS=1`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::Command;

use common::{root, text, xtask};
use qmp_codegen::emit::Protocol;
use qmp_codegen::model::{Body, Builtin, Schema, TypeRef};
use qmp_codegen::{check_file, Builder, Options};
use qmp_test_support::{GuestAgent, Release, HANG_GUARD};
use serde_json::Value;

const ROOT: &str = "schema/qga/qga-schema.json";

/// Commands of qemu-ga 10.0 the schema does not define yet. Adding one to
/// the schema fails the live test until it is taken off this list.
const MISSING: &[&str] = &[];

/// The commands that change nothing in the guest, with their arguments.
const READ_ONLY: &[(&str, &str)] = &[
    ("guest-sync", r#"{"id": 4711}"#),
    ("guest-ping", "{}"),
    ("guest-info", "{}"),
    ("guest-get-osinfo", "{}"),
    ("guest-get-host-name", "{}"),
    ("guest-get-time", "{}"),
    ("guest-get-timezone", "{}"),
    ("guest-get-users", "{}"),
    ("guest-get-load", "{}"),
    ("guest-get-cpustats", "{}"),
    ("guest-get-vcpus", "{}"),
    ("guest-get-memory-blocks", "{}"),
    ("guest-get-memory-block-info", "{}"),
    ("guest-get-fsinfo", "{}"),
    ("guest-get-disks", "{}"),
    ("guest-get-diskstats", "{}"),
    ("guest-fsfreeze-status", "{}"),
    ("guest-network-get-interfaces", "{}"),
    ("guest-network-get-route", "{}"),
];

/// The checked schema.
fn checked_schema() -> Schema {
    let checked = check_file(&root().join(ROOT), &Options { strict: true })
        .unwrap_or_else(|e| panic!("{ROOT}: {}", e.error));
    match checked.schema {
        Some(schema) => schema,
        None => panic!("{}", checked.render(&checked.diagnostics)),
    }
}

/// The schema's commands, by wire name, each with its
/// `success-response`.
fn schema_commands() -> BTreeMap<String, bool> {
    checked_schema()
        .iter()
        .filter_map(|(_, def)| match &def.body {
            Body::Command(command) => Some((def.name.to_string(), command.success_response)),
            _ => None,
        })
        .collect()
}

#[test]
fn guest_agent_schema_checks_clean_in_strict_mode() {
    let out = xtask(&["check", "--strict", ROOT]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stderr.trim().is_empty(), "no warnings expected:\n{stderr}");
    assert!(stdout.starts_with("ok: "), "{stdout}");
    assert!(stdout.contains(", 0 events)"), "{stdout}");
    let commands = schema_commands();
    assert!(!commands.contains_key("qmp_capabilities"), "{commands:?}");
    println!("{}", stdout.trim());
}

#[test]
fn qemu_generator_accepts_the_guest_agent_schema() {
    let corpus = std::env::var_os("QAPI_CORPUS")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root().parent().unwrap().join("shared/qapi-corpus"));
    let script = corpus.join("qemu-10.0.0/scripts/qapi-gen.py");
    if !script.is_file() {
        let required = ["QMP_REQUIRE_CORPUS", "QMP_REQUIRE_QEMU"]
            .iter()
            .any(|v| std::env::var(v).is_ok_and(|v| v.trim() == "1"));
        assert!(
            !required,
            "{} is missing, and the test is required",
            script.display()
        );
        eprintln!("SKIPPED: needs the QAPI corpus");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qapi-gen-qga");
    let _ = std::fs::remove_dir_all(&dir);
    let run = Command::new("python3")
        .arg(&script)
        .arg("-o")
        .arg(&dir)
        .arg(root().join(ROOT))
        // Nothing may be written into the corpus.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 runs");
    assert!(
        run.status.success(),
        "qapi-gen.py rejects {ROOT}:\n{}{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    assert!(dir.join("qapi-commands.c").is_file(), "{}", dir.display());
}

#[test]
fn guest_agent_bindings_have_no_modes_and_no_events() {
    let generated = Builder::new()
        .schema(root().join(ROOT))
        .strict(true)
        .protocol(Protocol::GuestAgent)
        .rerun_if_changed(false)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let commands: String = generated
        .commands
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let total = schema_commands().len();
    assert_eq!(
        commands.matches("::AgentCommandfor").count(),
        total,
        "every command an AgentCommand"
    );
    for qmp in [
        "Modes::",
        "::Commandfor",
        "OperationalCommand",
        "OobCommand",
    ] {
        assert!(!commands.contains(qmp), "agent bindings mention {qmp}");
    }
    assert!(
        generated.events.is_empty(),
        "an events module: {}",
        generated.events
    );
}

/// The live qemu-ga 10.0, with one connection; `None` when it is missing.
fn live_agent() -> Option<(GuestAgent, UnixStream)> {
    let binary = Release::Current.guest_agent()?;
    let mut agent = GuestAgent::start(&binary).unwrap_or_else(|e| panic!("qemu-ga: {e}"));
    let stream = agent.connect().unwrap_or_else(|e| panic!("connect: {e}"));
    stream.set_read_timeout(Some(HANG_GUARD)).unwrap();
    Some((agent, stream))
}

/// Sends one command and reads the answer line.
fn ask(agent: &GuestAgent, stream: &UnixStream, command: &str, arguments: &str) -> Value {
    let mut writer = stream;
    writeln!(
        writer,
        r#"{{"execute":"{command}","arguments":{arguments}}}"#
    )
    .unwrap();
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{command}: read: {e}\n{}", agent.log()));
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{command}: {e}: {line}"))
}

/// `guest-info`'s `supported_commands` of the live qemu-ga 10.0, each
/// with its `success-response`; `None` when the agent is missing.
fn live_commands() -> Option<(String, BTreeMap<String, bool>)> {
    let (agent, stream) = live_agent()?;
    let answer = ask(&agent, &stream, "guest-info", "{}");
    let line = answer.to_string();
    let info = &answer["return"];
    let version = info["version"].as_str().unwrap_or_else(|| panic!("{line}"));
    let commands = info["supported_commands"]
        .as_array()
        .unwrap_or_else(|| panic!("{line}"))
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap_or_else(|| panic!("{c}"));
            let success = c["success-response"]
                .as_bool()
                .unwrap_or_else(|| panic!("{c}"));
            (name.to_owned(), success)
        })
        .collect();
    Some((version.to_owned(), commands))
}

#[test]
fn guest_agent_schema_covers_the_live_agent() {
    let Some((version, live)) = live_commands() else {
        eprintln!("SKIPPED: needs qemu-ga 10.0");
        return;
    };
    assert!(version.starts_with("10.0."), "qemu-ga {version}");
    let ours = schema_commands();
    let missing: BTreeSet<&str> = MISSING.iter().copied().collect();

    let undefined: Vec<&str> = live
        .keys()
        .map(String::as_str)
        .filter(|name| !ours.contains_key(*name) && !missing.contains(name))
        .collect();
    assert!(
        undefined.is_empty(),
        "qemu-ga {version} lists commands the schema does not define (nor MISSING): {undefined:?}"
    );
    let done: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|name| ours.contains_key(*name) || !live.contains_key(*name))
        .collect();
    assert!(
        done.is_empty(),
        "MISSING names commands the schema defines or the agent does not list: {done:?}"
    );
    let unknown: Vec<&str> = ours
        .keys()
        .map(String::as_str)
        .filter(|name| !live.contains_key(*name))
        .collect();
    assert!(
        unknown.is_empty(),
        "the schema defines commands qemu-ga {version} does not list: {unknown:?}"
    );
    let differ: Vec<String> = ours
        .iter()
        .filter(|(name, success)| live.get(*name).is_some_and(|live| live != *success))
        .map(|(name, success)| format!("{name} (ours {success})"))
        .collect();
    assert!(
        differ.is_empty(),
        "success-response differs from the agent's: {differ:?}"
    );
    println!(
        "qemu-ga {version}: {} of {} commands defined, {} missing",
        live.len() - missing.len(),
        live.len(),
        missing.len()
    );
}

/// Where `value` does not have the shape of `ty`, one line each.
fn mismatches(schema: &Schema, ty: &TypeRef, value: &Value, at: &str) -> Vec<String> {
    let fits = match ty {
        TypeRef::Builtin(builtin) => match builtin {
            Builtin::Str => value.is_string(),
            Builtin::Number => value.is_number(),
            Builtin::Int | Builtin::Int8 | Builtin::Int16 | Builtin::Int32 | Builtin::Int64 => {
                value.is_i64()
            }
            Builtin::Uint8
            | Builtin::Uint16
            | Builtin::Uint32
            | Builtin::Uint64
            | Builtin::Size => value.is_u64(),
            Builtin::Bool => value.is_boolean(),
            Builtin::Null => value.is_null(),
            Builtin::Any => true,
            Builtin::QType => value.is_string(),
        },
        TypeRef::Array(element) => {
            let Some(items) = value.as_array() else {
                return vec![format!("{at}: not an array: {value}")];
            };
            return items
                .iter()
                .enumerate()
                .flat_map(|(i, item)| mismatches(schema, element, item, &format!("{at}[{i}]")))
                .collect();
        }
        TypeRef::Definition(id) => {
            let def = schema.definition(*id);
            match &def.body {
                Body::Enum(e) => value
                    .as_str()
                    .is_some_and(|v| e.values.iter().any(|x| &*x.name == v)),
                Body::Alternate(a) => a
                    .branches
                    .iter()
                    .any(|b| mismatches(schema, &b.ty, value, at).is_empty()),
                Body::Struct(_) | Body::Union(_) => {
                    let Some(object) = value.as_object() else {
                        return vec![format!("{at}: not an object: {value}")];
                    };
                    let mut members = schema.object_members(*id);
                    if let Body::Union(u) = &def.body {
                        let tag = object.get(&*u.discriminator).and_then(Value::as_str);
                        let branch = u.branches.iter().find(|b| Some(&*b.name) == tag);
                        if let Some(ty) = branch.and_then(|b| b.ty) {
                            members.extend(schema.object_members(ty));
                        }
                    }
                    let mut wrong = Vec::new();
                    for key in object.keys() {
                        if !members.iter().any(|m| &*m.name == key) {
                            wrong.push(format!("{at}: {key} is not a member of {}", &*def.name));
                        }
                    }
                    for member in members {
                        match object.get(&*member.name) {
                            Some(v) => wrong.extend(mismatches(
                                schema,
                                &member.ty,
                                v,
                                &format!("{at}.{}", &*member.name),
                            )),
                            None if !member.optional => wrong
                                .push(format!("{at}: required member {} is absent", &*member.name)),
                            None => {}
                        }
                    }
                    return wrong;
                }
                Body::Command(_) | Body::Event(_) => false,
            }
        }
    };
    if fits {
        Vec::new()
    } else {
        vec![format!("{at}: {value} does not fit {ty:?}")]
    }
}

#[test]
fn guest_agent_answers_fit_the_schema() {
    let Some((agent, stream)) = live_agent() else {
        eprintln!("SKIPPED: needs qemu-ga 10.0");
        return;
    };
    let schema = checked_schema();
    let mut wrong = Vec::new();
    let mut fitted = 0;
    for (command, arguments) in READ_ONLY {
        let id = schema
            .lookup(command)
            .unwrap_or_else(|| panic!("{command} is not in the schema"));
        let Body::Command(def) = &schema.definition(id).body else {
            panic!("{command} is not a command");
        };
        let answer = ask(&agent, &stream, command, arguments);
        let Some(value) = answer.get("return") else {
            wrong.push(format!("{command}: no return: {answer}"));
            continue;
        };
        let found = match &def.returns {
            Some(ty) => mismatches(&schema, ty, value, command),
            None if value.as_object().is_some_and(|o| o.is_empty()) => Vec::new(),
            None => vec![format!("{command}: expected {{}}, got {value}")],
        };
        if found.is_empty() {
            fitted += 1;
        }
        wrong.extend(found);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    println!(
        "qemu-ga: {fitted} of {} read-only answers fit the schema",
        READ_ONLY.len()
    );
}
