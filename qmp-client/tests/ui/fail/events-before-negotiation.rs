use qmp_client::types::events::AnyEvent;
use qmp_client::{Client, Handshake};

fn check(client: Client<Handshake>) {
    let _ = client.events::<AnyEvent>();
}

fn main() {
    // Taking its address makes `check` reachable, so it is compiled to code.
    let _ = check as fn(_);
}
