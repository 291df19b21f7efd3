include!("../executor.rs");

use qmp_macros::Command;
use qmp_types::commands::QmpCapabilities;

/// A fork's extra handshake command.
#[derive(serde::Serialize, Command)]
#[qmp(name = "qmp_set_compression", mode = handshake)]
struct SetCompression {
    level: u8,
}

fn main() {
    let client = executor::Handshaking::connect().negotiate(QmpCapabilities::default());
    client.execute(SetCompression { level: 3 });
}
