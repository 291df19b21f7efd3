//! Event subscriptions: typed streams of the server's events.
//!
//! Every [`Subscription`] gets its own copy of every event (or of those it
//! asked for by name) from the moment it was made, in the order the
//! server sent them.
//!
//! Its queue is **bounded**, so that a server cannot make the client hold
//! without limit what a subscription nobody reads would otherwise keep:
//! at most [`Connector::event_queue_limit`](crate::Connector::event_queue_limit)
//! bytes of events, counted as their size on the wire, plus one. The
//! reader never waits for a subscriber (that would stall every call's
//! answer), so what comes while a queue is full is dropped, counted, and
//! reported in its place as one [`Error::EventsDropped`] item: once the
//! queue is read empty, or before what came once there was room again.
//! Nothing is dropped without a trace.
//!
//! An event the schema does not know arrives as the event set's raw
//! variant. An item is an error only when a known event's data does not
//! decode, or when the server sent a line that no call could take (not
//! JSON, an unknown id, or an error answer without an id); the stream goes
//! on after such an item. It ends when the connection closes.

use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use qmp_types::{EventSet, Timestamp};
use tokio::sync::mpsc;

use crate::conn::Notice;
use crate::Error;

/// One item of a [`Subscription`]: an event with the time the server
/// emitted it, or a typed error after which the stream goes on.
pub type EventItem<E> = Result<(E, Timestamp), Error>;

/// A typed stream of events, generic over the event set `E` (usually
/// [`qmp_types::events::AnyEvent`]). Made by
/// [`Client::events`](crate::Client::events).
#[derive(Debug)]
pub struct Subscription<E> {
    queue: Queue,
    _set: PhantomData<fn() -> E>,
}

/// What a subscription's channel carries.
#[derive(Debug)]
enum Item {
    /// A notice, and what it counts against the queue's limit.
    Notice(Arc<Notice>, usize),
    /// This many notices were dropped here, the queue being full.
    Dropped(u64),
}

/// How many bytes a subscription's queue holds, and how many notices it
/// dropped and has not reported yet, seen from both ends. The count of
/// dropped notices is taken whole (`swap`) by whichever end reports it
/// first: the sender before the next notice it queues, the receiver when
/// it finds the queue empty; so the report comes once, and in its place.
#[derive(Debug)]
struct Budget {
    queued: AtomicUsize,
    dropped: AtomicU64,
    limit: usize,
}

impl Budget {
    fn take_dropped(&self) -> u64 {
        self.dropped.swap(0, Ordering::AcqRel)
    }
}

/// The receiving end of a subscription, before it is typed.
#[derive(Debug)]
pub(crate) struct Queue {
    rx: mpsc::UnboundedReceiver<Item>,
    budget: Arc<Budget>,
}

/// The sending end of a subscription, kept by the connection: it queues
/// what the subscriber asked for while there is room, and counts what it
/// drops.
pub(crate) struct Subscriber {
    filter: Option<Box<[String]>>,
    tx: mpsc::UnboundedSender<Item>,
    budget: Arc<Budget>,
}

/// A new subscription's two ends: for the events named in `filter` (all
/// when `None`) and every other notice, holding at most `limit` bytes
/// (plus one notice).
pub(crate) fn channel(filter: Option<Box<[String]>>, limit: usize) -> (Subscriber, Queue) {
    let (tx, rx) = mpsc::unbounded_channel();
    let budget = Arc::new(Budget {
        queued: AtomicUsize::new(0),
        dropped: AtomicU64::new(0),
        limit,
    });
    let subscriber = Subscriber {
        filter,
        tx,
        budget: budget.clone(),
    };
    (subscriber, Queue { rx, budget })
}

impl Subscriber {
    /// Offers `notice`, which counts `weight` bytes: queued if the
    /// subscriber wants it and there is room (an empty queue takes any
    /// one), else dropped and counted. False once the subscription is
    /// gone.
    pub(crate) fn offer(&mut self, notice: &Arc<Notice>, weight: usize) -> bool {
        let wanted = match (&**notice, &self.filter) {
            (Notice::Event(event), Some(names)) => names.contains(&event.name),
            _ => true,
        };
        if !wanted {
            return !self.tx.is_closed();
        }
        // Only the receiver lowers the count, so room seen here stays.
        let queued = self.budget.queued.load(Ordering::Acquire);
        if queued > 0 && queued.saturating_add(weight) > self.budget.limit {
            self.budget.dropped.fetch_add(1, Ordering::AcqRel);
            return !self.tx.is_closed();
        }
        let dropped = self.budget.take_dropped();
        if dropped > 0 && self.tx.send(Item::Dropped(dropped)).is_err() {
            return false;
        }
        self.budget.queued.fetch_add(weight, Ordering::AcqRel);
        self.tx.send(Item::Notice(notice.clone(), weight)).is_ok()
    }
}

impl<E: EventSet> Subscription<E> {
    pub(crate) fn new(queue: Queue) -> Self {
        Subscription {
            queue,
            _set: PhantomData,
        }
    }

    /// The next item; `None` once the connection has closed and every
    /// event received before has been taken.
    pub async fn next(&mut self) -> Option<EventItem<E>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    /// The next item if one is already queued, without waiting.
    pub fn try_next(&mut self) -> Option<EventItem<E>> {
        match self.queue.rx.try_recv() {
            Ok(item) => Some(self.take(item)),
            Err(_) => self.dropped(),
        }
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<EventItem<E>>> {
        match self.queue.rx.poll_recv(cx) {
            Poll::Ready(Some(item)) => Poll::Ready(Some(self.take(item))),
            // Read empty, or ended: what was dropped since the last item
            // is reported now. (Nothing is dropped while the queue is
            // empty, so no wakeup is missed.)
            Poll::Ready(None) => Poll::Ready(self.dropped()),
            Poll::Pending => match self.dropped() {
                Some(report) => Poll::Ready(Some(report)),
                None => Poll::Pending,
            },
        }
    }

    /// The report of what was dropped and not yet reported, if anything.
    fn dropped(&self) -> Option<EventItem<E>> {
        match self.queue.budget.take_dropped() {
            0 => None,
            count => Some(Err(Error::EventsDropped {
                count,
                limit: self.queue.budget.limit,
            })),
        }
    }

    /// An item taken off the queue, its room given back.
    fn take(&self, item: Item) -> EventItem<E> {
        match item {
            Item::Notice(notice, weight) => {
                self.queue.budget.queued.fetch_sub(weight, Ordering::AcqRel);
                decode(&notice)
            }
            Item::Dropped(count) => Err(Error::EventsDropped {
                count,
                limit: self.queue.budget.limit,
            }),
        }
    }
}

fn decode<E: EventSet>(notice: &Notice) -> EventItem<E> {
    match notice {
        Notice::Event(event) => E::decode(&event.name, event.data.clone())
            .map(|decoded| (decoded, event.timestamp))
            .map_err(|error| {
                let bytes = serde_json::to_vec(&event.data).unwrap_or_default();
                Error::malformed(format!("event {}: {error}", event.name), &bytes)
            }),
        other => Err(other
            .to_error()
            .expect("every notice but an event is an error")),
    }
}

impl<E: EventSet> Stream for Subscription<E> {
    type Item = EventItem<E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}
