use qmp_client::{Client, Handshake};

fn check(client: Client<Handshake>) {
    let _ = client.clone();
}

fn main() {
    // Taking its address makes `check` reachable, so it is compiled to code.
    let _ = check as fn(_);
}
