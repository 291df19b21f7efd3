use qmp_client::{Client, Handshake};

fn check(client: Client<Handshake>) {
    let _ = client.clone();
}

fn main() {
    let _ = check;
}
