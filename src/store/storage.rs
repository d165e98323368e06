//! The [`Storage`] trait: what the log needs from a durable medium, and nothing more.
//!
//! A backend stores three things, all as opaque bytes:
//! - **batches**: encoded event batches ([`encode_events`](crate::core::codec::encode_events)),
//!   in append order. They are never updated or removed (the log is append-only);
//! - **snapshots**: named blobs (projection states, a compacted log…), the last write of a
//!   name wins;
//! - **meta**: small named values (the actor id, settings), the last write of a key wins.
//!
//! The trait is async because IndexedDB is. Native backends return immediately-ready
//! futures; drive them with any executor (the tests use [`block_on`](super::block_on)).
//! Futures are not required to be `Send`: a wasm backend holds JS handles.
//!
//! # Contract every backend keeps
//!
//! 1. **Atomic batches.** [`append`](Storage::append) stores the whole batch or nothing.
//!    No later [`load`](Storage::load), on this handle or after any crash and reopen,
//!    returns a prefix or a mangled copy of a batch.
//! 2. **Durable on return.** When `append`, `put_snapshot` or `put_meta` returns `Ok`, the
//!    write survives a crash of the process, and (for backends with a
//!    [`Durability::Strict`] setting, the default) of the machine. A backend with
//!    `Durability::Relaxed` may lose the latest acknowledged writes on power loss, but only
//!    a suffix of them: what survives is always a prefix of the writes, in order.
//! 3. **Errors change nothing.** When a write returns `Err`, nothing of it is stored and
//!    the handle stays usable (unless the error is `InvalidStateError`: the handle is closed
//!    or dead after a crash, and every later call fails the same way until the store is
//!    opened again).
//! 4. **Order.** `load` returns batches in the order their `append` calls returned `Ok`,
//!    one entry per snapshot name (its last value), sorted by name, and the last value of
//!    every meta key.
//! 5. **Close.** After [`close`](Storage::close) every call fails with
//!    `InvalidStateError`; closing twice is fine. Dropping a handle without closing it is
//!    allowed and loses nothing acknowledged.
//!
//! Errors are [`StorageError`]s whose `name` is a DOMException name (see [`names`]), so
//! the JavaScript layer can raise them as they are.

use std::collections::BTreeMap;

use crate::core::error::StorageError;

/// What a backend holds, as loaded on open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Every stored batch, in append order.
    pub batches: Vec<Vec<u8>>,
    /// The last value of every snapshot name, sorted by name.
    pub snapshots: Vec<(String, Vec<u8>)>,
    /// The last value of every meta key.
    pub meta: BTreeMap<String, Vec<u8>>,
}

/// A durable home for a log. See the [module docs](crate::store::storage) for the contract.
#[allow(async_fn_in_trait)]
pub trait Storage {
    /// Everything stored, batches in the order they were appended.
    async fn load(&mut self) -> Result<Loaded, StorageError>;
    /// Persists one encoded batch atomically (all or nothing). Returns only once durable.
    async fn append(&mut self, batch: &[u8]) -> Result<(), StorageError>;
    /// Stores `bytes` under `name`, replacing any earlier snapshot of that name atomically.
    async fn put_snapshot(&mut self, name: &str, bytes: &[u8]) -> Result<(), StorageError>;
    /// Stores `value` under `key`, replacing any earlier value atomically.
    async fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<(), StorageError>;
    /// Flushes and releases the store; every later call fails with `InvalidStateError`.
    async fn close(&mut self) -> Result<(), StorageError>;
}

/// How hard a native backend works to make a write survive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Durability {
    /// A write is on stable storage (fsync) before the call returns: survives power loss.
    #[default]
    Strict,
    /// A write is handed to the operating system before the call returns: survives a crash
    /// of the process, and on power loss only the latest writes (a suffix) may be lost.
    Relaxed,
}

/// Backends that can simulate a crash in the middle of an append, for crash tests and
/// the convergence fuzzer (through [`FaultyStorage`](super::FaultyStorage)).
pub trait SimulateCrash: Storage {
    /// Writes at most the first `keep` bytes of what persisting `batch` would write (its
    /// on-disk record), then dies as a crashed process would: no cleanup, and every later
    /// call on this handle fails with `InvalidStateError`. Reopening the store must show
    /// the state before this append (contract 1). A backend with atomic transactions
    /// (memory, IndexedDB) writes nothing.
    fn crash_during_append(&mut self, batch: &[u8], keep: usize);
}

/// DOMException names used in [`StorageError::name`].
pub mod names {
    /// The medium is full or the byte budget is spent.
    pub const QUOTA_EXCEEDED: &str = "QuotaExceededError";
    /// The handle is closed, or dead after a crash.
    pub const INVALID_STATE: &str = "InvalidStateError";
    /// The stored data was written by a newer format version.
    pub const VERSION: &str = "VersionError";
    /// The stored data is damaged (not a torn tail: something acknowledged is unreadable).
    pub const DATA: &str = "DataError";
    /// A write failed and was rolled back; retrying may work.
    pub const ABORT: &str = "AbortError";
    /// An I/O error the operating system reported (message has the details).
    pub const UNKNOWN: &str = "UnknownError";
    /// The store is held by another process.
    pub const NO_MODIFICATION: &str = "NoModificationAllowedError";
}

/// The error every call on a closed handle returns.
pub(crate) fn closed_error() -> StorageError {
    StorageError::new(names::INVALID_STATE, "the storage is closed")
}
