//! The log: an append-only set of events in a deterministic total order.
//!
//! Events live in an arena in arrival order; `order` holds their arena indices sorted by
//! `(lamport, actor, seq)`, the total order every replica agrees on. Local appends always
//! land at the end of that order; remote events may land anywhere, and are merged in with
//! one sorted merge per batch.
//!
//! Every mutating operation validates first and applies second, so an error leaves the
//! log exactly as it was.

use super::hash::Map as HashMap;

mod append;
mod arena;
mod merge;
pub(crate) mod names;
mod places;
mod restore;

pub use arena::Arena;
pub use merge::PreparedReceive;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::causal::{ActorTrack, CausalLookup};
use super::conflict::{Conflict, ConflictRecord, Conflicts};
use super::error::InvalidEvent;
use super::event::{sort_by_order, sort_indices_by_order, Event, Limits, OrderKey};
use super::event_ref::EventRef;
use super::filter::Filter;
use super::fold::columns::ColumnCache;
use super::id::{ActorId, EventId};
use super::name::Name;
use super::pending::{Pending, PendingInfo};
use super::version::VersionVector;
use names::NameId;

/// What the caller expects a stream's version (its number of events) to be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// No check.
    #[default]
    Any,
    /// The stream must have no events.
    NoStream,
    /// The stream must have exactly this many events.
    Exact(u64),
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::NoStream => f.write_str("no-stream"),
            ExpectedVersion::Exact(n) => write!(f, "{n}"),
        }
    }
}

impl ExpectedVersion {
    pub fn accepts(&self, current: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => current == 0,
            ExpectedVersion::Exact(n) => *n == current,
        }
    }
}

/// Options of one append.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppendOptions {
    /// Checked against every stream the batch writes to, before anything is appended.
    pub expected_version: ExpectedVersion,
}

/// A validated local batch, not yet applied. See [`Log::prepare`].
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The events to persist, then to [`Log::commit`].
    pub new_events: Vec<Event>,
    /// One entry per draft: `Ok(i)` is `new_events[i]`, `Err(e)` an existing event
    /// returned for an idempotency key that was already appended.
    results: Vec<std::result::Result<usize, Event>>,
    generation: u64,
}

impl Prepared {
    /// The events the append returns, one per draft (existing ones for repeated
    /// idempotency keys).
    pub fn results(&self) -> Vec<Event> {
        self.results
            .iter()
            .map(|r| match r {
                Ok(i) => self.new_events[*i].clone(),
                Err(e) => e.clone(),
            })
            .collect()
    }

    /// [`results`](Self::results), moving the new events out instead of copying them
    /// (a new event named by several drafts, a key repeated in the batch, is copied for
    /// all but its last).
    fn into_results(self) -> Vec<Event> {
        let mut uses = vec![0u32; self.new_events.len()];
        for i in self.results.iter().filter_map(|r| r.as_ref().ok()) {
            uses[*i] += 1;
        }
        let mut fresh: Vec<Option<Event>> = self.new_events.into_iter().map(Some).collect();
        self.results
            .into_iter()
            .filter_map(|r| match r {
                Ok(i) => {
                    uses[i] -= 1;
                    if uses[i] == 0 {
                        fresh[i].take()
                    } else {
                        fresh[i].clone()
                    }
                }
                Err(e) => Some(e),
            })
            .collect()
    }
}

/// What [`Log::receive`] did with a batch of remote events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Received {
    /// Events applied now (including ones released from the pending set), in causal order.
    pub applied: Vec<Event>,
    /// Events that were already in the log (or pending).
    pub duplicates: usize,
    /// Events that now wait for missing dependencies.
    pub pending: usize,
    /// Events dropped because the pending set was full (the next sync asks for them again).
    pub dropped: usize,
    /// Events released from the pending set but refused when their dependencies arrived.
    pub rejected: Vec<(EventId, InvalidEvent)>,
    /// The smallest order key among applied events, if any (where projections must rewind).
    pub earliest: Option<OrderKey>,
}

/// An append-only, causally merged event log. Pure: no I/O, no clock (callers pass `now`).
#[derive(Clone)]
pub struct Log {
    actor: ActorId,
    limits: Limits,
    arena: Arena,
    order: Vec<u32>,
    tracks: HashMap<ActorId, ActorTrack>,
    version: VersionVector,
    streams: HashMap<NameId, Vec<u32>>,
    ikeys: HashMap<Arc<str>, u32>,
    conflicts: Conflicts,
    pending: Pending,
    max_lamport: u64,
    max_time: u64,
    generation: u64,
    /// Per-event field values extracted for built-in folds (see `fold::columns`).
    fold_columns: ColumnCache,
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Log")
            .field("actor", &self.actor)
            .field("events", &self.arena.len())
            .field("version", &self.version)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl CausalLookup for Log {
    fn track(&self, actor: &ActorId) -> Option<&ActorTrack> {
        self.tracks.get(actor)
    }
}

impl Log {
    /// An empty log written by `actor`.
    pub fn new(actor: ActorId) -> Self {
        Self::with_limits(actor, Limits::default())
    }

    pub fn with_limits(actor: ActorId, limits: Limits) -> Self {
        Log {
            actor,
            limits,
            arena: Arena::default(),
            order: Vec::new(),
            tracks: HashMap::default(),
            version: VersionVector::new(),
            streams: HashMap::default(),
            ikeys: HashMap::default(),
            conflicts: Conflicts::default(),
            pending: Pending::default(),
            max_lamport: 0,
            max_time: 0,
            generation: 0,
            fold_columns: ColumnCache::default(),
        }
    }

    /// This replica's actor.
    pub fn actor(&self) -> ActorId {
        self.actor
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The version vector: `{actor: highest contiguous seq}` of the applied events.
    pub fn version(&self) -> &VersionVector {
        &self.version
    }

    /// Number of applied events.
    pub fn len(&self) -> usize {
        self.arena.len()
    }

    pub fn is_empty(&self) -> bool {
        self.arena.is_empty()
    }

    /// Number of events in `stream` (its version for optimistic concurrency).
    pub fn stream_version(&self, stream: &str) -> u64 {
        self.stream_positions(stream).len() as u64
    }

    /// Names of all streams, sorted.
    pub fn streams(&self) -> Vec<Name> {
        let mut v: Vec<Name> = self.streams.keys().map(|s| self.arena.names.name(*s).clone()).collect();
        super::sort::sort_by(&mut v, Ord::cmp);
        v
    }

    /// Changes whenever an event is applied; lets callers detect a stale [`Prepared`].
    pub fn generation(&self) -> u64 {
        self.generation
    }

    // ----- reading -----

    /// The event with this id, if applied.
    pub fn get(&self, id: &EventId) -> Option<EventRef<'_>> {
        self.arena_index(id).map(|i| self.arena.at(i as usize))
    }

    /// The event appended with this idempotency key (the first in total order).
    pub fn get_by_idempotency_key(&self, key: &str) -> Option<EventRef<'_>> {
        self.ikeys.get(key).map(|i| self.arena.at(*i as usize))
    }

    /// All applied events in the total order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = EventRef<'_>> + ExactSizeIterator + '_ {
        self.order.iter().map(move |i| self.arena.at(*i as usize))
    }

    /// Events matching `filter`, in the total order, at most `filter.limit`.
    pub fn events<'a>(&'a self, filter: &'a Filter) -> impl Iterator<Item = EventRef<'a>> + 'a {
        let base: &[u32] = match &filter.stream {
            Some(s) => self.stream_positions(s),
            None => &self.order,
        };
        base.iter()
            .map(move |i| self.arena.at(*i as usize))
            .filter(move |e| filter.matches(*e))
            .take(filter.limit.unwrap_or(usize::MAX))
    }

    /// Did `a` happen before `b` (is `a` in `b`'s causal past)? Both must be applied.
    pub fn happened_before(&self, a: &EventId, b: &EventId) -> bool {
        a != b && self.knows(b, a)
    }

    /// Neither happened before the other.
    pub fn concurrent(&self, a: &EventId, b: &EventId) -> bool {
        a != b && !self.knows(b, a) && !self.knows(a, b)
    }

    /// The causal past of an event as a version vector (the event included).
    pub fn causal_past(&self, id: &EventId) -> VersionVector {
        self.past_of(id)
    }

    /// The causal past of a set of events: the version naming them and everything before.
    pub fn causal_past_of_all<'a>(&self, ids: impl IntoIterator<Item = &'a EventId>) -> VersionVector {
        let mut vv = VersionVector::new();
        for id in ids {
            vv.merge(&self.past_of(id));
        }
        vv
    }

    /// The current heads: events no other applied event knows, in total order.
    pub fn heads(&self) -> Vec<EventId> {
        let mut heads: Vec<EventId> = self.version.iter().map(|(a, s)| EventId::new(*a, s)).collect();
        let all = heads.clone();
        heads.retain(|h| !all.iter().any(|o| o != h && self.knows(o, h)));
        // Applied heads have unique order keys: the unstable sort is exact.
        super::sort::sort_by(&mut heads, |a, b| {
            self.get(a).map(EventRef::order_key).cmp(&self.get(b).map(EventRef::order_key))
        });
        heads
    }

    /// Current conflicts in streams that `filter` selects (`stream` / `stream_prefix`).
    pub fn conflicts(&self, filter: &Filter) -> Vec<Conflict> {
        self.conflicts.current(&self.arena, &|s| stream_matches(filter, s))
    }

    /// Every conflict that ever existed in the selected streams, and what resolved it.
    pub fn conflict_history(&self, filter: &Filter) -> Vec<ConflictRecord> {
        self.conflicts.history(&self.arena, &self.streams, self, &|s| stream_matches(filter, s))
    }

    /// The current values of one `(stream, key)`: one event, or several when in conflict.
    pub fn current(&self, stream: &str, key: &str) -> Vec<EventRef<'_>> {
        let (Some(s), Some(k)) = (self.arena.names.id_of(stream), self.arena.names.id_of(key)) else {
            return Vec::new();
        };
        let heads = self.conflicts.heads_of((s, k));
        let mut v: Vec<EventRef<'_>> = heads.iter().map(|i| self.arena.at(*i as usize)).collect();
        sort_by_order(&mut v);
        v
    }

    /// Events waiting for missing dependencies.
    pub fn pending(&self) -> PendingInfo {
        self.pending.info()
    }

    /// The pending events themselves (to persist them, or to forward them).
    pub fn pending_events(&self) -> impl Iterator<Item = &Event> {
        self.pending.events()
    }

    /// Events that `theirs` lacks, in the total order (a causal order). Costs
    /// O(k log k) for k missing events, found by seq ranges per actor, not by a scan.
    pub fn missing_from<'a>(&'a self, theirs: &VersionVector) -> impl ExactSizeIterator<Item = EventRef<'a>> + 'a {
        let mut out: Vec<u32> = Vec::with_capacity(self.count_missing_from(theirs) as usize);
        for (actor, have) in self.version.iter() {
            let from = theirs.get(actor);
            if from < have {
                self.arena.extend_actor_events(actor, from, have, &mut out);
            }
        }
        sort_indices_by_order(&mut out, &self.arena);
        out.into_iter().map(move |i| self.arena.at(i as usize))
    }

    /// Number of events `theirs` lacks.
    pub fn count_missing_from(&self, theirs: &VersionVector) -> u64 {
        self.version.iter().map(|(a, s)| s.saturating_sub(theirs.get(a))).sum()
    }

    /// The position of `key` in the total order (number of applied events before it).
    pub fn position_of(&self, key: &OrderKey) -> usize {
        self.order.partition_point(|i| self.arena.at(*i as usize).order_key() < *key)
    }

    /// Events from position `from` of the total order on.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = EventRef<'_>> + '_ {
        self.order[from.min(self.order.len())..].iter().map(move |i| self.arena.at(*i as usize))
    }
}

/// Raw access for folds: arena indices, stable for the log's lifetime.
impl Log {
    /// Every event, indexed by arena index (arrival order).
    pub(crate) fn arena_events(&self) -> &Arena {
        &self.arena
    }

    /// The arena index of an applied event.
    pub(crate) fn arena_index(&self, id: &EventId) -> Option<u32> {
        self.arena.index_of(id)
    }

    /// Arena indices in the total order.
    pub(crate) fn order_positions(&self) -> &[u32] {
        &self.order
    }

    /// Arena indices of one stream's events, in the total order.
    pub(crate) fn stream_positions(&self, stream: &str) -> &[u32] {
        // Keyed by the interned name's id: a stream the log holds has one.
        let s = self.arena.names.id_of(stream);
        s.and_then(|s| self.streams.get(&s)).map_or(&[], |v| v.as_slice())
    }

    pub(crate) fn fold_columns(&self) -> &ColumnCache {
        &self.fold_columns
    }

    /// Drops the field values cached for built-in folds (they are rebuilt on demand).
    pub fn clear_fold_cache(&self) {
        self.fold_columns.clear();
    }
}

fn stream_matches(filter: &Filter, s: &str) -> bool {
    filter.stream.as_deref().is_none_or(|x| x == s) && filter.stream_prefix.as_deref().is_none_or(|p| s.starts_with(p))
}
