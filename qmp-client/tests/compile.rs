//! Compile-time checks: mode and capability mistakes must not compile,
//! each with one error whose message is pinned in `ui/fail/*.stderr`; the
//! allowed uses must compile. Update the messages with `TRYBUILD=overwrite`.

#[path = "ui/toolchain.rs"]
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
