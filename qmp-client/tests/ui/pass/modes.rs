use qmp_client::types::commands::{QmpCapabilities, QueryVersion};
use qmp_client::types::events::AnyEvent;
use qmp_client::types::mode::{AllowedIn, Modes, Operational};
use qmp_client::types::{Command, Empty};
use qmp_client::{Client, Handshake, OutOfBand};

#[derive(serde::Serialize)]
struct MigratePause {}

impl Command for MigratePause {
    const NAME: &'static str = "migrate-pause";
    const MODES: Modes = Modes::Operational;
    const ALLOW_OOB: bool = true;
    type Returns = Empty;
}

impl AllowedIn<Operational> for MigratePause {}

#[allow(dead_code, unused_must_use)]
fn uses(handshake: Client<Handshake>, operational: Client, oob: Client<Operational, OutOfBand>) {
    handshake.execute(QmpCapabilities::default());
    operational.execute(QueryVersion {});
    let _ = operational.clone().events::<AnyEvent>();
    oob.execute(QueryVersion {});
    oob.execute_oob(MigratePause {});
}

fn main() {}
