include!("../executor.rs");

use qmp_macros::{Command, Event};
use qmp_types::commands::{QmpCapabilities, QueryCommands, QueryVersion};

qmp_macros::qapi_schema!("../schema/switch-mode.json");

/// A command a fork allows in both modes.
#[derive(serde::Serialize, Command)]
#[qmp(name = "x-query-build", returns = String, mode = both, allow_oob)]
struct QueryBuild {}

/// A fork's event.
#[derive(serde::Serialize, serde::Deserialize, Event)]
#[qmp(name = "X_COMPRESSION_CHANGED")]
struct CompressionChanged {
    level: u8,
}

fn main() {
    let handshake = executor::Client::connect();
    handshake.execute(QmpCapabilities::default());
    handshake.execute(QueryBuild {});
    handshake.execute(commands::QmpSwitchMode { mode: types::Mode::Operational });
    handshake.execute(commands::QueryMode {});

    let operational = handshake.negotiate();
    operational.execute(QueryVersion {});
    operational.execute(QueryCommands {});
    operational.execute(QueryBuild {});
    operational.execute(commands::QueryMode {});

    assert!(<QueryBuild as qmp_types::Command>::ALLOW_OOB);
    assert_eq!(<CompressionChanged as qmp_types::Event>::NAME, "X_COMPRESSION_CHANGED");
}
