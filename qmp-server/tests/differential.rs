//! The same lines sent to `qemu-storage-daemon` 10.0 and to our server
//! configured like it: every answer must agree, class by class and text by
//! text (a successful answer's value aside, which differs by design).
//!
//! The lines cover what a client can get wrong: the mode both ways,
//! malformed JSON, non-objects, a missing or non-string `execute`,
//! unexpected members, bad arguments at every depth, `exec-oob` with and
//! without the capability, odd `id` values, and nesting past QEMU's limit.
//! Where the server knowingly differs from QEMU (the crate's docs list
//! each case and why), the lines are left out.

mod common;

use common::Raw;
use qmp_server::{CommandError, Router, Schema, Server};
use qmp_test_support::{Kind, Qemu};
use qmp_types::commands::{
    BlockDirtyBitmapAdd, BlockDirtyBitmapMerge, BlockExportAdd, BlockdevAdd, NbdServerStart,
    ObjectAdd, QueryBlockExports, QueryNamedBlockNodes,
};
use serde_json::{json, Value};

/// Negotiation refused and retried, then operational mode with `oob`.
const WITH_OOB: &[&str] = &[
    r#"{"execute": "query-version"}"#,
    r#"{"execute": "no-such-command", "id": 5}"#,
    r#"{"execute": "query-status", "id": "x"}"#,
    r#"{"exec-oob": "query-version", "id": 1}"#,
    r#"[1, 2]"#,
    r#"42"#,
    r#""text""#,
    r#"null"#,
    r#"{"arguments": {}, "id": 3}"#,
    r#"{"execute": 5}"#,
    r#"{"execute": ["query-version"], "id": 9}"#,
    r#"{"execute": "query-version", "foo": 1}"#,
    r#"{"execute": "query-version", "arguments": []}"#,
    r#"{"execute": "query-version", "arguments": null, "id": 4}"#,
    r#"{"execute": "query-version", "exec-oob": "query-version"}"#,
    r#"{"execute": "query-version", "control": {}}"#,
    r#"{"execute": }"#,
    r#"{"execute" "x"}"#,
    r#"}"#,
    r#"]"#,
    r#"{"execute": "query-version", "execute": "qmp_capabilities"}"#,
    r#"{"execute": "qmp_capabilities", "arguments": {"enable": [5]}, "id": 1}"#,
    r#"{"execute": "qmp_capabilities", "arguments": {"enable": ["foo"]}}"#,
    r#"{"execute": "qmp_capabilities", "arguments": {"bogus": 1}}"#,
    r#"{"execute": "qmp_capabilities", "arguments": {"enable": "oob"}}"#,
    r#"{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}, "id": {"a": [1, 2]}}"#,
    // Operational, with oob.
    r#"{"execute": "qmp_capabilities", "id": 6}"#,
    r#"{"execute": "qmp_capabilities", "arguments": {"enable": ["foo"]}}"#,
    r#"{"execute": "query-version", "id": [1, {"x": null}]}"#,
    r#"{"execute": "query-version", "id": "abc"}"#,
    r#"{"execute": "query-version", "id": 1.5}"#,
    r#"{"execute": "query-version", "id": -7}"#,
    r#"{"execute": "query-version", "id": null}"#,
    r#"{"execute": "query-version", "id": true}"#,
    r#"{"execute": "qu\u0065ry-version"}"#,
    r#"{"exec-oob": "query-version", "id": 1}"#,
    r#"{"exec-oob": "no-such-command", "id": 1}"#,
    r#"{"exec-oob": 7, "id": 1}"#,
    r#"{"execute": "query-version", "exec-oob": "query-version"}"#,
    r#"{"execute": "no-such-command", "id": 5}"#,
    r#"{"execute": "query-version", "arguments": {"x": 1}, "id": null}"#,
    r#"{"execute": "query-version", "arguments": {}}"#,
    r#"{"execute": "query-block-exports", "arguments": {"a": 1}}"#,
    r#"{"execute": "block-dirty-bitmap-add", "arguments": {"node": "x"}}"#,
    r#"{"execute": "block-dirty-bitmap-add", "arguments": {"node": 1, "name": "b"}}"#,
    r#"{"execute": "block-dirty-bitmap-add", "arguments": {"node": "x", "name": "b", "granularity": 5000000000}}"#,
    r#"{"execute": "block-dirty-bitmap-add", "arguments": {"node": "x", "name": "b", "granularity": -1}}"#,
    r#"{"execute": "block-dirty-bitmap-add", "arguments": {"node": "x", "name": "b", "granularity": "big"}}"#,
    r#"{"execute": "block-dirty-bitmap-add", "arguments": {"node": "x", "name": "b", "granularity": 1.5}}"#,
    r#"{"execute": "block-dirty-bitmap-add", "arguments": {"node": "x", "name": "b", "persistent": 1}}"#,
    r#"{"execute": "block-dirty-bitmap-add", "arguments": {"node": "x", "name": "b", "extra": 1}}"#,
    r#"{"execute": "object-add", "arguments": {"qom-type": "nonsense", "id": "o"}}"#,
    r#"{"execute": "object-add", "arguments": {"id": "o"}}"#,
    r#"{"execute": "object-add", "arguments": {"qom-type": "secret", "id": "o", "format": "bogus"}}"#,
    r#"{"execute": "object-add", "arguments": {"qom-type": "secret", "id": "o", "data": 3}}"#,
    r#"{"execute": "object-add", "arguments": {"qom-type": "secret", "id": "o", "data": "x", "keyid": 5}}"#,
    r#"{"execute": "object-add", "arguments": {"qom-type": "memory-backend-ram", "id": "m", "size": 1.5}}"#,
    r#"{"execute": "object-add", "arguments": {"qom-type": "memory-backend-ram", "id": "m", "size": "1M"}}"#,
    r#"{"execute": "object-add", "arguments": {"qom-type": "throttle-group", "id": "t", "limits": {"bps-total": "x"}}}"#,
    r#"{"execute": "object-add", "arguments": {"qom-type": "throttle-group", "id": "t", "limits": {"bps-total": 99999999999999999999}}}"#,
    r#"{"execute": "object-add", "arguments": {"qom-type": "iothread", "id": "t", "poll-max-ns": 1.0}}"#,
    r#"{"execute": "blockdev-add", "arguments": {}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"driver": "bogus", "node-name": "n"}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"driver": "null-co", "node-name": 5}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"driver": "null-co", "node-name": "n", "detect-zeroes": "bogus"}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"driver": "null-co", "node-name": "n", "cache": {"direct": "yes"}}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"driver": "null-co", "node-name": "n", "cache": {"direct": true, "x": 1}}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"driver": "null-co", "node-name": "n", "cache": 5}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"driver": "null-co", "node-name": "n", "size": null}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"driver": "file", "node-name": "n", "filename": "/x", "aio": "bogus"}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"driver": "qcow2", "node-name": "n", "file": 5}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"driver": "qcow2", "node-name": "n", "file": {"driver": 5}}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"driver": "raw", "node-name": "n", "file": {"driver": "file", "filename": "/x", "aio": "x"}}}"#,
    r#"{"execute": "blockdev-add", "arguments": {"read-only": "no", "node-name": "n", "driver": "null-co"}}"#,
    r#"{"execute": "block-dirty-bitmap-merge", "arguments": {"node": "n", "target": "t", "bitmaps": [5]}}"#,
    r#"{"execute": "block-dirty-bitmap-merge", "arguments": {"node": "n", "target": "t", "bitmaps": ["a", {"node": 1, "name": "b"}]}}"#,
    r#"{"execute": "block-dirty-bitmap-merge", "arguments": {"node": "n", "target": "t", "bitmaps": [{"node": "a"}]}}"#,
    r#"{"execute": "block-dirty-bitmap-merge", "arguments": {"node": "n", "target": "t", "bitmaps": "a"}}"#,
    r#"{"execute": "block-export-add", "arguments": {"type": "nbd", "id": "e", "node-name": "n", "bitmaps": [1]}}"#,
    r#"{"execute": "nbd-server-start", "arguments": {"addr": {"type": "unix", "data": {"path": 5}}}}"#,
    r#"{"execute": "nbd-server-start", "arguments": {"addr": {"type": "unix"}}}"#,
    r#"{"execute": "nbd-server-start", "arguments": {"addr": {"type": "bogus"}}}"#,
    r#"{"execute": "nbd-server-start", "arguments": {"addr": {"type": "inet", "data": {"host": "h", "port": "1", "ipv4": "x"}}}}"#,
    r#"{"execute": "query-named-block-nodes", "arguments": {"flat": null}}"#,
];

/// Operational mode without `oob`, where `exec-oob` is no member at all.
const WITHOUT_OOB: &[&str] = &[
    r#"{"execute": "qmp_capabilities"}"#,
    r#"{"exec-oob": "query-version", "id": 2}"#,
    r#"{"exec-oob": "no-such-command"}"#,
    r#"{"execute": "query-version", "exec-oob": "query-version"}"#,
    r#"{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}"#,
];

/// Our server with the commands the lines use; their handlers never run,
/// since every line that reaches one has bad arguments.
fn ours() -> Server {
    fn refuse<C>(_: (), _: C) -> std::future::Ready<Result<qmp_types::Empty, CommandError>> {
        std::future::ready(Err(CommandError::generic("not run in this test")))
    }
    async fn nodes(
        _: (),
        _: QueryNamedBlockNodes,
    ) -> Result<Vec<qmp_types::types::BlockDeviceInfo>, CommandError> {
        Err(CommandError::generic("not run in this test"))
    }
    async fn exports(
        _: (),
        _: QueryBlockExports,
    ) -> Result<Vec<qmp_types::types::BlockExportInfo>, CommandError> {
        Err(CommandError::generic("not run in this test"))
    }
    let router = Router::new()
        .route(refuse::<BlockDirtyBitmapAdd>)
        .route(refuse::<BlockDirtyBitmapMerge>)
        .route(refuse::<BlockExportAdd>)
        .route(refuse::<BlockdevAdd>)
        .route(refuse::<NbdServerStart>)
        .route(refuse::<ObjectAdd>)
        .route(nodes)
        .route(exports);
    Server::builder(Schema::bindings(), router).build(())
}

/// What must agree: the whole answer, but a success's value.
fn comparable(answer: &Value) -> Value {
    match answer.get("return") {
        Some(_) => json!({"return": "...", "id": answer.get("id")}),
        None => answer.clone(),
    }
}

/// Sends each line to both peers and lists where their answers differ.
async fn compare(lines: &[&str], theirs: &mut Raw, ours: &mut Raw, differences: &mut Vec<String>) {
    for line in lines {
        let (qemu, server) = (theirs.ask(line).await, ours.ask(line).await);
        if comparable(&qemu) != comparable(&server) {
            differences.push(format!("{line}\n    QEMU: {qemu}\n    ours: {server}"));
        }
    }
}

#[tokio::test]
async fn answers_agree_with_qemu_storage_daemon() {
    let Some(binary) = Kind::StorageDaemon.binary() else {
        return;
    };
    let mut qemu = Qemu::start(&binary, Kind::StorageDaemon, 3).unwrap();
    let mut theirs = Vec::new();
    for _ in 0..3 {
        let stream = qemu.accept().unwrap();
        stream.set_nonblocking(true).unwrap();
        let mut raw = Raw::over(tokio::net::UnixStream::from_std(stream).unwrap());
        raw.greeting = raw.line().await;
        theirs.push(raw);
    }
    let served = common::Served::start(ours());
    let mut differences = Vec::new();

    let (mut qemu_oob, mut our_oob) = (theirs.remove(0), served.raw().await);
    assert_eq!(
        qemu_oob.greeting["QMP"]["capabilities"],
        our_oob.greeting["QMP"]["capabilities"]
    );
    compare(WITH_OOB, &mut qemu_oob, &mut our_oob, &mut differences).await;

    let (mut qemu_plain, mut our_plain) = (theirs.remove(0), served.raw().await);
    compare(
        WITHOUT_OOB,
        &mut qemu_plain,
        &mut our_plain,
        &mut differences,
    )
    .await;

    // Nesting: 1024 levels is QEMU's limit, 1025 too deep. QEMU answers
    // the brackets left after the deep line one by one, so only the first
    // answer to it is compared, on a connection of its own, last.
    let (mut qemu_deep, mut our_deep) = (theirs.remove(0), served.raw().await);
    let deep = |n: usize| {
        format!(
            r#"{{"execute": "qmp_capabilities", "id": {}1{}}}"#,
            "[".repeat(n - 1),
            "]".repeat(n - 1)
        )
    };
    compare(
        &[&deep(1024)],
        &mut qemu_deep,
        &mut our_deep,
        &mut differences,
    )
    .await;
    compare(
        &[&deep(1025)],
        &mut qemu_deep,
        &mut our_deep,
        &mut differences,
    )
    .await;

    assert!(
        differences.is_empty(),
        "{} of {} lines answered differently:\n{}",
        differences.len(),
        WITH_OOB.len() + WITHOUT_OOB.len() + 2,
        differences.join("\n")
    );
    drop(qemu);
}
