use qmp_client::commands::QmpCapabilities;
use qmp_client::Client;

async fn check(client: Client) -> Result<(), qmp_client::Error> {
    client.execute(QmpCapabilities::default()).await?;
    Ok(())
}

fn main() {
    let _ = check;
}
