//! The live decode sweep: every `query-*` command of `schema/` that takes
//! no required argument runs against both reference servers of both
//! releases (QEMU 10.0 and Debian 12's 7.2), each started with content
//! (`common::content`), and its answer decodes into the generated return
//! type. A command a server lacks answers `CommandNotFound`: one the
//! current release's binary of that kind lacks too is not built in; any
//! other must be a `command` fact of `schema/compat.txt` for that release.
//!
//! The table below lists the commands as types, since each runs with its
//! own generated type; a guard test checks `schema/` with `qmp-codegen`
//! and fails, naming them, when a qualifying command is missing from the
//! table (or the table names one that no longer qualifies), so the sweep
//! follows the schema.

// Deprecated commands are swept too.
#![allow(deprecated)]

mod common;

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

use common::{Kind, Qemu, Release, HANG_GUARD};
use qmp_client::commands;
use qmp_client::mode::OperationalCommand;
use qmp_client::qmp_types::Command;
use qmp_client::wire::ErrorClass;
use qmp_client::{Client, Error, Operational};
use qmp_codegen::compat::{Compat, FactKind};
use qmp_codegen::model::Body;
use serde_json::Value;

/// Whether the decoded answer has content.
type Run =
    for<'a> fn(&'a Client<Operational>) -> Pin<Box<dyn Future<Output = Result<bool, Error>> + 'a>>;

/// Runs `C` with its default (all optional arguments absent), decodes the
/// answer into `C::Returns`, and tells whether it has content: anything
/// but an empty list or object.
fn run<C: OperationalCommand + Default + Send + 'static>(
    client: &Client<Operational>,
) -> Pin<Box<dyn Future<Output = Result<bool, Error>> + '_>>
where
    C::Returns: serde::Serialize,
{
    Box::pin(async move {
        let returns = client.execute(C::default()).await?;
        Ok(match serde_json::to_value(returns).expect("serializes") {
            Value::Null => false,
            Value::Array(items) => !items.is_empty(),
            Value::Object(members) => !members.is_empty(),
            _ => true,
        })
    })
}

macro_rules! table {
    ($($command:ident),* $(,)?) => {
        &[$((<commands::$command as Command>::NAME, run::<commands::$command> as Run)),*]
    };
}

/// Every `query-*` command without required arguments.
const SWEEP: &[(&str, Run)] = table![
    QueryVersion,
    QueryCommands,
    QueryQmpSchema,
    QueryJobs,
    QueryBlock,
    QueryNamedBlockNodes,
    QueryBlockstats,
    QueryBlockJobs,
    QueryBlockExports,
    QueryChardev,
    QueryChardevBackends,
    QueryStatus,
    QueryMachines,
    QueryCurrentMachine,
    QueryTarget,
    QueryName,
    QueryUuid,
    QueryVmGenerationId,
    QueryKvm,
    QueryIothreads,
    QueryAcpiOspmStatus,
    QueryCpusFast,
    QueryHotpluggableCpus,
    QueryCpuDefinitions,
    QueryGicCapabilities,
    QueryMemdev,
    QueryMemorySizeSummary,
    QueryMemoryDevices,
    QueryBalloon,
    QueryHvBalloonStatusReport,
    QuerySev,
    QuerySevCapabilities,
    QuerySevLaunchMeasure,
    QuerySgx,
    QuerySgxCapabilities,
    QueryPci,
    QueryTpm,
    QueryTpmModels,
    QueryTpmTypes,
    QueryCryptodev,
    QueryPrManagers,
    QueryRxFilter,
    QueryMigrateCapabilities,
    QueryMigrateParameters,
    QueryMigrate,
    QueryMigrationthreads,
    QueryDirtyRate,
    QueryVcpuDirtyLimit,
    QueryColoStatus,
    QueryXenReplicationStatus,
    QueryDump,
    QueryDumpGuestMemoryCapability,
    QueryDisplayOptions,
    QueryVnc,
    QueryVncServers,
    QuerySpice,
    QueryMice,
    QueryAudiodevs,
    QueryFdsets,
    QueryCommandLineOptions,
    QueryStatsSchemas,
    QueryReplay,
    QueryYank,
];

/// `schema/compat.txt`: what older releases lack.
fn compat() -> Compat {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/compat.txt");
    Compat::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Whether `compat` says `release` lacks the command `name`: it is there
/// only from a later release on.
fn lacks(compat: &Compat, release: Release, name: &str) -> bool {
    compat.since.iter().any(|(subject, since)| {
        let since = since
            .split_once('.')
            .map(|(major, minor)| (major.parse().unwrap(), minor.parse().unwrap()));
        subject.kind == FactKind::Command
            && subject.owner == name
            && since.expect("compat.txt: a release is MAJOR.MINOR") > release.version()
    })
}

/// Runs every command of the sweep on `client`: whether each decoded a
/// non-empty answer, or its error.
async fn run_all(client: &Client<Operational>) -> Vec<(&'static str, Result<bool, Error>)> {
    let mut results = Vec::new();
    for (name, run) in SWEEP {
        results.push((*name, run(client).await));
    }
    results
}

#[tokio::test]
async fn every_query_command_decodes_into_its_generated_type_on_both_releases() {
    let compat = compat();
    let mut covered = BTreeSet::new();
    // What the current release's binary of a kind lacks is not built into
    // that kind, in any release.
    let mut not_built: Vec<(Kind, &str)> = Vec::new();
    let mut failures = Vec::new();
    for (release, kind) in common::servers() {
        let Some(qemu) = Qemu::start_with_content(kind, release) else {
            if release == Release::Current {
                return;
            }
            continue;
        };
        let server = format!("{release} {kind:?}");
        let client = qemu.operational().await.with_timeout(Some(HANG_GUARD));
        let (mut decoded, mut empty, mut refused) = (0, Vec::new(), Vec::new());
        let (mut absent, mut lacking) = (Vec::new(), Vec::new());
        let mut failed = Vec::new();
        for (name, result) in run_all(&client).await {
            match result {
                Ok(content) => {
                    decoded += 1;
                    if !content {
                        empty.push(name);
                    }
                    covered.insert(name);
                }
                Err(Error::Server {
                    class: ErrorClass::CommandNotFound,
                    desc,
                }) => {
                    if not_built.contains(&(kind, name)) {
                        absent.push(name);
                    } else if lacks(&compat, release, name) {
                        lacking.push(name);
                    } else if release == Release::Current {
                        not_built.push((kind, name));
                        absent.push(name);
                    } else {
                        failed.push(format!(
                            "{name}: CommandNotFound, not explained by compat.txt ({desc})"
                        ));
                    }
                }
                // The server may refuse to answer (no such device here): a
                // refusal is not a decode failure.
                Err(Error::Server { class, desc }) => {
                    refused.push(format!("{name} ({class}: {desc})"))
                }
                Err(error) => failed.push(format!("{name}: {error}")),
            }
        }
        eprintln!(
            "{server}: {decoded} answers decoded, {} non-empty; {} refused by the \
             server; {} not built into this kind; {} CommandNotFound explained by compat.txt \
             {lacking:?}; {} decode failures",
            decoded - empty.len(),
            refused.len(),
            absent.len(),
            lacking.len(),
            failed.len(),
        );
        eprintln!("  empty: {empty:?}");
        for line in &refused {
            eprintln!("  refused: {line}");
        }
        for line in &failed {
            eprintln!("  FAILED: {line}");
        }
        failures.extend(failed.into_iter().map(|line| format!("{server}: {line}")));
    }
    assert!(
        failures.is_empty(),
        "decode failures:\n{}",
        failures.join("\n")
    );
    eprintln!(
        "sweep: {} of {} query commands decoded on at least one server",
        covered.len(),
        SWEEP.len()
    );
}

/// The query commands of `schema/`, whose bindings are generated, that
/// take no required argument: from the checked model, as the emitter
/// sees it.
fn qualifying_commands() -> BTreeSet<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/qapi-schema.json");
    let checked = qmp_codegen::check_file(root.as_ref(), &Default::default()).unwrap();
    let schema = checked.schema.as_ref().expect("schema/ checks");
    schema
        .iter()
        .filter_map(|(_, definition)| match &definition.body {
            Body::Command(command) if definition.name.starts_with("query-") => {
                let required = command.arguments.is_some_and(|arguments| {
                    schema.object_members(arguments).iter().any(|m| !m.optional)
                });
                (!required).then(|| definition.name.to_string())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_sweep_table_lists_exactly_the_qualifying_commands() {
    let qualifying = qualifying_commands();
    let table: BTreeSet<String> = SWEEP.iter().map(|(n, _)| n.to_string()).collect();
    let missing: Vec<_> = qualifying.difference(&table).collect();
    let extra: Vec<_> = table.difference(&qualifying).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the sweep table is out of step with schema/'s commands:\n  add: {missing:?}\n  remove: {extra:?}"
    );
    assert!(table.len() > 50, "{}", table.len());
}

/// The sweep on other targets' system emulators (QEMU 10.0, with the same
/// content): every answer decodes; a command the target does not build
/// answers `CommandNotFound` (verify checks `schema/`'s target conditions
/// say so).
#[tokio::test]
async fn query_commands_decode_on_other_targets() {
    for binary in ["qemu-system-aarch64", "qemu-system-s390x"] {
        let Some(qemu) = Qemu::start_target(binary) else {
            continue;
        };
        let client = qemu.operational().await.with_timeout(Some(HANG_GUARD));
        let (mut decoded, mut non_empty, mut not_built, mut refused) = (0, 0, 0, 0);
        let mut failed = Vec::new();
        for (name, result) in run_all(&client).await {
            match result {
                Ok(content) => {
                    decoded += 1;
                    non_empty += usize::from(content);
                }
                Err(Error::Server {
                    class: ErrorClass::CommandNotFound,
                    ..
                }) => not_built += 1,
                Err(Error::Server { .. }) => refused += 1,
                Err(error) => failed.push(format!("{name}: {error}")),
            }
        }
        eprintln!(
            "{binary}: {decoded} answers decoded, {non_empty} non-empty; {refused} refused by the \
             server; {not_built} not built into this target; {} decode failures",
            failed.len()
        );
        assert!(
            failed.is_empty(),
            "{binary}: decode failures:\n{}",
            failed.join("\n")
        );
        assert!(decoded > 40, "{binary}: only {decoded} answers decoded");
    }
}
