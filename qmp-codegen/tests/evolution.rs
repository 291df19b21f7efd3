//! Bindings that evolve without breaking their users: code written against
//! the bindings of `evolution/v1.json`, in a crate of its own as a user's
//! is, must build unchanged against those of `evolution/v2.json`, which
//! only adds (an optional member, an optional argument, an enum value, a
//! union branch, a command, an event).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A workspace of two crates: `bindings` (the generated code) and `user`
/// (`evolution/user.rs`, depending on `bindings`).
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("evolution");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        for krate in ["bindings", "user"] {
            fs::create_dir_all(dir.join(krate).join("src")).unwrap();
        }
        fs::write(
            dir.join("Cargo.toml"),
            "[workspace]\nmembers = [\"bindings\", \"user\"]\nresolver = \"2\"\n",
        )
        .unwrap();
        fs::write(
            dir.join("bindings/Cargo.toml"),
            format!(
                "[package]\nname = \"bindings\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nqmp-types = {{ path = {:?}, default-features = false }}\nserde = \"1\"\nserde_json = \"1\"\n",
                workspace.join("qmp-types")
            ),
        )
        .unwrap();
        fs::write(
            dir.join("bindings/src/lib.rs"),
            "//! Generated bindings.\n#![deny(warnings)]\ninclude!(\"generated.rs\");\n",
        )
        .unwrap();
        fs::write(
            dir.join("user/Cargo.toml"),
            "[package]\nname = \"user\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nbindings = { path = \"../bindings\" }\n",
        )
        .unwrap();
        let user = fs::read_to_string(here().join("user.rs")).unwrap();
        fs::write(
            dir.join("user/src/lib.rs"),
            format!("//! A user of the bindings.\n#![deny(warnings)]\n{user}"),
        )
        .unwrap();
        // The workspace's lock file pins the same dependency versions.
        fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        Scratch { dir }
    }

    /// Generates the bindings of `schema` into `bindings`.
    fn bindings(&self, schema: &str) {
        let generated = qmp_codegen::Builder::new()
            .schema(here().join(schema))
            .rerun_if_changed(false)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        fs::write(
            self.dir.join("bindings/src/generated.rs"),
            generated.single_file(),
        )
        .unwrap();
    }

    /// Builds `user`; the compiler's messages when it does not build.
    fn build_user(&self) -> Result<(), String> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args(["build", "--quiet", "-p", "user", "--manifest-path"])
            .arg(self.dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", self.dir.join("target"))
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap();
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }
}

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/evolution")
}

#[test]
fn code_written_against_v1_builds_against_v2() {
    let scratch = Scratch::new();
    scratch.bindings("v1.json");
    scratch
        .build_user()
        .unwrap_or_else(|e| panic!("user.rs does not build against v1:\n{e}"));
    scratch.bindings("v2.json");
    scratch
        .build_user()
        .unwrap_or_else(|e| panic!("user.rs, written against v1, does not build against v2:\n{e}"));
}
