//! The client's memory stays bounded by its message size limit, whatever
//! the server sends: a test binary of its own, so that no other test moves
//! the process's peak memory while it measures.

use std::io::Write;
use std::time::Duration;

use qmp_client::commands::QueryVersion;
use qmp_client::{Connector, Error, DEFAULT_MAX_MESSAGE_SIZE};

const GREETING: &str = r#"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": ""}, "capabilities": []}}"#;
const GUARD: Duration = Duration::from_secs(120);
/// How much the hostile answer holds, in MiB: 32 times the default limit,
/// or `QMP_LIMITS_ANSWER_MIB` (2048 reproduces the 2 GiB case by hand).
fn answer_size() -> usize {
    let mib = std::env::var("QMP_LIMITS_ANSWER_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(512);
    mib << 20
}

#[tokio::test]
async fn a_huge_answer_fails_its_call_without_the_client_holding_it() {
    let (client_end, server_end) = std::os::unix::net::UnixStream::pair().unwrap();
    let answer = answer_size();
    let server = std::thread::spawn(move || {
        let mut write = server_end.try_clone().unwrap();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(server_end));
        writeln!(write, "{GREETING}").unwrap();
        for _ in 0..2 {
            let request = lines.next().unwrap().unwrap();
            let request: serde_json::Value = serde_json::from_str(&request).unwrap();
            let id = &request["id"];
            if request["execute"] == "qmp_capabilities" {
                writeln!(write, r#"{{"return": {{}}, "id": {id}}}"#).unwrap();
                continue;
            }
            // A `return` string of `answer` bytes, written in pieces: the
            // server never holds it either.
            write.write_all(br#"{"return": ""#).unwrap();
            let chunk = vec![b'x'; 1 << 20];
            for _ in 0..answer / chunk.len() {
                write.write_all(&chunk).unwrap();
            }
            writeln!(write, r#"", "id": {id}}}"#).unwrap();
        }
    });
    client_end.set_nonblocking(true).unwrap();
    let stream = tokio::net::UnixStream::from_std(client_end).unwrap();
    let (read, write) = stream.into_split();
    let client = Connector::new().io(read, write).await.unwrap();
    let client = client.negotiate(&[]).await.unwrap();
    let before = qmp_test_support::peak_rss();
    let result = tokio::time::timeout(GUARD, client.execute(QueryVersion::new()))
        .await
        .unwrap();
    let grown = qmp_test_support::peak_rss().saturating_sub(before);
    assert!(
        matches!(
            result,
            Err(Error::TooLarge {
                limit: DEFAULT_MAX_MESSAGE_SIZE
            })
        ),
        "{result:?}"
    );
    eprintln!("peak memory grew by {grown} bytes reading a {answer}-byte answer");
    assert!(
        grown < 2 * DEFAULT_MAX_MESSAGE_SIZE,
        "peak memory grew by {grown} bytes reading a {answer}-byte answer"
    );
    server.join().unwrap();
}
