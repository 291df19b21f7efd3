//! Compile-time checks: mode and capability mistakes must not compile,
//! with the messages pinned in `ui/fail/*.stderr`; the allowed uses must
//! compile (and build: the out-of-band check is a constant evaluated at
//! code generation). Update the messages with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
