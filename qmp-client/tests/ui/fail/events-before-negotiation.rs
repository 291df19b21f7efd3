use qmp_client::{Client, Handshake};

fn check(client: Client<Handshake>) {
    let _ = client.events();
}

fn main() {
    let _ = check;
}
