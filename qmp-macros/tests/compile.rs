//! Compile-time checks: mode mistakes and attribute mistakes must not
//! compile, with the messages pinned in `ui/fail/*.stderr`; the allowed
//! uses must compile. Update the messages with `TRYBUILD=overwrite`.

#[path = "../../qmp-client/tests/ui/toolchain.rs"]
mod toolchain;

#[test]
fn ui() {
    if !toolchain::matches_pinned() {
        return;
    }
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
