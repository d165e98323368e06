//! Typed errors. Every failure the core reports is one of these; none of them leaves the
//! log changed (operations validate first and apply second).

use thiserror::Error;

use super::id::EventId;
use super::log::ExpectedVersion;

/// Anything an operation on the log can fail with.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    /// Optimistic concurrency: the stream is not at the version the caller expected.
    #[error("stream {stream:?} is at version {current}, expected {expected}")]
    Concurrency { stream: String, expected: ExpectedVersion, current: u64 },
    /// An event (local draft or remote) breaks the rules.
    #[error(transparent)]
    Invalid(#[from] InvalidEvent),
    /// Bytes that are not a valid message or stored record.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The storage backend failed; nothing was applied.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The log was closed.
    #[error("the log is closed")]
    Closed,
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidEvent {
    #[error("not an actor id (32 hex digits): {0:?}")]
    BadActor(String),
    #[error("not an event id (\"<seq>@<actor>\"): {0:?}")]
    BadEventId(String),
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is {size} bytes, the limit is {limit}")]
    TooLarge { field: &'static str, size: usize, limit: usize },
    #[error("data is not valid JSON: {0}")]
    BadJson(String),
    #[error("event {0:?} has seq 0 (seqs start at 1)")]
    ZeroSeq(EventId),
    #[error("event {id:?} depends on {dep:?}, which is not earlier in causal order")]
    BadDependency { id: EventId, dep: EventId },
    #[error("event {0:?} arrived twice with different content")]
    Equivocation(EventId),
    #[error("event {id:?} has lamport {lamport}, it must exceed {min_exclusive} (its causal past)")]
    BadLamport { id: EventId, lamport: u64, min_exclusive: u64 },
    #[error("event {id:?} has time {time}, earlier than {min} in its causal past")]
    BadTime { id: EventId, time: u64, min: u64 },
    #[error("the pending set is full ({limit} events wait for missing dependencies); {0:?} was not kept", limit = .1)]
    PendingFull(EventId, usize),
    #[error("a batch must hold at least one event")]
    EmptyBatch,
}

/// Malformed bytes: a sync message or a stored record that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("not an everlog message (bad magic)")]
    BadMagic,
    #[error("format version {0} is not supported by this build (it reads up to {1})")]
    UnsupportedVersion(u8, u8),
    #[error("message ends early (truncated at byte {0})")]
    Truncated(usize),
    #[error("malformed {what} at byte {at}")]
    Malformed { what: &'static str, at: usize },
    #[error("checksum mismatch in {0}")]
    Checksum(&'static str),
    #[error("decompression failed: {0}")]
    Decompress(String),
    #[error("a value exceeds a limit: {0}")]
    Limit(&'static str),
}

/// A storage backend failure. `name` follows DOMException names where one applies
/// (`QuotaExceededError`, `InvalidStateError`, `VersionError`, `AbortError`, …).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("storage failed ({name}): {message}")]
pub struct StorageError {
    pub name: String,
    pub message: String,
}

impl StorageError {
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        StorageError { name: name.into(), message: message.into() }
    }
}

impl Error {
    /// A stable machine-readable code, the same one the JavaScript errors carry.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Concurrency { .. } => "CONCURRENCY",
            Error::Invalid(_) => "INVALID_EVENT",
            Error::Decode(_) => "DECODE",
            Error::Storage(_) => "STORAGE",
            Error::Closed => "CLOSED",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
