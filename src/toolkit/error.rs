//! Typed errors of the toolkit. Like the core's, none of them leaves the log changed.

use thiserror::Error;

use crate::core::error::{DecodeError, Error};
use crate::core::id::EventId;

/// Anything a toolkit operation can fail with (the decider has its own [`DecideError`](super::DecideError),
/// generic over the domain's rejection type).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ToolkitError {
    /// The log refused the operation (invalid event, concurrency, storage, closed).
    #[error(transparent)]
    Log(#[from] Error),
    /// Stored bytes (a consumer's progress) that cannot be read.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The operation names an event the log does not hold.
    #[error("event {0} is not in the log")]
    UnknownEvent(EventId),
    /// `ack`/`fail` of an event the consumer did not hand out in its current batch.
    #[error("event {0} is not in the consumer's current batch")]
    NotInBatch(EventId),
    /// Stored progress was written for another type filter: reusing it would silently skip
    /// the events the old filter skipped. Use a new consumer name (or reset) instead.
    #[error("consumer {name:?} was stored with types {stored:?}, opened with {given:?}")]
    FilterChanged { name: String, stored: Vec<String>, given: Vec<String> },
    /// A decider returned a draft for another stream than the one it decides on.
    #[error("a decision on stream {stream:?} may only append to it, not to {other:?}")]
    DraftOutsideStream { stream: String, other: String },
    /// An event time that RFC 3339 cannot express (after year 9999).
    #[error("event {id} has time {time} ms, beyond what RFC 3339 expresses")]
    TimeOutOfRange { id: EventId, time: u64 },
    /// A line of a CloudEvents import that is not a valid everlog event (1-based line number).
    #[error("line {line}: {reason}")]
    Import { line: usize, reason: String },
}
