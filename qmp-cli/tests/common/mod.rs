//! What the `qmp` binary's tests share: the toy VM served in this process,
//! and the wait for a run of the binary.

// Each test crate uses a part of it.
#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Output};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use qmp_test_support::HANG_GUARD;

/// The toy VM on `qmp.sock` in a fresh directory, served by a runtime on a
/// thread of its own until stopped or dropped (which also removes the
/// directory).
pub struct Toy {
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub events: qmp_server::Emitter,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Toy {
    pub fn start() -> Toy {
        let dir = qmp_test_support::temp_dir("qmp-cli").expect("a directory");
        let socket = dir.join("qmp.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).expect("binds");
        listener.set_nonblocking(true).expect("non-blocking");
        let (server, _quit) = qmp_server::toy::toy_vm();
        let events = server.emitter();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::UnixListener::from_std(listener).expect("a listener");
                tokio::select! {
                    _ = server.serve_unix(listener) => {}
                    _ = stopped => server.shutdown().await,
                }
            });
        });
        Toy {
            dir,
            socket,
            events,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stops serving: the runtime ends, and its connections close.
    #[allow(dead_code)] // Not every test file stops it early.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Toy {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits for `child` to end, reading its output meanwhile; kills it and
/// fails past the hang guard.
pub fn finish(mut child: Child) -> Output {
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("qmp did not end within {HANG_GUARD:?}");
        }
        thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: stdout.join().expect("read"),
        stderr: stderr.join().expect("read"),
    }
}
