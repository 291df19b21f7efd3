use qmp_client::commands::QueryVersion;
use qmp_client::{Client, Operational, OutOfBand};

async fn check(client: Client<Operational, OutOfBand>) -> Result<(), qmp_client::Error> {
    client.execute_oob(QueryVersion::new()).await?;
    Ok(())
}

fn main() {
    let _ = check;
}
