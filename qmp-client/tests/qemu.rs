//! The client against the real servers: `qemu-system-x86_64 -machine none`
//! and `qemu-storage-daemon`, QEMU 10.0.

mod common;

use std::time::Duration;

use common::{Kind, Qemu, BOTH, HANG_GUARD};
use qmp_client::commands::{self, QueryCommands, QueryVersion};
use qmp_client::events::{self, AnyEvent};
use qmp_client::qmp_types::Event;
use qmp_client::types::{JobStatus, QMPCapability, RunState, ShutdownCause};
use qmp_client::wire::ErrorClass;
use qmp_client::{Client, Error, Operational};
use serde_json::{json, Value};

/// An event set that keeps every event raw: subscriptions are generic over
/// the set, so a program can bring its own.
#[derive(Debug)]
struct Raw(qmp_client::qmp_types::RawEvent);

impl qmp_client::qmp_types::EventSet for Raw {
    fn decode(name: &str, data: Value) -> Result<Self, serde_json::Error> {
        Ok(Raw(qmp_client::qmp_types::RawEvent {
            name: name.to_owned(),
            data,
        }))
    }

    fn name(&self) -> &str {
        &self.0.name
    }
}

async fn operational(qemu: &Qemu) -> Client<Operational> {
    qemu.connect()
        .await
        .negotiate(&[])
        .await
        .expect("negotiates")
}

/// Bounds `future` by the hang guard.
async fn guard<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(HANG_GUARD, future)
        .await
        .expect("finished within the hang guard")
}

fn server_error(result: Result<Value, Error>) -> (ErrorClass, String) {
    match result {
        Err(Error::Server { class, desc }) => (class, desc),
        other => panic!("expected a server error, got {other:?}"),
    }
}

#[tokio::test]
async fn handshake_then_operational_and_the_greeting_matches_query_version() {
    for kind in BOTH {
        let Some(qemu) = Qemu::start(kind) else {
            return;
        };
        let client = qemu.connect().await;
        let greeting = client.greeting().clone();
        assert_eq!(greeting.version.qemu.major, 10, "{kind:?}");
        assert!(
            greeting.capabilities.contains(&QMPCapability::Oob),
            "{kind:?} offers oob: {:?}",
            greeting.capabilities
        );
        let client = guard(client.negotiate(&[])).await.unwrap();
        let version = guard(client.execute(QueryVersion::new())).await.unwrap();
        assert_eq!(version, greeting.version, "{kind:?}");
        let commands = guard(client.execute(QueryCommands::new())).await.unwrap();
        assert!(commands.iter().any(|c| c.name == "query-version"));
    }
}

#[tokio::test]
async fn a_capability_not_offered_is_refused_and_the_handshake_client_comes_back() {
    let Some(qemu) = Qemu::start(Kind::StorageDaemon) else {
        return;
    };
    let client = qemu.connect().await;
    let asked = QMPCapability::Unrecognized("no-such-capability".into());
    let failed = guard(client.negotiate(std::slice::from_ref(&asked)))
        .await
        .expect_err("the capability is not offered");
    let (client, error) = failed.into_parts();
    match error {
        Error::CapabilityNotOffered {
            capability,
            offered,
        } => {
            assert_eq!(capability, asked);
            assert!(offered.contains(&QMPCapability::Oob));
        }
        other => panic!("expected CapabilityNotOffered, got {other:?}"),
    }
    // Nothing was sent: the same connection negotiates as usual.
    let client = guard(client.negotiate(&[])).await.unwrap();
    guard(client.execute(QueryVersion::new())).await.unwrap();
}

#[tokio::test]
async fn a_negotiation_the_server_refuses_gives_the_handshake_client_back() {
    let Some(qemu) = Qemu::start(Kind::StorageDaemon) else {
        return;
    };
    let client = qemu.connect().await;
    // QEMU refuses to enable a capability it does not know: the
    // negotiation command itself fails, on the server.
    let mut bad = commands::QmpCapabilities::new();
    bad.enable = Some(vec![QMPCapability::Unrecognized("bogus".into())]);
    let failed = guard(client.negotiate_with(bad))
        .await
        .expect_err("QEMU refuses an unknown capability");
    assert_eq!(
        failed.error().class(),
        Some(&ErrorClass::GenericError),
        "{failed}"
    );
    let client = guard(
        failed
            .into_client()
            .negotiate_with(commands::QmpCapabilities::default()),
    )
    .await
    .unwrap();
    guard(client.execute(QueryVersion::new())).await.unwrap();
}

#[tokio::test]
async fn many_commands_in_flight_from_clones_get_their_own_answers() {
    for kind in BOTH {
        let Some(qemu) = Qemu::start(kind) else {
            return;
        };
        let client = operational(&qemu).await;
        let mut tasks = Vec::new();
        for i in 0..64 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                if i % 2 == 0 {
                    let v = client.execute(QueryVersion::new()).await.unwrap();
                    assert_eq!(v.qemu.major, 10);
                } else {
                    let commands = client.execute(QueryCommands::new()).await.unwrap();
                    assert!(commands.len() > 10);
                }
                i
            }));
        }
        // And from one handle at once, by reference.
        let (a, b, c) = guard(async {
            tokio::join!(
                client.execute(QueryVersion::new()),
                client.execute_raw("query-commands", Value::Null),
                client.execute_raw("query-version", json!({})),
            )
        })
        .await;
        assert_eq!(a.unwrap().qemu.major, 10);
        assert!(b.unwrap().as_array().unwrap().len() > 10);
        assert_eq!(c.unwrap()["qemu"]["major"], 10);
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(guard(task).await.unwrap(), i);
        }
    }
}

#[tokio::test]
async fn server_errors_keep_their_class_and_text() {
    for kind in BOTH {
        let Some(qemu) = Qemu::start(kind) else {
            return;
        };
        // A command in the wrong mode, sent raw before negotiation.
        let client = qemu.connect().await;
        let (class, desc) =
            server_error(guard(client.execute_raw("query-version", json!({}))).await);
        assert_eq!(class, ErrorClass::CommandNotFound);
        assert_eq!(
            desc,
            "Expecting capabilities negotiation with 'qmp_capabilities'"
        );

        let client = guard(client.negotiate(&[])).await.unwrap();
        // And after it.
        let (class, desc) =
            server_error(guard(client.execute_raw("qmp_capabilities", json!({}))).await);
        assert_eq!(class, ErrorClass::CommandNotFound);
        assert_eq!(
            desc,
            "Capabilities negotiation is already complete, command ignored"
        );

        // An unknown command.
        let (class, desc) =
            server_error(guard(client.execute_raw("no-such-command", json!({}))).await);
        assert_eq!(class, ErrorClass::CommandNotFound);
        assert_eq!(desc, "The command no-such-command has not been found");

        // A wrong argument type.
        let (class, desc) = server_error(
            guard(client.execute_raw("query-commands", json!({"unexpected": 1}))).await,
        );
        assert_eq!(class, ErrorClass::GenericError);
        assert_eq!(desc, "Parameter 'unexpected' is unexpected");
        let (class, desc) = server_error(
            guard(client.execute_raw("query-named-block-nodes", json!({"flat": "yes"}))).await,
        );
        assert_eq!(class, ErrorClass::GenericError);
        assert_eq!(desc, "Invalid parameter type for 'flat', expected: boolean");

        // The connection is still in step.
        guard(client.execute(QueryVersion::new())).await.unwrap();
    }
}

#[tokio::test]
async fn stop_and_cont_give_stop_and_resume_then_quit_gives_shutdown_and_the_end() {
    let Some(mut qemu) = Qemu::start(Kind::System) else {
        return;
    };
    let client = operational(&qemu).await;
    let mut all = client.events();
    let mut named = client.events_named([events::Resume::NAME]);
    let status = guard(client.execute(commands::QueryStatus::new()))
        .await
        .unwrap();
    assert!(status.running);
    assert_eq!(status.status, RunState::Running);
    guard(client.execute(commands::Stop::new())).await.unwrap();
    let status = guard(client.execute(commands::QueryStatus::new()))
        .await
        .unwrap();
    assert_eq!(status.status, RunState::Paused);
    guard(client.execute(commands::Cont::new())).await.unwrap();

    let (stop, stop_time) = guard(all.next()).await.unwrap().unwrap();
    assert!(
        matches!(stop, AnyEvent::Stop(events::Stop { .. })),
        "{stop:?}"
    );
    let (resume, resume_time) = guard(all.next()).await.unwrap().unwrap();
    assert!(matches!(resume, AnyEvent::Resume(_)), "{resume:?}");
    assert!(stop_time <= resume_time);
    let (only, _) = guard(named.next()).await.unwrap().unwrap();
    assert!(matches!(only, AnyEvent::Resume(_)), "{only:?}");

    guard(client.execute(commands::Quit::new())).await.unwrap();
    match guard(all.next()).await.unwrap().unwrap() {
        (AnyEvent::Shutdown(shutdown), _) => {
            assert!(!shutdown.guest);
            assert_eq!(shutdown.reason, ShutdownCause::HostQmpQuit);
        }
        other => panic!("expected SHUTDOWN, got {other:?}"),
    }
    assert!(guard(all.next()).await.is_none(), "the stream ends");
    assert!(guard(named.next()).await.is_none(), "every stream ends");
    assert!(qemu.wait_exit().success());
    assert!(matches!(
        guard(client.execute(QueryVersion::new())).await,
        Err(Error::Disconnected)
    ));
}

#[tokio::test]
async fn a_block_job_on_the_storage_daemon_reports_typed_job_status_changes() {
    let Some(qemu) = Qemu::start(Kind::StorageDaemon) else {
        return;
    };
    let client = operational(&qemu).await;
    let mut jobs = client.events_named([events::JobStatusChange::NAME]);
    // Every event, kept raw by an event set of the test's own.
    let mut raw = client.events_as::<Raw>();
    for node in ["src", "dst"] {
        let args = json!({"driver": "null-co", "node-name": node, "size": 4 << 20});
        guard(client.execute_raw("blockdev-add", args))
            .await
            .unwrap();
    }
    let backup = json!({"job-id": "job0", "device": "src", "target": "dst", "sync": "full"});
    guard(client.execute_raw("blockdev-backup", backup))
        .await
        .unwrap();
    let mut statuses = Vec::new();
    while statuses.last() != Some(&JobStatus::Null) {
        match guard(jobs.next()).await.unwrap().unwrap() {
            (AnyEvent::JobStatusChange(change), _) => {
                assert_eq!(change.id, "job0");
                statuses.push(change.status);
            }
            other => panic!("filtered to JOB_STATUS_CHANGE, got {other:?}"),
        }
    }
    assert_eq!(statuses.first(), Some(&JobStatus::Created));
    assert!(statuses.contains(&JobStatus::Concluded), "{statuses:?}");
    // The raw subscriber saw the same changes among the block job events.
    let mut raw_statuses = Vec::new();
    while raw_statuses.len() < statuses.len() {
        let (Raw(event), _) = guard(raw.next()).await.unwrap().unwrap();
        if event.name == "JOB_STATUS_CHANGE" {
            raw_statuses.push(event.data["status"].as_str().unwrap().to_owned());
        }
    }
    let typed: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    assert_eq!(raw_statuses, typed);
}

#[tokio::test]
async fn killing_qemu_fails_every_pending_call_with_disconnected() {
    for kind in BOTH {
        let Some(qemu) = Qemu::start(kind) else {
            return;
        };
        let client = operational(&qemu).await;
        let mut events = client.events();
        // Frozen, the server answers nothing: these calls stay pending.
        qemu.signal("STOP");
        let calls: Vec<_> = (0..16)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.execute(QueryVersion::new()).await })
            })
            .collect();
        tokio::task::yield_now().await;
        qemu.signal("KILL");
        for call in calls {
            let result = guard(call).await.unwrap();
            assert!(matches!(result, Err(Error::Disconnected)), "{result:?}");
        }
        assert!(
            guard(events.next()).await.is_none(),
            "the event stream ends"
        );
        assert!(client.is_closed());
        assert!(matches!(
            client.execute(QueryVersion::new()).await,
            Err(Error::Disconnected)
        ));
    }
}

#[tokio::test]
async fn a_timed_out_call_leaves_the_connection_in_step() {
    let Some(qemu) = Qemu::start(Kind::StorageDaemon) else {
        return;
    };
    let client = operational(&qemu).await;
    qemu.signal("STOP");
    let limit = Duration::from_millis(100);
    let result = client
        .execute_with_timeout(QueryCommands::new(), Some(limit))
        .await;
    assert!(
        matches!(result, Err(Error::Timeout(l)) if l == limit),
        "{result:?}"
    );
    // A default timeout on a handle applies to its calls.
    let hasty = client.clone().with_timeout(Some(limit));
    let result = hasty.execute(QueryCommands::new()).await;
    assert!(matches!(result, Err(Error::Timeout(_))), "{result:?}");
    // A dropped call: cancelled by its future going away.
    {
        let call = client.execute(QueryCommands::new());
        let cancelled = tokio::time::timeout(limit, call).await;
        assert!(cancelled.is_err());
    }
    qemu.signal("CONT");
    // The late answers (query-commands lists) are discarded by id: this
    // call gets its own answer.
    let version = guard(client.execute(QueryVersion::new())).await.unwrap();
    assert_eq!(version.qemu.major, 10);
    let raw = guard(client.execute_raw("query-version", json!({})))
        .await
        .unwrap();
    assert_eq!(raw["qemu"]["major"], 10);
}

#[tokio::test]
async fn connects_over_tcp_and_over_a_spawned_childs_stdio() {
    for kind in BOTH {
        let Some(binary) = kind.binary() else { return };
        // TCP.
        let port = common::free_port();
        let dir = common::temp_dir();
        let mut child = std::process::Command::new(&binary)
            .args(kind.args(&format!("tcp:127.0.0.1:{port}")))
            .current_dir(&dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let client = guard(async {
            loop {
                match Client::connect_tcp(("127.0.0.1", port)).await {
                    Ok(client) => break client,
                    Err(Error::Io(_)) => tokio::time::sleep(Duration::from_millis(5)).await,
                    Err(other) => panic!("{other}"),
                }
            }
        })
        .await;
        let client = guard(client.negotiate(&[])).await.unwrap();
        let version = guard(client.execute(QueryVersion::new())).await.unwrap();
        assert_eq!(version.qemu.major, 10);
        let _ = child.kill();
        let _ = child.wait();

        // A child's stdio.
        let mut command = tokio::process::Command::new(&binary);
        command
            .args(kind.args("stdio"))
            .current_dir(&dir)
            .kill_on_drop(true);
        let (client, mut child) = guard(Client::spawn(&mut command)).await.unwrap();
        let client = guard(client.negotiate(&[])).await.unwrap();
        let version = guard(client.execute(QueryVersion::new())).await.unwrap();
        assert_eq!(version.qemu.major, 10);
        guard(client.execute_raw("quit", json!({}))).await.unwrap();
        let status = guard(child.wait()).await.unwrap();
        assert!(status.success(), "{status}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[tokio::test]
async fn qemu_connects_to_a_listening_client_and_oversized_answers_fail_alone() {
    let Some(binary) = Kind::System.binary() else {
        return;
    };
    let dir = common::temp_dir();
    let path = dir.join("qmp.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let mut qemu = tokio::process::Command::new(binary)
        .args([
            "-machine",
            "none",
            "-nodefaults",
            "-display",
            "none",
            "-qmp",
        ])
        .arg(format!("unix:{},server=off", path.display()))
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // `query-qmp-schema` is the largest answer QEMU sends (about 117 KB
    // here); `query-version` is small.
    let connector = qmp_client::Connector::new().max_message_size(64 * 1024);
    let client = guard(connector.listen(&listener)).await.unwrap();
    let client = guard(client.negotiate(&[])).await.unwrap();
    match guard(client.execute(commands::QueryQmpSchema::new())).await {
        Err(Error::TooLarge { limit }) => assert_eq!(limit, 64 * 1024),
        other => panic!("expected TooLarge, got {:?}", other.map(|s| s.len())),
    }
    let version = guard(client.execute(QueryVersion::new())).await.unwrap();
    assert_eq!(version.qemu.major, 10);
    drop(client);
    qemu.kill().await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}
