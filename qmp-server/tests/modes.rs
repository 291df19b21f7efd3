//! The protocol's modes, enforced by the server: our own client and a raw
//! peer against the example server (the toy VM) on a Unix socket.

mod common;
#[path = "../examples/toy_vm.rs"]
mod toy_vm;

use common::{error, Served, GUARD};
use qmp_client::commands::{Cont, QueryStatus, Stop};
use qmp_client::events::AnyEvent;
use qmp_client::types::RunState;
use qmp_client::Client;
use serde_json::json;

async fn served() -> Served<toy_vm::ToyVm> {
    Served::start(toy_vm::toy_vm().0)
}

#[tokio::test]
async fn the_greeting_offers_the_configured_version_and_capabilities() {
    let served = served().await;
    let raw = served.raw().await;
    assert_eq!(raw.greeting["QMP"]["capabilities"], json!(["oob"]));
    assert_eq!(raw.greeting["QMP"]["version"]["qemu"]["major"], json!(10));
    // Our client reads it as QEMU's.
    let client = Client::connect_unix(&served.socket).await.unwrap();
    assert_eq!(client.greeting().version.qemu.major, 10);
}

#[tokio::test]
async fn handshake_mode_refuses_every_command_but_negotiation_in_qemus_words() {
    let served = served().await;
    let mut raw = served.raw().await;
    for line in [
        r#"{"execute": "query-status"}"#,
        r#"{"execute": "no-such-command", "id": 3}"#,
        r#"{"execute": "query-version"}"#,
    ] {
        let answer = raw.ask(line).await;
        assert_eq!(
            error(&answer),
            (
                "CommandNotFound",
                "Expecting capabilities negotiation with 'qmp_capabilities'"
            ),
            "{line}"
        );
    }
    raw.negotiate(&[]).await;
    let answer = raw.ask(r#"{"execute": "query-status", "id": "s"}"#).await;
    assert_eq!(
        answer,
        json!({"return": {"running": true, "status": "running"}, "id": "s"})
    );
}

#[tokio::test]
async fn negotiation_runs_once() {
    let served = served().await;
    let mut raw = served.raw().await;
    raw.negotiate(&["oob"]).await;
    let answer = raw.ask(r#"{"execute": "qmp_capabilities", "id": 1}"#).await;
    assert_eq!(answer["id"], json!(1));
    assert_eq!(
        error(&answer),
        (
            "CommandNotFound",
            "Capabilities negotiation is already complete, command ignored"
        )
    );
    // Its arguments are checked first, as QEMU checks them.
    let answer = raw
        .ask(r#"{"execute": "qmp_capabilities", "arguments": {"enable": ["x"]}}"#)
        .await;
    assert_eq!(
        error(&answer),
        ("GenericError", "Parameter 'null' does not accept value 'x'")
    );
}

#[tokio::test]
async fn only_offered_capabilities_are_enabled() {
    let (server, _) = toy_vm::toy_vm();
    drop(server);
    let router = qmp_server::Router::new();
    let server = qmp_server::Server::builder(qmp_server::Schema::bindings(), router)
        .capabilities(Vec::<String>::new())
        .build(());
    let served = Served::start(server);
    let mut raw = served.raw().await;
    assert_eq!(raw.greeting["QMP"]["capabilities"], json!([]));
    let answer = raw
        .ask(r#"{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}"#)
        .await;
    assert_eq!(
        error(&answer),
        ("GenericError", "Capability oob not available")
    );
    // Still negotiating: the refusal changed nothing.
    let answer = raw.ask(r#"{"execute": "query-version"}"#).await;
    assert_eq!(error(&answer).0, "CommandNotFound");
    raw.negotiate(&[]).await;
    // Without `oob`, exec-oob is not a member a request may have.
    let answer = raw.ask(r#"{"exec-oob": "query-version", "id": 2}"#).await;
    assert_eq!(
        (error(&answer), &answer["id"]),
        (
            ("GenericError", "QMP input member 'exec-oob' is unexpected"),
            &json!(2)
        )
    );
}

#[tokio::test]
async fn the_typed_client_drives_the_toy_vm_and_sees_its_events() {
    let served = served().await;
    let client = served.client().await;
    let mut events = client.events();
    let status = client.execute(QueryStatus::new()).await.unwrap();
    assert_eq!((status.running, status.status), (true, RunState::Running));
    client.execute(Stop::new()).await.unwrap();
    let status = client.execute(QueryStatus::new()).await.unwrap();
    assert_eq!(status.status, RunState::Paused);
    client.execute(Cont::new()).await.unwrap();
    let stop = tokio::time::timeout(GUARD, events.next()).await.unwrap();
    let resume = tokio::time::timeout(GUARD, events.next()).await.unwrap();
    assert!(matches!(stop, Some(Ok((AnyEvent::Stop(_), _)))), "{stop:?}");
    assert!(
        matches!(resume, Some(Ok((AnyEvent::Resume(_), _)))),
        "{resume:?}"
    );
}

#[tokio::test]
async fn events_reach_operational_connections_only() {
    let served = served().await;
    let mut waiting = served.raw().await;
    let mut operational = served.raw().await;
    operational.negotiate(&[]).await;
    assert_eq!(served.server.emit(&qmp_client::events::Stop::new()), 1);
    let event = operational.line().await;
    assert_eq!(event["event"], json!("STOP"));
    assert!(event.get("data").is_none(), "STOP has no data: {event}");
    assert!(event["timestamp"]["seconds"].as_u64().unwrap() > 0);
    // The connection that was negotiating then sees only what comes after.
    waiting.negotiate(&[]).await;
    served.server.emit(&qmp_client::events::Resume::new());
    assert_eq!(waiting.line().await["event"], json!("RESUME"));
    assert_eq!(operational.line().await["event"], json!("RESUME"));
}

#[tokio::test]
async fn the_built_in_commands_tell_the_truth() {
    let served = served().await;
    let client = served.client().await;
    let commands = client
        .execute(qmp_client::commands::QueryCommands::new())
        .await
        .unwrap();
    let mut names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "cont",
            "qmp_capabilities",
            "query-commands",
            "query-qmp-schema",
            "query-status",
            "query-version",
            "quit",
            "stop",
            "system_powerdown"
        ]
    );
    let schema = client
        .execute(qmp_client::commands::QueryQmpSchema::new())
        .await
        .unwrap();
    // As QEMU reports it: one `int`, whatever the widths behind it.
    let builtins: Vec<&str> = schema
        .iter()
        .filter(|info| {
            matches!(
                info.meta_type,
                qmp_client::types::SchemaInfoBranch::Builtin(_)
            )
        })
        .map(|info| info.name.as_str())
        .collect();
    assert!(builtins.contains(&"int"), "{builtins:?}");
    assert!(!builtins.contains(&"uint32"), "{builtins:?}");
    let probe = client.probe().await.unwrap();
    assert!(probe.has_command("system_powerdown"));
    assert!(!probe.has_command("blockdev-add"), "not served");
    assert!(probe.has_event("SHUTDOWN"));
    let version = client
        .execute(qmp_client::commands::QueryVersion::new())
        .await
        .unwrap();
    assert_eq!(version.qemu.major, 10);
}
