include!("../executor.rs");

qmp_macros::qapi_schema!("../schema/switch-mode.json");

fn main() {
    let client = executor::Handshaking::connect().negotiate(commands::QmpSwitchMode {
        mode: types::Mode::Operational,
    });
    client.execute(commands::QmpSwitchMode { mode: types::Mode::Operational });
}
