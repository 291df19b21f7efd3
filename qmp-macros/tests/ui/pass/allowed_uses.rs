include!("../executor.rs");

use qmp_macros::{Command, Event};
use qmp_types::commands::{QmpCapabilities, QueryCommands, QueryVersion};

qmp_macros::qapi_schema!("../schema/switch-mode.json");

/// A command a fork allows in both modes.
#[derive(serde::Serialize, Command)]
#[qmp(name = "x-query-build", returns = String, mode = both, allow_oob)]
struct QueryBuild {}

/// A fork's own negotiation command.
#[derive(serde::Serialize, Command)]
#[qmp(name = "x-negotiate", mode = negotiation)]
struct Negotiate {}

/// A fork's event.
#[derive(serde::Serialize, serde::Deserialize, Event)]
#[qmp(name = "X_COMPRESSION_CHANGED")]
struct CompressionChanged {
    level: u8,
}

fn assert_oob<C: qmp_types::mode::OobCommand>() {}

fn main() {
    let handshake = executor::Handshaking::connect();
    handshake.execute(QueryBuild {});
    handshake.execute(commands::QueryMode::new());
    handshake.execute(commands::QueryHandshakeGreeting::new());

    let operational = handshake.negotiate(commands::QmpSwitchMode {
        mode: types::Mode::Operational,
    });
    operational.execute(QueryVersion::new());
    operational.execute(QueryCommands::new());
    operational.execute(QueryBuild {});
    operational.execute(commands::QueryMode::new());

    let _ = executor::Handshaking::connect().negotiate(QmpCapabilities::default());
    let _ = executor::Handshaking::connect().negotiate(Negotiate {});

    assert_oob::<QueryBuild>();
    assert!(<QueryBuild as qmp_types::Command>::ALLOW_OOB);
    assert_eq!(<CompressionChanged as qmp_types::Event>::NAME, "X_COMPRESSION_CHANGED");
}
