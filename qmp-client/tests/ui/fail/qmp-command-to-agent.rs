use qmp_client::agent::Agent;
use qmp_client::commands::QueryStatus;

async fn check(agent: Agent) -> Result<(), qmp_client::Error> {
    agent.execute(QueryStatus::new()).await?;
    Ok(())
}

fn main() {
    let _ = check;
}
