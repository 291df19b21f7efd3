//! A downstream schema whose negotiation command is not QEMU's: the early
//! specification's `qmp_switch_mode`, with bindings made by `qapi_schema!`
//! as a user makes them, and the server built from the same schema's
//! introspection. Our client negotiates with it to an operational client.

mod common;

use common::{error, Served};
use qmp_client::Connector;
use qmp_server::{CommandError, Router, Schema, Server};
use serde_json::json;

qmp_macros::qapi_schema!(
    "../qmp-macros/tests/ui/schema/switch-mode.json",
    runtime_path = "::qmp_server::qmp_types",
    introspection = true
);

use commands::{QmpSwitchMode, QueryHandshakeGreeting, QueryMode};
use types::{Mode, ModeInfo};

async fn greeting(_: (), _: QueryHandshakeGreeting) -> Result<ModeInfo, CommandError> {
    Ok(ModeInfo::new(Mode::Handshake))
}

async fn mode(_: (), _: QueryMode) -> Result<ModeInfo, CommandError> {
    Ok(ModeInfo::new(Mode::Operational))
}

fn server() -> Server {
    let schema = Schema::from_introspection(INTROSPECTION).unwrap();
    assert_eq!(schema.negotiation_command(), "qmp_switch_mode");
    let router = Router::new().route(greeting).route(mode);
    Server::builder(schema, router)
        .capabilities(Vec::<String>::new())
        .build(())
}

#[tokio::test]
async fn our_client_negotiates_with_qmp_switch_mode() {
    let served = Served::start(server());
    let client = Connector::new().unix(&served.socket).await.unwrap();
    // A handshake command, which leaves negotiation going on.
    let info = client.execute(QueryHandshakeGreeting::new()).await.unwrap();
    assert_eq!(info.mode, Mode::Handshake);
    let client = client
        .negotiate_with(QmpSwitchMode::new(Mode::Operational))
        .await
        .unwrap();
    let info = client.execute(QueryMode::new()).await.unwrap();
    assert_eq!(info.mode, Mode::Operational);
}

#[tokio::test]
async fn the_mode_rules_name_the_schemas_own_negotiation_command() {
    let served = Served::start(server());
    let mut raw = served.raw().await;
    assert_eq!(raw.greeting["QMP"]["capabilities"], json!([]));
    let answer = raw.ask(r#"{"execute": "qmp_capabilities"}"#).await;
    assert_eq!(
        error(&answer),
        (
            "CommandNotFound",
            "Expecting capabilities negotiation with 'qmp_switch_mode'"
        )
    );
    // A command of both modes runs before negotiation too.
    let answer = raw.ask(r#"{"execute": "query-mode"}"#).await;
    assert_eq!(answer, json!({"return": {"mode": "operational"}}));
    let answer = raw
        .ask(r#"{"execute": "qmp_switch_mode", "arguments": {"mode": "sideways"}}"#)
        .await;
    assert_eq!(
        error(&answer),
        (
            "GenericError",
            "Parameter 'mode' does not accept value 'sideways'"
        )
    );
    let answer = raw.ask(r#"{"execute": "qmp_switch_mode"}"#).await;
    assert_eq!(
        error(&answer),
        ("GenericError", "Parameter 'mode' is missing")
    );
    let answer = raw
        .ask(r#"{"execute": "qmp_switch_mode", "arguments": {"mode": "operational"}}"#)
        .await;
    assert_eq!(answer, json!({"return": {}}));
    // After it: the handshake command is gone, negotiation done.
    let answer = raw.ask(r#"{"execute": "query-handshake-greeting"}"#).await;
    assert_eq!(
        error(&answer),
        (
            "CommandNotFound",
            "The command query-handshake-greeting has not been found"
        )
    );
    let answer = raw
        .ask(r#"{"execute": "qmp_switch_mode", "arguments": {"mode": "operational"}}"#)
        .await;
    assert_eq!(
        error(&answer),
        (
            "CommandNotFound",
            "Capabilities negotiation is already complete, command ignored"
        )
    );
    let answer = raw.ask(r#"{"execute": "query-mode", "id": 1}"#).await;
    assert_eq!(answer["id"], json!(1));
}
