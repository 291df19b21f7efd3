use qmp_client::types::commands::QueryVersion;
use qmp_client::Client;

fn check(client: Client) {
    let _ = client.execute_oob(QueryVersion {});
}

fn main() {
    // Taking its address makes `check` reachable, so it is compiled to code.
    let _ = check as fn(_);
}
