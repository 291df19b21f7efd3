use qmp_client::qmp_types::agent::commands::GuestInfo;
use qmp_client::Client;

async fn check(client: Client) -> Result<(), qmp_client::Error> {
    client.execute(GuestInfo::new()).await?;
    Ok(())
}

fn main() {
    let _ = check;
}
