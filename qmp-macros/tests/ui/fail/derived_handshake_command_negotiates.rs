include!("../executor.rs");

use qmp_macros::Command;

/// A fork's extra handshake command: it does not end negotiation.
#[derive(serde::Serialize, Command)]
#[qmp(name = "qmp_set_compression", mode = handshake)]
struct SetCompression {
    level: u8,
}

fn main() {
    let _ = executor::Handshaking::connect().negotiate(SetCompression { level: 3 });
}
