//! What a document knows about each change it applied: the event that carried it, its
//! hash, and its automerge identity `(actor, seq)` with its last op counter.
//!
//! The compact payload ([`super::payload`]) names a change's dependencies by
//! `(actor, seq)` instead of by their 32-byte hash, and predicts its first op counter from
//! the dependencies' last ones; this index is what turns those back into hashes. It holds
//! exactly the changes of the stream's events read so far, in the log's total order, so
//! every replica that read the same events resolves the same names to the same hashes.
//!
//! It is kept small because a document holds one entry per change for its whole life
//! (docs/documents.md, "Memory: where the heap goes"): a 64-byte record per change in
//! fixed-size chunks (no doubling slack), a per-actor list of record numbers sorted by
//! seq (4 bytes each), and an open-addressing table of record numbers keyed by hash
//! (4 bytes per slot). The hash stays in the record: automerge 0.12 holds it too, but has no public lookup from
//! `(actor, seq)` to hash, which every compact payload read needs.

use std::hash::BuildHasher;

use automerge::{ActorId, ChangeHash};

use crate::core::hash::{Map, Seeded};
use crate::core::EventId;

/// One applied change (a copy; the index stores it packed).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Applied {
    pub event: EventId,
    pub hash: ChangeHash,
    pub seq: u64,
    pub max_op: u64,
    /// Index into the index's automerge actors ([`Index::actor`]).
    actor: u32,
}

/// The stored form of a change: no padding, the actors as table indices.
#[derive(Clone, Copy)]
struct Record {
    hash: [u8; 32],
    event_seq: u64,
    seq: u64,
    max_op: u64,
    event_actor: u32,
    actor: u32,
}

/// Records per chunk: the records live in chunks allocated at this size, so a long
/// history costs at most one partly filled chunk of slack instead of a doubling `Vec`'s.
const CHUNK: usize = 1024;
/// An empty slot of the hash table.
const EMPTY: u32 = u32::MAX;

/// The applied changes of one document, findable by hash and by `(actor, seq)`. The
/// tables are filled from remote events, so the hash table is keyed by the log's seeded
/// hasher (a peer cannot grind change hashes that collide in it).
#[derive(Default)]
pub(crate) struct Index {
    chunks: Vec<Vec<Record>>,
    len: usize,
    /// The changes' automerge actors, and for each the numbers of its records sorted by
    /// seq (the first record of each seq).
    actors: Vec<ActorId>,
    actor_ix: Map<ActorId, u32>,
    by_seq: Vec<Vec<u32>>,
    /// The events' actors (the same as the changes' for every change everlog writes).
    event_actors: Vec<crate::core::ActorId>,
    event_actor_ix: Map<crate::core::ActorId, u32>,
    /// Open addressing, linear probing: record numbers (the first record of each hash),
    /// a power of two long, at most three quarters full.
    by_hash: Vec<u32>,
    hashed: usize,
    hasher: Seeded,
}

impl Index {
    /// Records a change. The first change to claim a hash or an `(actor, seq)` keeps it
    /// (a later duplicate is a broken or hostile log; automerge rejects it anyway).
    pub fn record(&mut self, event: EventId, hash: ChangeHash, actor: &ActorId, seq: u64, max_op: u64) {
        let actor = intern(&mut self.actors, &mut self.actor_ix, actor);
        if actor as usize == self.by_seq.len() {
            self.by_seq.push(Vec::new());
        }
        let event_actor = intern(&mut self.event_actors, &mut self.event_actor_ix, &event.actor);
        let at = u32::try_from(self.len).expect("more than 4 billion changes in one document");
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let rec = Record { hash: hash.0, event_seq: event.seq, seq, max_op, event_actor, actor };
        self.chunks.last_mut().expect("a chunk was just ensured").push(rec);
        self.len += 1;
        self.insert_seq(actor, seq, at);
        self.insert_hash(&hash, at);
    }

    /// Adds record `at` to its actor's seq list unless that seq is taken.
    fn insert_seq(&mut self, actor: u32, seq: u64, at: u32) {
        let Index { chunks, by_seq, .. } = self;
        let list = &mut by_seq[actor as usize];
        // The common case: an actor's changes arrive in seq order.
        if list.last().is_none_or(|&l| get(chunks, l).seq < seq) {
            list.push(at);
        } else if let Err(pos) = list.binary_search_by_key(&seq, |&r| get(chunks, r).seq) {
            list.insert(pos, at);
        }
    }

    /// Adds record `at` to the hash table unless its hash is there.
    fn insert_hash(&mut self, hash: &ChangeHash, at: u32) {
        if (self.hashed + 1) * 4 > self.by_hash.len() * 3 {
            self.grow();
        }
        let mask = self.by_hash.len() - 1;
        let mut i = self.hasher.hash_one(hash.0) as usize & mask;
        loop {
            match self.by_hash[i] {
                EMPTY => {
                    self.by_hash[i] = at;
                    self.hashed += 1;
                    return;
                }
                r if get(&self.chunks, r).hash == hash.0 => return,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Doubles the hash table (or makes its first one) and places every entry again.
    fn grow(&mut self) {
        let size = (self.by_hash.len() * 2).max(64);
        let old = std::mem::replace(&mut self.by_hash, vec![EMPTY; size]);
        let mask = size - 1;
        for r in old.into_iter().filter(|&r| r != EMPTY) {
            let mut i = self.hasher.hash_one(get(&self.chunks, r).hash) as usize & mask;
            while self.by_hash[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.by_hash[i] = r;
        }
    }

    /// How many changes are recorded.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Forgets the changes recorded after the first `len` (those of a batch automerge
    /// refused), as if they had never been recorded. Costs a few lookups per forgotten
    /// change.
    pub fn truncate(&mut self, len: usize) {
        while self.len > len {
            let at = (self.len - 1) as u32;
            let rec = *get(&self.chunks, at);
            let Index { chunks, by_seq, .. } = self;
            let list = &mut by_seq[rec.actor as usize];
            if let Ok(pos) = list.binary_search_by_key(&rec.seq, |&r| get(chunks, r).seq) {
                if list[pos] == at {
                    list.remove(pos);
                }
            }
            self.remove_hash(&rec.hash, at);
            let last = self.chunks.last_mut().expect("a record is in the last chunk");
            last.pop();
            if last.is_empty() {
                self.chunks.pop();
            }
            self.len -= 1;
        }
    }

    /// Takes record `at` out of the hash table if it is there (backward-shift deletion:
    /// the entries after it in its probe run move up, so no lookup stops early).
    fn remove_hash(&mut self, hash: &[u8; 32], at: u32) {
        if self.by_hash.is_empty() {
            return;
        }
        let mask = self.by_hash.len() - 1;
        let mut i = self.hasher.hash_one(hash) as usize & mask;
        loop {
            match self.by_hash[i] {
                EMPTY => return,
                r if r == at => break,
                _ => i = (i + 1) & mask,
            }
        }
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let r = self.by_hash[j];
            if r == EMPTY {
                break;
            }
            // `r` stays unless its home slot is outside the run (i, j] it would skip.
            let home = self.hasher.hash_one(get(&self.chunks, r).hash) as usize & mask;
            let stays = if i <= j { i < home && home <= j } else { i < home || home <= j };
            if !stays {
                self.by_hash[i] = r;
                i = j;
            }
        }
        self.by_hash[i] = EMPTY;
        self.hashed -= 1;
    }

    /// Every recorded change, in the order recorded.
    pub fn iter(&self) -> impl Iterator<Item = Applied> + '_ {
        self.iter_from(0)
    }

    /// The recorded changes from the `start`-th on, in the order recorded.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = Applied> + '_ {
        let first = self.chunks.get(start / CHUNK).map_or(&[][..], |c| c.get(start % CHUNK..).unwrap_or(&[]));
        let rest = self.chunks.iter().skip(start / CHUNK + 1).flatten();
        first.iter().chain(rest).map(|r| self.applied(r))
    }

    fn applied(&self, r: &Record) -> Applied {
        Applied {
            event: EventId::new(self.event_actors[r.event_actor as usize], r.event_seq),
            hash: ChangeHash(r.hash),
            seq: r.seq,
            max_op: r.max_op,
            actor: r.actor,
        }
    }

    pub fn actor(&self, r: &Applied) -> &ActorId {
        &self.actors[r.actor as usize]
    }

    pub fn by_hash(&self, hash: &ChangeHash) -> Option<Applied> {
        if self.by_hash.is_empty() {
            return None;
        }
        let mask = self.by_hash.len() - 1;
        let mut i = self.hasher.hash_one(hash.0) as usize & mask;
        loop {
            match self.by_hash[i] {
                EMPTY => return None,
                r => {
                    let rec = get(&self.chunks, r);
                    if rec.hash == hash.0 {
                        return Some(self.applied(rec));
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// The recorded change of `actor` with the highest seq.
    pub fn latest(&self, actor: &ActorId) -> Option<Applied> {
        let list = &self.by_seq[*self.actor_ix.get(actor)? as usize];
        Some(self.applied(get(&self.chunks, *list.last()?)))
    }

    pub fn by_seq(&self, actor: &ActorId, seq: u64) -> Option<Applied> {
        let list = &self.by_seq[*self.actor_ix.get(actor)? as usize];
        let first = get(&self.chunks, *list.first()?).seq;
        // Seqs usually run 1, 2, 3…: try the position the seq would have then.
        let guess = seq.checked_sub(first).and_then(|d| usize::try_from(d).ok()).and_then(|d| list.get(d));
        let r = match guess {
            Some(&r) if get(&self.chunks, r).seq == seq => r,
            _ => list[list.binary_search_by_key(&seq, |&r| get(&self.chunks, r).seq).ok()?],
        };
        Some(self.applied(get(&self.chunks, r)))
    }
}

fn get(chunks: &[Vec<Record>], r: u32) -> &Record {
    let r = r as usize;
    &chunks[r / CHUNK][r % CHUNK]
}

fn intern<K: Clone + Eq + std::hash::Hash>(table: &mut Vec<K>, ix: &mut Map<K, u32>, key: &K) -> u32 {
    if let Some(i) = ix.get(key) {
        return *i;
    }
    let i = u32::try_from(table.len()).expect("more than 4 billion actors in one document");
    table.push(key.clone());
    ix.insert(key.clone(), i);
    i
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
