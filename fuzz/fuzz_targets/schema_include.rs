//! Arbitrary bytes as a file that a valid root schema includes (twice, and
//! from a subdirectory), so diagnostics point into an included file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qmp_codegen::syntax::MemoryLoader;
use qmp_codegen::{check_with_loader, Options};

const ROOT: &str = "\
{ 'pragma': { 'doc-required': false } }
{ 'enum': 'Before', 'data': [ 'a', 'b' ] }
{ 'include': 'sub/fuzz.json' }
{ 'struct': 'After', 'data': { 'x': 'Before', '*y': [ 'str' ] } }
{ 'include': 'sub/fuzz.json' }
";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut loader = MemoryLoader::default();
    loader.add("main.json", ROOT);
    loader.add("sub/fuzz.json", text.into_owned());
    // The fuzzed file may include this one, or '../main.json' (a cycle).
    loader.add("sub/other.json", "{ 'enum': 'Other', 'data': [ 'z' ] }\n");
    for strict in [false, true] {
        let checked = check_with_loader("main.json".as_ref(), &mut loader, &Options { strict })
            .expect("the root file is in memory");
        for diagnostic in &checked.diagnostics {
            let _ = diagnostic.render(&checked.sources, false);
        }
        if let Some(schema) = &checked.schema {
            let _ = checked.summary(schema).to_string();
        }
    }
});
