//! Does a remote change fit the document? Checked before automerge sees it.
//!
//! automerge 0.12 trusts the changes it applies: a well-formed change that does not fit
//! the document (a seq that is not its actor's next, an op on an object that does not
//! exist, an actor it never saw) makes it panic, and in the browser a panic leaves the
//! module unusable until a reload. Any peer can send such a change, so every remote
//! change is checked here first and refused with a typed error that changes nothing.
//!
//! Every check is against the event's **causal past** (the same on every replica, in an
//! incremental update and in a fresh fold), and costs one or a few lookups per dependency
//! and per op, so it stays proportional to the change's size:
//!
//! - the change's actor is its event's actor (everlog writes no other), and carries no
//!   author record unless it is the actor's first change;
//! - its seq is its actor's next: the previous seq is recorded, this one is not (an
//!   actor's events are a causal chain, so this is the same on every replica);
//! - every dependency is a recorded change of an event in the causal past;
//! - every op id an op names (its object, the element it inserts after or sets, its
//!   predecessors) was made earlier in the same change or by a recorded change of an
//!   event in the causal past, and an object is one (automerge knows it as an object).

use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType};
use automerge::{ActorId, AutoCommit, Change, ChangeHash};

use super::index::Index;
use super::payload::Past;

/// What a change that fits needs before it: the recorded changes it names (previous seq,
/// dependencies, makers of the op ids its ops name), and among them those that made the
/// objects it names outside itself (these must be applied to the document, not only
/// batched, before [`objects_exist`] can look).
pub(crate) struct Needs {
    pub changes: Vec<ChangeHash>,
    pub objects: Vec<ChangeHash>,
}

/// Checks `change` against the recorded changes of its event's causal past (module docs):
/// what it needs, or why it does not fit.
pub(crate) fn check(change: &Change, event_actor: &ActorId, index: &Index, past: Past<'_>) -> Result<Needs, String> {
    let actor = change.actor_id();
    if actor != event_actor {
        return Err(format!("its change is by actor {actor}, not by its event's actor"));
    }
    let seq = change.seq();
    if change.author().is_some() && seq != 1 {
        return Err("an author record on a change that is not its actor's first".into());
    }
    if index.by_seq(actor, seq).is_some() {
        return Err(format!("seq {seq} of actor {actor} is already a change of this document"));
    }
    let mut needs = Vec::new();
    if seq > 1 {
        let prev =
            index.by_seq(actor, seq - 1).ok_or_else(|| format!("seq {seq} is not the next seq of actor {actor}"))?;
        needs.push(prev.hash);
    } else if seq == 0 {
        return Err("seq 0".into());
    }
    for d in change.deps() {
        let r = index
            .by_hash(d)
            .filter(|r| past(r.event))
            .ok_or_else(|| format!("dependency {d} is not a change of the event's causal past"))?;
        needs.push(r.hash);
    }
    let expanded = change.decode();
    let start = change.start_op().get();
    let mut objects_here = Vec::new();
    let mut objects = Vec::new();
    let find = |id: &OpId, needs: &mut Vec<ChangeHash>, here: u64| -> Result<(), String> {
        if id.1 == *actor && id.0 >= start && id.0 < here {
            return Ok(());
        }
        let h = maker(index, &id.1, id.0)
            .filter(|r| past(r.1))
            .map(|r| r.0)
            .ok_or_else(|| format!("op {}@{} is not in the event's causal past", id.0, id.1))?;
        needs.push(h);
        Ok(())
    };
    for (i, op) in expanded.operations.iter().enumerate() {
        let here = start + i as u64;
        if let ObjectId::Id(id) = &op.obj {
            find(id, &mut objects, here)?;
            if id.1 == *actor && id.0 >= start && !objects_here.contains(&id.0) {
                return Err(format!("op {}@{} is not an object", id.0, id.1));
            }
        }
        if let Key::Seq(ElementId::Id(id)) = &op.key {
            find(id, &mut needs, here)?;
        }
        for p in op.pred.iter() {
            find(p, &mut needs, here)?;
        }
        if matches!(op.action, OpType::Make(_)) {
            objects_here.push(here);
        }
    }
    objects.sort_unstable();
    objects.dedup();
    needs.extend_from_slice(&objects);
    needs.sort_unstable();
    needs.dedup();
    Ok(Needs { changes: needs, objects })
}

/// Are the objects `change` names outside itself objects of `doc`? (Call once every change
/// it needs is applied.)
pub(crate) fn objects_exist(change: &Change, doc: &AutoCommit) -> Result<(), String> {
    let actor = change.actor_id();
    let start = change.start_op().get();
    let mut seen: Vec<&OpId> = Vec::new();
    let expanded = change.decode();
    for op in &expanded.operations {
        if let ObjectId::Id(id) = &op.obj {
            if (id.1 == *actor && id.0 >= start) || seen.contains(&id) {
                continue;
            }
            let name = format!("{}@{}", id.0, id.1);
            doc.import(&name).map_err(|_| format!("op {name} is not an object"))?;
            // Few distinct objects per change: a short list.
            if seen.len() < 16 {
                seen.push(id);
            }
        }
    }
    Ok(())
}

/// The recorded change of `actor` that made op `counter`, and its event.
fn maker(index: &Index, actor: &ActorId, counter: u64) -> Option<(ChangeHash, crate::core::EventId)> {
    // An actor's seqs run 1..=n: find n, then the first seq whose last op reaches `counter`.
    let max_op = |s: u64| index.by_seq(actor, s).map(|r| r.max_op);
    let mut hi = 1u64;
    max_op(1)?;
    while max_op(hi * 2).is_some() {
        hi *= 2;
    }
    let mut top = hi * 2; // not recorded
    let mut lo = 1u64;
    if max_op(hi)? >= counter {
        top = hi + 1;
    } else {
        lo = hi + 1;
    }
    // Invariant: the answer is in lo..top (exclusive top), seqs below lo end before `counter`.
    while lo < top {
        let mid = lo + (top - lo) / 2;
        match max_op(mid) {
            Some(m) if m >= counter => top = mid,
            Some(_) => lo = mid + 1,
            None => top = mid,
        }
    }
    let r = index.by_seq(actor, lo)?;
    // `counter` must not fall before the change (in a gap after the previous one).
    let prev_max = if lo > 1 { max_op(lo - 1)? } else { 0 };
    (r.max_op >= counter && counter > prev_max).then_some((r.hash, r.event))
}
