use qmp_client::commands::QmpCapabilities;
use qmp_client::{Client, Handshake};

async fn check(client: Client<Handshake>) -> Result<(), qmp_client::Error> {
    client.execute(QmpCapabilities::default()).await?;
    Ok(())
}

fn main() {
    let _ = check;
}
