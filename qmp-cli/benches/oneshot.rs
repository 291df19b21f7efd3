//! How long a one-shot `qmp query-status` takes as a whole process, from
//! spawn to exit, against a running QEMU 10.0 (`qemu-system-x86_64
//! -machine none`, listening on a Unix socket in a temporary directory),
//! beside the two things a person would otherwise run:
//!
//! - `socat - UNIX-CONNECT:PATH` with `qmp_capabilities` and
//!   `query-status` piped in: the floor, nothing but the bytes (QEMU
//!   closes the connection at the end of its input, so socat exits with
//!   the last answer);
//! - `qmp-shell PATH` from QEMU's `qemu.qmp` with `query-status` on its
//!   standard input.
//!
//! Every run's exit status and output are checked (the output must show
//! the VM's status), so a tool that fails fast is not timed as fast.
//!
//! The tools alternate run by run, so a change in the machine's speed
//! falls on both sides of a ratio: 300 pairs of `qmp` and socat, then 40
//! pairs of `qmp` and `qmp-shell`, the order within a pair swapped each
//! time. Printed: each tool's median and fastest run, and the median of
//! the pairs' ratios, with the bars of the issue that asked for the tool
//! (within 2x of socat, at least 10x faster than `qmp-shell`). Then
//! criterion, briefly, times each tool on its own.
//!
//! `cargo bench -p qmp-cli --bench oneshot` (about 40 s). Needs QEMU 10.0
//! (`$QMP_QEMU_SYSTEM` or `qemu-system-x86_64` on `PATH`) and socat, both
//! installed by `.ci/install-qemu`, and `qmp-shell` from the venv that
//! `cargo xtask test` makes (`$QMP_PYTHON_BIN`, else
//! `target/qemu-qmp-venv/bin`, else `PATH`); a missing tool is said and
//! left out.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{criterion_main, Criterion};
use qmp_test_support::{on_path, Kind, Qemu, PYTHON_BIN_ENV};

/// What shows in every tool's output when the command worked: QEMU
/// writes `"status": "running"`, and both `qmp` and `qmp-shell` print it
/// so.
const EXPECTED: &str = "\"status\": \"running\"";

/// Pairs of runs against socat.
const SOCAT_PAIRS: usize = 300;

/// Pairs of runs against `qmp-shell` (each of its runs starts Python:
/// about 0.1 s).
const SHELL_PAIRS: usize = 40;

/// One way of running `query-status` against the socket.
struct Tool {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    /// What the tool reads on its standard input.
    input: &'static [u8],
}

impl Tool {
    fn qmp(socket: &str) -> Tool {
        Tool {
            name: "qmp",
            program: PathBuf::from(env!("CARGO_BIN_EXE_qmp")),
            args: vec!["--socket".into(), socket.into(), "query-status".into()],
            input: b"",
        }
    }

    fn socat(program: PathBuf, socket: &str) -> Tool {
        Tool {
            name: "socat",
            program,
            args: vec!["-".into(), format!("UNIX-CONNECT:{socket}")],
            input: b"{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"query-status\"}\n",
        }
    }

    fn qmp_shell(program: PathBuf, socket: &str) -> Tool {
        Tool {
            name: "qmp-shell",
            program,
            args: vec![socket.into()],
            input: b"query-status\n",
        }
    }

    /// Runs the tool once, checks that it worked, and gives how long it
    /// took from spawn to exit.
    fn run(&self) -> Duration {
        let start = Instant::now();
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.program.display()));
        let mut stdin = child.stdin.take().expect("piped");
        stdin
            .write_all(self.input)
            .expect("the tool reads its input");
        drop(stdin);
        let output = child.wait_with_output().expect("the tool ends");
        let took = start.elapsed();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains(EXPECTED),
            "{} did not show the status ({}):\n{stdout}{}",
            self.name,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        took
    }
}

/// `qmp-shell`: where `cargo xtask test` says it is, else in the venv it
/// makes in the workspace's target directory, else on `PATH`.
fn qmp_shell() -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let venv = target.join("qemu-qmp-venv/bin");
    std::env::var_os(PYTHON_BIN_ENV)
        .map(PathBuf::from)
        .into_iter()
        .chain([venv])
        .map(|dir| dir.join("qmp-shell"))
        .find(|file| file.is_file())
        .or_else(|| on_path("qmp-shell"))
}

/// QEMU listening on its socket, with the first connection made and the
/// listener released (see [`Qemu::release_listener`]), and the version
/// from its greeting.
fn start_qemu(binary: &Path) -> (Qemu, String) {
    let qemu = Qemu::start_listening(binary, Kind::System).expect("QEMU starts");
    let stream = UnixStream::connect(&qemu.socket).expect("QEMU listens");
    let mut greeting = String::new();
    BufReader::new(stream)
        .read_line(&mut greeting)
        .expect("QEMU greets");
    qemu.release_listener();
    let version: serde_json::Value = serde_json::from_str(&greeting).expect("a JSON greeting");
    let version = &version["QMP"]["version"]["qemu"];
    let version = format!(
        "QEMU {}.{}.{}",
        version["major"], version["minor"], version["micro"]
    );
    (qemu, version)
}

/// The middle of `values` (sorted here).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Which way a comparison's ratio goes, so that it reads as its bar does.
enum Ratio {
    /// Ours over theirs: how many times their time ours takes.
    OursOverTheirs,
    /// Theirs over ours: how many times faster ours is.
    TheirsOverOurs,
}

/// Runs `ours` and `theirs` alternately `pairs` times and prints both
/// tools' times and the median of the pairs' ratios, the way `ratio` says.
fn compare(ours: &Tool, theirs: &Tool, pairs: usize, ratio: Ratio, bar: &str) {
    let mut our_times = Vec::with_capacity(pairs);
    let mut their_times = Vec::with_capacity(pairs);
    let mut ratios = Vec::with_capacity(pairs);
    for pair in 0..pairs {
        let (a, b) = if pair % 2 == 0 {
            let a = ours.run();
            (a, theirs.run())
        } else {
            let b = theirs.run();
            (ours.run(), b)
        };
        let (a, b) = (a.as_secs_f64() * 1e3, b.as_secs_f64() * 1e3);
        our_times.push(a);
        their_times.push(b);
        ratios.push(match ratio {
            Ratio::OursOverTheirs => a / b,
            Ratio::TheirsOverOurs => b / a,
        });
    }
    let fastest = |times: &[f64]| times.iter().copied().fold(f64::INFINITY, f64::min);
    let (our_fastest, their_fastest) = (fastest(&our_times), fastest(&their_times));
    let (over, under) = match ratio {
        Ratio::OursOverTheirs => (ours.name, theirs.name),
        Ratio::TheirsOverOurs => (theirs.name, ours.name),
    };
    println!(
        "  {:<9} {:>8.2} ms median, {:>8.2} ms fastest\n  \
         {:<9} {:>8.2} ms median, {:>8.2} ms fastest\n  \
         {} / {}: {:.2} (median of {pairs} pairs' ratios; bar: {bar})",
        ours.name,
        median(&mut our_times),
        our_fastest,
        theirs.name,
        median(&mut their_times),
        their_fastest,
        over,
        under,
        median(&mut ratios),
    );
}

fn benches() {
    let Some(binary) = Kind::System.binary() else {
        println!("oneshot: SKIPPED: no QEMU system emulator (`sudo bash .ci/install-qemu`)");
        return;
    };
    let (qemu, version) = start_qemu(&binary);
    let socket = qemu.socket.to_string_lossy().into_owned();
    let ours = Tool::qmp(&socket);
    let socat = on_path("socat").map(|socat| Tool::socat(socat, &socket));
    let shell = qmp_shell().map(|shell| Tool::qmp_shell(shell, &socket));

    // Each tool once before anything is timed: it works, and its files
    // are in the page cache.
    let tools: Vec<&Tool> = [Some(&ours), socat.as_ref(), shell.as_ref()]
        .into_iter()
        .flatten()
        .collect();
    for tool in &tools {
        tool.run();
    }

    println!("one-shot query-status against {version}, whole process, spawn to exit:");
    match &socat {
        Some(socat) => compare(
            &ours,
            socat,
            SOCAT_PAIRS,
            Ratio::OursOverTheirs,
            "at most 2",
        ),
        None => println!("  socat: SKIPPED: not on PATH (`sudo bash .ci/install-qemu`)"),
    }
    match &shell {
        Some(shell) => compare(
            &ours,
            shell,
            SHELL_PAIRS,
            Ratio::TheirsOverOurs,
            "at least 10",
        ),
        None => println!(
            "  qmp-shell: SKIPPED: not in ${PYTHON_BIN_ENV}, target/qemu-qmp-venv \
             or PATH (`cargo xtask test` makes the venv)"
        ),
    }

    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let mut group = criterion.benchmark_group("oneshot/query-status");
    for tool in &tools {
        group.bench_function(tool.name, |b| b.iter(|| tool.run()));
    }
    group.finish();
    criterion.final_summary();
    drop(qemu);
}

criterion_main!(benches);
