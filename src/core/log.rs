//! The log: an append-only set of events in a deterministic total order.
//!
//! Events live in an arena in arrival order; `order` holds their arena indices sorted by
//! `(lamport, actor, seq)`, the total order every replica agrees on. Local appends always
//! land at the end of that order; remote events may land anywhere, and are merged in with
//! one sorted merge per batch.
//!
//! Every mutating operation validates first and applies second, so an error leaves the
//! log exactly as it was.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::causal::{ActorTrack, CausalLookup};
use super::conflict::{Conflict, ConflictRecord, Conflicts};
use super::error::{Error, InvalidEvent, Result};
use super::event::{Draft, Event, Limits, OrderKey};
use super::filter::Filter;
use super::id::{ActorId, EventId};
use super::pending::{Pending, PendingInfo};
use super::version::VersionVector;

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
    arena: Vec<Event>,
    order: Vec<u32>,
    tracks: HashMap<ActorId, ActorTrack>,
    version: VersionVector,
    streams: HashMap<Arc<str>, Vec<u32>>,
    ikeys: HashMap<Arc<str>, u32>,
    conflicts: Conflicts,
    pending: Pending,
    names: HashSet<Arc<str>>,
    max_lamport: u64,
    max_time: u64,
    generation: u64,
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
            arena: Vec::new(),
            order: Vec::new(),
            tracks: HashMap::new(),
            version: VersionVector::new(),
            streams: HashMap::new(),
            ikeys: HashMap::new(),
            conflicts: Conflicts::default(),
            pending: Pending::default(),
            names: HashSet::new(),
            max_lamport: 0,
            max_time: 0,
            generation: 0,
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
        self.streams.get(stream).map_or(0, |v| v.len() as u64)
    }

    /// Names of all streams, sorted.
    pub fn streams(&self) -> Vec<Arc<str>> {
        let mut v: Vec<Arc<str>> = self.streams.keys().cloned().collect();
        v.sort();
        v
    }

    /// Changes whenever an event is applied; lets callers detect a stale [`Prepared`].
    pub fn generation(&self) -> u64 {
        self.generation
    }

    // ----- reading -----

    /// The event with this id, if applied.
    pub fn get(&self, id: &EventId) -> Option<&Event> {
        let t = self.tracks.get(&id.actor)?;
        let i = *t.events.get(usize::try_from(id.seq).ok()?.checked_sub(1)?)?;
        Some(&self.arena[i as usize])
    }

    /// The event appended with this idempotency key (the first in total order).
    pub fn get_by_idempotency_key(&self, key: &str) -> Option<&Event> {
        self.ikeys.get(key).map(|i| &self.arena[*i as usize])
    }

    /// All applied events in the total order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Event> + ExactSizeIterator + '_ {
        self.order.iter().map(move |i| &self.arena[*i as usize])
    }

    /// Events matching `filter`, in the total order, at most `filter.limit`.
    pub fn events<'a>(&'a self, filter: &'a Filter) -> impl Iterator<Item = &'a Event> + 'a {
        let base: &[u32] = match &filter.stream {
            Some(s) => self.streams.get(s.as_str()).map_or(&[], |v| v.as_slice()),
            None => &self.order,
        };
        base.iter()
            .map(move |i| &self.arena[*i as usize])
            .filter(move |e| filter.matches(e))
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
        heads.sort_by_key(|h| self.get(h).map(Event::order_key));
        heads
    }

    /// Current conflicts in streams that `filter` selects (`stream` / `stream_prefix`).
    pub fn conflicts(&self, filter: &Filter) -> Vec<Conflict> {
        self.conflicts.current(&self.arena, &|s| stream_matches(filter, s))
    }

    /// Every conflict that ever existed in the selected streams, and what resolved it.
    pub fn conflict_history(&self, filter: &Filter) -> Vec<ConflictRecord> {
        self.conflicts.history(&self.arena, self, &|s| stream_matches(filter, s))
    }

    /// The current values of one `(stream, key)`: one event, or several when in conflict.
    pub fn current(&self, stream: &str, key: &str) -> Vec<&Event> {
        let mut v: Vec<&Event> =
            self.conflicts.heads_of(stream, key).into_iter().map(|i| &self.arena[i as usize]).collect();
        v.sort_by_key(|e| e.order_key());
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

    /// Events that `theirs` lacks, in the total order (a causal order).
    pub fn missing_from<'a>(&'a self, theirs: &'a VersionVector) -> impl Iterator<Item = &'a Event> + 'a {
        // Fast path: nothing to send when they have everything.
        let none = self.version.le(theirs);
        self.iter().filter(move |e| !none && !theirs.includes(&e.id))
    }

    /// Number of events `theirs` lacks.
    pub fn count_missing_from(&self, theirs: &VersionVector) -> u64 {
        self.version.iter().map(|(a, s)| s.saturating_sub(theirs.get(a))).sum()
    }

    /// The position of `key` in the total order (number of applied events before it).
    pub fn position_of(&self, key: &OrderKey) -> usize {
        self.order.partition_point(|i| self.arena[*i as usize].order_key() < *key)
    }

    /// Events from position `from` of the total order on.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = &Event> + '_ {
        self.order[from.min(self.order.len())..].iter().map(move |i| &self.arena[*i as usize])
    }

    // ----- local appends -----

    /// Appends drafts as one atomic batch written by this replica's actor.
    /// `now_ms` is the wall clock; the event time never goes below the log's latest time.
    pub fn append(&mut self, drafts: Vec<Draft>, opts: &AppendOptions, now_ms: u64) -> Result<Vec<Event>> {
        let prepared = self.prepare(drafts, opts, now_ms)?;
        let out = prepared.results();
        self.commit(prepared)?;
        Ok(out)
    }

    /// Validates a batch and builds its events without applying them, so that a storage
    /// layer can persist them first and then [`commit`](Self::commit). Nothing changes.
    pub fn prepare(&self, drafts: Vec<Draft>, opts: &AppendOptions, now_ms: u64) -> Result<Prepared> {
        if drafts.is_empty() {
            return Err(InvalidEvent::EmptyBatch.into());
        }
        for d in &drafts {
            self.limits.check_fields(
                &d.stream,
                &d.kind,
                d.key.as_deref(),
                &d.data,
                &d.meta,
                d.idempotency_key.as_deref(),
                0,
            )?;
        }
        // Idempotency: drafts whose key exists return the existing event (also a repeat
        // of a key earlier in the same batch returns that earlier event).
        let mut results = Vec::with_capacity(drafts.len());
        let mut fresh: Vec<Draft> = Vec::with_capacity(drafts.len());
        let mut batch_keys: HashMap<&str, usize> = HashMap::new();
        for d in &drafts {
            if let Some(k) = d.idempotency_key.as_deref() {
                if let Some(e) = self.get_by_idempotency_key(k) {
                    results.push(Err(e.clone()));
                    continue;
                }
                if let Some(i) = batch_keys.get(k) {
                    results.push(Ok(*i));
                    continue;
                }
                batch_keys.insert(k, fresh.len());
            }
            results.push(Ok(fresh.len()));
            fresh.push(d.clone());
        }
        if !fresh.is_empty() {
            let mut checked: HashSet<&str> = HashSet::new();
            for d in &fresh {
                if checked.insert(&d.stream) {
                    let current = self.stream_version(&d.stream);
                    if !opts.expected_version.accepts(current) {
                        return Err(Error::Concurrency {
                            stream: d.stream.clone(),
                            expected: opts.expected_version,
                            current,
                        });
                    }
                }
            }
        }
        let own = self.version.get(&self.actor);
        let deps = self.local_deps();
        let time = now_ms.max(self.max_time);
        let new_events = fresh
            .into_iter()
            .enumerate()
            .map(|(i, d)| Event {
                id: EventId::new(self.actor, own + 1 + i as u64),
                stream: self.intern(&d.stream),
                kind: self.intern(&d.kind),
                key: d.key.as_deref().map(|k| self.intern(k)),
                data: d.data.into_boxed_str(),
                meta: d.meta,
                idempotency_key: d.idempotency_key.map(Arc::from),
                lamport: self.max_lamport + 1 + i as u64,
                time,
                deps: if i == 0 { deps.clone().into_boxed_slice() } else { Box::default() },
            })
            .collect();
        Ok(Prepared { new_events, results, generation: self.generation })
    }

    /// Applies a batch from [`prepare`](Self::prepare). Fails (changing nothing) when the
    /// log changed in between: prepare again.
    pub fn commit(&mut self, prepared: Prepared) -> Result<()> {
        if prepared.generation != self.generation {
            return Err(Error::Storage(super::error::StorageError::new(
                "InvalidStateError",
                "the log changed between prepare and commit; prepare the batch again",
            )));
        }
        let first = self.arena.len();
        for e in prepared.new_events {
            self.apply_unchecked(e);
        }
        self.order.extend(first as u32..self.arena.len() as u32);
        self.index_streams(first);
        Ok(())
    }

    /// Dependencies of the next local event: the latest event of every actor whose news
    /// our own previous event did not know, minus those implied by the others.
    fn local_deps(&self) -> Vec<EventId> {
        let own = self.version.get(&self.actor);
        let known = match own {
            0 => None,
            s => self.tracks.get(&self.actor).and_then(|t| t.knowledge_at(s)),
        };
        let mut deps: Vec<EventId> = self
            .version
            .iter()
            .filter(|(a, s)| **a != self.actor && known.map_or(0, |k| k.get(a)) < *s)
            .map(|(a, s)| EventId::new(*a, s))
            .collect();
        let all = deps.clone();
        deps.retain(|d| !all.iter().any(|o| o != d && self.knows(o, d)));
        deps
    }

    fn intern(&self, s: &str) -> Arc<str> {
        self.names.get(s).cloned().unwrap_or_else(|| Arc::from(s))
    }

    // ----- remote events -----

    /// Merges remote events (any order, duplicates allowed). The batch is validated as a
    /// whole first: if any event breaks the rules, nothing is applied and the error says
    /// which. Events whose dependencies are missing wait in the pending set.
    pub fn receive(&mut self, events: Vec<Event>) -> Result<Received> {
        let mut batch: HashMap<EventId, &Event> = HashMap::with_capacity(events.len());
        for e in &events {
            self.check_static(e)?;
            if let Some(prev) = batch.insert(e.id, e) {
                if prev != e {
                    return Err(InvalidEvent::Equivocation(e.id).into());
                }
            }
            if let Some(existing) = self.get(&e.id).or_else(|| self.pending.get(&e.id)) {
                if existing != e {
                    return Err(InvalidEvent::Equivocation(e.id).into());
                }
            }
        }
        // Clock checks wherever the dependencies are at hand (log, pending or batch).
        let lookup = |id: &EventId| self.get(id).or_else(|| batch.get(id).copied()).or_else(|| self.pending.get(id));
        for e in &events {
            self.check_clocks(e, &lookup)?;
        }
        drop(batch);

        let mut out = Received::default();
        let first = self.arena.len();
        for e in events {
            if self.version.includes(&e.id) || self.pending.get(&e.id).is_some() {
                out.duplicates += 1;
                continue;
            }
            self.offer(e, &mut out);
        }
        self.finish_merge(first, &mut out);
        Ok(out)
    }

    /// Tries to apply `e`; parks it when a dependency is missing; releases its waiters.
    fn offer(&mut self, e: Event, out: &mut Received) {
        let mut queue = vec![e];
        while let Some(e) = queue.pop() {
            if self.version.includes(&e.id) {
                continue;
            }
            if let Some(missing) = self.first_missing(&e) {
                if self.pending.len() >= self.limits.max_pending {
                    self.pending.dropped += 1;
                    out.dropped += 1;
                } else if self.pending.insert(e, missing) {
                    out.pending += 1;
                }
                continue;
            }
            // Released events were checked against what was at hand when they arrived;
            // check the clocks again now that the whole causal past is here.
            if let Err(err) = self.check_clocks(&e, &|id: &EventId| self.get(id)) {
                out.rejected.push((e.id, err));
                continue;
            }
            let id = e.id;
            let idx = self.apply_unchecked(e);
            let released = self.pending.release(&id);
            out.pending = out.pending.saturating_sub(released.len());
            queue.extend(released);
            out.applied.push(self.arena[idx as usize].clone());
        }
    }

    fn first_missing(&self, e: &Event) -> Option<EventId> {
        if self.version.get(&e.id.actor) + 1 < e.id.seq {
            return Some(EventId::new(e.id.actor, e.id.seq - 1));
        }
        e.deps.iter().find(|d| !self.version.includes(d)).copied()
    }

    /// Field, size and shape checks that need no other event.
    fn check_static(&self, e: &Event) -> Result<(), InvalidEvent> {
        if e.id.seq == 0 {
            return Err(InvalidEvent::ZeroSeq(e.id));
        }
        self.limits.check_fields(
            &e.stream,
            &e.kind,
            e.key.as_deref(),
            &e.data,
            &e.meta,
            e.idempotency_key.as_deref(),
            e.deps.len(),
        )?;
        for d in e.deps.iter() {
            if d.seq == 0 || d.actor == e.id.actor {
                return Err(InvalidEvent::BadDependency { id: e.id, dep: *d });
            }
        }
        Ok(())
    }

    /// Lamport must exceed, and time must not be below, every dependency's (the author's
    /// previous event included). Dependencies not at hand are checked later.
    fn check_clocks<'a>(
        &'a self,
        e: &Event,
        lookup: &dyn Fn(&EventId) -> Option<&'a Event>,
    ) -> Result<(), InvalidEvent> {
        let prev = (e.id.seq > 1).then(|| EventId::new(e.id.actor, e.id.seq - 1));
        for d in prev.iter().chain(e.deps.iter()) {
            if let Some(dep) = lookup(d) {
                if e.lamport <= dep.lamport {
                    return Err(InvalidEvent::BadLamport { id: e.id, lamport: e.lamport, min_exclusive: dep.lamport });
                }
                if e.time < dep.time {
                    return Err(InvalidEvent::BadTime { id: e.id, time: e.time, min: dep.time });
                }
            }
        }
        Ok(())
    }

    /// Records an event whose whole causal past is applied; returns its arena index.
    /// Does not touch `order` or the stream index (callers merge those per batch).
    fn apply_unchecked(&mut self, e: Event) -> u32 {
        let idx = self.arena.len() as u32;
        // Knowledge: the author's previous knowledge, grown by the explicit deps.
        let mut knowledge = match e.id.seq {
            1 => None,
            s => self.tracks.get(&e.id.actor).and_then(|t| t.knowledge_at(s - 1)).cloned(),
        };
        if !e.deps.is_empty() {
            let k = knowledge.get_or_insert_with(VersionVector::new);
            for d in e.deps.iter() {
                k.merge(&self.past_of(d));
            }
            k.set(e.id.actor, 0);
        }
        for name in [Some(&e.stream), Some(&e.kind), e.key.as_ref()].into_iter().flatten() {
            if !self.names.contains(&**name) {
                self.names.insert(name.clone());
            }
        }
        self.max_lamport = self.max_lamport.max(e.lamport);
        self.max_time = self.max_time.max(e.time);
        self.version.raise(e.id.actor, e.id.seq);
        let track = self.tracks.entry(e.id.actor).or_default();
        track.events.push(idx);
        if let Some(k) = knowledge {
            track.push_knowledge(e.id.seq, k);
        }
        if let Some(k) = &e.idempotency_key {
            match self.ikeys.get(k) {
                Some(other) if self.arena[*other as usize].order_key() < e.order_key() => {}
                _ => {
                    self.ikeys.insert(k.clone(), idx);
                }
            }
        }
        self.arena.push(e);
        self.conflicts.on_event(idx, &self.arena, &TracksView(&self.tracks));
        self.generation += 1;
        idx
    }

    /// Merges arena entries `first..` into the total order and stream indexes.
    fn finish_merge(&mut self, first: usize, out: &mut Received) {
        if first == self.arena.len() {
            return;
        }
        let mut fresh: Vec<u32> = (first as u32..self.arena.len() as u32).collect();
        let arena = &self.arena;
        fresh.sort_unstable_by_key(|i| arena[*i as usize].order_key());
        out.earliest = fresh.first().map(|i| arena[*i as usize].order_key());
        merge_sorted(&mut self.order, &fresh, arena);
        self.index_streams(first);
    }

    fn index_streams(&mut self, first: usize) {
        let arena = &self.arena;
        let mut by_stream: HashMap<&Arc<str>, Vec<u32>> = HashMap::new();
        for (i, e) in arena.iter().enumerate().skip(first) {
            by_stream.entry(&e.stream).or_default().push(i as u32);
        }
        for (s, mut fresh) in by_stream {
            fresh.sort_unstable_by_key(|i| arena[*i as usize].order_key());
            let list = self.streams.entry(s.clone()).or_default();
            merge_sorted(list, &fresh, arena);
        }
    }
}

struct TracksView<'a>(&'a HashMap<ActorId, ActorTrack>);

impl CausalLookup for TracksView<'_> {
    fn track(&self, actor: &ActorId) -> Option<&ActorTrack> {
        self.0.get(actor)
    }
}

fn stream_matches(filter: &Filter, s: &str) -> bool {
    filter.stream.as_deref().is_none_or(|x| x == s) && filter.stream_prefix.as_deref().is_none_or(|p| s.starts_with(p))
}

/// Merges sorted `fresh` into sorted `list` (both arena indices ordered by order key).
fn merge_sorted(list: &mut Vec<u32>, fresh: &[u32], arena: &[Event]) {
    let key = |i: &u32| arena[*i as usize].order_key();
    match (list.last(), fresh.first()) {
        (_, None) => {}
        (None, _) => list.extend_from_slice(fresh),
        (Some(l), Some(f)) if key(l) < key(f) => list.extend_from_slice(fresh),
        _ => {
            let start = list.partition_point(|i| key(i) < key(&fresh[0]));
            let tail: Vec<u32> = list.drain(start..).collect();
            list.reserve(fresh.len());
            let (mut a, mut b) = (0, 0);
            while a < tail.len() && b < fresh.len() {
                if key(&tail[a]) < key(&fresh[b]) {
                    list.push(tail[a]);
                    a += 1;
                } else {
                    list.push(fresh[b]);
                    b += 1;
                }
            }
            list.extend_from_slice(&tail[a..]);
            list.extend_from_slice(&fresh[b..]);
        }
    }
}
