//! Arbitrary bytes as what a server sends, decoded into generated types:
//! decoding never panics, and whatever decodes encodes to JSON that
//! decodes to the same value (the decoders and encoders agree).
//!
//! The first byte picks the type; the rest is the JSON text. The types
//! cover every decoder shape: flat and nested structs, unions with a base
//! and inline or named branches, alternates (one with `null`), enums that
//! keep unknown values, lists and `any`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qmp_types::types::{
    BlockdevOptions, BlockdevRefOrNull, ChardevBackend, Netdev, ObjectOptions, RunState,
    SchemaInfo, StatusInfo, StrOrNull, VersionInfo,
};
use qmp_types::{EventSet, RawEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Decodes `json` as `T`; if that works, checks the round trip.
fn round_trip<T>(json: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(json) else {
        return;
    };
    let encoded = serde_json::to_vec(&value).expect("a decoded value encodes");
    let again: T = serde_json::from_slice(&encoded).unwrap_or_else(|e| {
        panic!(
            "{value:?} encodes as {} which does not decode: {e}",
            String::from_utf8_lossy(&encoded)
        )
    });
    assert_eq!(value, again, "{}", String::from_utf8_lossy(&encoded));
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, json)) = data.split_first() else {
        return;
    };
    match pick % 12 {
        0 => round_trip::<SchemaInfo>(json),
        1 => round_trip::<Vec<SchemaInfo>>(json),
        2 => round_trip::<BlockdevOptions>(json),
        3 => round_trip::<BlockdevRefOrNull>(json),
        4 => round_trip::<ObjectOptions>(json),
        5 => round_trip::<ChardevBackend>(json),
        6 => round_trip::<Netdev>(json),
        7 => round_trip::<StrOrNull>(json),
        8 => round_trip::<Vec<RunState>>(json),
        9 => round_trip::<StatusInfo>(json),
        10 => round_trip::<VersionInfo>(json),
        _ => {
            // An event as the reader hands it over: a name and its data.
            if let Ok(raw) = serde_json::from_slice::<RawEvent>(json) {
                let _ = qmp_types::events::AnyEvent::decode(&raw.name, raw.data);
            }
        }
    }
});
