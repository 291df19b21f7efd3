//! File descriptors passed with a command (`SCM_RIGHTS`) reach QEMU 10.0.2:
//! `getfd` keeps one under a name (`closefd` then finds it), `add-fd` puts
//! one in a set (`query-fdsets` then lists it). Over a transport that
//! cannot pass descriptors, the call fails and nothing is sent.

mod common;

use std::os::fd::AsFd;

use common::{Kind, Qemu, HANG_GUARD};
use qmp_client::commands::{AddFd, Closefd, Getfd, QueryFdsets, QueryVersion};
use qmp_client::Error;

async fn guard<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(HANG_GUARD, future)
        .await
        .expect("within the hang guard")
}

/// An open file whose directory is already gone.
fn a_file() -> std::fs::File {
    let dir = common::temp_dir();
    let path = dir.join("passed");
    std::fs::write(&path, b"passed to QEMU").unwrap();
    let file = std::fs::File::open(&path).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
    file
}

#[tokio::test]
async fn getfd_and_add_fd_receive_the_descriptor_passed_with_them() {
    let Some(qemu) = Qemu::start(Kind::System) else {
        return;
    };
    let client = qemu.operational().await;
    let file = a_file();

    guard(client.execute_with_fds(Getfd::new("image".into()), &[file.as_fd()]))
        .await
        .unwrap();
    // QEMU holds it under that name: closing it works once, then it is gone.
    guard(client.execute(Closefd::new("image".into())))
        .await
        .unwrap();
    let again = guard(client.execute(Closefd::new("image".into()))).await;
    assert!(matches!(again, Err(Error::Server { .. })), "{again:?}");

    // Without a descriptor, QEMU refuses getfd: the one above came from us.
    let without = guard(client.execute(Getfd::new("none".into()))).await;
    assert!(matches!(without, Err(Error::Server { .. })), "{without:?}");

    let added = guard(client.execute_with_fds(
        {
            let mut add = AddFd::new();
            add.opaque = Some("from the test".into());
            add
        },
        &[file.as_fd()],
    ))
    .await
    .unwrap();
    let sets = guard(client.execute(QueryFdsets::new())).await.unwrap();
    let set = sets
        .iter()
        .find(|s| s.fdset_id == added.fdset_id)
        .expect("the new set is listed");
    assert_eq!(set.fds.len(), 1);
    assert_eq!(set.fds[0].fd, added.fd);
    assert_eq!(set.fds[0].opaque.as_deref(), Some("from the test"));
}

#[tokio::test]
async fn descriptors_queued_behind_other_requests_go_with_their_own_line() {
    let Some(qemu) = Qemu::start(Kind::System) else {
        return;
    };
    let client = qemu.operational().await;
    let file = a_file();
    // Many calls at once, so that lines queue in the outbox; each getfd
    // gets a descriptor of its own.
    let mut calls = Vec::new();
    for i in 0..20 {
        let client = client.clone();
        let fd = file.try_clone().unwrap();
        calls.push(tokio::spawn(async move {
            client.execute(QueryVersion::new()).await.unwrap();
            client
                .execute_with_fds(Getfd::new(format!("fd{i}")), &[fd.as_fd()])
                .await
                .unwrap();
        }));
    }
    for call in calls {
        guard(call).await.unwrap();
    }
    for i in 0..20 {
        guard(client.execute(Closefd::new(format!("fd{i}"))))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn descriptors_over_tcp_fail_before_anything_is_sent() {
    let Some(binary) = Kind::StorageDaemon.binary() else {
        return;
    };
    let port = common::free_port();
    let mut daemon = std::process::Command::new(binary)
        .args(Kind::StorageDaemon.args(&format!("tcp:127.0.0.1:{port}")))
        .spawn()
        .unwrap();
    let connect = async {
        loop {
            match qmp_client::Client::connect_tcp(("127.0.0.1", port)).await {
                Ok(client) => break client,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    };
    let client = guard(connect).await;
    let client = guard(client.negotiate(&[])).await.unwrap();
    let file = a_file();
    match guard(client.execute_with_fds(Getfd::new("x".into()), &[file.as_fd()])).await {
        Err(Error::Io(error)) => assert_eq!(error.kind(), std::io::ErrorKind::Unsupported),
        other => panic!("expected Unsupported, got {other:?}"),
    }
    guard(client.execute(QueryVersion::new())).await.unwrap();
    daemon.kill().unwrap();
    daemon.wait().unwrap();
}

#[test]
fn the_blocking_client_passes_descriptors_too() {
    let Some(qemu) = Qemu::start(Kind::System) else {
        return;
    };
    let client = qemu.connect_blocking().negotiate(&[]).unwrap();
    let file = a_file();
    client
        .execute_with_fds(Getfd::new("b".into()), &[file.as_fd()])
        .unwrap();
    client.execute(Closefd::new("b".into())).unwrap();
}

/// What a scripted server read: the bytes, and each batch of descriptors
/// with the range of the stream read by the `recvmsg` that brought it
/// (Linux ends such a read with the segment the descriptors came with).
struct Received {
    bytes: Vec<u8>,
    fds: Vec<(std::ops::Range<usize>, Vec<std::os::fd::OwnedFd>)>,
}

/// Reads `lines` lines from `socket` with `recvmsg`, slowly (small reads),
/// keeping where each descriptor arrived.
fn receive(socket: &std::os::unix::net::UnixStream, lines: usize) -> Received {
    use std::mem::MaybeUninit;

    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};

    let mut received = Received {
        bytes: Vec::new(),
        fds: Vec::new(),
    };
    while received.bytes.iter().filter(|b| **b == b'\n').count() < lines {
        let mut buffer = [0u8; 4096];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(4))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let read = rustix::net::recvmsg(
            socket,
            &mut [std::io::IoSliceMut::new(&mut buffer)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        )
        .unwrap();
        assert!(read.bytes > 0, "end of stream");
        let at = received.bytes.len();
        for message in control.drain() {
            if let RecvAncillaryMessage::ScmRights(fds) = message {
                received.fds.push((at..at + read.bytes, fds.collect()));
            }
        }
        received.bytes.extend_from_slice(&buffer[..read.bytes]);
        // Slowly: the client's lines queue up behind the first.
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    received
}

/// The file's identity, to tell descriptors of different files apart.
fn identity(fd: impl AsFd) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let file = std::fs::File::from(fd.as_fd().try_clone_to_owned().unwrap());
    let metadata = file.metadata().unwrap();
    (metadata.dev(), metadata.ino())
}

#[tokio::test]
async fn queued_lines_carry_their_descriptors_at_their_first_byte() {
    const GREETING: &str = r#"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": ""}, "capabilities": []}}"#;
    let dir = common::temp_dir();
    let path = dir.join("qmp.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let server_path = path.clone();
    let server = std::thread::spawn(move || {
        use std::io::Write;
        let mut socket = std::os::unix::net::UnixStream::connect(server_path).unwrap();
        writeln!(socket, "{GREETING}").unwrap();
        let negotiation = receive(&socket, 1);
        assert!(negotiation.fds.is_empty());
        writeln!(socket, r#"{{"return": {{}}, "id": 0}}"#).unwrap();
        // A long line first, then two getfd lines queued behind it.
        receive(&socket, 3)
    });
    let client = guard(qmp_client::Connector::new().listen(&listener))
        .await
        .unwrap();
    let client = guard(client.negotiate(&[])).await.unwrap();
    let (one, two) = (a_file(), a_file());
    let big = "x".repeat(1 << 20);
    let calls = [
        tokio::spawn({
            let client = client.clone();
            async move {
                client
                    .execute_raw("x-big", serde_json::json!({ "blob": big }))
                    .await
            }
        }),
        tokio::spawn({
            let client = client.clone();
            let one = one.try_clone().unwrap();
            async move {
                tokio::task::yield_now().await;
                client
                    .execute_with_fds(Getfd::new("one".into()), &[one.as_fd()])
                    .await
                    .map(|_| serde_json::Value::Null)
            }
        }),
        tokio::spawn({
            let client = client.clone();
            let two = two.try_clone().unwrap();
            async move {
                tokio::task::yield_now().await;
                tokio::task::yield_now().await;
                client
                    .execute_with_fds(Getfd::new("two".into()), &[two.as_fd()])
                    .await
                    .map(|_| serde_json::Value::Null)
            }
        }),
    ];
    let received = tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    // The server never answers: the calls are dropped with the client.
    for call in calls {
        call.abort();
    }
    let lines: Vec<&[u8]> = received.bytes.split_inclusive(|b| *b == b'\n').collect();
    assert_eq!(lines.len(), 3);
    let starts: Vec<usize> = lines
        .iter()
        .scan(0, |at, line| {
            let start = *at;
            *at += line.len();
            Some(start)
        })
        .collect();
    let request = |i: usize| serde_json::from_slice::<serde_json::Value>(lines[i]).unwrap();
    assert_eq!(request(0)["execute"], "x-big");
    assert_eq!(received.fds.len(), 2, "one batch per getfd line");
    for (line, file) in [(1, &one), (2, &two)] {
        let name = if line == 1 { "one" } else { "two" };
        let index = (1..3)
            .find(|i| request(*i)["arguments"]["fdname"] == name)
            .unwrap();
        let (_, fds) = received
            .fds
            .iter()
            .find(|(read, _)| read.contains(&starts[index]))
            .unwrap_or_else(|| panic!("no descriptor with the first byte of line {index}"));
        assert_eq!(fds.len(), 1);
        assert_eq!(identity(&fds[0]), identity(file));
    }
    std::fs::remove_dir_all(dir).unwrap();
}
