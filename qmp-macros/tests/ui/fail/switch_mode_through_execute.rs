include!("../executor.rs");

qmp_macros::qapi_schema!("../schema/switch-mode.json");

fn main() {
    let client = executor::Handshaking::connect();
    client.execute(commands::QmpSwitchMode { mode: types::Mode::Operational });
}
