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
//! - its first op comes after the last op of the actor's previous change (an actor's op
//!   ids are unique and increase) and after the last op of every dependency (op counters
//!   are Lamport clocks; automerge 0.12 saves a change that breaks this into a document
//!   that does not load);
//! - every op id an op names (its object, the element it inserts after or sets, its
//!   predecessors) was made earlier in the same change or by a recorded change of an
//!   event in the causal past, and an object is one (automerge knows it as an object);
//! - every other actor the change lists is named by one of its ops (automerge 0.12's
//!   batch apply turns a change listing an unused actor into a document that panics
//!   when read);
//! - every predecessor an op names is an op, not a delete, of the op's own object and key
//!   (map key or element), named once; an insert names none, a delete at least one (automerge 0.12 marks
//!   whatever op a predecessor names as overwritten, in any object; the document's save
//!   then no longer loads, or panics);
//! - its bytes are automerge's own encoding of the ops they read as ([`canonical`]): an
//!   object id `0@<actor>` reads as the root, an element `0@<own actor>` as the list
//!   head, and automerge 0.12 saves such a change as another one, so the document's
//!   save no longer loads;
//! - an op fits its object's kind: a map's ops name a key and insert nothing, a list's or
//!   a text's name an element (the head only to insert);
//! - the element an op names is an element (an insert op) **of the object the op names**
//!   (the document's op table, [`super::elements`]): automerge 0.12 panics on an
//!   insert after, or a set of, another object's op.

use automerge::legacy::{ElementId, Key, ObjectId, Op, OpId, OpType};
use automerge::{ActorId, AutoCommit, Change, ChangeHash, ObjType};

use super::elements::{slot_of, Elements, NewRuns};
use super::index::Index;
use super::payload::Past;

/// What a change that fits needs before it: the recorded changes it names (previous seq,
/// dependencies, makers of the op ids its ops name), and among them those that made the
/// objects it names outside itself (these must be applied to the document, not only
/// batched, before [`objects_exist`] can look); and its decoded ops and the elements
/// they make, to record with it.
pub(crate) struct Needs {
    pub changes: Vec<ChangeHash>,
    pub objects: Vec<ChangeHash>,
    pub ops: Vec<Op>,
    pub runs: NewRuns,
}

/// Checks `change` against the recorded changes of its event's causal past (module docs):
/// what it needs, or why it does not fit.
pub(crate) fn check(
    change: &Change,
    event_actor: &ActorId,
    index: &Index,
    elements: &Elements,
    past: Past<'_>,
) -> Result<Needs, String> {
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
        if change.start_op().get() <= prev.max_op {
            return Err(format!("its first op {} is not after its actor's last op {}", change.start_op(), prev.max_op));
        }
    } else if seq == 0 {
        return Err("seq 0".into());
    }
    let mut past_max_op = 0;
    for d in change.deps() {
        let r = index
            .by_hash(d)
            .filter(|r| past(r.event))
            .ok_or_else(|| format!("dependency {d} is not a change of the event's causal past"))?;
        needs.push(r.hash);
        past_max_op = past_max_op.max(r.max_op);
    }
    // Op counters are Lamport clocks: automerge 0.12 applies a change that starts at or
    // below an op of its dependencies, but its save then no longer loads (another hash).
    if change.start_op().get() <= past_max_op {
        return Err(format!("its first op {} is not after its dependencies' last op {past_max_op}", change.start_op()));
    }
    let ops = change.decode().operations;
    let start = change.start_op().get();
    // The other actors the ops name: automerge 0.12's batch apply turns a change that
    // lists an actor no op names into a document that panics when read.
    let others = change.other_actor_ids();
    let mut named = vec![false; others.len()];
    let mut name = |id: &OpId| {
        if let Some(i) = others.iter().position(|a| *a == id.1) {
            named[i] = true;
        }
    };
    let mut objects_here: Vec<(u64, ObjType)> = Vec::new();
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
    for (i, op) in ops.iter().enumerate() {
        let here = start + i as u64;
        match &op.obj {
            ObjectId::Root => fits_kind(ObjType::Map, op)?,
            ObjectId::Id(id) => {
                name(id);
                find(id, &mut objects, here)?;
                if id.1 == *actor && id.0 >= start {
                    let kind = objects_here.iter().find(|o| o.0 == id.0).map(|o| o.1);
                    fits_kind(kind.ok_or_else(|| format!("op {}@{} is not an object", id.0, id.1))?, op)?;
                }
                // Objects from outside the change: their kind once they are applied
                // (`objects_exist`).
            }
        }
        if let Key::Seq(ElementId::Id(id)) = &op.key {
            name(id);
            find(id, &mut needs, here)?;
            let made_here = (id.1 == *actor && id.0 >= start).then(|| &ops[(id.0 - start) as usize]);
            let of = match made_here {
                Some(e) => e.insert.then(|| e.obj.clone()),
                None => elements.object_of(id).map(ObjectId::Id),
            };
            if of.as_ref() != Some(&op.obj) {
                return Err(format!("op {}@{} is not an element of the object its op names", id.0, id.1));
            }
        }
        for p in op.pred.iter() {
            name(p);
            find(p, &mut needs, here)?;
        }
        if !op.pred.is_empty() {
            fits_preds(op, &OpId(here, actor.clone()), start, &ops, elements)?;
        } else if let OpType::Delete = op.action {
            // automerge 0.12 keeps a delete only as its predecessors' successor: one with
            // none is lost, and the document's save no longer loads (missing ops).
            return Err("a delete that names no predecessor".into());
        }
        if let OpType::Make(kind) = op.action {
            objects_here.push((here, kind));
        }
    }
    if let Some(i) = named.iter().position(|n| !n) {
        return Err(format!("it lists actor {} that none of its ops names", others[i]));
    }
    objects.sort_unstable();
    objects.dedup();
    needs.extend_from_slice(&objects);
    needs.sort_unstable();
    needs.dedup();
    canonical(change)?;
    let runs = NewRuns::of(start, &ops);
    Ok(Needs { changes: needs, objects, ops, runs })
}

/// Are the predecessors of `op` (op `id` of a change starting at op `start`, decoded as
/// `ops`) ops that sit in its object and at its key (the map key, or the element it sets
/// or deletes), and none a delete? An insert makes a new element: it has none. (automerge
/// 0.12 marks whatever op a predecessor names as overwritten, in any object: a delete
/// across objects, a document that no longer loads or that panics when read.) Whether
/// each is in the causal past is [`check`]'s `find`.
fn fits_preds(op: &Op, id: &OpId, start: u64, ops: &[Op], elements: &Elements) -> Result<(), String> {
    let slot = slot_of(op, id).filter(|_| !op.insert);
    if op.pred.len() > 1 {
        let mut sorted: Vec<&OpId> = op.pred.iter().collect();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err("an op names one predecessor twice".into());
        }
    }
    for p in op.pred.iter() {
        let fits = slot.as_ref().is_some_and(|slot| {
            if p.1 == id.1 && p.0 >= start && p.0 < id.0 {
                let q = &ops[(p.0 - start) as usize];
                !matches!(q.action, OpType::Delete) && q.obj == op.obj && slot_of(q, p).as_ref() == Some(slot)
            } else {
                elements.place(p).is_some_and(|q| !q.delete && q.obj == op.obj && q.slot == *slot)
            }
        });
        if !fits {
            return Err(format!("predecessor {}@{} is not an op of its op's object and key", p.0, p.1));
        }
    }
    Ok(())
}

/// Are `change`'s bytes automerge's own encoding of the ops it reads from them? automerge
/// 0.12 reads its op columns loosely: an object id with counter 0 (`0@<actor>`, written
/// as an actor and a counter) reads as the root, whose id is written as two nulls; an
/// element `0@<its own actor>` reads as the list head (a null actor and 0); repeated or
/// unknown columns and runs that could be shorter read too. It applies such a change, but
/// its `save()` rebuilds every change from the ops, so this one comes out as other bytes,
/// another hash, and the saved document no longer loads ("mismatching heads"). Encoding
/// the decoded change again (as automerge does when it saves) and comparing the bytes
/// refuses every such change, whatever the loose spot; a change automerge made encodes to
/// its own bytes (every change of both editing traces does).
fn canonical(change: &Change) -> Result<(), String> {
    if Change::from(change.decode()).raw_bytes() == change.raw_bytes() {
        Ok(())
    } else {
        Err("its bytes are not automerge's encoding of its ops (saved, it would become another change: \
             e.g. an object or element id with counter 0 that is not the root or the list head)"
            .into())
    }
}

/// Does `op` fit an object of this kind? A map's ops name a key and insert nothing; a
/// list's or a text's name an element, the head only to insert at the start. (automerge
/// 0.12 panics on the rest, when applying or later when reading the object.)
fn fits_kind(kind: ObjType, op: &Op) -> Result<(), String> {
    let fits = match (&op.key, kind) {
        (Key::Map(_), ObjType::Map | ObjType::Table) => !op.insert,
        (Key::Seq(ElementId::Head), ObjType::List | ObjType::Text) => op.insert,
        (Key::Seq(ElementId::Id(_)), ObjType::List | ObjType::Text) => true,
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(format!("an op that does not fit a {kind} object"))
    }
}

/// Are the objects `change` names outside itself objects of `doc`, and do its ops (`ops`,
/// decoded) fit their kinds? (Call once every change it needs is applied.)
pub(crate) fn objects_exist(change: &Change, ops: &[Op], doc: &AutoCommit) -> Result<(), String> {
    let actor = change.actor_id();
    let start = change.start_op().get();
    let mut seen: Vec<(&OpId, ObjType)> = Vec::new();
    for op in ops {
        if let ObjectId::Id(id) = &op.obj {
            if id.1 == *actor && id.0 >= start {
                continue;
            }
            let kind = match seen.iter().find(|s| s.0 == id) {
                Some(s) => s.1,
                None => {
                    let name = format!("{}@{}", id.0, id.1);
                    let (_, kind) = doc.import(&name).map_err(|_| format!("op {name} is not an object"))?;
                    // Few distinct objects per change: a short list.
                    if seen.len() < 16 {
                        seen.push((id, kind));
                    }
                    kind
                }
            };
            fits_kind(kind, op)?;
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

#[cfg(test)]
#[path = "fit_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "fit_pred_tests.rs"]
mod pred_tests;

#[cfg(test)]
#[path = "fit_zero_tests.rs"]
mod zero_tests;

#[cfg(test)]
#[path = "fit_stale_tests.rs"]
mod stale_tests;
