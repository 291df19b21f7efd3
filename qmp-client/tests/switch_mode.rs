//! A downstream schema whose negotiation command is not QEMU's: the early
//! specification's `qmp_switch_mode`, marked with the `qmp-negotiation`
//! feature, its bindings made by `qapi_schema!` the way a user makes them.
//! The client negotiates with it to an operational client, against a
//! scripted server on a Unix socket pair.

use std::time::Duration;

use qmp_client::{Client, Connector};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

qmp_macros::qapi_schema!(
    "../qmp-macros/tests/ui/schema/switch-mode.json",
    runtime_path = "::qmp_client::qmp_types"
);

const GREETING: &str = r#"{"QMP": {"version": {"qemu": {"micro": 0, "minor": 1, "major": 0}, "package": "draft"}, "capabilities": []}}"#;
const GUARD: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_schema_of_its_own_negotiates_with_its_own_command() {
    let (client_end, server_end) = tokio::net::UnixStream::pair().unwrap();
    let server = tokio::spawn(async move {
        let (read, mut write) = server_end.into_split();
        let mut lines = BufReader::new(read).lines();
        write
            .write_all(format!("{GREETING}\n").as_bytes())
            .await
            .unwrap();
        let mut seen = Vec::new();
        let mut operational = false;
        while let Some(line) = lines.next_line().await.unwrap() {
            let request: Value = serde_json::from_str(&line).unwrap();
            seen.push(request.clone());
            let name = request["execute"].as_str().unwrap();
            let answer = match (name, operational) {
                ("qmp_switch_mode", false) => {
                    assert_eq!(request["arguments"], json!({"mode": "operational"}));
                    operational = true;
                    json!({})
                }
                ("query-handshake-greeting", false) => json!({"mode": "handshake"}),
                ("query-mode", true) => json!({"mode": "operational"}),
                other => panic!("unexpected {other:?}"),
            };
            let reply = json!({"return": answer, "id": request["id"]});
            write
                .write_all(format!("{reply}\n").as_bytes())
                .await
                .unwrap();
        }
        seen
    });

    let (read, write) = client_end.into_split();
    let client: Client<qmp_client::Handshake> = Connector::new().io(read, write).await.unwrap();
    // A handshake command that leaves negotiation going on.
    let mode = tokio::time::timeout(
        GUARD,
        client.execute(commands::QueryHandshakeGreeting::new()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(mode.mode, types::Mode::Handshake);
    let negotiate = client.negotiate_with(commands::QmpSwitchMode {
        mode: types::Mode::Operational,
    });
    let client = tokio::time::timeout(GUARD, negotiate)
        .await
        .unwrap()
        .unwrap();
    let mode = tokio::time::timeout(GUARD, client.execute(commands::QueryMode::new()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mode.mode, types::Mode::Operational);
    drop(client);
    let seen = server.await.unwrap();
    let names: Vec<_> = seen
        .iter()
        .map(|r| r["execute"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["query-handshake-greeting", "qmp_switch_mode", "query-mode"]
    );
}
