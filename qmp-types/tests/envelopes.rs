//! The runtime's envelopes against QMP's wire form.

use qmp_types::types::{QMPCapability, VersionInfo};
use qmp_types::wire::{ErrorClass, EventMessage, Failure, Greeting, Success};
use qmp_types::{Empty, Timestamp};
use serde_json::{json, Value};

#[test]
fn greeting() {
    let wire = json!({"QMP": {"version": {"qemu": {"major": 10, "minor": 0, "micro": 2},
        "package": "Debian 1:10.0.2"}, "capabilities": ["oob", "some-future-capability"]}});
    let greeting: Greeting<VersionInfo, QMPCapability> =
        serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(greeting.qmp.version.qemu.major, 10);
    assert_eq!(
        greeting.qmp.capabilities,
        vec![
            QMPCapability::Oob,
            QMPCapability::Unrecognized("some-future-capability".into())
        ]
    );
    assert_eq!(serde_json::to_value(&greeting).unwrap(), wire);
}

#[test]
fn responses() {
    let ok: Success<Empty> = serde_json::from_value(json!({"return": {}, "id": 3})).unwrap();
    assert_eq!(ok.id, Some(json!(3)));
    let ok: Success<Empty> = serde_json::from_value(json!({"return": {}})).unwrap();
    assert_eq!(serde_json::to_value(&ok).unwrap(), json!({"return": {}}));
    let failure: Failure = serde_json::from_value(json!({
        "error": {"class": "CommandNotFound", "desc": "The command foo has not been found"},
        "id": "x"}))
    .unwrap();
    assert_eq!(failure.error.class, ErrorClass::CommandNotFound);
    let other: Failure =
        serde_json::from_value(json!({"error": {"class": "NewClass", "desc": "d"}})).unwrap();
    assert_eq!(other.error.class, ErrorClass::Other("NewClass".into()));
    let error = serde_json::from_value::<Failure>(json!({"error": {"class": "GenericError"}}))
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing member 'desc'"), "{error}");
}

#[test]
fn events() {
    let wire = json!({"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}});
    let event: EventMessage = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(event.data, None);
    assert_eq!(
        event.timestamp,
        Timestamp {
            seconds: 1,
            microseconds: 2
        }
    );
    assert_eq!(serde_json::to_value(&event).unwrap(), wire);
    let event: EventMessage<Value> = serde_json::from_value(json!({"event": "X", "data": {"a": 1},
        "timestamp": {"seconds": -1, "microseconds": -1}}))
    .unwrap();
    assert_eq!(event.data, Some(json!({"a": 1})));
}
