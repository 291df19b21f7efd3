use qmp_client::commands::{MigratePause, QmpCapabilities, QueryVersion};
use qmp_client::mode::{Modes, OobCommand, OperationalCommand};
use qmp_client::qmp_types::{Command, Empty};
use qmp_client::{Client, Error, Handshake, Operational, OutOfBand};

/// A fork's command that allows out-of-band execution, written by hand.
#[derive(serde::Serialize)]
struct XPause {}

impl Command for XPause {
    const NAME: &'static str = "x-pause";
    const MODES: Modes = Modes::Operational;
    const ALLOW_OOB: bool = true;
    type Returns = Empty;
}

impl OperationalCommand for XPause {}
impl OobCommand for XPause {}

#[allow(dead_code)]
async fn uses(
    handshake: Client<Handshake>,
    operational: Client,
    oob: Client<Operational, OutOfBand>,
) -> Result<(), Error> {
    operational.execute(QueryVersion::new()).await?;
    let _ = operational.clone().events();
    oob.execute(QueryVersion::new()).await?;
    oob.execute_oob(XPause {}).await?;
    oob.execute_oob(MigratePause::new()).await?;
    let negotiated: Client = handshake.negotiate_with(QmpCapabilities::default()).await?;
    negotiated.execute(QueryVersion::new()).await?;
    Ok(())
}

#[allow(dead_code)]
async fn negotiation_failure_gives_the_client_back(handshake: Client<Handshake>) -> Client {
    match handshake.negotiate(&[]).await {
        Ok(client) => client,
        Err(failed) => failed.into_client().negotiate(&[]).await.unwrap(),
    }
}

fn main() {}
