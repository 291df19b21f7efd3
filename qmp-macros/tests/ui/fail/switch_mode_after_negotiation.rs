include!("../executor.rs");

qmp_macros::qapi_schema!("../schema/switch-mode.json");

fn main() {
    let client = executor::Client::connect();
    let client = client.negotiate();
    client.execute(commands::QmpSwitchMode { mode: types::Mode::Operational });
}
