include!("../executor.rs");

use qmp_types::commands::QueryVersion;

fn main() {
    let client = executor::Handshaking::connect();
    client.execute(QueryVersion::new());
}
