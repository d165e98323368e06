//! [`Replica`]: a [`Log`] joined to its [`Storage`].
//!
//! The log is pure and in memory; the replica makes it durable with one rule: **persist
//! first, apply second.** Every change goes through the log's two-phase API
//! ([`Log::prepare`] / [`Log::commit`], [`Log::prepare_receive`] /
//! [`Log::commit_receive`]): the batch is validated and built without touching the log,
//! encoded with the one event codec ([`encode_events_with`], see [`storage_encoding`]), appended to storage, and only
//! once storage has acknowledged it is it applied. A storage error therefore leaves the
//! log exactly as it was and usable; a crash loses at most the batch in flight, which no
//! caller was told about.
//!
//! On open the stored batches are decoded and replayed with [`Log::restore`]. Batches were
//! persisted in causal order (local batches extend the log; received batches are the
//! `ready` events of a causal delivery plan), so replay applies everything in the order
//! stored; `restore` re-checks the log's structure (no gap or repeat in an actor's seqs,
//! dependencies present, clocks consistent) so a damaged or reordered store is refused
//! with `DataError`, while it skips re-validating fields that were validated before they
//! were stored (that is what makes a cold open fast). An event stored twice (two tabs
//! sharing one store may both persist a received event) is applied once. Events that
//! waited in the pending
//! set were never persisted and are asked for again by the next sync.
//!
//! The actor id is kept in the meta key [`ACTOR_META_KEY`] (16 bytes), created on first
//! open. Meta keys starting with `everlog.` are reserved for the library.

use std::collections::BTreeMap;

use crate::core::codec::{decode_events, encode_events_with, EncodeOptions};
use crate::core::error::{DecodeError, Error, Result, StorageError};
use crate::core::event::{Draft, Event, Limits};
use crate::core::id::ActorId;
use crate::core::log::{AppendOptions, Log, Received};

use super::storage::{names, Storage};

/// Meta key of the replica's actor id (16 raw bytes).
pub const ACTOR_META_KEY: &str = "everlog.actor";

/// How a replica encodes the batches it stores, unless told otherwise: the codec's
/// defaults with the fastest deflate level. Storage is local, so CPU time per append
/// matters more than bytes: on the bench's events level 1 encodes about 1.8× faster than
/// the codec's default level 6 for about 18% more bytes. Decoders read any level.
pub fn storage_encoding() -> EncodeOptions {
    EncodeOptions { level: 1, ..EncodeOptions::default() }
}

/// A log and the storage that makes it durable.
#[derive(Debug)]
pub struct Replica<S: Storage> {
    log: Log,
    storage: S,
    snapshots: BTreeMap<String, Vec<u8>>,
    meta: BTreeMap<String, Vec<u8>>,
    encoding: EncodeOptions,
    closed: bool,
}

impl<S: Storage> Replica<S> {
    /// Opens the log held by `storage` with default [`Limits`]. See [`open_with`](Self::open_with).
    pub async fn open(storage: S, actor: Option<ActorId>) -> Result<Self> {
        Self::open_with(storage, actor, Limits::default()).await
    }

    /// Loads everything `storage` holds and replays it into a log.
    ///
    /// `actor`: `Some` writes as that actor (the caller manages actor ids, e.g. one per
    /// browser tab) and stores nothing; `None` uses the actor stored under
    /// [`ACTOR_META_KEY`], creating and storing a random one on first open.
    pub async fn open_with(mut storage: S, actor: Option<ActorId>, limits: Limits) -> Result<Self> {
        let loaded = storage.load().await?;
        let mut meta = loaded.meta;
        let actor = match (actor, meta.get(ACTOR_META_KEY)) {
            (Some(a), _) => a,
            (None, Some(bytes)) => ActorId(<[u8; 16]>::try_from(bytes.as_slice()).map_err(|_| {
                Error::Decode(DecodeError::Malformed { what: "stored actor id (meta everlog.actor)", at: 0 })
            })?),
            (None, None) => {
                let a = ActorId::random();
                storage.put_meta(ACTOR_META_KEY, a.as_bytes()).await?;
                meta.insert(ACTOR_META_KEY.to_owned(), a.as_bytes().to_vec());
                a
            }
        };
        let mut events = Vec::new();
        for batch in loaded.batches {
            events.extend(decode_events(&batch)?);
        }
        let mut log = Log::with_limits(actor, limits);
        log.restore(events).map_err(|e| match e {
            // A store whose events do not fit together is damaged storage.
            Error::Invalid(why) => {
                Error::Storage(StorageError::new(names::DATA, format!("the stored events do not replay: {why}")))
            }
            other => other,
        })?;
        let snapshots = loaded.snapshots.into_iter().collect();
        Ok(Replica { log, storage, snapshots, meta, encoding: storage_encoding(), closed: false })
    }

    /// The log (read-only: changes go through the replica so they are persisted first).
    pub fn log(&self) -> &Log {
        &self.log
    }

    pub fn actor(&self) -> ActorId {
        self.log.actor()
    }

    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The storage, e.g. to plan faults in a [`FaultyStorage`](super::FaultyStorage).
    /// Writing to it directly bypasses the log.
    pub fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    /// The log and the storage, e.g. to reopen the storage as after a restart.
    pub fn into_parts(self) -> (Log, S) {
        (self.log, self.storage)
    }

    /// How batches are encoded for storage (default: [`storage_encoding`]).
    pub fn encoding(&self) -> &EncodeOptions {
        &self.encoding
    }

    pub fn set_encoding(&mut self, encoding: EncodeOptions) {
        self.encoding = encoding;
    }

    fn check_open(&self) -> Result<()> {
        if self.closed {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    /// Appends drafts as one atomic batch: validated, persisted, then applied. Returns one
    /// event per draft (the existing one for an idempotency key already appended). On any
    /// error nothing is stored and the log is unchanged.
    pub async fn append(&mut self, drafts: Vec<Draft>, opts: &AppendOptions, now_ms: u64) -> Result<Vec<Event>> {
        self.check_open()?;
        let prepared = self.log.prepare(drafts, opts, now_ms)?;
        // Only repeated idempotency keys: nothing new to store.
        if !prepared.new_events.is_empty() {
            self.storage.append(&encode_events_with(&prepared.new_events, &self.encoding)).await?;
        }
        self.log.commit(prepared)
    }

    /// Merges remote events: the ones that become applicable are persisted as one batch,
    /// then applied; the rest wait in the (in-memory) pending set. On any error nothing is
    /// stored and the log, pending set included, is unchanged.
    pub async fn receive(&mut self, events: Vec<Event>) -> Result<Received> {
        self.check_open()?;
        let prepared = self.log.prepare_receive(events)?;
        if !prepared.ready.is_empty() {
            self.storage.append(&encode_events_with(&prepared.ready, &self.encoding)).await?;
        }
        self.log.commit_receive(prepared)
    }

    /// The last snapshot saved under `name` (opaque bytes; their format belongs to whoever
    /// saved them, e.g. a projection).
    pub fn snapshot(&self, name: &str) -> Option<&[u8]> {
        self.snapshots.get(name).map(Vec::as_slice)
    }

    /// Names of the stored snapshots, sorted.
    pub fn snapshot_names(&self) -> impl Iterator<Item = &str> {
        self.snapshots.keys().map(String::as_str)
    }

    /// Durably stores a snapshot under `name`, replacing the previous one.
    pub async fn save_snapshot(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.check_open()?;
        self.storage.put_snapshot(name, bytes).await?;
        self.snapshots.insert(name.to_owned(), bytes.to_vec());
        Ok(())
    }

    /// A stored meta value.
    pub fn meta(&self, key: &str) -> Option<&[u8]> {
        self.meta.get(key).map(Vec::as_slice)
    }

    /// Durably stores a meta value (keys starting with `everlog.` are the library's).
    pub async fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<()> {
        self.check_open()?;
        self.storage.put_meta(key, value).await?;
        self.meta.insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    /// Closes the storage. Later writes fail with [`Error::Closed`]; the log stays readable.
    pub async fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        Ok(self.storage.close().await?)
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }
}
