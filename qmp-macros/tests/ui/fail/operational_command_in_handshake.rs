include!("../executor.rs");

use qmp_types::commands::QueryVersion;

fn main() {
    let client = executor::Client::connect();
    client.execute(QueryVersion {});
}
