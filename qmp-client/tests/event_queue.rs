//! An event subscription holds at most its limit of events, however many
//! the server sends while nobody reads it; what it drops is reported in
//! its place, in order, and calls go on meanwhile. The server is a real
//! socket peer here: no QEMU can be made to send events this fast. A test
//! binary of its own, so that only its own tests move the process's peak
//! memory, which one of them measures.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::thread::JoinHandle;
use std::time::Duration;

use qmp_client::commands::QueryVersion;
use qmp_client::events::AnyEvent;
use qmp_client::{Client, Connector, Error, EventItem, Operational, DEFAULT_EVENT_QUEUE_LIMIT};
use serde_json::Value;

const GREETING: &str = r#"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": ""}, "capabilities": []}}"#;
const VERSION: &str = r#"{"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": ""}"#;
const GUARD: Duration = Duration::from_secs(120);

/// What the peer does before answering each `query-version`: send this
/// many events of this many bytes of padding, numbered on from the last.
#[derive(Clone, Copy)]
struct Burst {
    events: usize,
    padding: usize,
}

/// A server that greets, negotiates, and answers each `query-version`
/// after its burst of `SEQ` events (`{"seq": N, "pad": "xx..."}`); it
/// closes the connection after the last.
fn serve(bursts: Vec<Burst>) -> (UnixStream, JoinHandle<()>) {
    let (client_end, server_end) = UnixStream::pair().unwrap();
    let server = std::thread::spawn(move || {
        let mut write = server_end.try_clone().unwrap();
        let mut lines = BufReader::new(server_end).lines();
        writeln!(write, "{GREETING}").unwrap();
        let mut seq = 0;
        let mut bursts = bursts.into_iter();
        while let Some(Ok(request)) = lines.next() {
            let request: Value = serde_json::from_str(&request).unwrap();
            let id = &request["id"];
            if request["execute"] == "query-version" {
                let Some(burst) = bursts.next() else { break };
                let pad = "x".repeat(burst.padding);
                let mut out = std::io::BufWriter::new(&mut write);
                for _ in 0..burst.events {
                    writeln!(
                        out,
                        r#"{{"event": "SEQ", "data": {{"seq": {seq}, "pad": "{pad}"}}, "timestamp": {{"seconds": 1, "microseconds": 2}}}}"#
                    )
                    .unwrap();
                    seq += 1;
                }
                writeln!(out, r#"{{"return": {VERSION}, "id": {id}}}"#).unwrap();
                out.flush().unwrap();
                if bursts.len() == 0 {
                    break;
                }
            } else {
                writeln!(write, r#"{{"return": {{}}, "id": {id}}}"#).unwrap();
            }
        }
    });
    (client_end, server)
}

async fn connect(stream: UnixStream, connector: Connector) -> Client<Operational> {
    stream.set_nonblocking(true).unwrap();
    let stream = tokio::net::UnixStream::from_std(stream).unwrap();
    let (read, write) = stream.into_split();
    let client = connector.io(read, write).await.unwrap();
    client.negotiate(&[]).await.unwrap()
}

async fn query_version(client: &Client<Operational>) {
    tokio::time::timeout(GUARD, client.execute(QueryVersion::new()))
        .await
        .unwrap()
        .unwrap();
}

/// An event's sequence number, or why the item is not an event.
fn seq(item: EventItem<AnyEvent>) -> Result<u64, Error> {
    let (AnyEvent::Unknown(event), _) = item? else {
        panic!("only SEQ events are sent");
    };
    assert_eq!(event.name, "SEQ");
    Ok(event.data["seq"].as_u64().unwrap())
}

/// Every item queued now, without waiting.
fn queued(events: &mut qmp_client::Subscription<AnyEvent>) -> Vec<Result<u64, Error>> {
    std::iter::from_fn(|| events.try_next()).map(seq).collect()
}

/// The numbers of a run of events at the start of `items`, and the rest.
fn leading_events(items: Vec<Result<u64, Error>>) -> (Vec<u64>, Vec<Result<u64, Error>>) {
    let mut items = items.into_iter().peekable();
    let mut seqs = Vec::new();
    while let Some(Ok(seq)) = items.peek() {
        seqs.push(*seq);
        items.next();
    }
    (seqs, items.collect())
}

#[tokio::test]
async fn a_full_subscription_drops_what_comes_and_says_how_much_before_what_follows() {
    const LIMIT: usize = 64 << 10;
    let first = Burst {
        events: 1_000,
        padding: 1_000,
    };
    let second = Burst {
        events: 5,
        padding: 10,
    };
    let (stream, server) = serve(vec![first, second]);
    let client = connect(stream, Connector::new().event_queue_limit(LIMIT)).await;
    let mut unread = client.events();
    // A subscription that wants none of them keeps room for what it
    // wants: it is not charged for the others.
    let mut other = client.events_named(["OTHER"]);

    // The answer comes although the subscription is full: the reader
    // never waits for it.
    query_version(&client).await;
    let (kept, rest) = leading_events(queued(&mut unread));
    let expected: Vec<u64> = (0..kept.len() as u64).collect();
    assert_eq!(kept, expected, "the first events, in order");
    // Each line is a little over 1 KiB: the queue took what fits in its
    // limit, and not much less.
    assert!(
        kept.len() * first.padding <= LIMIT && kept.len() * (first.padding + 200) >= LIMIT / 2,
        "{} events kept with a limit of {LIMIT} bytes",
        kept.len()
    );

    // Read empty, the queue says what it dropped, in their place.
    let dropped = (first.events - kept.len()) as u64;
    assert!(
        matches!(rest[..], [Err(Error::EventsDropped { count, limit: LIMIT })] if count == dropped),
        "{rest:?}"
    );
    // And there is room again for what comes next.
    query_version(&client).await;
    let after: Vec<u64> = queued(&mut unread)
        .into_iter()
        .map(|item| item.unwrap())
        .collect();
    let total = (first.events + second.events) as u64;
    assert_eq!(after, (first.events as u64..total).collect::<Vec<_>>());
    assert!(queued(&mut other).is_empty());
    server.join().unwrap();
}

#[tokio::test]
async fn what_was_dropped_is_reported_when_the_connection_closes() {
    const LIMIT: usize = 4 << 10;
    let (stream, server) = serve(vec![Burst {
        events: 100,
        padding: 100,
    }]);
    let client = connect(stream, Connector::new().event_queue_limit(LIMIT)).await;
    let mut events = client.events();
    query_version(&client).await;
    server.join().unwrap();
    let mut items = Vec::new();
    while let Some(item) = tokio::time::timeout(GUARD, events.next()).await.unwrap() {
        items.push(seq(item));
    }
    let (kept, rest) = leading_events(items);
    assert!(!kept.is_empty() && kept.len() < 100, "{kept:?}");
    let dropped = 100 - kept.len() as u64;
    assert!(
        matches!(rest[..], [Err(Error::EventsDropped { count, limit: LIMIT })] if count == dropped),
        "{rest:?}"
    );
}

#[tokio::test]
async fn an_event_larger_than_the_limit_still_reaches_an_empty_queue() {
    let (stream, server) = serve(vec![Burst {
        events: 2,
        padding: 10_000,
    }]);
    let client = connect(stream, Connector::new().event_queue_limit(1_000)).await;
    let mut events = client.events();
    query_version(&client).await;
    let items = queued(&mut events);
    assert!(
        matches!(
            items[..],
            [Ok(0), Err(Error::EventsDropped { count: 1, .. })]
        ),
        "{items:?}"
    );
    server.join().unwrap();
}

#[tokio::test]
async fn a_flood_of_events_leaves_memory_bounded() {
    // 512 MiB of events, 128 times the default limit.
    let burst = Burst {
        events: 8 << 10,
        padding: 64 << 10,
    };
    let sent = burst.events * burst.padding;
    let (stream, server) = serve(vec![burst]);
    let client = connect(stream, Connector::new()).await;
    let mut events = client.events();
    let before = qmp_test_support::peak_rss();
    query_version(&client).await;
    let grown = qmp_test_support::peak_rss().saturating_sub(before);
    eprintln!("peak memory grew by {grown} bytes while {sent} bytes of events went unread");
    assert!(
        grown < 16 * DEFAULT_EVENT_QUEUE_LIMIT,
        "peak memory grew by {grown} bytes while {sent} bytes of events went unread"
    );
    server.join().unwrap();
    let mut items = Vec::new();
    while let Some(item) = tokio::time::timeout(GUARD, events.next()).await.unwrap() {
        items.push(seq(item));
    }
    let (kept, rest) = leading_events(items);
    assert!(kept.len() * burst.padding <= DEFAULT_EVENT_QUEUE_LIMIT + burst.padding);
    let dropped = (burst.events - kept.len()) as u64;
    assert!(
        matches!(rest[..], [Err(Error::EventsDropped { count, .. })] if count == dropped),
        "{rest:?}"
    );
}
