//! Consumers: named handlers that run once per event per device, in causal order.
//!
//! A [`Consumer`] is the pure half of `log.on(types, handler, {name})`: it knows which
//! events its handler still has to see and which it failed on, and keeps that in a small
//! [`Progress`] stored durably under the replica meta key [`Consumer::meta_key`]. The
//! driver (the JavaScript binding, or a Rust loop) does the calling:
//!
//! ```text
//! loop {
//!     let batch = consumer.next_batch(&log, now, 100, Some(&upcasters));
//!     for event in batch {
//!         match handler(&event) {
//!             Ok(()) => consumer.ack(&event.id)?,
//!             Err(e) => { consumer.fail(&event.id, &e, now)?; break; } // stop this batch
//!         }
//!     }
//!     consumer.save(&mut replica).await?;   // progress is durable from here on
//! }
//! ```
//!
//! Rules:
//! - **Causal order.** An event is offered only once every event in its causal past is
//!   done (handled, or skipped because the type filter does not select it). Events of a
//!   batch come in the log's total order, which extends the causal order; handle them in
//!   that order and stop at the first failure (the rest of the batch is offered again).
//! - **Events that arrive by sync** are offered like local ones, wherever they land in the
//!   total order: progress is a version vector (see [`progress`](super::progress)).
//! - **Failures** ([`fail`](Consumer::fail)) are retried with exponential backoff
//!   ([`RetryPolicy`]); the attempt count and the last error are kept for reporting. A
//!   failing event **blocks its causal successors in this consumer** (its author's later
//!   events, and every event that saw it): they may rely on the effect of the failed
//!   handler, exactly as causal order promises. Concurrent events (ones that did not see
//!   it) go on. Other consumers are never blocked: each has its own progress. To give up
//!   on an event, [`ack`](Consumer::ack) it without handling it (a dead letter).
//! - **Once per event**: progress only grows, so a reload, a replay or a projection
//!   rebuild never offers a done event again. The handler's effect and the saved progress
//!   are not one transaction, so a crash between them offers the event again
//!   (at-least-once); the event id is the idempotency key a handler uses to make that
//!   exactly-once.
//! - **Folds never trigger handlers**: replays and point-in-time folds read the log and
//!   never touch a consumer.

use std::collections::VecDeque;

use super::error::ToolkitError;
use super::progress::{Failure, Failures, Progress, RetryPolicy};
use super::upcast::Upcasters;
use crate::core::event::{Event, OrderKey};
use crate::core::event_ref::EventRef;
use crate::core::id::EventId;
use crate::core::log::Log;
use crate::core::version::VersionVector;
use crate::store::{Replica, Storage};

/// An event handed out by [`Consumer::next_batch`], not yet done.
#[derive(Clone, Debug)]
struct Slot {
    id: EventId,
    /// Selected by the type filter (the handler sees it); others are done when reached.
    selected: bool,
    acked: bool,
}

/// A named handler's durable progress through the log. See the module docs.
#[derive(Clone, Debug)]
pub struct Consumer {
    name: String,
    progress: Progress,
    policy: RetryPolicy,
    /// The current batch in total order; its front is folded into `progress.done` as soon
    /// as it is acked (or not selected).
    batch: VecDeque<Slot>,
    dirty: bool,
    /// Where the last scan found work; in memory only (see [`Cursor`]).
    cursor: Option<Cursor>,
}

/// A scan hint, so a consumer far behind does not re-sort everything it lacks per batch.
///
/// Valid for any log whose version includes `seen`: a version names a set of events, so
/// such a log holds the same events the scan saw, plus the ones `missing_from(seen)`
/// finds. Every event not done is therefore at or after `first_open`, or new.
#[derive(Clone, Debug)]
struct Cursor {
    seen: VersionVector,
    /// The first event in total order not done at the last scan (`None`: all done).
    first_open: Option<OrderKey>,
}

impl Consumer {
    /// A consumer that has handled nothing yet. `types` empty: every type.
    pub fn new<T: Into<String>>(name: &str, types: impl IntoIterator<Item = T>) -> Self {
        let mut types: Vec<String> = types.into_iter().map(Into::into).collect();
        // Equal names are equal strings, so an unstable sort is exact; the crate's one sort
        // instance (`core::sort`) rather than a copy of std's for `String` in the wasm.
        crate::core::sort::sort_by(&mut types, |a, b| a.cmp(b));
        types.dedup();
        Consumer {
            name: name.to_owned(),
            progress: Progress { types, ..Default::default() },
            policy: RetryPolicy::default(),
            batch: VecDeque::new(),
            dirty: false,
            cursor: None,
        }
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// A consumer resuming from [`encode`](Self::encode)d progress (`None`: from scratch).
    /// Fails with [`ToolkitError::FilterChanged`] when the progress was made with other types.
    pub fn resume<T: Into<String>>(
        name: &str,
        types: impl IntoIterator<Item = T>,
        stored: Option<&[u8]>,
    ) -> Result<Self, ToolkitError> {
        let mut c = Consumer::new(name, types);
        if let Some(bytes) = stored {
            let p = Progress::decode(bytes)?;
            if p.types != c.progress.types {
                return Err(ToolkitError::FilterChanged {
                    name: name.to_owned(),
                    stored: p.types,
                    given: c.progress.types,
                });
            }
            c.progress = p;
        }
        Ok(c)
    }

    /// The replica meta key its progress is stored under (`everlog.consumer.<name>`).
    pub fn meta_key(name: &str) -> String {
        format!("everlog.consumer.{name}")
    }

    /// Resumes the consumer whose progress `replica` stores (from scratch if none).
    pub fn load<S: Storage, T: Into<String>>(
        replica: &Replica<S>,
        name: &str,
        types: impl IntoIterator<Item = T>,
    ) -> Result<Self, ToolkitError> {
        Self::resume(name, types, replica.meta(&Self::meta_key(name)))
    }

    /// Stores the progress durably in `replica`'s meta (a no-op when nothing changed).
    pub async fn save<S: Storage>(&mut self, replica: &mut Replica<S>) -> Result<(), ToolkitError> {
        if self.dirty {
            replica.put_meta(&Self::meta_key(&self.name), &self.encode()).await?;
            self.dirty = false;
        }
        Ok(())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type filter, sorted (empty: every type).
    pub fn types(&self) -> &[String] {
        &self.progress.types
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The events done, a causally closed set.
    pub fn done(&self) -> &VersionVector {
        &self.progress.done
    }

    /// Current failures, for reporting.
    pub fn failures(&self) -> &Failures {
        &self.progress.failures
    }

    /// When the earliest failed event may be retried (to schedule a wake-up).
    pub fn next_retry_at(&self) -> Option<u64> {
        self.progress.failures.values().map(|f| f.retry_at).min()
    }

    /// Has the progress changed since it was last saved?
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// The caller stored [`encode`](Self::encode)d progress itself (a binding with its
    /// own storage, e.g. IndexedDB meta records): clears [`is_dirty`](Self::is_dirty).
    pub fn mark_saved(&mut self) {
        self.dirty = false;
    }

    /// That store failed: the next save must write again.
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// Events of `log` not done yet (selected or not).
    pub fn lag(&self, log: &Log) -> u64 {
        log.count_missing_from(&self.progress.done)
    }

    /// The progress as versioned bytes (see [`progress`](super::progress)).
    pub fn encode(&self) -> Vec<u8> {
        self.progress.encode()
    }

    /// The next events for the handler, at most `max`, in causal (total) order, in their
    /// newest shape when `upcasters` are given (the type filter sees the upcast type).
    /// Events whose causal past is not done, and failed events before their retry time,
    /// are left out. Starts a new batch: events of the previous one not acked yet are
    /// offered again.
    pub fn next_batch(&mut self, log: &Log, now_ms: u64, max: usize, upcasters: Option<&Upcasters>) -> Vec<Event> {
        self.batch.clear();
        // `avail`: done plus the batch so far, causally closed like `done`.
        let mut avail = self.progress.done.clone();
        let mut out = Vec::new();
        let start = match &self.cursor {
            Some(c) if c.seen.le(log.version()) => {
                let fresh = log.missing_from(&c.seen).next().map(EventRef::order_key);
                match (c.first_open, fresh) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            _ => log.missing_from(&self.progress.done).next().map(EventRef::order_key),
        };
        let mut first_open = None;
        let from = start.map_or(log.len(), |k| log.position_of(&k));
        for e in log.iter_from(from) {
            if self.progress.done.includes(&e.id()) {
                continue;
            }
            first_open.get_or_insert(e.order_key());
            if out.len() >= max {
                break;
            }
            if self.progress.failures.get(&e.id()).is_some_and(|f| f.retry_at > now_ms) {
                continue;
            }
            // `avail` is causally closed, so the direct predecessors being in it means the
            // whole causal past is.
            if avail.get(&e.id().actor) + 1 != e.id().seq || !e.deps().iter().all(|d| avail.includes(d)) {
                continue;
            }
            avail.raise(e.id().actor, e.id().seq);
            let up = upcasters.and_then(|u| u.upcast(e));
            let shaped = up.as_ref().map_or(e, Event::view);
            let selected = self.progress.types.is_empty() || self.progress.types.iter().any(|t| **t == **shaped.kind());
            self.batch.push_back(Slot { id: e.id(), selected, acked: false });
            if selected {
                out.push(up.unwrap_or_else(|| e.to_event()));
            }
        }
        self.cursor = Some(Cursor { seen: log.version().clone(), first_open });
        self.drain_front();
        out
    }

    /// The handler succeeded on `id` (or the caller gives up on it). Acking an event
    /// already done is a no-op.
    pub fn ack(&mut self, id: &EventId) -> Result<(), ToolkitError> {
        match self.batch.iter_mut().find(|s| s.id == *id) {
            Some(slot) => slot.acked = true,
            None if self.progress.done.includes(id) => return Ok(()),
            None => return Err(ToolkitError::NotInBatch(*id)),
        }
        self.drain_front();
        Ok(())
    }

    /// The handler failed on `id`: records the error and schedules a retry with backoff.
    /// Ends the batch at `id` (later events of it are offered again by the next batch,
    /// except `id`'s causal successors, which wait for it).
    pub fn fail(&mut self, id: &EventId, error: &str, now_ms: u64) -> Result<Failure, ToolkitError> {
        let at = self.batch.iter().position(|s| s.id == *id && !s.acked).ok_or(ToolkitError::NotInBatch(*id))?;
        self.batch.truncate(at);
        let f = self.progress.failures.get_or_insert(*id, Failure { attempts: 0, retry_at: 0, error: String::new() });
        f.attempts = f.attempts.saturating_add(1);
        f.retry_at = now_ms.saturating_add(self.policy.delay(f.attempts));
        f.error = error.to_owned();
        self.dirty = true;
        Ok(f.clone())
    }

    /// Moves the batch's leading done slots into the progress.
    fn drain_front(&mut self) {
        while let Some(s) = self.batch.front() {
            if s.selected && !s.acked {
                break;
            }
            self.progress.done.raise(s.id.actor, s.id.seq);
            self.progress.failures.remove(&s.id);
            self.batch.pop_front();
            self.dirty = true;
        }
    }
}
