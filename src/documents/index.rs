//! What a document knows about each change it applied: the event that carried it, its
//! hash, and its automerge identity `(actor, seq)` with its last op counter.
//!
//! The compact payload ([`super::payload`]) names a change's dependencies by
//! `(actor, seq)` instead of by their 32-byte hash, and predicts its first op counter from
//! the dependencies' last ones; this index is what turns those back into hashes. It holds
//! exactly the changes of the stream's events read so far, in the log's total order, so
//! every replica that read the same events resolves the same names to the same hashes.

use automerge::{ActorId, ChangeHash};

use crate::core::hash::Map;
use crate::core::EventId;

/// One applied change.
#[derive(Clone, Debug)]
pub(crate) struct Applied {
    pub event: EventId,
    pub hash: ChangeHash,
    /// Index into [`Index::actors`].
    pub actor: u32,
    pub seq: u64,
    pub max_op: u64,
}

/// The applied changes of one document, findable by hash and by `(actor, seq)` (the
/// log's seeded foldhash maps: these are filled from remote events, once per change).
#[derive(Default)]
pub(crate) struct Index {
    records: Vec<Applied>,
    actors: Vec<ActorId>,
    actor_ix: Map<ActorId, u32>,
    by_hash: Map<ChangeHash, u32>,
    by_seq: Map<(u32, u64), u32>,
}

impl Index {
    /// Records a change. The first change to claim a hash or an `(actor, seq)` keeps it
    /// (a later duplicate is a broken or hostile log; automerge rejects it anyway).
    pub fn record(&mut self, event: EventId, hash: ChangeHash, actor: &ActorId, seq: u64, max_op: u64) {
        let actor = self.intern(actor);
        let at = self.records.len() as u32;
        self.records.push(Applied { event, hash, actor, seq, max_op });
        self.by_hash.entry(hash).or_insert(at);
        self.by_seq.entry((actor, seq)).or_insert(at);
    }

    fn intern(&mut self, actor: &ActorId) -> u32 {
        if let Some(i) = self.actor_ix.get(actor) {
            return *i;
        }
        let i = self.actors.len() as u32;
        self.actors.push(actor.clone());
        self.actor_ix.insert(actor.clone(), i);
        i
    }

    pub fn records(&self) -> &[Applied] {
        &self.records
    }

    pub fn actor(&self, r: &Applied) -> &ActorId {
        &self.actors[r.actor as usize]
    }

    pub fn by_hash(&self, hash: &ChangeHash) -> Option<&Applied> {
        self.by_hash.get(hash).map(|i| &self.records[*i as usize])
    }

    pub fn by_seq(&self, actor: &ActorId, seq: u64) -> Option<&Applied> {
        let a = self.actor_ix.get(actor)?;
        self.by_seq.get(&(*a, seq)).map(|i| &self.records[*i as usize])
    }
}
