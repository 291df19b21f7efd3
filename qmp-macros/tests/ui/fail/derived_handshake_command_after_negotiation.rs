include!("../executor.rs");

use qmp_macros::Command;

/// A fork's extra negotiation command.
#[derive(serde::Serialize, Command)]
#[qmp(name = "qmp_set_compression", mode = handshake)]
struct SetCompression {
    level: u8,
}

fn main() {
    let client = executor::Client::connect().negotiate();
    client.execute(SetCompression { level: 3 });
}
