//! The live decode sweep: every `query-*` command of `schema/` that takes
//! no required argument runs against both reference servers, and its
//! answer decodes into the generated return type.
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

use common::{Qemu, BOTH, HANG_GUARD};
use qmp_client::commands::{self, QueryCommands};
use qmp_client::mode::OperationalCommand;
use qmp_client::qmp_types::Command;
use qmp_client::{Client, Error, Operational};
use qmp_codegen::model::Body;

type Run =
    for<'a> fn(&'a Client<Operational>) -> Pin<Box<dyn Future<Output = Result<(), Error>> + 'a>>;

/// Runs `C` with its default (all optional arguments absent) and decodes
/// the answer into `C::Returns`.
fn run<C: OperationalCommand + Default + Send + 'static>(
    client: &Client<Operational>,
) -> Pin<Box<dyn Future<Output = Result<(), Error>> + '_>> {
    Box::pin(async move { client.execute(C::default()).await.map(drop) })
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

#[tokio::test]
async fn every_query_command_decodes_into_its_generated_type_on_both_servers() {
    let mut covered = BTreeSet::new();
    for kind in BOTH {
        let Some(qemu) = Qemu::start(kind) else {
            return;
        };
        let client = qemu
            .connect()
            .await
            .negotiate(&[])
            .await
            .unwrap()
            .with_timeout(Some(HANG_GUARD));
        let offered: BTreeSet<String> = client
            .execute(QueryCommands::new())
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        let (mut decoded, mut refused, mut absent) = (0, Vec::new(), 0);
        let mut failures = Vec::new();
        for (name, run) in SWEEP {
            if !offered.contains(*name) {
                absent += 1;
                continue;
            }
            match run(&client).await {
                Ok(()) => {
                    decoded += 1;
                    covered.insert(*name);
                }
                // The server may refuse to answer (no such device here): a
                // refusal is not a decode failure.
                Err(Error::Server { class, desc }) => {
                    refused.push(format!("{name} ({class}: {desc})"))
                }
                Err(error) => failures.push(format!("{name}: {error}")),
            }
        }
        eprintln!(
            "{kind:?}: {decoded} answers decoded, {} refused by the server, {absent} commands not in this binary",
            refused.len()
        );
        for line in &refused {
            eprintln!("  refused: {line}");
        }
        assert!(
            failures.is_empty(),
            "{kind:?}: decode failures:\n{}",
            failures.join("\n")
        );
    }
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
