include!("../executor.rs");

use qmp_types::commands::QmpCapabilities;

fn main() {
    let client = executor::Client::connect().negotiate();
    client.execute(QmpCapabilities::default());
}
