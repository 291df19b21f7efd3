// A minimal stand-in for a client: it executes nothing, but bounds its
// commands exactly as the real client does.
#[allow(dead_code)]
mod executor {
    use std::marker::PhantomData;

    use qmp_types::mode::{AllowedIn, Handshake, Mode, Operational};

    pub struct Client<M: Mode>(PhantomData<M>);

    impl<M: Mode> Client<M> {
        pub fn execute<C: AllowedIn<M>>(&self, _command: C) {}
    }

    impl Client<Handshake> {
        pub fn connect() -> Self {
            Client(PhantomData)
        }

        pub fn negotiate(self) -> Client<Operational> {
            Client(PhantomData)
        }
    }
}
