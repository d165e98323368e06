//! The log's event storage: compact records in arrival order, addressed by a `u32` arena
//! index that never changes once assigned. Readers get [`EventRef`] views.
//!
//! An event is not kept as an [`Event`] struct (88 bytes plus one allocation for its
//! payload) but as a 28-byte [`Rec`] plus its payload bytes:
//! - the author as an index into the arena's actor table and the type as the `u32` id of
//!   its interned name, in 16 bits each (`Rec::head`; an index or id too large for that
//!   is kept whole in a side table instead); no seq: an actor's events
//!   arrive in seq order and its seqs are gapless, so the arena keeps, per actor, the
//!   arena indices of its events in seq order ([`Places`]: runs of consecutive indices,
//!   or a plain list when runs are short; it also answers "where is event (actor,
//!   seq)"), and a record's seq is its rank there;
//! - stream and key as `u32` ids of the log's interned names ([`Names`]);
//! - the payload in a chunked text arena (64 KiB chunks: no allocation per event, no
//!   copy when the arena grows), located by one `u32`: the text chunk, counted from the
//!   first text chunk of the record's chunk of records (high 16 bits), and the offset in
//!   it (low 16 bits: a payload starts in the first 64 KiB of its text chunk, since a
//!   larger one gets a chunk of its own); its end is where the next record's payload
//!   starts (or the chunk's end);
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
use super::places::Places;
use crate::core::event::{Event, Extra, OrderKey};
use crate::core::event_ref::EventRef;
use crate::core::id::{ActorId, EventId};
use crate::core::name::Name;

/// log2 of the records per chunk: 256 records (7 KiB) per chunk.
const SHIFT: u32 = 8;
const CHUNK: usize = 1 << SHIFT;
const MASK: usize = CHUNK - 1;
/// Bytes per payload chunk (a larger payload gets a chunk of its own size). A payload
/// starts at an offset below 64 KiB (`Rec::text`'s low 16 bits).
const TEXT_CHUNK: usize = 64 << 10;
const TEXT_OFFSET_MAX: usize = u16::MAX as usize;
/// `Rec::head` bit: the event has an entry in `extras`.
const HAS_EXTRA: u32 = 1 << 15;
/// `Rec::head`'s bits for the actor index; all set: the index is in `wide_ids`.
const ACTOR: u32 = HAS_EXTRA - 1;
/// `Rec::head >> 16`: the type's name id is in `wide_ids`.
const WIDE_KIND: u32 = 0xffff;
/// `Rec::key`: no key.
const NO_KEY: NameId = NameId::MAX;
/// `Rec::lamport` / `Rec::time`: the value is in `wide`.
const WIDE_LAMPORT: u32 = u32::MAX;
const WIDE_TIME: i32 = i32::MIN;

/// One event, compactly (see the module docs).
#[derive(Clone, Copy, Debug)]
struct Rec {
    /// Actor index (15 bits), `HAS_EXTRA`, type name id (16 bits).
    head: u32,
    stream: NameId,
    key: NameId,
    /// Text chunk (relative to `text_base` of the record's chunk) `<< 16 | offset`.
    text: u32,
    lamport: u32,
    time: i32,
}

const _: () = assert!(std::mem::size_of::<Rec>() == 24);

/// Events by arena index (arrival order). See the module docs.
#[derive(Clone, Default)]
pub struct Arena {
    /// Every chunk but the last is full (`CHUNK` records).
    recs: Vec<Vec<Rec>>,
    /// Per chunk of records: the time its records' deltas count from.
    time_base: Vec<u64>,
    /// Per chunk of records: the text chunk its records' text chunks count from.
    text_base: Vec<u32>,
    /// Payload text; only the last chunk grows.
    text: Vec<String>,
    len: usize,
    actors: Vec<ActorId>,
    /// Per actor (same index as `actors`): the arena indices of its events, by seq.
    places: Vec<Places>,
    /// `(actor, index in actors)`, sorted by actor.
    actor_ix: Vec<(ActorId, u32)>,
    /// The log's interned names (stream, type, key).
    pub(crate) names: Names,
    /// By arena index, ascending (pushed in arrival order). Sorted vectors rather than
    /// hash maps: lookups are rare, and each map type costs code in the wasm package.
    extras: Vec<(u32, Box<Extra>)>,
    /// `(arena index, lamport, time)` of events whose record cannot hold them.
    wide: Vec<(u32, u64, u64)>,
    /// `(arena index, actor index, type name id)` of events whose record cannot hold
    /// either (past 32,767 actors or 65,535 names).
    wide_ids: Vec<(u32, u32, NameId)>,
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
            self.text_base.push(self.text.len().saturating_sub(1) as u32);
        }
        let base = self.time_base[self.len >> SHIFT];
        // A batch usually has one author: the previous record's actor is checked first.
        let last = self.len.checked_sub(1).map(|p| self.actor_at(self.rec(p as u32), p as u32));
        let actor = match last {
            Some(a) if self.actors[a] == e.id.actor => a as u32,
            _ => match self.actor_ix.binary_search_by(|(a, _)| a.cmp(&e.id.actor)) {
                Ok(at) => self.actor_ix[at].1,
                Err(at) => {
                    let a = self.actors.len() as u32;
                    self.actors.push(e.id.actor);
                    self.places.push(Places::default());
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
        let places = &mut self.places[actor as usize];
        debug_assert_eq!(u64::from(places.len()) + 1, e.id.seq, "events of an actor arrive in seq order, without gaps");
        places.push(i);
        let text = (text - self.text_base[self.len >> SHIFT]) << 16 | start;
        let kind = self.names.intern(&e.kind);
        if actor >= ACTOR || kind >= WIDE_KIND {
            self.wide_ids.push((i, actor, kind));
        }
        let rec = Rec {
            head: actor.min(ACTOR) | if e.extra.is_some() { HAS_EXTRA } else { 0 } | kind.min(WIDE_KIND) << 16,
            stream: self.names.intern(&e.stream),
            key: e.key.as_ref().map_or(NO_KEY, |k| self.names.intern(k)),
            text,
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
            if c.capacity() - c.len() >= s.len() && c.len() <= TEXT_OFFSET_MAX {
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

    /// `(text chunk, offset)` of the payload of record `r`, at arena index `i`.
    #[inline]
    fn text_at(&self, r: &Rec, i: u32) -> (usize, usize) {
        ((self.text_base[(i >> SHIFT) as usize] + (r.text >> 16)) as usize, (r.text & 0xffff) as usize)
    }

    /// The actor index of record `r`, at arena index `i`.
    #[inline]
    fn actor_at(&self, r: &Rec, i: u32) -> usize {
        match r.head & ACTOR {
            ACTOR => self.wide_ids(i).0 as usize,
            a => a as usize,
        }
    }

    /// `(actor index, type name id)` of an event whose record holds either as "wide".
    #[cold]
    #[inline(never)]
    fn wide_ids(&self, i: u32) -> (u32, NameId) {
        side_entry(&self.wide_ids, i)
    }

    /// The seq of record `r`, at arena index `i`: its rank among its actor's events.
    #[inline]
    fn seq(&self, r: &Rec, i: u32) -> u32 {
        self.places[self.actor_at(r, i)].rank(i) + 1
    }

    /// The places of `actor`'s events, if it has any.
    fn places_of(&self, actor: &ActorId) -> Option<&Places> {
        let at = self.actor_ix.binary_search_by(|(a, _)| a.cmp(actor)).ok()?;
        Some(&self.places[self.actor_ix[at].1 as usize])
    }

    /// The arena index of the event `id`, if the arena holds it.
    pub(crate) fn index_of(&self, id: &EventId) -> Option<u32> {
        let k = u32::try_from(id.seq).ok()?.checked_sub(1)?;
        self.places_of(&id.actor)?.get(k)
    }

    /// Appends the arena indices of the events of `actor` with seqs `from + 1 ..= to`
    /// (clamped) to `out`.
    pub(crate) fn extend_actor_events(&self, actor: &ActorId, from: u64, to: u64, out: &mut Vec<u32>) {
        if let Some(p) = self.places_of(actor) {
            let clamp = |s: u64| u32::try_from(s).unwrap_or(u32::MAX);
            p.extend_range(clamp(from), clamp(to), out);
        }
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
        EventId::new(self.actors[self.actor_at(r, i)], u64::from(self.seq(r, i)))
    }

    /// The author of the event at arena index `i` (its id without the seq lookup).
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn actor(&self, i: u32) -> ActorId {
        let r = self.rec(i);
        self.actors[self.actor_at(r, i)]
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
        let kind = match self.rec(i).head >> 16 {
            WIDE_KIND => self.wide_ids(i).1,
            k => k,
        };
        self.names.name(kind)
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn key(&self, i: u32) -> Option<&Name> {
        self.key_id(i).map(|k| self.names.name(k))
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn data(&self, i: u32) -> &str {
        let (chunk, start) = self.text_at(self.rec(i), i);
        let text = &self.text[chunk];
        let end = match i.checked_add(1).filter(|n| (*n as usize) < self.len).map(|n| self.text_at(self.rec(n), n)) {
            Some((c, s)) if c == chunk => s,
            _ => text.len(),
        };
        // Payloads are whole `str`s appended to the chunk: always char boundaries.
        text.get(start..end).unwrap_or_default()
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
        side_entry(&self.wide, i)
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
        (self.lamport_of(r, i), self.actors[self.actor_at(r, i)].0, u64::from(self.seq(r, i)))
    }

    /// The order key with the actor as one `u128` (the same order), for sorting. Without
    /// the seq: an actor's lamports grow with its seqs (the clock checks refuse anything
    /// else before an event reaches the arena), so `(lamport, actor)` is already unique.
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn sort_key(&self, i: u32) -> (u64, u128) {
        let r = self.rec(i);
        (self.lamport_of(r, i), u128::from_be_bytes(self.actors[self.actor_at(r, i)].0))
    }

    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn extra(&self, i: u32) -> Option<&Extra> {
        if self.rec(i).head & HAS_EXTRA == 0 {
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

/// The entry of arena index `i` in a side table of records marked wide, sorted by index.
/// Every record marked wide has its entry (pushed with it); zeros otherwise.
fn side_entry<A: Copy + Default, B: Copy + Default>(table: &[(u32, A, B)], i: u32) -> (A, B) {
    let at = table.binary_search_by_key(&i, |w| w.0).ok();
    at.and_then(|at| table.get(at)).map_or_else(Default::default, |w| (w.1, w.2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::id::{ActorId, EventId};

    /// Event number `seq` (from 1): three actors in turn, each with gapless seqs.
    fn ev(seq: u64) -> Event {
        Event {
            id: EventId::new(ActorId::from_u128(1 + seq as u128 % 3), (seq - 1) / 3 + 1),
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
            assert_eq!(a.get(i).map(|e| e.id()), Some(ev(i as u64 + 1).id));
            assert_eq!(a.index_of(&ev(i as u64 + 1).id), Some(i as u32));
        }
        assert!(a.get(n).is_none());
        assert_eq!(a.iter().next_back().map(|e| e.id()), Some(ev(n as u64).id));
        let id = |k: u64| ev(k).id;
        for from in [0, 3, CHUNK - 1, CHUNK, 2 * CHUNK, n - 1, n, n + 7] {
            let ids: Vec<EventId> = a.iter_from(from).map(|e| e.id()).collect();
            let want: Vec<EventId> = (from as u64 + 1..=n as u64).map(id).collect();
            assert_eq!(ids, want, "from {from}");
        }
        let r: Vec<EventId> = a.range(CHUNK - 2, CHUNK + 2).map(|e| e.id()).collect();
        assert_eq!(r, (CHUNK as u64 - 1..=CHUNK as u64 + 2).map(id).collect::<Vec<_>>());
        let actor_events = |actor: u128, from: u64, to: u64| {
            let mut out = Vec::new();
            a.extend_actor_events(&ActorId::from_u128(actor), from, to, &mut out);
            out
        };
        assert_eq!(actor_events(2, 1, 3), [3, 6]);
        assert!(actor_events(2, 5, 2).is_empty());
        assert!(actor_events(9, 0, 3).is_empty());
        assert_eq!(a.index_of(&EventId::new(ActorId::from_u128(2), 0)), None);
        assert_eq!(a.range(n - 1, n + 10).count(), 1);
        assert_eq!(a.range(5, 3).count(), 0);
        // A clone keeps appending correctly (its text chunks have no spare capacity).
        let mut b = a.clone();
        b.push(&ev(n as u64 + 1));
        assert_eq!(b.at(n - 1), ev(n as u64));
        assert_eq!(b.at(n), ev(n as u64 + 1));
    }

    #[test]
    fn actors_and_types_past_the_records_16_bits_are_kept_whole() {
        let mut a = Arena::default();
        // 70,000 distinct names (past 65,535) and 33,000 actors (past 32,767).
        let n = 70_000u32;
        let e = |k: u32| Event {
            id: EventId::new(ActorId::from_u128(1 + (k % 33_000) as u128), 1 + u64::from(k / 33_000)),
            stream: "s".into(),
            kind: format!("t{k}").into(),
            key: None,
            data: format!("{k}").into(),
            lamport: u64::from(k) + 1,
            time: 5,
            extra: None,
        };
        for k in 0..n {
            a.push(&e(k));
        }
        assert!(!a.wide_ids.is_empty());
        for k in [0, 1, 32_766, 32_767, 32_999, 33_000, 65_534, 65_535, 65_536, n - 1] {
            let got = a.at(k as usize);
            assert_eq!(got, e(k), "event {k}");
            assert_eq!(a.index_of(&e(k).id), Some(k));
        }
    }
}
