//! Out-of-band execution against `qemu-system-x86_64` (QEMU 10.0 and 7.2): `exec-oob` on a
//! client that negotiated `oob`, answers matched by id when they overtake
//! in-band ones.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{Kind, Qemu, HANG_GUARD, RELEASES};
use qmp_client::commands::QueryCommands;
use qmp_client::mode::{Modes, OobCommand, OperationalCommand};
use qmp_client::qmp_types::{Command, Empty};
use qmp_client::wire::ErrorClass;
use qmp_client::Error;

/// `migrate-pause`, which QEMU allows out of band (written by hand so the
/// test does not depend on the generated bindings' coverage).
#[derive(serde::Serialize)]
struct MigratePause {}

impl Command for MigratePause {
    const NAME: &'static str = "migrate-pause";
    const MODES: Modes = Modes::Operational;
    const ALLOW_OOB: bool = true;
    type Returns = Empty;
}

impl OperationalCommand for MigratePause {}
impl OobCommand for MigratePause {}

#[tokio::test]
async fn exec_oob_answers_are_matched_by_id_even_when_they_overtake() {
    for release in RELEASES {
        let Some(qemu) = Qemu::start_release(Kind::System, release) else {
            continue;
        };
        let client = tokio::time::timeout(HANG_GUARD, qemu.connect().await.negotiate_oob(&[]))
            .await
            .unwrap()
            .expect("oob is offered and negotiates");
        let done = Arc::new(AtomicUsize::new(0));
        const IN_BAND: usize = 200;
        let in_band: Vec<_> = (0..IN_BAND)
            .map(|_| {
                let client = client.clone();
                let done = done.clone();
                tokio::spawn(async move {
                    let commands = client.execute(QueryCommands::new()).await;
                    done.fetch_add(1, Ordering::SeqCst);
                    commands
                })
            })
            .collect();
        tokio::task::yield_now().await;
        let oob = tokio::time::timeout(HANG_GUARD, client.execute_oob(MigratePause {}))
            .await
            .unwrap();
        let before = done.load(Ordering::SeqCst);
        match oob {
            Err(Error::Server { class, desc }) => {
                assert_eq!(class, ErrorClass::GenericError, "{release}");
                assert!(desc.contains("migrate-pause"), "{release}: {desc}");
            }
            other => {
                panic!("{release}: expected migrate-pause's error outside migration, got {other:?}")
            }
        }
        for call in in_band {
            let commands = tokio::time::timeout(HANG_GUARD, call)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            assert!(commands.iter().any(|c| c.name == "migrate-pause"));
        }
        eprintln!(
            "{release}: the exec-oob answer came after {before} of {IN_BAND} in-band answers \
             sent before it"
        );
    }
}
