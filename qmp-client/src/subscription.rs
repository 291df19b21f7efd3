//! Event subscriptions: typed streams of the server's events.
//!
//! Every [`Subscription`] gets its own copy of every event (or of those it
//! asked for by name) from the moment it was made, in the order the
//! server sent them. Its queue is **unbounded, by choice**: QMP events are
//! few and small, and an event lost to a bounded queue is a bug that shows
//! only under load; a subscription that is never read grows without bound,
//! so drop the ones you no longer read.
//!
//! An event the schema does not know arrives as the event set's raw
//! variant. An item is an error only when a known event's data does not
//! decode, or when the server sent a line that no call could take (not
//! JSON, an unknown id, or an error answer without an id); the stream goes
//! on after such an item. It ends when the connection closes.

use std::marker::PhantomData;
use std::pin::Pin;
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
    rx: mpsc::UnboundedReceiver<Arc<Notice>>,
    _set: PhantomData<fn() -> E>,
}

impl<E: EventSet> Subscription<E> {
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<Arc<Notice>>) -> Self {
        Subscription {
            rx,
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
        self.rx.try_recv().ok().map(|notice| decode(&notice))
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<EventItem<E>>> {
        self.rx
            .poll_recv(cx)
            .map(|notice| notice.map(|notice| decode(&notice)))
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
