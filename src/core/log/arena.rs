//! The log's event storage: compact records in arrival order, addressed by a `u32` arena
//! index that never changes once assigned. Readers get [`EventRef`] views.
//!
//! An event is not kept as an [`Event`] struct (88 bytes plus one allocation for its
//! payload) but as a 36-byte [`Rec`] plus its payload bytes:
//! - the author as an index into the arena's actor table, the seq as `u32` (an actor's
//!   seqs are gapless, so a seq never exceeds the number of events, which the `u32` arena
//!   index already bounds);
//! - stream, type and key as `u32` ids of the log's interned names ([`Names`]);
//! - the payload in a chunked text arena (64 KiB chunks: no allocation per event, no
//!   copy when the arena grows), located by chunk and offset; its end is where the next
//!   record's payload starts (or the chunk's end);
//! - lamport as `u32` and time as an `i32` delta against the time of the first event of
//!   its chunk of records; a value that does not fit (a lamport beyond 4 billion, a time
//!   more than 24 days from its neighbours) is kept whole in a side table instead;
//! - metadata, idempotency key and explicit dependencies (rare) in a side table, for
//!   the events that have any.
//!
//! Records sit in fixed chunks of 256 (no doubling slack, no realloc copy of every record
//! when the log grows, which in wasm needed the old and the new buffer at once). Index
//! `i` lives in chunk `i >> SHIFT` at slot `i & MASK`.

use super::names::{NameId, Names};
use crate::core::event::{Event, Extra, OrderKey};
use crate::core::event_ref::EventRef;
use crate::core::id::{ActorId, EventId};
use crate::core::name::Name;

/// log2 of the records per chunk: 256 records (9 KiB) per chunk.
const SHIFT: u32 = 8;
const CHUNK: usize = 1 << SHIFT;
const MASK: usize = CHUNK - 1;
/// Bytes per payload chunk (a larger payload gets a chunk of its own size).
const TEXT_CHUNK: usize = 64 << 10;
/// `Rec::actor` bit: the event has an entry in `extras`.
const HAS_EXTRA: u32 = 1 << 31;
/// `Rec::key`: no key.
const NO_KEY: NameId = NameId::MAX;
/// `Rec::lamport` / `Rec::time`: the value is in `wide`.
const WIDE_LAMPORT: u32 = u32::MAX;
const WIDE_TIME: i32 = i32::MIN;

/// One event, compactly (see the module docs).
#[derive(Clone, Copy, Debug)]
struct Rec {
    actor: u32,
    seq: u32,
    stream: NameId,
    kind: NameId,
    key: NameId,
    text: u32,
    start: u32,
    lamport: u32,
    time: i32,
}

const _: () = assert!(std::mem::size_of::<Rec>() == 36);

/// Events by arena index (arrival order). See the module docs.
#[derive(Clone, Default)]
pub struct Arena {
    /// Every chunk but the last is full (`CHUNK` records).
    recs: Vec<Vec<Rec>>,
    /// Per chunk of records: the time its records' deltas count from.
    time_base: Vec<u64>,
    /// Payload text; only the last chunk grows.
    text: Vec<String>,
    len: usize,
    actors: Vec<ActorId>,
    /// `(actor, index in actors)`, sorted by actor.
    actor_ix: Vec<(ActorId, u32)>,
    /// The log's interned names (stream, type, key).
    pub(crate) names: Names,
    /// By arena index, ascending (pushed in arrival order). Sorted vectors rather than
    /// hash maps: lookups are rare, and each map type costs code in the wasm package.
    extras: Vec<(u32, Box<Extra>)>,
    /// `(arena index, lamport, time)` of events whose record cannot hold them.
    wide: Vec<(u32, u64, u64)>,
}

impl Arena {
    /// Number of events.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The event at arena index `i`, if there is one.
    #[inline]
    pub fn get(&self, i: usize) -> Option<EventRef<'_>> {
        (i < self.len).then(|| EventRef::stored(self, i as u32))
    }

    /// The event at arena index `i`, which must exist.
    #[inline]
    pub fn at(&self, i: usize) -> EventRef<'_> {
        debug_assert!(i < self.len, "arena index out of range");
        EventRef::stored(self, i as u32)
    }

    /// Appends an event; returns its arena index.
    pub(crate) fn push(&mut self, e: &Event) -> u32 {
        let i = self.len as u32;
        if self.len & MASK == 0 {
            self.recs.push(Vec::with_capacity(CHUNK));
            self.time_base.push(e.time);
        }
        let base = self.time_base[self.len >> SHIFT];
        // A batch usually has one author: the previous record's actor is checked first.
        let actor = match self.recs.last().and_then(|c| c.last()).map(|r| r.actor & !HAS_EXTRA) {
            Some(a) if self.actors[a as usize] == e.id.actor => a,
            _ => match self.actor_ix.binary_search_by(|(a, _)| a.cmp(&e.id.actor)) {
                Ok(at) => self.actor_ix[at].1,
                Err(at) => {
                    let a = self.actors.len() as u32;
                    self.actors.push(e.id.actor);
                    self.actor_ix.insert(at, (e.id.actor, a));
                    a
                }
            },
        };
        let lamport = u32::try_from(e.lamport).ok().filter(|l| *l != WIDE_LAMPORT);
        let time = i32::try_from(i128::from(e.time) - i128::from(base)).ok().filter(|t| *t != WIDE_TIME);
        if lamport.is_none() || time.is_none() {
            self.wide.push((i, e.lamport, e.time));
        }
        let (text, start) = self.push_text(&e.data);
        let rec = Rec {
            actor: actor | if e.extra.is_some() { HAS_EXTRA } else { 0 },
            // Gapless seqs: never above the event count, which `i` (a `u32`) bounds.
            seq: e.id.seq as u32,
            stream: self.names.intern(&e.stream),
            kind: self.names.intern(&e.kind),
            key: e.key.as_ref().map_or(NO_KEY, |k| self.names.intern(k)),
            text,
            start,
            lamport: lamport.unwrap_or(WIDE_LAMPORT),
            time: time.unwrap_or(WIDE_TIME),
        };
        if let Some(x) = &e.extra {
            self.extras.push((i, x.clone()));
        }
        let last = self.recs.len() - 1;
        self.recs[last].push(rec);
        self.len += 1;
        i
    }

    fn push_text(&mut self, s: &str) -> (u32, u32) {
        if let Some(c) = self.text.last_mut() {
            if c.capacity() - c.len() >= s.len() {
                let start = c.len() as u32;
                c.push_str(s);
                return ((self.text.len() - 1) as u32, start);
            }
        }
        let mut c = String::with_capacity(TEXT_CHUNK.max(s.len()));
        c.push_str(s);
        self.text.push(c);
        ((self.text.len() - 1) as u32, 0)
    }

    #[inline]
    fn rec(&self, i: u32) -> &Rec {
        &self.recs[(i >> SHIFT) as usize][i as usize & MASK]
    }

    /// Every event in arena order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = EventRef<'_>> + '_ {
        (0..self.len as u32).map(move |i| EventRef::stored(self, i))
    }

    /// Events from arena index `from` on, in arena order.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = EventRef<'_>> + '_ {
        self.range(from, self.len)
    }

    /// Events in arena indices `from..to` (clamped to the arena), in arena order.
    pub fn range(&self, from: usize, to: usize) -> impl Iterator<Item = EventRef<'_>> + '_ {
        let to = to.min(self.len);
        (from.min(to) as u32..to as u32).map(move |i| EventRef::stored(self, i))
    }

    // ----- fields of the event at arena index `i` (which must exist) -----

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn id(&self, i: u32) -> EventId {
        let r = self.rec(i);
        EventId::new(self.actors[(r.actor & !HAS_EXTRA) as usize], u64::from(r.seq))
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn stream_id(&self, i: u32) -> NameId {
        self.rec(i).stream
    }

    /// The key's name id, if the event has a key.
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn key_id(&self, i: u32) -> Option<NameId> {
        Some(self.rec(i).key).filter(|k| *k != NO_KEY)
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn stream(&self, i: u32) -> &Name {
        self.names.name(self.rec(i).stream)
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn kind(&self, i: u32) -> &Name {
        self.names.name(self.rec(i).kind)
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn key(&self, i: u32) -> Option<&Name> {
        self.key_id(i).map(|k| self.names.name(k))
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn data(&self, i: u32) -> &str {
        let r = self.rec(i);
        let text = &self.text[r.text as usize];
        let end = match i.checked_add(1).filter(|n| (*n as usize) < self.len).map(|n| self.rec(n)) {
            Some(n) if n.text == r.text => n.start as usize,
            _ => text.len(),
        };
        // Payloads are whole `str`s appended to the chunk: always char boundaries.
        text.get(r.start as usize..end).unwrap_or_default()
    }

    /// `(lamport, time)`.
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn clocks(&self, i: u32) -> (u64, u64) {
        let r = self.rec(i);
        if r.lamport == WIDE_LAMPORT || r.time == WIDE_TIME {
            return self.wide(i);
        }
        let base = self.time_base[(i >> SHIFT) as usize];
        (u64::from(r.lamport), base.wrapping_add_signed(i64::from(r.time)))
    }

    #[cold]
    #[inline(never)]
    fn wide(&self, i: u32) -> (u64, u64) {
        // Every record marked wide has its entry (pushed with it).
        let at = self.wide.binary_search_by_key(&i, |w| w.0).ok();
        at.and_then(|at| self.wide.get(at)).map_or((0, 0), |w| (w.1, w.2))
    }

    /// A record's lamport (it holds it whenever it fits, even when the time does not).
    #[inline]
    fn lamport_of(&self, r: &Rec, i: u32) -> u64 {
        if r.lamport != WIDE_LAMPORT {
            u64::from(r.lamport)
        } else {
            self.wide(i).0
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn order_key(&self, i: u32) -> OrderKey {
        let r = self.rec(i);
        (self.lamport_of(r, i), self.actors[(r.actor & !HAS_EXTRA) as usize].0, u64::from(r.seq))
    }

    /// The order key with the actor as one `u128` (the same order), for sorting.
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn sort_key(&self, i: u32) -> (u64, u128, u32) {
        let r = self.rec(i);
        (self.lamport_of(r, i), u128::from_be_bytes(self.actors[(r.actor & !HAS_EXTRA) as usize].0), r.seq)
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn extra(&self, i: u32) -> Option<&Extra> {
        if self.rec(i).actor & HAS_EXTRA == 0 {
            return None;
        }
        let at = self.extras.binary_search_by_key(&i, |x| x.0).ok()?;
        Some(&self.extras[at].1)
    }

    /// An owned copy of the event.
    pub(crate) fn to_event(&self, i: u32) -> Event {
        let (lamport, time) = self.clocks(i);
        Event {
            id: self.id(i),
            stream: self.stream(i).clone(),
            kind: self.kind(i).clone(),
            key: self.key(i).cloned(),
            data: self.data(i).into(),
            lamport,
            time,
            extra: self.extra(i).map(|x| Box::new(x.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::id::{ActorId, EventId};

    fn ev(seq: u64) -> Event {
        Event {
            id: EventId::new(ActorId::from_u128(1 + seq as u128 % 3), seq),
            stream: format!("s{}", seq % 5).into(),
            kind: "t".into(),
            key: seq.is_multiple_of(2).then(|| "k".into()),
            data: format!("{{\"n\":{seq},\"pad\":\"{}\"}}", "x".repeat(seq as usize % 700)).into(),
            lamport: if seq == 7 { u64::MAX - 1 } else { seq },
            time: match seq {
                9 => u64::MAX,
                10 => 0,
                _ => 1_700_000_000_000 + seq * 1000,
            },
            extra: Extra::boxed(
                crate::core::event::Meta::new(),
                seq.is_multiple_of(50).then(|| "ik".into()),
                Box::new([]),
            ),
        }
    }

    #[test]
    fn events_come_back_as_they_went_in_across_chunks_and_ranges_clamp() {
        let mut a = Arena::default();
        let n = CHUNK * 2 + 5 + 300;
        for s in 1..=n as u64 {
            assert_eq!(a.push(&ev(s)) as u64, s - 1);
        }
        assert_eq!(a.len(), n);
        assert!(a.text.len() > 1, "the test must cross payload chunks");
        for (i, e) in a.iter().enumerate() {
            assert_eq!(e, ev(i as u64 + 1), "event {i}");
            assert_eq!(e.to_event(), ev(i as u64 + 1));
            assert_eq!(a.get(i).map(|e| e.id().seq), Some(i as u64 + 1));
        }
        assert!(a.get(n).is_none());
        assert_eq!(a.iter().next_back().map(|e| e.id().seq), Some(n as u64));
        for from in [0, 3, CHUNK - 1, CHUNK, 2 * CHUNK, n - 1, n, n + 7] {
            let seqs: Vec<u64> = a.iter_from(from).map(|e| e.id().seq).collect();
            let want: Vec<u64> = (from as u64 + 1..=n as u64).collect();
            assert_eq!(seqs, want, "from {from}");
        }
        let r: Vec<u64> = a.range(CHUNK - 2, CHUNK + 2).map(|e| e.id().seq).collect();
        assert_eq!(r, vec![CHUNK as u64 - 1, CHUNK as u64, CHUNK as u64 + 1, CHUNK as u64 + 2]);
        assert_eq!(a.range(n - 1, n + 10).count(), 1);
        assert_eq!(a.range(5, 3).count(), 0);
        // A clone keeps appending correctly (its text chunks have no spare capacity).
        let mut b = a.clone();
        b.push(&ev(n as u64 + 1));
        assert_eq!(b.at(n - 1), ev(n as u64));
        assert_eq!(b.at(n), ev(n as u64 + 1));
    }
}
