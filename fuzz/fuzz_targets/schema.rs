//! Arbitrary bytes as the root schema file: the front end must never panic,
//! hang or allocate without bound, in default or strict mode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qmp_codegen::syntax::MemoryLoader;
use qmp_codegen::{check_with_loader, Options};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut loader = MemoryLoader::default();
    loader.add("fuzz.json", text.into_owned());
    for strict in [false, true] {
        let checked = check_with_loader("fuzz.json".as_ref(), &mut loader, &Options { strict })
            .expect("the root file is in memory");
        // Rendering must not panic either, whatever the spans.
        for diagnostic in &checked.diagnostics {
            let _ = diagnostic.render(&checked.sources, false);
        }
        if let Some(schema) = &checked.schema {
            let _ = checked.summary(schema).to_string();
        }
    }
});
