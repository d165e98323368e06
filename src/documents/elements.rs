//! Where each op of the document sits: its object and its key (a map key, or a list or
//! text element), and whether it is a delete. The table behind [`super::fit`]'s checks
//! that an op names an element of the object it names, and that its predecessors are ops
//! of its own object and key.
//!
//! An element is an insert op; its id is what later ops name to insert after it or to set
//! or delete it. automerge 0.12 has no public lookup from an op id to its object or key
//! (its own one asserts the object, a panic), so the document keeps one: per actor, runs
//! of ops with consecutive counters in one object, sorted by counter (an actor's changes,
//! and so its ops, come in counter order). A run is one of:
//!
//! - inserts (each op is an element of the object: its own key);
//! - ops on one map key (the key is interned once per document);
//! - sets or deletes of elements whose counters step by -1, 0 or +1 from op to op, of one
//!   actor (deleting a typed range forwards or backwards).
//!
//! Typing makes long runs (each keystroke's insert, or backspace's delete, continues the
//! previous one), so the table stays far smaller than one entry per op: 40 B per run.

use automerge::legacy::{ElementId, Key, ObjectId, Op, OpId, OpType};
use automerge::ActorId;

use crate::core::hash::Map;

const INSERT: u8 = 0;
const MAP: u8 = 1;
const ELEM: u8 = 2;

/// `len` ops from counter `start`, in the object `(obj_ctr, actors[obj_actor])` (counter 0:
/// the root). `key`: for a map run, the interned key; for an element run, the counter of
/// the first op's element (of `actors[key_actor]`), the next ones stepping by `step`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Run {
    start: u64,
    obj_ctr: u64,
    key: u64,
    len: u32,
    obj_actor: u32,
    key_actor: u32,
    kind: u8,
    step: i8,
    delete: bool,
}

/// The key of an op: a map key, or a list or text element (an insert op's is its own id).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Slot<'a> {
    Map(&'a str),
    Elem(OpId),
}

/// Where an op sits (a recorded one: [`Elements::place`]).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Place<'a> {
    pub obj: ObjectId,
    pub slot: Slot<'a>,
    pub insert: bool,
    pub delete: bool,
}

/// The key of `op`, whose id is `id`: `None` for an op that sets the list head (which no
/// op of a change that fits does).
pub(crate) fn slot_of<'a>(op: &'a Op, id: &OpId) -> Option<Slot<'a>> {
    match (&op.key, op.insert) {
        (_, true) => Some(Slot::Elem(id.clone())),
        (Key::Map(k), false) => Some(Slot::Map(k.as_str())),
        (Key::Seq(ElementId::Id(e)), false) => Some(Slot::Elem(e.clone())),
        (Key::Seq(ElementId::Head), false) => None,
    }
}

/// One op of a change, as the table needs it.
#[derive(Clone, Debug)]
struct NewOp {
    obj: ObjectId,
    key: Key,
    insert: bool,
    delete: bool,
}

/// The ops of one change (kept by a local draft until its event is read).
#[derive(Clone, Debug, Default)]
pub(crate) struct NewRuns {
    start: u64,
    ops: Vec<NewOp>,
}

impl NewRuns {
    /// The ops of a change starting at op `start`.
    pub fn of(start: u64, ops: &[Op]) -> NewRuns {
        let ops = ops
            .iter()
            .map(|o| NewOp {
                obj: o.obj.clone(),
                key: o.key.clone(),
                insert: o.insert,
                delete: matches!(o.action, OpType::Delete),
            })
            .collect();
        NewRuns { start, ops }
    }
}

#[derive(Default)]
pub(crate) struct Elements {
    actors: Vec<ActorId>,
    actor_ix: Map<ActorId, u32>,
    keys: Vec<Box<str>>,
    key_ix: Map<Box<str>, u32>,
    runs: Vec<Vec<Run>>,
}

impl Elements {
    /// Records the ops of a change of `actor`.
    pub fn record(&mut self, actor: &ActorId, new: &NewRuns) {
        if new.ops.is_empty() {
            return;
        }
        let a = self.intern(actor) as usize;
        for (i, op) in new.ops.iter().enumerate() {
            let (obj_ctr, obj_actor) = match &op.obj {
                ObjectId::Root => (0, 0),
                ObjectId::Id(o) => (o.0, self.intern(&o.1)),
            };
            let (kind, key, key_actor) = match (&op.key, op.insert) {
                (_, true) => (INSERT, 0, 0),
                (Key::Map(k), false) => (MAP, u64::from(self.intern_key(k)), 0),
                (Key::Seq(ElementId::Id(e)), false) => (ELEM, e.0, self.intern(&e.1)),
                // Refused by `fit`: never recorded, so never a predecessor.
                (Key::Seq(ElementId::Head), false) => continue,
            };
            let start = new.start + i as u64;
            let run = Run { start, obj_ctr, key, len: 1, obj_actor, key_actor, kind, step: 0, delete: op.delete };
            self.push(a, run);
        }
    }

    /// Appends `run` (one op) to actor `a`'s runs, continuing the last run if it can.
    fn push(&mut self, a: usize, run: Run) {
        let runs = &mut self.runs[a];
        let Some(l) = runs.last_mut() else {
            runs.push(run);
            return;
        };
        if l.start >= run.start {
            // Out of counter order: only a broken log does this. Keep the table sorted.
            let at = runs.partition_point(|r| r.start < run.start);
            runs.insert(at, run);
            return;
        }
        let same = l.start + u64::from(l.len) == run.start
            && l.len < u32::MAX
            && (l.obj_ctr, l.obj_actor, l.kind, l.delete) == (run.obj_ctr, run.obj_actor, run.kind, run.delete);
        let continues = same
            && match run.kind {
                INSERT => true,
                MAP => l.key == run.key,
                _ if l.key_actor != run.key_actor => false,
                _ if l.len == 1 => {
                    let step = run.key as i128 - l.key as i128;
                    if (-1..=1).contains(&step) {
                        l.step = step as i8;
                        true
                    } else {
                        false
                    }
                }
                _ => l.key as i128 + i128::from(l.step) * i128::from(l.len) == run.key as i128,
            };
        if continues {
            l.len += 1;
        } else {
            runs.push(run);
        }
    }

    /// Where op `id` sits, if it is a recorded op.
    pub fn place(&self, id: &OpId) -> Option<Place<'_>> {
        let runs = &self.runs[*self.actor_ix.get(&id.1)? as usize];
        let at = runs.partition_point(|r| r.start <= id.0).checked_sub(1)?;
        let r = runs[at];
        let off = id.0 - r.start;
        if off >= u64::from(r.len) {
            return None;
        }
        let obj = match r.obj_ctr {
            0 => ObjectId::Root,
            c => ObjectId::Id(OpId(c, self.actors[r.obj_actor as usize].clone())),
        };
        let slot = match r.kind {
            INSERT => Slot::Elem(id.clone()),
            MAP => Slot::Map(&self.keys[r.key as usize]),
            _ => {
                let ctr = r.key as i128 + i128::from(r.step) * i128::from(off);
                Slot::Elem(OpId(ctr as u64, self.actors[r.key_actor as usize].clone()))
            }
        };
        Some(Place { obj, slot, insert: r.kind == INSERT, delete: r.delete })
    }

    /// The object whose element op `id` is, if it is an element.
    pub fn object_of(&self, id: &OpId) -> Option<OpId> {
        match self.place(id)? {
            Place { obj: ObjectId::Id(o), insert: true, .. } => Some(o),
            _ => None,
        }
    }

    /// Forgets the ops of `actor` after op counter `max_op` (the changes of a batch
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

    /// The number of runs (for the memory figures).
    #[cfg(test)]
    pub fn runs(&self) -> usize {
        self.runs.iter().map(Vec::len).sum()
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

    fn intern_key(&mut self, key: &str) -> u32 {
        if let Some(&i) = self.key_ix.get(key) {
            return i;
        }
        let i = u32::try_from(self.keys.len()).expect("more than 4 billion keys in one document");
        self.keys.push(key.into());
        self.key_ix.insert(key.into(), i);
        i
    }
}

#[cfg(test)]
#[path = "elements_tests.rs"]
mod tests;
