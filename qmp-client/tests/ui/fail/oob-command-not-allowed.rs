use qmp_client::types::commands::QueryVersion;
use qmp_client::types::mode::Operational;
use qmp_client::{Client, OutOfBand};

fn check(client: Client<Operational, OutOfBand>) {
    let _ = client.execute_oob(QueryVersion {});
}

fn main() {
    // Taking its address makes `check` reachable, so it is compiled to code.
    let _ = check as fn(_);
}
