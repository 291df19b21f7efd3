//! The front end on QEMU 10.0's full system emulator schema (43 files).
//!
//! `front_end/memory` times parse + check alone: every file is read once,
//! before timing, into a [`MemoryLoader`]. `front_end/disk` times the whole
//! of [`check_file`], reading the files too. Run: `cargo bench -p qmp-codegen`.
//!
//! The schema comes from the QAPI corpus (`$QAPI_CORPUS`, else
//! `../shared/qapi-corpus` beside the workspace); without it the benchmark
//! says so and does nothing.

use std::hint::black_box;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::Criterion;
use qmp_codegen::syntax::{FileLoader, FsLoader, MemoryLoader};
use qmp_codegen::{check_file, check_with_loader, Options};

/// The root file of the system emulator schema, if the corpus is here.
fn schema_root() -> Option<PathBuf> {
    let corpus = std::env::var_os("QAPI_CORPUS")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/qapi-corpus"));
    let root = corpus.join("qemu-10.0.0/qapi/qapi-schema.json");
    root.canonicalize().ok().filter(|p| p.is_file())
}

/// Reads from disk and keeps a copy of every file, under the exact path the
/// front end asked for, so a [`MemoryLoader`] can serve the same run.
#[derive(Default)]
struct Recorder {
    files: Vec<(PathBuf, Arc<str>)>,
}

impl FileLoader for Recorder {
    fn load(&mut self, path: &Path) -> io::Result<Arc<str>> {
        let text = FsLoader.load(path)?;
        self.files.push((path.to_path_buf(), text.clone()));
        Ok(text)
    }
}

fn front_end(c: &mut Criterion) {
    let Some(root) = schema_root() else {
        eprintln!();
        eprintln!("=== SKIPPED: benches/frontend.rs: no QAPI corpus found ===");
        eprintln!(
            "=== set QAPI_CORPUS=/path/to/qapi-corpus or put it at ../shared/qapi-corpus ==="
        );
        eprintln!();
        return;
    };
    let options = Options::default();

    let mut recorder = Recorder::default();
    let checked = check_with_loader(&root, &mut recorder, &options).expect("the root schema reads");
    assert!(
        !checked.has_errors(),
        "the front end rejects {}: the benchmark would time an error path",
        root.display()
    );
    let bytes: usize = recorder.files.iter().map(|(_, text)| text.len()).sum();
    eprintln!(
        "front_end: {} ({} files, {} KB)",
        root.display(),
        recorder.files.len(),
        bytes / 1024
    );
    let mut files = MemoryLoader::default();
    for (path, text) in recorder.files {
        files.add(path, text);
    }

    let mut group = c.benchmark_group("front_end");
    group.bench_function("memory", |b| {
        b.iter_batched(
            || files.clone(),
            |mut loader| check_with_loader(black_box(&root), &mut loader, &options),
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("disk", |b| {
        b.iter(|| check_file(black_box(&root), &options))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    front_end(&mut c);
    c.final_summary();
}
