//! Causality without a version vector per event.
//!
//! Each event stores only the dependencies its own previous event does not imply (usually
//! none). Per actor the log's arena keeps the events' positions (seq is contiguous, so
//! `seq - 1` indexes them), and we keep the few **knowledge points** where that actor's
//! knowledge of others grew:
//! `(seq, vv)` meaning "from event `seq` on, this actor had seen `vv` of the others".
//! The causal past of `(actor, seq)` is the last point at or before `seq`, found by binary
//! search, plus the actor's own events `1..=seq`.
//!
//! `a` happened before `b` ⇔ `a != b` and `vv(b)[a.actor] >= a.seq`.
//!
//! Memory: one version vector per merge an actor observed (not per event), beside the
//! arena's one `u32` per event. A burst of local writes adds no knowledge point.

use super::id::{ActorId, EventId};
use super::version::VersionVector;

/// What the log knows about one actor's history (where its events are, by seq, is the
/// arena's: `Arena::index_of`).
#[derive(Default, Clone, Debug)]
pub(crate) struct ActorTrack {
    /// `(seq, knowledge of other actors)` from that seq on; strictly growing, sorted by seq.
    pub points: Vec<(u64, VersionVector)>,
}

impl ActorTrack {
    /// Knowledge of other actors at `seq` (not including the actor itself).
    pub fn knowledge_at(&self, seq: u64) -> Option<&VersionVector> {
        let i = self.points.partition_point(|(s, _)| *s <= seq);
        if i == 0 {
            None
        } else {
            Some(&self.points[i - 1].1)
        }
    }

    /// Records the knowledge of the event with the next seq, if it grew.
    pub fn push_knowledge(&mut self, seq: u64, vv: VersionVector) {
        let grew = match self.points.last() {
            Some((_, last)) => !vv.le(last),
            None => !vv.is_empty(),
        };
        if grew {
            self.points.push((seq, vv));
        }
    }
}

/// Lookups over the per-actor tracks.
pub(crate) trait CausalLookup {
    fn track(&self, actor: &ActorId) -> Option<&ActorTrack>;

    /// Does `b`'s causal past include `a` (or is it `a`)?
    fn knows(&self, b: &EventId, a: &EventId) -> bool {
        if a.actor == b.actor {
            return a.seq <= b.seq;
        }
        self.track(&b.actor).and_then(|t| t.knowledge_at(b.seq)).is_some_and(|vv| vv.get(&a.actor) >= a.seq)
    }

    /// The full causal past of `id` as a version vector (including `id`).
    fn past_of(&self, id: &EventId) -> VersionVector {
        let mut vv = self.track(&id.actor).and_then(|t| t.knowledge_at(id.seq)).cloned().unwrap_or_default();
        vv.raise(id.actor, id.seq);
        vv
    }
}
