//! One connection: the greeting, then lines in and answers and events out
//! (for the guest agent's protocol: no greeting, no events).
//!
//! Three parts, so that nothing a peer does makes the server hold more
//! than its limits:
//!
//! - the **reader** (this task) reads a message at a time ([`crate::frame`]:
//!   one JSON value, newline or not), at most `max_message_size` bytes of
//!   it, parses it and runs it. Before out-of-band
//!   execution is negotiated it runs each command to its end before it
//!   reads the next line, as QEMU does;
//! - after `oob` is negotiated, in-band commands go to a **worker** task,
//!   through a queue of [`IN_BAND_QUEUE`] (QEMU's length), which runs them
//!   in order while the reader goes on with `exec-oob` requests; a full
//!   queue stops the reader, as it suspends QEMU's;
//! - the **writer** task writes answers and, once the connection is in
//!   operational mode, events. Events wait in the server's one event
//!   buffer; a connection that falls a whole buffer behind is closed (see
//!   [`crate::ServerBuilder::event_buffer`]).

use std::sync::Arc;

use qmp_types::agent::SENTINEL;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{broadcast, mpsc, watch};
use tracing::debug;

use crate::dispatch::{self, Action, Negotiated};
use crate::fds::{Armed, Received};
use crate::frame::{read_message, Message};
use crate::request::{self, Refusal, Request};
use crate::router::Reply;
use crate::server::Shared;

/// How many in-band requests wait at most while out-of-band ones run:
/// QEMU's `QMP_REQ_QUEUE_LEN_MAX`.
pub(crate) const IN_BAND_QUEUE: usize = 8;

/// Answers waiting for the writer.
const OUT_QUEUE: usize = 16;

/// What the writer writes.
enum Out {
    /// A whole line, newline included.
    Line(Vec<u8>),
    /// The connection is now operational: events from here on.
    Events(broadcast::Receiver<Arc<[u8]>>),
    /// An event a handler asked for after its answer (the test double).
    Event(Arc<[u8]>),
    /// Close the connection, without another word.
    Close,
}

/// A job for the in-band worker.
enum Job {
    Run(Request),
    Refuse(Refusal),
}

/// Serves one connection until the peer leaves, the connection breaks or
/// the server shuts down.
pub(crate) async fn serve<S, R, W>(
    shared: Arc<Shared<S>>,
    reader: R,
    writer: W,
    received: Received,
    armed: Armed,
    mut shutdown: watch::Receiver<bool>,
) where
    S: Clone + Send + Sync + 'static,
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out, out_rx) = mpsc::channel(OUT_QUEUE);
    let writer = tokio::spawn(write_loop(writer, out_rx, shared.greeting.clone()));
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut message = Vec::with_capacity(4096);
    // The guest agent has no negotiation: every command from the start.
    let mut mode = Negotiated {
        operational: shared.agent,
        oob: false,
    };
    let mut worker: Option<mpsc::Sender<Job>> = None;
    loop {
        let read = tokio::select! {
            read = read_message(&mut reader, &mut message, shared.max_message_size) => read,
            _ = shutdown.wait_for(|stop| *stop) => break,
            () = out.closed() => break,
        };
        let parsed = match read {
            Ok(Message::End) | Err(_) => break,
            Ok(Message::TooLong) => Err(Refusal::generic(
                format!(
                    "QMP input exceeds the limit of {} bytes",
                    shared.max_message_size
                ),
                None,
            )),
            Ok(Message::Whole { deepest }) => request::parse(&message, deepest, mode.oob),
        };
        // With out-of-band execution, everything in band keeps its order
        // through the worker's queue; only `exec-oob` overtakes.
        if let Some(worker) = &worker {
            let job = match parsed {
                Ok(request) if request.oob => {
                    let ran = run(&shared, mode, request, &received).await;
                    if send_all(&out, ran.out).await.is_err() {
                        break;
                    }
                    continue;
                }
                Ok(request) => Job::Run(request),
                Err(refusal) => Job::Refuse(refusal),
            };
            if worker.send(job).await.is_err() {
                break;
            }
            continue;
        }
        let Ran {
            out: answer,
            switched,
        } = match parsed {
            Ok(request) => run(&shared, mode, request, &received).await,
            Err(refusal) => Ran {
                out: vec![Out::Line(error_line(&refusal))],
                switched: None,
            },
        };
        // Subscribed before the answer goes out: a client that has read
        // the answer sees every event emitted after it.
        let events = switched.map(|_| shared.events.subscribe());
        if send_all(&out, answer).await.is_err() {
            break;
        }
        if let (Some(negotiated), Some(events)) = (switched, events) {
            mode = negotiated;
            debug!(oob = mode.oob, "connection negotiated");
            if out.send(Out::Events(events)).await.is_err() {
                break;
            }
            if mode.oob {
                let (jobs, queue) = mpsc::channel(IN_BAND_QUEUE);
                tokio::spawn(in_band(
                    Arc::clone(&shared),
                    mode,
                    queue,
                    out.clone(),
                    received.clone(),
                ));
                worker = Some(jobs);
            }
        }
        if worker.is_none() {
            // The peer reads the answer and, likely, sends the next
            // request: the reader may busy-poll for it
            // (`ServerBuilder::busy_poll`).
            armed.arm();
        }
    }
    // The worker ends when its queue closes, after what is queued; the
    // writer when every sender is gone, after what is written.
    drop(worker);
    drop(out);
    let _ = writer.await;
}

/// Runs the in-band requests of a connection with out-of-band execution,
/// in order.
async fn in_band<S: Clone + Send + Sync + 'static>(
    shared: Arc<Shared<S>>,
    mode: Negotiated,
    mut jobs: mpsc::Receiver<Job>,
    out: mpsc::Sender<Out>,
    received: Received,
) {
    while let Some(job) = jobs.recv().await {
        let answer = match job {
            Job::Run(request) => run(&shared, mode, request, &received).await.out,
            Job::Refuse(refusal) => vec![Out::Line(error_line(&refusal))],
        };
        if send_all(&out, answer).await.is_err() {
            break;
        }
    }
}

/// Queues `items` for the writer; fails when the writer is gone.
async fn send_all(out: &mpsc::Sender<Out>, items: Vec<Out>) -> Result<(), ()> {
    for item in items {
        out.send(item).await.map_err(drop)?;
    }
    Ok(())
}

/// What running a request gave: what to write, and the new mode if it
/// negotiated.
struct Ran {
    out: Vec<Out>,
    switched: Option<Negotiated>,
}

/// Runs one request.
async fn run<S: Clone + Send + Sync + 'static>(
    shared: &Shared<S>,
    mode: Negotiated,
    request: Request,
    received: &Received,
) -> Ran {
    let id = request.id.clone();
    let ran = |line: Vec<u8>, switched| Ran {
        out: vec![Out::Line(line)],
        switched,
    };
    let (answering, switched) = match dispatch::prepare(shared, mode, request, || received.take()) {
        Ok(Action::Return(value)) => return ran(return_line(&value, id.as_ref()), None),
        Ok(Action::Delimited(value)) => {
            let mut line = vec![SENTINEL];
            line.extend(return_line(&value, id.as_ref()));
            return ran(line, None);
        }
        Ok(Action::Negotiate(negotiated)) => {
            return ran(return_line("{}", id.as_ref()), Some(negotiated))
        }
        Ok(Action::Run(answering, switched)) => (answering, switched),
        Err(refusal) => return ran(error_line(&refusal), None),
    };
    match answering.await {
        Reply::Return(value, events) => {
            let mut out = vec![Out::Line(return_line(&value, id.as_ref()))];
            out.extend(events.into_iter().map(Out::Event));
            Ran { out, switched }
        }
        Reply::Error(error) => ran(
            error_line(&Refusal {
                class: error.class,
                desc: error.desc,
                id,
            }),
            None,
        ),
        Reply::Close => Ran {
            out: vec![Out::Close],
            switched: None,
        },
        Reply::Silent => Ran {
            out: Vec::new(),
            switched: None,
        },
    }
}

/// `{"return": VALUE, "id": ID}` and a newline.
fn return_line(value: &str, id: Option<&serde_json::Value>) -> Vec<u8> {
    let mut line = Vec::with_capacity(value.len() + 32);
    line.extend_from_slice(b"{\"return\": ");
    line.extend_from_slice(value.as_bytes());
    if let Some(id) = id {
        line.extend_from_slice(b", \"id\": ");
        // Serializing a `Value` into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut line, id);
    }
    line.extend_from_slice(b"}\n");
    line
}

/// `{"id": ID, "error": {"class": ..., "desc": ...}}` and a newline.
fn error_line(refusal: &Refusal) -> Vec<u8> {
    let mut line = Vec::with_capacity(refusal.desc.len() + 64);
    line.push(b'{');
    if let Some(id) = &refusal.id {
        line.extend_from_slice(b"\"id\": ");
        let _ = serde_json::to_writer(&mut line, id);
        line.extend_from_slice(b", ");
    }
    line.extend_from_slice(b"\"error\": {\"class\": ");
    let _ = serde_json::to_writer(&mut line, refusal.class.as_str());
    line.extend_from_slice(b", \"desc\": ");
    let _ = serde_json::to_writer(&mut line, &refusal.desc);
    line.extend_from_slice(b"}}\n");
    line
}

/// Writes the greeting, then answers and events until every sender is
/// gone, the peer stops reading or the connection falls a whole event
/// buffer behind.
async fn write_loop<W: AsyncWrite + Unpin>(
    writer: W,
    mut lines: mpsc::Receiver<Out>,
    greeting: Arc<[u8]>,
) {
    let mut writer = tokio::io::BufWriter::with_capacity(64 * 1024, writer);
    let mut events: Option<broadcast::Receiver<Arc<[u8]>>> = None;
    // The guest agent's protocol has no greeting.
    if !greeting.is_empty()
        && (writer.write_all(&greeting).await.is_err() || writer.flush().await.is_err())
    {
        return;
    }
    loop {
        let written = tokio::select! {
            biased;
            out = lines.recv() => match out {
                Some(Out::Line(line)) => writer.write_all(&line).await,
                Some(Out::Events(receiver)) => {
                    events = Some(receiver);
                    Ok(())
                }
                Some(Out::Event(event)) => writer.write_all(&event).await,
                Some(Out::Close) | None => break,
            },
            event = next_event(&mut events) => match event {
                Ok(event) => writer.write_all(&event).await,
                Err(broadcast::error::RecvError::Lagged(lost)) => {
                    debug!(lost, "closing a connection that fell behind on events");
                    break;
                }
                // The server is gone.
                Err(broadcast::error::RecvError::Closed) => {
                    events = None;
                    Ok(())
                }
            },
        };
        if written.is_err() {
            return;
        }
        let idle = lines.is_empty() && events.as_ref().is_none_or(|e| e.is_empty());
        if idle && writer.flush().await.is_err() {
            return;
        }
    }
    let _ = writer.flush().await;
    let _ = writer.shutdown().await;
}

/// The next event, or never when the connection has none yet.
async fn next_event(
    events: &mut Option<broadcast::Receiver<Arc<[u8]>>>,
) -> Result<Arc<[u8]>, broadcast::error::RecvError> {
    match events {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}
