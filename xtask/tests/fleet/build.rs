//! The fleet schema's bindings, with its introspection for the server.

fn main() {
    qmp_codegen::Builder::new()
        .schema("schema/fleet.json")
        .introspection(true)
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));
}
