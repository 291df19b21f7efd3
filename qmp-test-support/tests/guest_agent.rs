//! The guest agent launcher against the live agents of both releases,
//! qemu-ga 10.0 and Debian 12's 7.2: a plain `UnixStream`, lines of JSON,
//! no client. What the agent says here is what its bindings and client
//! will be held to: no greeting, `guest-sync` and `guest-sync-delimited`
//! (its answer after a 0xFF byte), `guest-info`, and the error of a
//! command disabled with `--block-rpcs`.
//!
//! Each test prints what it saw (`-- --nocapture`). Without an agent a
//! test says SKIPPED, unless `QMP_REQUIRE_QEMU=1` or CI, where it fails.

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use qmp_test_support::{GuestAgent, Release, HANG_GUARD};
use serde_json::{json, Value};

/// One connection to an agent, a line at a time.
struct Peer {
    release: Release,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Peer {
    fn connect(agent: &mut GuestAgent, release: Release) -> Peer {
        let stream = agent
            .connect()
            .unwrap_or_else(|e| panic!("{release}: connect: {e}"));
        stream.set_read_timeout(Some(HANG_GUARD)).unwrap();
        Peer {
            release,
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    fn send(&mut self, line: &str) {
        writeln!(self.writer, "{line}")
            .unwrap_or_else(|e| panic!("{}: send {line}: {e}", self.release));
    }

    /// The next line, its newline included, as bytes.
    fn read_raw(&mut self) -> Vec<u8> {
        let mut line = Vec::new();
        let n = self
            .reader
            .read_until(b'\n', &mut line)
            .unwrap_or_else(|e| panic!("{}: read: {e}", self.release));
        assert!(n > 0, "{}: the agent closed the connection", self.release);
        line
    }

    /// Sends `line` and reads the answer, one line of JSON.
    fn ask(&mut self, line: &str) -> Value {
        self.send(line);
        let answer = self.read_raw();
        self.parse(line, &answer)
    }

    fn parse(&self, line: &str, answer: &[u8]) -> Value {
        serde_json::from_slice(answer).unwrap_or_else(|e| {
            panic!(
                "{}: {line} -> not JSON ({e}): {}",
                self.release,
                String::from_utf8_lossy(answer)
            )
        })
    }

    /// Asserts that the agent sends nothing for `wait`.
    fn expect_silence(&mut self, wait: Duration) {
        let stream = self.reader.get_ref();
        stream.set_read_timeout(Some(wait)).unwrap();
        let got = self.reader.fill_buf().map(<[u8]>::to_vec);
        self.reader
            .get_ref()
            .set_read_timeout(Some(HANG_GUARD))
            .unwrap();
        match got {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("{}: read: {e}", self.release),
            Ok(bytes) => panic!(
                "{}: the agent sent {:?} unasked",
                self.release,
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
}

/// `"10.0."` for QEMU 10.0.
fn version_prefix(release: Release) -> String {
    let (major, minor) = release.version();
    format!("{major}.{minor}.")
}

/// `guest-info`'s answer: the version, and each command with whether it
/// is enabled.
fn info(peer: &mut Peer) -> (String, Vec<(String, bool)>) {
    let answer = peer.ask(r#"{"execute":"guest-info"}"#);
    let info = &answer["return"];
    let version = info["version"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: guest-info: {answer}", peer.release))
        .to_string();
    let commands = info["supported_commands"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: guest-info: {answer}", peer.release))
        .iter()
        .map(|c| {
            let name = c["name"].as_str().expect("a command's name").to_string();
            (name, c["enabled"].as_bool().expect("a command's enabled"))
        })
        .collect();
    (version, commands)
}

#[test]
fn no_greeting_then_sync_and_info() {
    for (release, mut agent) in GuestAgent::every_release(&[]) {
        let mut peer = Peer::connect(&mut agent, release);
        peer.expect_silence(Duration::from_millis(300));

        let answer = peer.ask(r#"{"execute":"guest-sync","arguments":{"id":12345}}"#);
        assert_eq!(answer, json!({"return": 12345}), "{release}: guest-sync");

        let (version, commands) = info(&mut peer);
        assert!(
            version.starts_with(&version_prefix(release)),
            "{release}: guest-info says version {version}"
        );
        assert!(!commands.is_empty(), "{release}: no supported_commands");
        let enabled: Vec<&str> = commands
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| name.as_str())
            .collect();
        let disabled: Vec<&str> = commands
            .iter()
            .filter(|(_, on)| !*on)
            .map(|(name, _)| name.as_str())
            .collect();
        assert!(enabled.contains(&"guest-sync"), "{release}: {enabled:?}");
        eprintln!(
            "{release}: qemu-ga {version}, no greeting; guest-info lists {} commands, \
             {} enabled, disabled: {disabled:?}\n  enabled: {}",
            commands.len(),
            enabled.len(),
            enabled.join(" ")
        );
        assert!(
            agent.log().is_empty(),
            "{release}: the agent logged {:?}",
            agent.log()
        );
    }
}

#[test]
fn sync_delimited_answers_after_a_sentinel_byte() {
    for (release, mut agent) in GuestAgent::every_release(&[]) {
        let mut peer = Peer::connect(&mut agent, release);
        peer.send(r#"{"execute":"guest-sync-delimited","arguments":{"id":12345}}"#);
        let raw = peer.read_raw();
        eprintln!("{release}: guest-sync-delimited -> {}", raw.escape_ascii());
        assert_eq!(raw, b"\xff{\"return\": 12345}\n", "{release}");
    }
}

#[test]
fn a_blocked_command_gets_the_agents_error() {
    let blocked = GuestAgent::block_args(&["guest-get-time"]);
    for (release, mut agent) in GuestAgent::every_release(&blocked) {
        let mut peer = Peer::connect(&mut agent, release);
        let (_, commands) = info(&mut peer);
        assert!(
            commands.contains(&("guest-get-time".to_string(), false)),
            "{release}: guest-get-time not listed as disabled: {commands:?}"
        );
        let request = r#"{"execute":"guest-get-time"}"#;
        peer.send(request);
        let raw = peer.read_raw();
        eprintln!(
            "{release}: guest-get-time blocked -> {}",
            String::from_utf8_lossy(&raw).trim_end()
        );
        let answer = peer.parse(request, &raw);
        let desc = match release {
            Release::Current => {
                "Command guest-get-time has been disabled: the command is not allowed"
            }
            Release::Debian12 => "Command guest-get-time has been disabled",
        };
        assert_eq!(
            answer,
            json!({"error": {"class": "CommandNotFound", "desc": desc}}),
            "{release}"
        );
        // The agent goes on.
        let answer = peer.ask(r#"{"execute":"guest-ping"}"#);
        assert_eq!(answer, json!({"return": {}}), "{release}: guest-ping");
    }
}
