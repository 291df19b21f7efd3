//! Sequential `query-version` round trips against `qemu-storage-daemon`:
//! the typed client compared, in the same run and on the same daemon, with
//! plain loops that write pre-serialized bytes and read a line (the
//! floor); and typed decoding of `query-qmp-schema` in bytes per second.
//!
//! `cargo bench -p qmp-client`. Needs `qemu-storage-daemon` (QEMU 10.0) as
//! `$QMP_QEMU_STORAGE_DAEMON` or on `PATH` (found and started by
//! `qmp-test-support`); without it the benchmark says so and measures
//! nothing.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use criterion::{criterion_main, Criterion, Throughput};
use qmp_client::commands::{QueryQmpSchema, QueryVersion};
use qmp_client::types::SchemaInfo;
use qmp_client::wire::Success;
use qmp_client::{Client, Connector};
use qmp_test_support::{Kind, Qemu};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

const REQUEST: &[u8] = b"{\"execute\":\"query-version\",\"id\":1}\n";

/// A blocking connection, negotiated by hand.
fn plain(stream: UnixStream) -> (BufReader<UnixStream>, UnixStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    writer
        .write_all(b"{\"execute\":\"qmp_capabilities\"}\n")
        .unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(line.contains("return"), "{line}");
    (reader, writer)
}

fn benches(c: &mut Criterion) {
    let Some(binary) = Kind::StorageDaemon.binary() else {
        return;
    };
    // Three monitors, each connecting to the bench's socket: one for each
    // plain loop and one for the client.
    let mut daemon = Qemu::start(&binary, Kind::StorageDaemon, 3).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let (mut std_reader, mut std_writer) = plain(daemon.accept().unwrap());
    let tokio_stream = daemon.accept().unwrap();
    let (tokio_reader, mut tokio_writer) = runtime.block_on(async {
        tokio_stream.set_nonblocking(true).unwrap();
        let stream = tokio::net::UnixStream::from_std(tokio_stream).unwrap();
        let (read, write) = stream.into_split();
        let mut read = tokio::io::BufReader::new(read);
        let mut line = String::new();
        read.read_line(&mut line).await.unwrap();
        (read, write)
    });
    let mut tokio_reader = tokio_reader;
    runtime.block_on(async {
        tokio_writer
            .write_all(b"{\"execute\":\"qmp_capabilities\"}\n")
            .await
            .unwrap();
        let mut line = String::new();
        tokio_reader.read_line(&mut line).await.unwrap();
    });
    let listener = daemon.listener().unwrap().try_clone().unwrap();
    let client = runtime.block_on(async {
        listener.set_nonblocking(true).unwrap();
        let listener = tokio::net::UnixListener::from_std(listener).unwrap();
        Connector::new()
            .listen(&listener)
            .await
            .unwrap()
            .negotiate(&[])
            .await
            .unwrap()
    });

    paired(&runtime, &mut tokio_reader, &mut tokio_writer, &client);

    let mut group = c.benchmark_group("query-version round trip");
    group.throughput(Throughput::Elements(1));
    let mut line = String::new();
    group.bench_function("plain loop, blocking std", |b| {
        b.iter(|| {
            std_writer.write_all(REQUEST).unwrap();
            line.clear();
            std_reader.read_line(&mut line).unwrap();
        })
    });
    group.bench_function("plain loop, tokio", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                let mut line = String::new();
                for _ in 0..iters {
                    tokio_writer.write_all(REQUEST).await.unwrap();
                    line.clear();
                    tokio_reader.read_line(&mut line).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("qmp-client execute(QueryVersion)", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    client.execute(QueryVersion::new()).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    group.finish();

    // The schema, as the daemon sends it.
    std_writer
        .write_all(b"{\"execute\":\"query-qmp-schema\",\"id\":2}\n")
        .unwrap();
    let mut schema = String::new();
    std_reader.read_line(&mut schema).unwrap();
    let mut group = c.benchmark_group("query-qmp-schema decode");
    group.throughput(Throughput::Bytes(schema.len() as u64));
    group.bench_function("typed Vec<SchemaInfo>", |b| {
        b.iter(|| serde_json::from_str::<Success<Vec<SchemaInfo>>>(&schema).unwrap())
    });
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(&schema).unwrap())
    });
    group.bench_function("qmp-client execute(QueryQmpSchema), round trip", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    client.execute(QueryQmpSchema::new()).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

/// The plain tokio loop and the client, alternating in short rounds so
/// that both see the same load: prints the ratio of their round trips per
/// second (the median over rounds, and over the whole run).
fn paired(
    runtime: &tokio::runtime::Runtime,
    reader: &mut tokio::io::BufReader<tokio::net::unix::OwnedReadHalf>,
    writer: &mut tokio::net::unix::OwnedWriteHalf,
    client: &Client,
) {
    const ROUNDS: usize = 40;
    const PER_ROUND: u32 = 200;
    let (mut plain_total, mut client_total) = (Duration::ZERO, Duration::ZERO);
    let mut ratios = Vec::with_capacity(ROUNDS);
    runtime.block_on(async {
        let mut line = String::new();
        for round in 0..=ROUNDS {
            let start = Instant::now();
            for _ in 0..PER_ROUND {
                writer.write_all(REQUEST).await.unwrap();
                line.clear();
                reader.read_line(&mut line).await.unwrap();
            }
            let plain = start.elapsed();
            let start = Instant::now();
            for _ in 0..PER_ROUND {
                client.execute(QueryVersion::new()).await.unwrap();
            }
            let typed = start.elapsed();
            // The first round warms up.
            if round > 0 {
                plain_total += plain;
                client_total += typed;
                ratios.push(plain.as_secs_f64() / typed.as_secs_f64());
            }
        }
    });
    ratios.sort_by(f64::total_cmp);
    let n = (ROUNDS as u32) * PER_ROUND;
    eprintln!(
        "paired query-version ({ROUNDS} rounds of {PER_ROUND}): plain tokio {:.1} µs, \
         qmp-client {:.1} µs; client/plain round trips per second: {:.3} overall, \
         {:.3} median of rounds",
        plain_total.as_secs_f64() * 1e6 / f64::from(n),
        client_total.as_secs_f64() * 1e6 / f64::from(n),
        plain_total.as_secs_f64() / client_total.as_secs_f64(),
        ratios[ratios.len() / 2],
    );
}

// `criterion_group!` defines an undocumented function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::benches);
}
criterion_main!(group::benches);
