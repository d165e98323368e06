//! Which object each list or text element belongs to: the table behind
//! [`super::fit`]'s check that an op names an element of the object it names.
//!
//! An element is an insert op; its id is what later ops name to insert after it or to set
//! it. automerge 0.12 has no public lookup from an op id to its object (its own one
//! asserts the object, a panic), so the document keeps one: per actor, runs of insert ops
//! with consecutive counters in one object, sorted by counter (an actor's changes, and so
//! its ops, come in counter order). Typing makes long runs (each keystroke's insert
//! continues the previous one), so the table stays far smaller than one entry per
//! element: 24 B per run.

use automerge::legacy::{ObjectId, Op, OpId};
use automerge::ActorId;

use crate::core::hash::Map;

/// `len` insert ops from counter `start`, in the object `(obj_ctr, actors[obj_actor])`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Run {
    start: u64,
    obj_ctr: u64,
    len: u32,
    obj_actor: u32,
}

/// The insert ops of one change, as runs (kept by a local draft until its event is read).
#[derive(Clone, Debug, Default)]
pub(crate) struct NewRuns(Vec<(u64, u32, OpId)>);

impl NewRuns {
    /// The insert ops of a change starting at op `start`.
    pub fn of(start: u64, ops: &[Op]) -> NewRuns {
        let mut runs: Vec<(u64, u32, OpId)> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            let ObjectId::Id(obj) = &op.obj else { continue };
            if !op.insert {
                continue;
            }
            let ctr = start + i as u64;
            match runs.last_mut() {
                Some((s, len, o)) if *s + u64::from(*len) == ctr && o == obj && *len < u32::MAX => *len += 1,
                _ => runs.push((ctr, 1, obj.clone())),
            }
        }
        NewRuns(runs)
    }
}

#[derive(Default)]
pub(crate) struct Elements {
    actors: Vec<ActorId>,
    actor_ix: Map<ActorId, u32>,
    runs: Vec<Vec<Run>>,
}

impl Elements {
    /// Records the insert ops of a change of `actor`.
    pub fn record(&mut self, actor: &ActorId, new: &NewRuns) {
        if new.0.is_empty() {
            return;
        }
        let a = self.intern(actor) as usize;
        for (start, len, obj) in &new.0 {
            let obj_actor = self.intern(&obj.1);
            let run = Run { start: *start, obj_ctr: obj.0, len: *len, obj_actor };
            let runs = &mut self.runs[a];
            match runs.last_mut() {
                Some(l)
                    if l.start + u64::from(l.len) == run.start
                        && (l.obj_ctr, l.obj_actor) == (run.obj_ctr, run.obj_actor)
                        && l.len.checked_add(run.len).is_some() =>
                {
                    l.len += run.len
                }
                Some(l) if l.start >= run.start => {
                    // Out of counter order: only a broken log does this. Keep the table sorted.
                    let at = runs.partition_point(|r| r.start < run.start);
                    runs.insert(at, run);
                }
                _ => runs.push(run),
            }
        }
    }

    /// The object whose element op `id` is, if it is an element.
    pub fn object_of(&self, id: &OpId) -> Option<OpId> {
        let runs = &self.runs[*self.actor_ix.get(&id.1)? as usize];
        let at = runs.partition_point(|r| r.start <= id.0).checked_sub(1)?;
        let r = runs[at];
        (id.0 - r.start < u64::from(r.len)).then(|| OpId(r.obj_ctr, self.actors[r.obj_actor as usize].clone()))
    }

    /// Forgets the elements of `actor` after op counter `max_op` (the changes of a batch
    /// automerge refused).
    pub fn truncate(&mut self, actor: &ActorId, max_op: u64) {
        let Some(&a) = self.actor_ix.get(actor) else { return };
        let runs = &mut self.runs[a as usize];
        while let Some(last) = runs.last_mut() {
            if last.start > max_op {
                runs.pop();
            } else {
                let keep = max_op - last.start + 1;
                if keep < u64::from(last.len) {
                    last.len = keep as u32;
                }
                break;
            }
        }
    }

    fn intern(&mut self, actor: &ActorId) -> u32 {
        if let Some(&i) = self.actor_ix.get(actor) {
            return i;
        }
        let i = u32::try_from(self.actors.len()).expect("more than 4 billion actors in one document");
        self.actors.push(actor.clone());
        self.actor_ix.insert(actor.clone(), i);
        self.runs.push(Vec::new());
        i
    }
}

#[cfg(test)]
#[path = "elements_tests.rs"]
mod tests;
