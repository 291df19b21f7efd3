// A minimal stand-in for a client: it executes nothing, but bounds its
// commands exactly as the real client does.
#[allow(dead_code)]
mod executor {
    use qmp_types::mode::{HandshakeCommand, NegotiationCommand, OperationalCommand};

    pub struct Handshaking;
    pub struct Operating;

    impl Handshaking {
        pub fn connect() -> Self {
            Handshaking
        }

        pub fn execute<C: HandshakeCommand>(&self, _command: C) {}

        pub fn negotiate<C: NegotiationCommand>(self, _command: C) -> Operating {
            Operating
        }
    }

    impl Operating {
        pub fn execute<C: OperationalCommand>(&self, _command: C) {}
    }
}
