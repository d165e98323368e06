//! Remote events: validation, causal delivery, the pending set, and merging into the
//! total order.
//!
//! Two-phase like local appends: [`Log::prepare_receive`] validates a batch and works out
//! which events become applicable (in a causal order) without changing anything;
//! a storage layer persists those, then [`Log::commit_receive`] applies them. The batch is
//! validated as a whole: if any event breaks the rules, nothing is applied and the error
//! says which. Events whose dependencies are missing wait in the pending set (they are not
//! persisted: the log's version does not include them, so the next sync asks for them
//! again).

use crate::core::hash::{map_with_capacity, Map as HashMap};

use super::names::NameId;
use super::{Arena, Log, Received};
use crate::core::causal::{ActorTrack, CausalLookup};
use crate::core::error::{Error, InvalidEvent, Result, StorageError};
use crate::core::event::{sort_indices_by_order, Event};
use crate::core::id::{ActorId, EventId};
use crate::core::version::VersionVector;

/// A validated batch of remote events, not yet applied. See [`Log::prepare_receive`].
#[derive(Clone, Debug)]
pub struct PreparedReceive {
    /// Events that become applicable, in a causal order: persist these, then commit.
    pub ready: Vec<Event>,
    /// Events that will wait for a missing dependency.
    parked: Vec<(Event, EventId)>,
    duplicates: usize,
    rejected: Vec<(EventId, InvalidEvent)>,
    generation: u64,
}

impl Log {
    /// Merges remote events (any order, duplicates allowed) in memory.
    pub fn receive(&mut self, events: Vec<Event>) -> Result<Received> {
        let prepared = self.prepare_receive(events)?;
        self.commit_receive(prepared)
    }

    /// Validates remote events and plans their delivery without changing the log.
    pub fn prepare_receive(&self, events: Vec<Event>) -> Result<PreparedReceive> {
        if self.in_causal_order(&events) {
            let generation = self.generation;
            return Ok(PreparedReceive {
                ready: events,
                parked: Vec::new(),
                duplicates: 0,
                rejected: Vec::new(),
                generation,
            });
        }
        // Batch positions by id (`usize` values: the same map type as the planner's).
        let mut batch: HashMap<EventId, usize> = map_with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            self.check_static(e)?;
            if let Some(prev) = batch.insert(e.id, i) {
                if events[prev] != *e {
                    return Err(InvalidEvent::Equivocation(e.id).into());
                }
            }
            if let Some(existing) = self.get(&e.id).or_else(|| self.pending.get(&e.id).map(Event::view)) {
                if existing != *e {
                    return Err(InvalidEvent::Equivocation(e.id).into());
                }
            }
        }
        // Clock checks wherever the dependencies are at hand (log, pending or batch).
        let at_hand = |id: &EventId| {
            self.clocks_of(id).or_else(|| {
                batch.get(id).map(|i| &events[*i]).or_else(|| self.pending.get(id)).map(|e| (e.lamport, e.time))
            })
        };
        for e in &events {
            self.check_clocks(e, &at_hand)?;
        }
        drop(batch);

        let mut plan = Planner {
            log: self,
            have: self.version.clone(),
            waiting: HashMap::default(),
            ready: Vec::new(),
            ready_ix: HashMap::default(),
        };
        let mut out = PreparedReceive {
            ready: Vec::new(),
            parked: Vec::new(),
            duplicates: 0,
            rejected: Vec::new(),
            generation: self.generation,
        };
        // A map rather than a set: the same type as `batch` above, one instance.
        let mut seen: HashMap<EventId, usize> = map_with_capacity(events.len());
        for e in events {
            if self.version.includes(&e.id) || self.pending.get(&e.id).is_some() || seen.insert(e.id, 0).is_some() {
                out.duplicates += 1;
                continue;
            }
            plan.offer(e, &mut out);
        }
        out.ready = plan.ready;
        out.parked = plan.waiting.into_iter().flat_map(|(m, evs)| evs.into_iter().map(move |e| (e, m))).collect();
        // Ids are unique: the unstable sort is exact.
        crate::core::sort::sort_by(&mut out.parked, |a, b| a.0.id.cmp(&b.0.id));
        Ok(out)
    }

    /// Applies a batch from [`prepare_receive`](Self::prepare_receive). Fails (changing
    /// nothing) when the log changed in between.
    pub fn commit_receive(&mut self, p: PreparedReceive) -> Result<Received> {
        if p.generation != self.generation {
            return Err(Error::Storage(StorageError::new(
                "InvalidStateError",
                "the log changed between prepare_receive and commit_receive; prepare again",
            )));
        }
        let mut out = Received { duplicates: p.duplicates, rejected: p.rejected, ..Default::default() };
        let first = self.arena.len();
        if self.pending.len() != 0 {
            for id in p.ready.iter().map(|e| &e.id).chain(out.rejected.iter().map(|(id, _)| id)) {
                self.pending.remove(id);
            }
        }
        for (e, missing) in p.parked {
            // A pending event released but still missing another dependency is re-filed.
            self.pending.remove(&e.id);
            if self.pending.len() >= self.limits.max_pending {
                self.pending.dropped += 1;
                out.dropped += 1;
            } else if self.pending.insert(e, missing) {
                out.pending += 1;
            }
        }
        out.applied.reserve_exact(p.ready.len());
        // The log keeps a compact copy of each event; the event itself moves on to the
        // caller (no clone).
        for e in p.ready {
            self.apply_unchecked(&e);
            out.applied.push(e);
        }
        self.finish_merge(first, &mut out);
        Ok(out)
    }

    /// `(lamport, time)` of an applied event.
    #[inline]
    pub(super) fn clocks_of(&self, id: &EventId) -> Option<(u64, u64)> {
        self.get(id).map(|e| (e.lamport(), e.time()))
    }

    /// The fast path, for the common case (a sync message carries events in the total
    /// order): is every event new, valid, and applicable right after the ones before it?
    /// Then the batch is ready as it is, and the general planner with its per-event
    /// tables is not needed. Any doubt (a duplicate, a gap, a pending set, an invalid
    /// event) answers `false`, and the general path decides, with the same result and
    /// the same errors as if this did not exist.
    fn in_causal_order(&self, events: &[Event]) -> bool {
        if self.pending.len() != 0 {
            return false;
        }
        let mut have = self.version.clone();
        // Per actor: the first seq of this batch and the batch positions of its events.
        let mut runs: HashMap<ActorId, (u64, Vec<u32>)> = map_with_capacity(4);
        for (i, e) in events.iter().enumerate() {
            if have.get(&e.id.actor) + 1 != e.id.seq || !e.deps().iter().all(|d| have.includes(d)) {
                return false;
            }
            if self.check_static(e).is_err() {
                return false;
            }
            // The batch first: a dependency is most often the author's previous event, in
            // the same batch. An actor's run in the batch starts right after what the log
            // has of it, so an id is found in one place or the other, never both.
            let in_batch = |id: &EventId| {
                let (first, at) = runs.get(&id.actor)?;
                let e = &events[*at.get(usize::try_from(id.seq.checked_sub(*first)?).ok()?)? as usize];
                Some((e.lamport, e.time))
            };
            let lookup = |id: &EventId| in_batch(id).or_else(|| self.clocks_of(id));
            if self.check_clocks(e, &lookup).is_err() {
                return false;
            }
            have.raise(e.id.actor, e.id.seq);
            runs.entry(e.id.actor).or_insert_with(|| (e.id.seq, Vec::new())).1.push(i as u32);
        }
        true
    }

    fn check_static(&self, e: &Event) -> Result<(), InvalidEvent> {
        if e.id.seq == 0 {
            return Err(InvalidEvent::ZeroSeq(e.id));
        }
        self.limits.check_fields(
            &e.stream,
            &e.kind,
            e.key.as_deref(),
            &e.data,
            e.meta(),
            e.idempotency_key(),
            e.deps().len(),
        )?;
        for d in e.deps() {
            if d.seq == 0 || d.actor == e.id.actor {
                return Err(InvalidEvent::BadDependency { id: e.id, dep: *d });
            }
        }
        Ok(())
    }

    /// Lamport must exceed, and time must not be below, every dependency's (the author's
    /// previous event included). Dependencies not at hand are checked when they are.
    pub(super) fn check_clocks(
        &self,
        e: &Event,
        lookup: &dyn Fn(&EventId) -> Option<(u64, u64)>,
    ) -> Result<(), InvalidEvent> {
        let prev = (e.id.seq > 1).then(|| EventId::new(e.id.actor, e.id.seq - 1));
        for d in prev.iter().chain(e.deps()) {
            if let Some((lamport, time)) = lookup(d) {
                if e.lamport <= lamport {
                    return Err(InvalidEvent::BadLamport { id: e.id, lamport: e.lamport, min_exclusive: lamport });
                }
                if e.time < time {
                    return Err(InvalidEvent::BadTime { id: e.id, time: e.time, min: time });
                }
            }
        }
        Ok(())
    }

    /// Records an event whose whole causal past is applied; returns its arena index.
    /// Does not touch `order` or the stream index (callers merge those per batch).
    pub(super) fn apply_unchecked(&mut self, e: &Event) -> u32 {
        let idx = self.arena.len() as u32;
        // Knowledge: the author's previous knowledge, grown by the explicit deps. Without
        // deps it cannot grow (the previous knowledge is the track's last point), so
        // nothing is recorded and nothing needs cloning. Each dependency's knowledge is
        // merged in place (no version vector copied per dependency).
        let mut knowledge = None;
        if !e.deps().is_empty() {
            let k = knowledge.get_or_insert_with(|| match e.id.seq {
                1 => VersionVector::new(),
                s => self.tracks.get(&e.id.actor).and_then(|t| t.knowledge_at(s - 1)).cloned().unwrap_or_default(),
            });
            for d in e.deps() {
                if let Some(past) = self.tracks.get(&d.actor).and_then(|t| t.knowledge_at(d.seq)) {
                    k.merge(past);
                }
                k.raise(d.actor, d.seq);
            }
            k.set(e.id.actor, 0);
        }
        self.max_lamport = self.max_lamport.max(e.lamport);
        self.max_time = self.max_time.max(e.time);
        self.version.raise(e.id.actor, e.id.seq);
        if let Some(k) = knowledge {
            self.tracks.entry(e.id.actor).or_default().push_knowledge(e.id.seq, k);
        }
        if let Some(k) = e.extra.as_ref().and_then(|x| x.idempotency_key.as_ref()) {
            match self.ikeys.get(k) {
                Some(other) if self.arena.at(*other as usize).order_key() < e.order_key() => {}
                _ => {
                    self.ikeys.insert(k.clone(), idx);
                }
            }
        }
        self.arena.push(e);
        self.conflicts.on_event(idx, e.id, &self.arena, &TracksView(&self.tracks));
        self.generation += 1;
        idx
    }

    /// Merges arena entries `first..` into the total order and stream indexes.
    pub(super) fn finish_merge(&mut self, first: usize, out: &mut Received) {
        if first == self.arena.len() {
            return;
        }
        let mut fresh: Vec<u32> = (first as u32..self.arena.len() as u32).collect();
        let arena = &self.arena;
        sort_indices_by_order(&mut fresh, arena);
        out.earliest = fresh.first().map(|i| arena.at(*i as usize).order_key());
        merge_sorted(&mut self.order, &fresh, arena);
        self.index_streams(first);
    }

    pub(super) fn index_streams(&mut self, first: usize) {
        let arena = &self.arena;
        // Grouped by the interned name's identity: no string hashing per event.
        let mut by_stream: HashMap<NameId, Vec<u32>> = HashMap::default();
        for i in first as u32..arena.len() as u32 {
            by_stream.entry(arena.stream_id(i)).or_default().push(i);
        }
        for (s, mut fresh) in by_stream {
            sort_indices_by_order(&mut fresh, arena);
            let list = self.streams.entry(s).or_default();
            merge_sorted(list, &fresh, arena);
        }
    }
}

/// Works out a causal delivery order for a batch against a copy of the version.
struct Planner<'a> {
    log: &'a Log,
    have: VersionVector,
    /// Events waiting for an id, keyed by that id.
    waiting: HashMap<EventId, Vec<Event>>,
    ready: Vec<Event>,
    ready_ix: HashMap<EventId, usize>,
}

impl Planner<'_> {
    fn first_missing(&self, e: &Event) -> Option<EventId> {
        if self.have.get(&e.id.actor) + 1 < e.id.seq {
            return Some(EventId::new(e.id.actor, e.id.seq - 1));
        }
        e.deps().iter().find(|d| !self.have.includes(d)).copied()
    }

    fn offer(&mut self, e: Event, out: &mut PreparedReceive) {
        let mut queue = vec![e];
        while let Some(e) = queue.pop() {
            if self.have.includes(&e.id) {
                continue;
            }
            if let Some(missing) = self.first_missing(&e) {
                self.waiting.entry(missing).or_default().push(e);
                continue;
            }
            // Now that the whole causal past is at hand, the clocks can be checked fully.
            let lookup = |id: &EventId| {
                self.log
                    .clocks_of(id)
                    .or_else(|| self.ready_ix.get(id).map(|i| (self.ready[*i].lamport, self.ready[*i].time)))
            };
            if let Err(err) = self.log.check_clocks(&e, &lookup) {
                out.rejected.push((e.id, err));
                continue;
            }
            let id = e.id;
            self.have.raise(id.actor, id.seq);
            self.ready_ix.insert(id, self.ready.len());
            self.ready.push(e);
            if let Some(ws) = self.waiting.remove(&id) {
                queue.extend(ws);
            }
            queue.extend(self.log.pending.waiting_for(&id).cloned());
        }
    }
}

pub(super) struct TracksView<'a>(pub &'a HashMap<ActorId, ActorTrack>);

impl CausalLookup for TracksView<'_> {
    fn track(&self, actor: &ActorId) -> Option<&ActorTrack> {
        self.0.get(actor)
    }
}

/// Merges sorted `fresh` into sorted `list` (both arena indices ordered by order key).
fn merge_sorted(list: &mut Vec<u32>, fresh: &[u32], arena: &Arena) {
    let key = |i: &u32| arena.sort_key(*i);
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
