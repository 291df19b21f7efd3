use qmp_client::commands::QueryVersion;
use qmp_client::{Client, Handshake};

async fn check(client: Client<Handshake>) -> Result<(), qmp_client::Error> {
    let _client = client.negotiate_with(QueryVersion::new()).await?;
    Ok(())
}

fn main() {
    let _ = check;
}
