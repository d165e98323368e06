//! The log's event storage: events in arrival order, addressed by a `u32` arena index that
//! never changes once assigned.
//!
//! Held in fixed-size chunks rather than one growing `Vec`:
//! - no doubling slack: a `Vec` of 100k events sits in a 131,072-slot buffer (+31% of the
//!   events' own size); chunks waste at most one partly filled chunk;
//! - no realloc copy of every event when the log grows (in wasm, where realloc copies, a
//!   merge into a large log copied the whole arena on every doubling, and needed the old
//!   and the new buffer at once).
//!
//! Index `i` lives in chunk `i >> SHIFT` at slot `i & MASK`: one shift, one mask and two
//! bounds checks, against one bound check for a flat `Vec`.

use crate::core::event::Event;
use crate::core::event_ref::EventRef;

/// log2 of the events per chunk: 256 events (22 KiB natively) per chunk. Small enough to
/// come from the allocator's heap rather than a fresh mapping per chunk (larger chunks
/// measured slower merges), large enough that the chunk table stays small.
const SHIFT: u32 = 8;
const CHUNK: usize = 1 << SHIFT;
const MASK: usize = CHUNK - 1;

/// Events by arena index (arrival order). See the module docs.
#[derive(Clone, Default)]
pub struct Arena {
    /// Every chunk but the last is full (`CHUNK` events); each is allocated with exactly
    /// `CHUNK` slots, so pushing never reallocates one.
    chunks: Vec<Vec<Event>>,
    len: usize,
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
        self.chunks.get(i >> SHIFT)?.get(i & MASK).map(Event::view)
    }

    /// The event at arena index `i`, which must exist.
    #[inline]
    pub fn at(&self, i: usize) -> EventRef<'_> {
        self.chunks[i >> SHIFT][i & MASK].view()
    }

    /// Appends an event; returns its arena index.
    pub(crate) fn push(&mut self, e: Event) -> u32 {
        if self.len & MASK == 0 {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let last = self.chunks.len() - 1;
        self.chunks[last].push(e);
        self.len += 1;
        (self.len - 1) as u32
    }

    /// Every event in arena order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = EventRef<'_>> + '_ {
        self.chunks.iter().flatten().map(Event::view)
    }

    /// Events from arena index `from` on, in arena order.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = EventRef<'_>> + '_ {
        let first = self.chunks.get(from >> SHIFT).map_or(&[][..], |c| c.get(from & MASK..).unwrap_or_default());
        first.iter().chain(self.chunks.iter().skip((from >> SHIFT) + 1).flatten()).map(Event::view)
    }

    /// Events in arena indices `from..to` (clamped to the arena), in arena order.
    pub fn range(&self, from: usize, to: usize) -> impl Iterator<Item = EventRef<'_>> + '_ {
        self.iter_from(from).take(to.min(self.len).saturating_sub(from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::id::{ActorId, EventId};

    fn ev(seq: u64) -> Event {
        Event {
            id: EventId::new(ActorId::from_u128(1), seq),
            stream: "s".into(),
            kind: "t".into(),
            key: None,
            data: "null".into(),
            lamport: seq,
            time: 0,
            extra: None,
        }
    }

    #[test]
    fn indices_are_stable_across_chunks_and_ranges_clamp() {
        let mut a = Arena::default();
        let n = CHUNK * 2 + 5;
        for s in 1..=n as u64 {
            assert_eq!(a.push(ev(s)) as u64, s - 1);
        }
        assert_eq!(a.len(), n);
        assert!(a.chunks.iter().all(|c| c.capacity() == CHUNK));
        for i in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, n - 1] {
            assert_eq!(a.at(i).id().seq, i as u64 + 1);
            assert_eq!(a.get(i).map(|e| e.id().seq), Some(i as u64 + 1));
        }
        assert!(a.get(n).is_none());
        assert_eq!(a.iter().count(), n);
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
    }
}
