//! What the tests read from outside the project: the QAPI corpus (QEMU
//! 10.0's schemas and generator test cases) and older QEMU releases'
//! schemas, and a way to count their definitions that shares no code with
//! the front end.
//!
//! Each test binary uses only part of this module.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use qmp_codegen::diagnostic::Diagnostic;
use qmp_codegen::{check_file, Checked, Options, Summary};

/// Whether input that is missing fails the test instead of skipping it:
/// in CI (`CI` set) or with `QMP_REQUIRE_CORPUS=1`.
fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var("QMP_REQUIRE_CORPUS").as_deref() == Ok("1")
}

/// Says loudly that a test skips, or panics when the input is required.
fn missing(what: &str, fix: &str) {
    assert!(!required(), "{what} is required but missing ({fix})");
    eprintln!("\n*** SKIPPED: {what} not found ({fix}) ***\n");
}

/// Checks the schema whose root file is `path`; a file that cannot be read
/// fails the test.
pub fn check(path: &Path, options: &Options) -> Checked {
    check_file(path, options).unwrap_or_else(|e| panic!("{e}"))
}

/// The schema roots a QEMU source directory has, as `(directory, root
/// file)`: the system emulator's (`qapi`) always, the guest agent's
/// (`qga`) where it is there.
pub fn roots(qemu: &Path) -> Vec<(&'static str, PathBuf)> {
    ["qapi", "qga"]
        .into_iter()
        .map(|dir| (dir, qemu.join(dir).join("qapi-schema.json")))
        .filter(|(_, root)| root.is_file())
        .collect()
}

/// The diagnostics of `checked` that `which` picks, rendered without
/// color, one after the other: for assertion messages.
pub fn rendered(checked: &Checked, which: impl Fn(&Diagnostic) -> bool) -> String {
    checked
        .diagnostics
        .iter()
        .filter(|d| which(d))
        .map(|d| d.render(&checked.sources, false))
        .collect::<Vec<_>>()
        .join("\n")
}

/// QEMU 10.0's files in the QAPI corpus (`../shared/qapi-corpus`, or
/// `$QAPI_CORPUS`). When it is missing the test says so loudly and should
/// pass, unless it is required (see [`required`]): then this panics.
pub fn corpus() -> Option<PathBuf> {
    let root = std::env::var_os("QAPI_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/qapi-corpus"),
        PathBuf::from,
    );
    let qemu = root.join("qemu-10.0.0");
    if qemu.is_dir() {
        return Some(qemu);
    }
    missing(
        &format!("the QAPI corpus at {}", root.display()),
        "set QAPI_CORPUS",
    );
    None
}

/// The root files of QEMU 10.0's own schemas in the corpus, relative to
/// [`corpus`]: the system emulator's, the storage daemon's and the guest
/// agent's.
pub const QEMU_SCHEMAS: [&str; 3] = [
    "qapi/qapi-schema.json",
    "storage-daemon/qapi/qapi-schema.json",
    "qga/qapi-schema.json",
];

/// Older QEMU releases' schemas, as `cargo xtask test` unpacks them
/// (`$QAPI_RELEASES`, else `target/qapi-releases`): `(version, directory)`
/// pairs, oldest first, each directory holding `qapi/qapi-schema.json`.
/// Missing input skips loudly or panics, as for [`corpus`].
pub fn releases() -> Vec<(String, PathBuf)> {
    let root = std::env::var_os("QAPI_RELEASES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/qapi-releases"),
        PathBuf::from,
    );
    let mut found: Vec<(String, PathBuf)> = fs::read_dir(&root)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let version = path
                .file_name()?
                .to_str()?
                .strip_prefix("qemu-")?
                .to_owned();
            path.join("qapi/qapi-schema.json")
                .is_file()
                .then_some((version, path))
        })
        .collect();
    found.sort_by_key(|(version, _)| {
        version
            .split('.')
            .map(|n| n.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    });
    if found.is_empty() {
        missing(
            &format!("older QEMU schemas in {}", root.display()),
            "run `cargo xtask test`, which fetches them, or set QAPI_RELEASES",
        );
    }
    found
}

/// Counts definitions with a scan of its own: lines that open an
/// expression with a definition keyword, in every file reached through
/// `include` lines. It shares no code with the front end.
pub fn count_independently(root: &Path) -> Summary {
    let mut summary = Summary::default();
    let mut seen = BTreeSet::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(path) = todo.pop() {
        let canonical = fs::canonicalize(&path).unwrap();
        if !seen.insert(canonical) {
            continue;
        }
        summary.files += 1;
        let text = fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let Some(rest) = line.trim_start().strip_prefix('{') else {
                continue;
            };
            let rest = rest.trim_start();
            let keyword = rest.split('\'').nth(1).unwrap_or("");
            if !rest.starts_with('\'') || !rest[keyword.len() + 2..].trim_start().starts_with(':') {
                continue;
            }
            match keyword {
                "enum" => summary.enums += 1,
                "struct" => summary.structs += 1,
                "union" => summary.unions += 1,
                "alternate" => summary.alternates += 1,
                "command" => summary.commands += 1,
                "event" => summary.events += 1,
                "include" => {
                    let name = rest.split('\'').nth(3).unwrap();
                    todo.push(path.parent().unwrap().join(name));
                }
                _ => {}
            }
        }
    }
    summary
}

/// A crate in the test's scratch directory that depends on `qmp-types`
/// (and serde) and includes generated bindings, a module each; it must
/// build with `#![deny(warnings)]`.
pub struct ScratchCrate {
    dir: PathBuf,
    lib: String,
}

impl ScratchCrate {
    /// An empty crate `name`, its crate docs `doc`.
    pub fn new(name: &str, doc: &str) -> ScratchCrate {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        fs::create_dir_all(dir.join("src")).unwrap();
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = {name:?}\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nqmp-types = {{ path = {:?}, default-features = false }}\nserde = \"1\"\n\
                 serde_json = \"1\"\n\n[workspace]\n",
                workspace.join("qmp-types")
            ),
        )
        .unwrap();
        // The workspace's lock file pins the same dependency versions.
        fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        ScratchCrate {
            dir,
            lib: format!("//! {doc}\n#![deny(warnings)]\n"),
        }
    }

    /// Where to write the source of module `module`, to [`include`](Self::include) it.
    pub fn module_file(&self, module: &str) -> PathBuf {
        self.dir.join(format!("src/{module}.rs"))
    }

    /// Adds `pub mod module`, whose body is the file at `path`.
    pub fn include(&mut self, module: &str, path: &Path) {
        self.lib += &format!("pub mod {module} {{\n    include!({path:?});\n}}\n");
    }

    /// Builds the crate (debug, with dependencies) and says how long it
    /// took; panics when it does not build.
    pub fn build(&self) -> Duration {
        fs::write(self.dir.join("src/lib.rs"), &self.lib).unwrap();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let started = Instant::now();
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--manifest-path"])
            .arg(self.dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", self.dir.join("target"))
            .env_remove("RUSTFLAGS")
            .status()
            .unwrap();
        assert!(
            status.success(),
            "the generated bindings in {} do not build",
            self.dir.display()
        );
        started.elapsed()
    }
}
