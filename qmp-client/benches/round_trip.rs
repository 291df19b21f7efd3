//! Sequential `query-version` round trips against `qemu-storage-daemon`:
//! the typed client compared, in the same run and on the same daemon, with
//! plain loops that write pre-serialized bytes and read a line (the
//! floor); and typed decoding of `query-qmp-schema` in bytes per second.
//!
//! `cargo bench -p qmp-client`. Needs `qemu-storage-daemon` (QEMU 10.0) as
//! `$QMP_QEMU_STORAGE_DAEMON` or on `PATH`; without it the benchmark says
//! so and measures nothing.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{criterion_main, Criterion, Throughput};
use qmp_client::commands::{QueryQmpSchema, QueryVersion};
use qmp_client::types::SchemaInfo;
use qmp_client::wire::Success;
use qmp_client::Client;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

const REQUEST: &[u8] = b"{\"execute\":\"query-version\",\"id\":1}\n";
const MONITORS: usize = 3;

/// A storage daemon with [`MONITORS`] QMP sockets, killed on drop.
struct Daemon {
    child: Child,
    dir: PathBuf,
}

impl Daemon {
    fn start() -> Option<Daemon> {
        let binary = std::env::var_os("QMP_QEMU_STORAGE_DAEMON")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::split_paths(&std::env::var_os("PATH")?)
                    .map(|d| d.join("qemu-storage-daemon"))
                    .find(|p| p.is_file())
            })?;
        let dir = std::env::temp_dir().join(format!("qmp-client-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut command = Command::new(binary);
        for i in 0..MONITORS {
            let path = dir.join(format!("{i}.sock"));
            command
                .arg("--chardev")
                .arg(format!(
                    "socket,path={},server=on,wait=off,id=m{i}",
                    path.display()
                ))
                .arg("--monitor")
                .arg(format!("chardev=m{i}"));
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let daemon = Daemon { child, dir };
        let start = Instant::now();
        while !(0..MONITORS).all(|i| daemon.socket(i).exists()) {
            assert!(start.elapsed() < Duration::from_secs(30), "no sockets");
            std::thread::sleep(Duration::from_millis(5));
        }
        Some(daemon)
    }

    fn socket(&self, i: usize) -> PathBuf {
        self.dir.join(format!("{i}.sock"))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A blocking connection, negotiated by hand.
fn plain(daemon: &Daemon, i: usize) -> (BufReader<UnixStream>, UnixStream) {
    let stream = UnixStream::connect(daemon.socket(i)).unwrap();
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
    let Some(daemon) = Daemon::start() else {
        eprintln!("SKIPPED: needs qemu-storage-daemon (QEMU 10.0)");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let (mut std_reader, mut std_writer) = plain(&daemon, 0);
    let (tokio_reader, mut tokio_writer) = runtime.block_on(async {
        let stream = tokio::net::UnixStream::connect(daemon.socket(1))
            .await
            .unwrap();
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
    let client = runtime.block_on(async {
        Client::connect_unix(daemon.socket(2))
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
                    client.execute(QueryVersion {}).await.unwrap();
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
                    client.execute(QueryQmpSchema {}).await.unwrap();
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
                client.execute(QueryVersion {}).await.unwrap();
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
