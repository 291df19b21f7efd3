//! Round trips per second: our server (the toy VM example, in this
//! process, on a Unix socket in a temporary directory) against
//! `qemu-storage-daemon`, in the same run, with the same plain client
//! loop for both: write `{"execute":"query-version"}` and read one line,
//! on a blocking socket, after negotiating by hand.
//!
//! - sequential round trips on one connection, each server having only
//!   that one (QEMU polls every monitor's socket on each turn of its
//!   loop: idle monitors slow it down);
//! - 16 connections in parallel, a thread each, each running the same
//!   loop: round trips per second over all of them.
//!
//! A sequential round trip is two wakeups, one on each side, and where
//! the threads run decides more than either server does: on this
//! project's two-CPU virtual machines a wakeup on the other CPU costs
//! some 30 µs, several times what our server spends on a request. So the
//! sequential loop runs three ways: with the threads where the kernel
//! puts them (on an idle machine it spreads them after a few
//! milliseconds; on a busy one it keeps them together), and pinned with
//! `taskset`, client and server on one CPU, then on two (our server's
//! thread, or every thread of QEMU's).
//!
//! The toy VM busy-polls after each answer (`ServerBuilder::busy_poll`,
//! `qmp_server::toy::TOY_BUSY_POLL`); pinned, the sequential loop runs
//! once more each way against our server without it: the same built-in
//! `query-version`, on a server with the built-ins alone, QEMU measured
//! again alongside.
//!
//! Each way, the two servers alternate: three turns of 0.5 s each, the
//! figures of the first printed line, meant to be quoted; and 30 short
//! rounds of 300 round trips (over all rounds, the median of the rounds'
//! ratios, each side's best round), on the lines after it. Then criterion,
//! briefly, with the threads where the kernel puts them.
//!
//! Our server runs as the example's `main` runs it: a current-thread tokio
//! runtime, here on a thread of its own. QEMU reads its monitors on a
//! thread of its own and runs their commands in its main loop.
//!
//! `cargo bench -p qmp-server --bench server` (about 35 s). Needs
//! `qemu-storage-daemon` (QEMU 10.0) as `$QMP_QEMU_STORAGE_DAEMON` or on
//! `PATH` (found and started by `qmp-test-support`); without it the
//! benchmark says so and measures our server alone.

#[path = "../examples/toy_vm.rs"]
mod toy_vm;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Barrier;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use criterion::{criterion_main, Criterion, Throughput};
use qmp_client::commands::QueryVersion;
use qmp_server::Server;
use qmp_test_support::{Kind, Qemu};

/// The request of every round trip: built in on ours, and on QEMU.
const REQUEST: &[u8] = b"{\"execute\":\"query-version\"}\n";

/// Connections in the parallel measurement.
const PARALLEL: usize = 16;

/// One blocking connection, negotiated by hand: the one plain loop every
/// server gets.
struct Peer {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    line: Vec<u8>,
}

impl Peer {
    /// Reads the greeting, negotiates, and checks one `query-version`.
    fn negotiate(stream: UnixStream) -> Peer {
        let mut peer = Peer {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            line: Vec::with_capacity(512),
        };
        peer.read_line();
        assert!(peer.line.starts_with(b"{\"QMP\""), "{}", peer.text());
        peer.writer
            .write_all(b"{\"execute\":\"qmp_capabilities\"}\n")
            .unwrap();
        peer.read_line();
        assert!(peer.line.starts_with(b"{\"return\""), "{}", peer.text());
        peer.round_trip();
        assert!(
            peer.text().contains("\"qemu\""),
            "query-version: {}",
            peer.text()
        );
        peer
    }

    fn read_line(&mut self) {
        self.line.clear();
        self.reader.read_until(b'\n', &mut self.line).unwrap();
        assert!(self.line.ends_with(b"\n"), "the server hung up");
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.line).into_owned()
    }

    /// One request, one answer line.
    fn round_trip(&mut self) {
        self.writer.write_all(REQUEST).unwrap();
        self.read_line();
    }

    fn round_trips(&mut self, count: u64) {
        for _ in 0..count {
            self.round_trip();
        }
    }
}

/// `each` round trips on every one of `peers`, a thread each, all started
/// together: the time until the last is done.
fn parallel(peers: &mut [Peer], each: u64) -> Duration {
    let barrier = Barrier::new(peers.len() + 1);
    let start = thread::scope(|scope| {
        for peer in peers.iter_mut() {
            let barrier = &barrier;
            scope.spawn(move || {
                barrier.wait();
                peer.round_trips(each);
            });
        }
        barrier.wait();
        Instant::now()
        // The scope joins every thread before it returns.
    });
    start.elapsed()
}

/// Our server (the toy VM, or a server with built-ins alone) on a socket
/// in a temporary directory, served by a current-thread runtime on a
/// thread of its own.
struct Ours<S: Clone + Send + Sync + 'static = toy_vm::ToyVm> {
    server: Server<S>,
    serving: Option<JoinHandle<std::io::Result<()>>>,
    dir: PathBuf,
    socket: PathBuf,
}

impl Ours {
    /// The toy VM.
    fn start() -> Ours {
        Ours::serve(toy_vm::toy_vm().0)
    }
}

impl Ours<()> {
    /// A server with the built-in commands alone, busy-polling for
    /// `busy_poll` after each answer (zero: never).
    fn busy_polling(busy_poll: Duration) -> Ours<()> {
        let router = qmp_server::Router::new();
        Ours::serve(
            Server::builder(qmp_server::Schema::bindings(), router)
                .busy_poll(busy_poll)
                .build(()),
        )
    }
}

impl<S: Clone + Send + Sync + 'static> Ours<S> {
    fn serve(server: Server<S>) -> Ours<S> {
        let dir = qmp_test_support::temp_dir("qmp-server-bench").unwrap();
        let socket = dir.join("qmp.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        listener.set_nonblocking(true).unwrap();
        let serving = {
            let server = server.clone();
            thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?
                    .block_on(async move {
                        let listener = tokio::net::UnixListener::from_std(listener)?;
                        server.serve_unix(listener).await
                    })
            })
        };
        Ours {
            server,
            serving: Some(serving),
            dir,
            socket,
        }
    }

    fn peer(&self) -> Peer {
        Peer::negotiate(UnixStream::connect(&self.socket).unwrap())
    }
}

impl<S: Clone + Send + Sync + 'static> Drop for Ours<S> {
    fn drop(&mut self) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(self.server.shutdown());
        if let Some(serving) = self.serving.take() {
            serving.join().unwrap().unwrap();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The storage daemon with one monitor per connection, each connecting
/// to the bench's socket; `None` (after a SKIPPED note) without it.
fn qemu(connections: usize) -> Option<(Qemu, Vec<Peer>)> {
    let binary = Kind::StorageDaemon.binary()?;
    let mut daemon = Qemu::start(&binary, Kind::StorageDaemon, connections).unwrap();
    let peers = (0..connections)
        .map(|_| Peer::negotiate(daemon.accept().unwrap()))
        .collect();
    Some((daemon, peers))
}

/// Round trips per second of each side of a pair of measurements.
struct Paired {
    /// Over all rounds.
    ours: f64,
    qemu: f64,
    /// The median of the rounds' ratios (ours over QEMU's).
    median_ratio: f64,
    /// Each side's fastest round: where the placement of the threads and
    /// the rest of the machine helped it most.
    ours_best: f64,
    qemu_best: f64,
}

impl Paired {
    /// `count` round trips took `ours` and `qemu` in each round.
    fn new(count: u64, rounds: &[(Duration, Duration)]) -> Paired {
        let rate = |time: Duration| count as f64 / time.as_secs_f64();
        let total = |side: fn(&(Duration, Duration)) -> Duration| {
            (rounds.len() as u64 * count) as f64
                / rounds.iter().map(side).sum::<Duration>().as_secs_f64()
        };
        let best = |side: fn(&(Duration, Duration)) -> Duration| {
            rounds.iter().map(|r| rate(side(r))).fold(0.0, f64::max)
        };
        let mut ratios: Vec<f64> = rounds
            .iter()
            .map(|(ours, qemu)| qemu.as_secs_f64() / ours.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        Paired {
            ours: total(|r| r.0),
            qemu: total(|r| r.1),
            median_ratio: ratios[ratios.len() / 2],
            ours_best: best(|r| r.0),
            qemu_best: best(|r| r.1),
        }
    }

    /// Every figure times `factor` (round trips per connection to all).
    fn times(self, factor: f64) -> Paired {
        Paired {
            ours: self.ours * factor,
            qemu: self.qemu * factor,
            ours_best: self.ours_best * factor,
            qemu_best: self.qemu_best * factor,
            ..self
        }
    }
}

impl std::fmt::Display for Paired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} vs {:.0}, ratio {:.2} (median of rounds {:.2}; best rounds {:.0} vs {:.0}, ratio {:.2})",
            self.ours,
            self.qemu,
            self.ours / self.qemu,
            self.median_ratio,
            self.ours_best,
            self.qemu_best,
            self.ours_best / self.qemu_best,
        )
    }
}

/// Runs `ours` and `qemu` alternately for `rounds` rounds (and one more
/// to warm up), each taking `count` round trips and returning its time.
fn paired(
    rounds: usize,
    count: u64,
    mut ours: impl FnMut(u64) -> Duration,
    mut qemu: impl FnMut(u64) -> Duration,
) -> Paired {
    let mut times = Vec::with_capacity(rounds + 1);
    for _ in 0..=rounds {
        let a = ours(count);
        let b = qemu(count);
        times.push((a, b));
    }
    // The first round warms up.
    Paired::new(count, &times[1..])
}

/// Round trips per second of each side when each runs for a while.
struct Sustained {
    ours: f64,
    qemu: f64,
}

impl std::fmt::Display for Sustained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} vs {:.0}, ratio {:.2}",
            self.ours,
            self.qemu,
            self.ours / self.qemu
        )
    }
}

/// Runs `ours` and `qemu` alternately, `turns` times each, for at least
/// `turn` each time, in batches of `batch` round trips (`run` returns a
/// batch's time).
fn sustained(
    turns: usize,
    turn: Duration,
    batch: u64,
    mut ours: impl FnMut(u64) -> Duration,
    mut qemu: impl FnMut(u64) -> Duration,
) -> Sustained {
    let run = |side: &mut dyn FnMut(u64) -> Duration, (count, time): &mut (u64, Duration)| {
        let start = *time;
        while *time - start < turn {
            *time += side(batch);
            *count += batch;
        }
    };
    let (mut a, mut b) = ((0, Duration::ZERO), (0, Duration::ZERO));
    for _ in 0..turns {
        run(&mut ours, &mut a);
        run(&mut qemu, &mut b);
    }
    Sustained {
        ours: a.0 as f64 / a.1.as_secs_f64(),
        qemu: b.0 as f64 / b.1.as_secs_f64(),
    }
}

fn benches(c: &mut Criterion) {
    let sequential = sequential(c);
    // Where the threads run decides more than either server: pinned both
    // ways, for the sequential loop (the parallel one fills both CPUs);
    // then both ways again, our server without busy polling.
    let pinned: Vec<_> = [
        (0, 0, None),
        (0, 1, None),
        (0, 0, Some(Duration::ZERO)),
        (0, 1, Some(Duration::ZERO)),
    ]
    .into_iter()
    .filter_map(|run| Some((run, pinned_sequential(run)?)))
    .collect();
    let wide = wide(c);
    let (Some((one, one_long)), Some((wide, wide_long))) = (sequential, wide) else {
        return;
    };
    let pinned_long: String = pinned
        .iter()
        .map(|(run, (_, long))| format!("; {} {long}", where_(*run)))
        .collect();
    eprintln!(
        "qmp-server vs qemu-storage-daemon, query-version round trips/s (the bar: 5 times as \
         many sequential), 3 turns of 0.5 s each: sequential, threads where the kernel puts \
         them {one_long}{pinned_long}; {PARALLEL} connections in parallel {wide_long}"
    );
    eprintln!("  short rounds, sequential, threads where the kernel puts them: {one}");
    for (run, (short, _)) in &pinned {
        eprintln!("  short rounds, sequential, {}: {short}", where_(*run));
    }
    eprintln!("  short rounds, {PARALLEL} connections in parallel: {wide}");
}

/// Says where `(client, server, _)` CPUs put the threads, and whether
/// our server busy-polls.
fn where_((client, server, busy_poll): (usize, usize, Option<Duration>)) -> String {
    let place = if client == server {
        format!("client and server on CPU {client}")
    } else {
        format!("client on CPU {client}, server on CPU {server}")
    };
    match busy_poll {
        Some(poll) if poll.is_zero() => format!("{place}, ours without busy polling"),
        Some(poll) => format!("{place}, ours busy-polling {} µs", poll.as_micros()),
        None => place,
    }
}

/// Pins the calling thread to `cpus` (a `taskset` list) and says which
/// CPUs it had, or `None` where `taskset` cannot.
fn pin(cpus: &str) -> Option<String> {
    use std::process::Command;
    // "PID/task/TID": the thread's own id, without unsafe code.
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    let tid = link.file_name()?.to_str()?.to_owned();
    let before = Command::new("taskset").args(["-cp", &tid]).output().ok()?;
    let before = String::from_utf8(before.stdout).ok()?;
    let before = before.trim().rsplit(": ").next()?.to_owned();
    let pinned = Command::new("taskset")
        .args(["-cp", cpus, &tid])
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    pinned.success().then_some(before)
}

/// Sequential round trips with the client's thread on CPU `client` and
/// the server (our server's thread, QEMU's every thread) on CPU `server`;
/// ours (the toy VM, or the built-ins alone polling as `busy_poll` says).
fn pinned_sequential(
    (client, server, busy_poll): (usize, usize, Option<Duration>),
) -> Option<(Paired, Sustained)> {
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    if client.max(server) >= cpus {
        return None;
    }
    // Threads and processes started from a pinned thread stay pinned.
    let Some(all) = pin(&server.to_string()) else {
        eprintln!("(taskset cannot pin threads here: no pinned measurements)");
        return None;
    };
    let ours = match busy_poll {
        None => Either::Toy(Ours::start()),
        Some(poll) => Either::Builtins(Ours::busy_polling(poll)),
    };
    let daemon = qemu(1);
    if pin(&client.to_string()).is_none() {
        pin(&all);
        return None;
    }
    let mut our_peer = ours.peer();
    let result = daemon.map(|(daemon, mut peers)| {
        let mut qemu_peer = peers.pop().unwrap();
        let figures = measure(&mut our_peer, &mut qemu_peer);
        drop((qemu_peer, daemon));
        figures
    });
    pin(&all);
    drop(our_peer);
    drop(ours);
    result
}

/// Our toy VM, or our server with the built-ins alone.
enum Either {
    Toy(Ours),
    Builtins(Ours<()>),
}

impl Either {
    fn peer(&self) -> Peer {
        match self {
            Either::Toy(ours) => ours.peer(),
            Either::Builtins(ours) => ours.peer(),
        }
    }
}

/// The two measurements of sequential round trips, on a peer of each.
fn measure(ours: &mut Peer, qemu: &mut Peer) -> (Paired, Sustained) {
    let timed = |peer: &mut Peer, n| {
        let start = Instant::now();
        peer.round_trips(n);
        start.elapsed()
    };
    let short = paired(30, 300, |n| timed(ours, n), |n| timed(qemu, n));
    let long = sustained(
        3,
        Duration::from_millis(500),
        100,
        |n| timed(ours, n),
        |n| timed(qemu, n),
    );
    (short, long)
}

/// Sequential round trips on one connection, each server having only
/// that one.
fn sequential(c: &mut Criterion) -> Option<(Paired, Sustained)> {
    let ours = Ours::start();
    let mut our_peer = ours.peer();
    let mut daemon = qemu(1);
    let mut qemu_peer = daemon.as_mut().map(|(_, peers)| peers.pop().unwrap());

    let result = qemu_peer
        .as_mut()
        .map(|qemu_peer| measure(&mut our_peer, qemu_peer));

    // Our typed client too, against ours.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime.block_on(async {
        qmp_client::Client::connect_unix(&ours.socket)
            .await
            .unwrap()
            .negotiate(&[])
            .await
            .unwrap()
    });

    let mut group = c.benchmark_group("query-version sequential round trip");
    group.throughput(Throughput::Elements(1));
    group.bench_function("qmp-server toy_vm, plain loop", |b| {
        b.iter(|| our_peer.round_trip())
    });
    if let Some(qemu_peer) = &mut qemu_peer {
        group.bench_function("qemu-storage-daemon, plain loop", |b| {
            b.iter(|| qemu_peer.round_trip())
        });
    }
    group.bench_function("qmp-server toy_vm, qmp-client execute(QueryVersion)", |b| {
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

    // Every connection closes before the server shuts down.
    drop(client);
    drop(runtime);
    drop((our_peer, qemu_peer, daemon));
    drop(ours);
    result
}

/// [`PARALLEL`] connections to each server, a thread each, all running
/// the plain loop at once. The result counts the round trips of all.
fn wide(c: &mut Criterion) -> Option<(Paired, Sustained)> {
    let ours = Ours::start();
    let mut our_peers: Vec<Peer> = (0..PARALLEL).map(|_| ours.peer()).collect();
    let mut daemon = qemu(PARALLEL);
    let mut qemu_peers = daemon.as_mut().map(|(_, peers)| std::mem::take(peers));

    // Each round: `n` round trips on each connection.
    let result = qemu_peers.as_mut().map(|qemu_peers| {
        let short = paired(
            10,
            60,
            |n| parallel(&mut our_peers, n),
            |n| parallel(&mut *qemu_peers, n),
        )
        .times(PARALLEL as f64);
        let long = sustained(
            3,
            Duration::from_millis(500),
            20,
            |n| parallel(&mut our_peers, n),
            |n| parallel(&mut *qemu_peers, n),
        );
        let long = Sustained {
            ours: long.ours * PARALLEL as f64,
            qemu: long.qemu * PARALLEL as f64,
        };
        (short, long)
    });

    let mut group = c.benchmark_group(format!(
        "query-version round trips, {PARALLEL} connections in parallel"
    ));
    group.throughput(Throughput::Elements(PARALLEL as u64));
    group.bench_function("qmp-server toy_vm, plain loop", |b| {
        b.iter_custom(|iters| parallel(&mut our_peers, iters))
    });
    if let Some(qemu_peers) = &mut qemu_peers {
        group.bench_function("qemu-storage-daemon, plain loop", |b| {
            b.iter_custom(|iters| parallel(qemu_peers, iters))
        });
    }
    group.finish();

    drop((our_peers, qemu_peers, daemon));
    drop(ours);
    result
}

/// Brief: two cores, shared with the server under test, and noisy; the
/// paired measurement above is the one to quote.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

// `criterion_group!` defines an undocumented function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group! {
        name = benches;
        config = super::config();
        targets = super::benches
    }
}
criterion_main!(group::benches);
