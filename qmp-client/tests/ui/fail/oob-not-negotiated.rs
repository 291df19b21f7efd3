use qmp_client::commands::MigratePause;
use qmp_client::Client;

async fn check(client: Client) -> Result<(), qmp_client::Error> {
    client.execute_oob(MigratePause::new()).await?;
    Ok(())
}

fn main() {
    let _ = check;
}
