include!("../executor.rs");

use qmp_types::commands::QmpCapabilities;

fn main() {
    let client = executor::Handshaking::connect();
    client.execute(QmpCapabilities::default());
}
