//! The one error type of the client.

use std::time::Duration;

use qmp_types::types::QMPCapability;
use qmp_types::wire::{ErrorClass, RequestError};

/// How many bytes of a malformed message an [`Error::Malformed`] keeps.
pub const MALFORMED_EXCERPT: usize = 512;

/// Everything that can go wrong talking to a QMP server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Connecting, reading or writing failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The server sent something that is not the message QMP promises: not
    /// JSON, not a known envelope, or an answer that does not decode into
    /// the command's return type. The connection stays usable.
    #[error("malformed message ({reason}): {}{}", String::from_utf8_lossy(.bytes), if *.truncated { "..." } else { "" })]
    Malformed {
        /// What is wrong with it (the decoder's message).
        reason: String,
        /// The offending bytes, at most [`MALFORMED_EXCERPT`] of them.
        bytes: Vec<u8>,
        /// Whether `bytes` was cut short.
        truncated: bool,
    },
    /// The server answered with an error.
    #[error("server error {class}: {desc}")]
    Server {
        /// The error's class, as QEMU sends it.
        class: ErrorClass,
        /// The server's description.
        desc: String,
    },
    /// The connection closed (or the client's tasks stopped) before the
    /// answer came; every call pending at that moment gets this error.
    #[error("disconnected from the QMP server")]
    Disconnected,
    /// No answer within the call's timeout. The connection stays in step:
    /// a late answer is discarded by its id.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Negotiation asked for a capability the server's greeting did not
    /// offer; nothing was sent.
    #[error("capability `{capability}` not offered by the server (it offers: {offered:?})")]
    CapabilityNotOffered {
        /// The capability asked for.
        capability: QMPCapability,
        /// The capabilities the greeting offered.
        offered: Vec<QMPCapability>,
    },
    /// The request could not be sent: its arguments could not be
    /// serialized, or it breaks a limit of QEMU's parser (which would
    /// answer it with an error that names no request). Nothing was sent.
    #[error("{0}")]
    Request(#[from] RequestError),
    /// The server's message was larger than the client's limit
    /// ([`Connector::max_message_size`](crate::Connector::max_message_size)).
    /// It was skipped without being held whole; the connection stays
    /// usable. The call it answered gets this error; an event that large
    /// is reported to the event subscribers.
    #[error("message from the server larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// An event subscription was not read while its queue was full
    /// ([`Connector::event_queue_limit`](crate::Connector::event_queue_limit)):
    /// `count` items that came meanwhile (events, or reports of messages
    /// that could not be routed) were dropped here. The subscription goes
    /// on with what came once there was room; other subscriptions, calls
    /// and the connection are not affected.
    #[error(
        "{count} events dropped: the subscription was not read while it held \
         its limit of {limit} bytes"
    )]
    EventsDropped {
        /// How many items were dropped.
        count: u64,
        /// The subscription's limit, in bytes.
        limit: usize,
    },
    /// The guest agent did not answer the opening `guest-sync-delimited`
    /// in time: no agent runs in the guest, or another client holds the
    /// agent (it serves one at a time).
    #[error(
        "the guest agent did not answer guest-sync-delimited within {0:?} \
         (is an agent running, and no other client connected?)"
    )]
    NotSynced(Duration),
}

impl Error {
    /// A [`Error::Malformed`] for `bytes`, keeping at most
    /// [`MALFORMED_EXCERPT`] of them.
    pub fn malformed(reason: impl std::fmt::Display, bytes: &[u8]) -> Error {
        let truncated = bytes.len() > MALFORMED_EXCERPT;
        let bytes = bytes[..bytes.len().min(MALFORMED_EXCERPT)].to_vec();
        Error::Malformed {
            reason: reason.to_string(),
            bytes,
            truncated,
        }
    }

    /// The server's error class, when this is [`Error::Server`].
    pub fn class(&self) -> Option<&ErrorClass> {
        match self {
            Error::Server { class, .. } => Some(class),
            _ => None,
        }
    }
}
