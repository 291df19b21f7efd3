//! The scripted test double, used as a downstream test would: our client
//! runs code against it, then the script is checked.

use std::time::Duration;

use qmp_client::commands::{Cont, QueryStatus, QueryVersion, Stop};
use qmp_client::events::AnyEvent;
use qmp_client::types::{RunState, StatusInfo};
use qmp_client::{Client, Error};
use qmp_server::testing::{Script, ScriptedServer};
use qmp_server::CommandError;
use qmp_types::{events, Empty};

async fn connect(server: &ScriptedServer) -> Client {
    Client::connect_unix(server.socket())
        .await
        .unwrap()
        .negotiate(&[])
        .await
        .unwrap()
}

#[tokio::test]
async fn a_script_run_exactly_passes_with_its_answers_events_and_errors() {
    let script = Script::new()
        .expect(QueryStatus::new())
        .delay(Duration::from_millis(1))
        .returns(StatusInfo::new(false, RunState::Paused))
        .expect(Cont::new())
        .emits(&events::Resume::new())
        .returns(Empty {})
        .expect(Stop::new())
        .fails(CommandError::generic("not now"));
    let server = ScriptedServer::start(script).unwrap();
    let client = connect(&server).await;
    let mut events = client.events();
    let status = client.execute(QueryStatus::new()).await.unwrap();
    assert_eq!(status.status, RunState::Paused);
    client.execute(Cont::new()).await.unwrap();
    assert!(matches!(
        events.next().await,
        Some(Ok((AnyEvent::Resume(_), _)))
    ));
    let error = client.execute(Stop::new()).await.unwrap_err();
    assert!(error.to_string().contains("not now"), "{error}");
    server.finish().await.unwrap();
}

#[tokio::test]
async fn an_unexpected_command_fails_the_call_and_the_script() {
    let script = Script::new()
        .expect(Stop::new())
        .returns(Empty {})
        .expect(QueryVersion::new())
        .fails(CommandError::generic("unused"));
    let server = ScriptedServer::start(script).unwrap();
    let client = connect(&server).await;
    let error = client.execute(Cont::new()).await.unwrap_err();
    assert!(
        error.to_string().contains("expected stop {}"),
        "the client hears what was expected: {error}"
    );
    let report = server.finish().await.unwrap_err();
    let text = report.to_string();
    assert!(
        text.contains("command 1: expected stop {}\n  but got cont {}"),
        "{text}"
    );
    assert!(
        text.contains("2 command(s) expected but never sent: stop {}, query-version {}"),
        "{text}"
    );
}

#[tokio::test]
async fn a_dropped_connection_reaches_the_caller() {
    let script = Script::new().expect(Stop::new()).disconnects();
    let server = ScriptedServer::start(script).unwrap();
    let client = connect(&server).await;
    let error = client.execute(Stop::new()).await.unwrap_err();
    assert!(
        matches!(error, Error::Disconnected | Error::Io(_)),
        "{error:?}"
    );
    server.finish().await.unwrap();
}

#[tokio::test]
#[should_panic(expected = "expected but never sent")]
async fn a_script_left_unfinished_panics_when_dropped() {
    let script = Script::new().expect(Stop::new()).returns(Empty {});
    let server = ScriptedServer::start(script).unwrap();
    drop(server);
}
