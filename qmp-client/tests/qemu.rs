//! The client against the real servers: `qemu-system-x86_64 -machine none`
//! and `qemu-storage-daemon`, of QEMU 10.0 and of Debian 12's QEMU 7.2.
//! Each test runs against every release it makes sense for, and a failure
//! names the release.

mod common;

use std::time::Duration;

use common::{Kind, Qemu, Release, HANG_GUARD, RELEASES};
use qmp_client::commands::{self, QueryCommands, QueryVersion};
use qmp_client::events::{self, AnyEvent};
use qmp_client::qmp_types::Event;
use qmp_client::types::{JobStatus, QMPCapability, RunState, ShutdownCause};
use qmp_client::wire::ErrorClass;
use qmp_client::{Client, Error};
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
    for (release, kind) in common::servers() {
        let Some(qemu) = Qemu::start_release(kind, release) else {
            continue;
        };
        let client = qemu.connect().await;
        let greeting = client.greeting().clone();
        let version = &greeting.version.qemu;
        assert_eq!(
            (version.major, version.minor),
            release.version(),
            "{release} {kind:?}"
        );
        assert!(
            greeting.capabilities.contains(&QMPCapability::Oob),
            "{release} {kind:?} offers oob: {:?}",
            greeting.capabilities
        );
        let client = guard(client.negotiate(&[])).await.unwrap();
        let version = guard(client.execute(QueryVersion::new())).await.unwrap();
        assert_eq!(version, greeting.version, "{release} {kind:?}");
        let commands = guard(client.execute(QueryCommands::new())).await.unwrap();
        assert!(
            commands.iter().any(|c| c.name == "query-version"),
            "{release} {kind:?}"
        );
    }
}

#[tokio::test]
async fn a_capability_not_offered_is_refused_and_the_handshake_client_comes_back() {
    for release in RELEASES {
        let Some(qemu) = Qemu::start_release(Kind::StorageDaemon, release) else {
            continue;
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
                assert_eq!(capability, asked, "{release}");
                assert!(offered.contains(&QMPCapability::Oob), "{release}");
            }
            other => panic!("{release}: expected CapabilityNotOffered, got {other:?}"),
        }
        // Nothing was sent: the same connection negotiates as usual.
        let client = guard(client.negotiate(&[])).await.unwrap();
        guard(client.execute(QueryVersion::new())).await.unwrap();
    }
}

#[tokio::test]
async fn a_negotiation_the_server_refuses_gives_the_handshake_client_back() {
    for release in RELEASES {
        let Some(qemu) = Qemu::start_release(Kind::StorageDaemon, release) else {
            continue;
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
            "{release}: {failed}"
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
}

#[tokio::test]
async fn many_commands_in_flight_from_clones_get_their_own_answers() {
    for (release, kind) in common::servers() {
        let Some(qemu) = Qemu::start_release(kind, release) else {
            continue;
        };
        let major = release.version().0;
        let client = qemu.operational().await;
        let mut tasks = Vec::new();
        for i in 0..64 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                if i % 2 == 0 {
                    let v = client.execute(QueryVersion::new()).await.unwrap();
                    assert_eq!(v.qemu.major, major, "{release} {kind:?}");
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
        assert_eq!(a.unwrap().qemu.major, major, "{release} {kind:?}");
        assert!(b.unwrap().as_array().unwrap().len() > 10);
        assert_eq!(c.unwrap()["qemu"]["major"], major, "{release} {kind:?}");
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(guard(task).await.unwrap(), i);
        }
    }
}

#[tokio::test]
async fn server_errors_keep_their_class_and_text() {
    for (release, kind) in common::servers() {
        let Some(qemu) = Qemu::start_release(kind, release) else {
            continue;
        };
        let server = format!("{release} {kind:?}");
        // A command in the wrong mode, sent raw before negotiation.
        let client = qemu.connect().await;
        let (class, desc) =
            server_error(guard(client.execute_raw("query-version", json!({}))).await);
        assert_eq!(class, ErrorClass::CommandNotFound, "{server}");
        assert_eq!(
            desc, "Expecting capabilities negotiation with 'qmp_capabilities'",
            "{server}"
        );

        let client = guard(client.negotiate(&[])).await.unwrap();
        // And after it.
        let (class, desc) =
            server_error(guard(client.execute_raw("qmp_capabilities", json!({}))).await);
        assert_eq!(class, ErrorClass::CommandNotFound, "{server}");
        assert_eq!(
            desc, "Capabilities negotiation is already complete, command ignored",
            "{server}"
        );

        // An unknown command.
        let (class, desc) =
            server_error(guard(client.execute_raw("no-such-command", json!({}))).await);
        assert_eq!(class, ErrorClass::CommandNotFound, "{server}");
        assert_eq!(
            desc, "The command no-such-command has not been found",
            "{server}"
        );

        // A wrong argument type.
        let (class, desc) = server_error(
            guard(client.execute_raw("query-commands", json!({"unexpected": 1}))).await,
        );
        assert_eq!(class, ErrorClass::GenericError, "{server}");
        assert_eq!(desc, "Parameter 'unexpected' is unexpected", "{server}");
        let (class, desc) = server_error(
            guard(client.execute_raw("query-named-block-nodes", json!({"flat": "yes"}))).await,
        );
        assert_eq!(class, ErrorClass::GenericError, "{server}");
        assert_eq!(
            desc, "Invalid parameter type for 'flat', expected: boolean",
            "{server}"
        );

        // The connection is still in step.
        guard(client.execute(QueryVersion::new())).await.unwrap();
    }
}

#[tokio::test]
async fn stop_and_cont_give_stop_and_resume_then_quit_gives_shutdown_and_the_end() {
    for release in RELEASES {
        let Some(mut qemu) = Qemu::start_release(Kind::System, release) else {
            continue;
        };
        let client = qemu.operational().await;
        let mut all = client.events();
        let mut named = client.events_named([events::Resume::NAME]);
        let status = guard(client.execute(commands::QueryStatus::new()))
            .await
            .unwrap();
        assert!(status.running, "{release}");
        assert_eq!(status.status, RunState::Running, "{release}");
        guard(client.execute(commands::Stop::new())).await.unwrap();
        let status = guard(client.execute(commands::QueryStatus::new()))
            .await
            .unwrap();
        assert_eq!(status.status, RunState::Paused, "{release}");
        guard(client.execute(commands::Cont::new())).await.unwrap();

        let (stop, stop_time) = guard(all.next()).await.unwrap().unwrap();
        assert!(
            matches!(stop, AnyEvent::Stop(events::Stop { .. })),
            "{release}: {stop:?}"
        );
        let (resume, resume_time) = guard(all.next()).await.unwrap().unwrap();
        assert!(
            matches!(resume, AnyEvent::Resume(_)),
            "{release}: {resume:?}"
        );
        assert!(stop_time <= resume_time, "{release}");
        let (only, _) = guard(named.next()).await.unwrap().unwrap();
        assert!(matches!(only, AnyEvent::Resume(_)), "{release}: {only:?}");

        guard(client.execute(commands::Quit::new())).await.unwrap();
        match guard(all.next()).await.unwrap().unwrap() {
            (AnyEvent::Shutdown(shutdown), _) => {
                assert!(!shutdown.guest, "{release}");
                assert_eq!(shutdown.reason, ShutdownCause::HostQmpQuit, "{release}");
            }
            other => panic!("{release}: expected SHUTDOWN, got {other:?}"),
        }
        assert!(
            guard(all.next()).await.is_none(),
            "{release}: the stream ends"
        );
        assert!(
            guard(named.next()).await.is_none(),
            "{release}: every stream ends"
        );
        assert!(qemu.wait_exit().success(), "{release}");
        assert!(matches!(
            guard(client.execute(QueryVersion::new())).await,
            Err(Error::Disconnected)
        ));
    }
}

#[tokio::test]
async fn a_block_job_on_the_storage_daemon_reports_typed_job_status_changes() {
    for release in RELEASES {
        let Some(qemu) = Qemu::start_release(Kind::StorageDaemon, release) else {
            continue;
        };
        let client = qemu.operational().await;
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
                    assert_eq!(change.id, "job0", "{release}");
                    statuses.push(change.status);
                }
                other => panic!("{release}: filtered to JOB_STATUS_CHANGE, got {other:?}"),
            }
        }
        assert_eq!(statuses.first(), Some(&JobStatus::Created), "{release}");
        assert!(
            statuses.contains(&JobStatus::Concluded),
            "{release}: {statuses:?}"
        );
        // The raw subscriber saw the same changes among the block job events.
        let mut raw_statuses = Vec::new();
        while raw_statuses.len() < statuses.len() {
            let (Raw(event), _) = guard(raw.next()).await.unwrap().unwrap();
            if event.name == "JOB_STATUS_CHANGE" {
                raw_statuses.push(event.data["status"].as_str().unwrap().to_owned());
            }
        }
        let typed: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        assert_eq!(raw_statuses, typed, "{release}");
    }
}

#[tokio::test]
async fn killing_qemu_fails_every_pending_call_with_disconnected() {
    for (release, kind) in common::servers() {
        let Some(qemu) = Qemu::start_release(kind, release) else {
            continue;
        };
        let client = qemu.operational().await;
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
            assert!(
                matches!(result, Err(Error::Disconnected)),
                "{release} {kind:?}: {result:?}"
            );
        }
        assert!(
            guard(events.next()).await.is_none(),
            "{release} {kind:?}: the event stream ends"
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
    for release in RELEASES {
        let Some(qemu) = Qemu::start_release(Kind::StorageDaemon, release) else {
            continue;
        };
        let client = qemu.operational().await;
        qemu.signal("STOP");
        let limit = Duration::from_millis(100);
        let result = client
            .execute_with_timeout(QueryCommands::new(), Some(limit))
            .await;
        assert!(
            matches!(result, Err(Error::Timeout(l)) if l == limit),
            "{release}: {result:?}"
        );
        // A default timeout on a handle applies to its calls.
        let hasty = client.clone().with_timeout(Some(limit));
        let result = hasty.execute(QueryCommands::new()).await;
        assert!(
            matches!(result, Err(Error::Timeout(_))),
            "{release}: {result:?}"
        );
        // A dropped call: cancelled by its future going away.
        {
            let call = client.execute(QueryCommands::new());
            let cancelled = tokio::time::timeout(limit, call).await;
            assert!(cancelled.is_err());
        }
        qemu.signal("CONT");
        // The late answers (query-commands lists) are discarded by id: this
        // call gets its own answer.
        let major = release.version().0;
        let version = guard(client.execute(QueryVersion::new())).await.unwrap();
        assert_eq!(version.qemu.major, major, "{release}");
        let raw = guard(client.execute_raw("query-version", json!({})))
            .await
            .unwrap();
        assert_eq!(raw["qemu"]["major"], major, "{release}");
    }
}

#[tokio::test]
async fn connects_over_tcp_and_over_a_spawned_childs_stdio() {
    for (release, kind) in common::servers() {
        let Some(binary) = release.binary(kind) else {
            continue;
        };
        let major = release.version().0;
        // TCP.
        let port = common::free_port();
        let dir = common::temp_dir();
        let mut child = qmp_test_support::command(&binary)
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
                    Err(other) => panic!("{release} {kind:?}: {other}"),
                }
            }
        })
        .await;
        let client = guard(client.negotiate(&[])).await.unwrap();
        let version = guard(client.execute(QueryVersion::new())).await.unwrap();
        assert_eq!(version.qemu.major, major, "{release} {kind:?} over TCP");
        let _ = child.kill();
        let _ = child.wait();

        // A child's stdio.
        let mut command = tokio::process::Command::from(qmp_test_support::command(&binary));
        command
            .args(kind.args("stdio"))
            .current_dir(&dir)
            .kill_on_drop(true);
        let (client, mut child) = guard(Client::spawn(&mut command)).await.unwrap();
        let client = guard(client.negotiate(&[])).await.unwrap();
        let version = guard(client.execute(QueryVersion::new())).await.unwrap();
        assert_eq!(version.qemu.major, major, "{release} {kind:?} over stdio");
        guard(client.execute_raw("quit", json!({}))).await.unwrap();
        let status = guard(child.wait()).await.unwrap();
        assert!(status.success(), "{release} {kind:?}: {status}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[tokio::test]
async fn qemu_connects_to_a_listening_client_and_oversized_answers_fail_alone() {
    for release in RELEASES {
        let Some(qemu) = Qemu::start_release(Kind::System, release) else {
            continue;
        };
        // `query-qmp-schema` is the largest answer QEMU sends (about 117 KB
        // on 10.0); `query-version` is small.
        let connector = qmp_client::Connector::new().max_message_size(64 * 1024);
        let client = guard(connector.listen(&qemu.tokio_listener()))
            .await
            .unwrap();
        let client = guard(client.negotiate(&[])).await.unwrap();
        match guard(client.execute(commands::QueryQmpSchema::new())).await {
            Err(Error::TooLarge { limit }) => assert_eq!(limit, 64 * 1024, "{release}"),
            other => panic!(
                "{release}: expected TooLarge, got {:?}",
                other.map(|s| s.len())
            ),
        }
        let version = guard(client.execute(QueryVersion::new())).await.unwrap();
        assert_eq!(version.qemu.major, release.version().0, "{release}");
    }
}

/// Members the newest schema requires but QEMU 7.2 does not send: absent
/// on 7.2 (the bindings make them optional, from `schema/compat.txt`),
/// present on 10.0.
#[tokio::test]
async fn members_older_releases_leave_out_decode_as_none_there() {
    for release in RELEASES {
        let Some(qemu) = Qemu::start_with_content(Kind::System, release) else {
            continue;
        };
        let client = qemu.operational().await;
        let new = release == Release::Current;
        let block = guard(client.execute(commands::QueryBlock::new()))
            .await
            .unwrap();
        let disk = block.iter().find(|b| b.device == "disk0").expect("disk0");
        let inserted = disk.inserted.as_ref().expect("a medium");
        assert_eq!(inserted.active.is_some(), new, "{release}: `active`");
        let stats = guard(client.execute(commands::QueryBlockstats::new()))
            .await
            .unwrap();
        assert!(!stats.is_empty(), "{release}");
        for stats in &stats {
            let zone = stats.stats.zone_append_operations;
            assert_eq!(zone.is_some(), new, "{release}: `zone_append_operations`");
        }
        let machines = guard(client.execute(commands::QueryMachines::new()))
            .await
            .unwrap();
        assert!(
            machines.iter().all(|m| m.acpi.is_some() == new),
            "{release}: `acpi`"
        );
        let dirty = guard(client.execute(commands::QueryDirtyRate::new()))
            .await
            .unwrap();
        assert_eq!(
            dirty.calc_time_unit.is_some(),
            new,
            "{release}: `calc-time-unit`"
        );
        let chardevs = guard(client.execute(commands::QueryChardev::new()))
            .await
            .unwrap();
        assert!(chardevs.iter().any(|c| c.label == "char0"), "{release}");
    }
}
