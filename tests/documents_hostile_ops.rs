//! Seeded hostile changes built op by op: `b`'s next change, with one op's object, key
//! (element), insert flag, predecessors or first op counter replaced by an id the
//! document knows (of any object, of any kind, or in no change at all), sent as `b`'s
//! next event. The strict property of the `doc_payload` fuzz target
//! (tests/doc_payload/mod.rs) holds for each: no panic, applied or refused as a typed
//! error that changes nothing, the same in a fresh fold, the document stays editable, and
//! its snapshot opens into the same document (src/documents/fit.rs: element,
//! kind and predecessor checks). Its first find (seed 36): a change listing an actor none
//! of its ops names, which automerge 0.12 applies alone but turns, in a batch, into a
//! document that panics when read. With the snapshot property it found (seeds 90, 310) a
//! first op at or below a dependency's last op, and a delete naming no predecessor: both
//! make a document whose save no longer loads. Ids with counter 0 (`0@<actor>`, which
//! automerge reads as the root or the list head) are among the ids picked.

mod doc_payload;
mod seeded;

use automerge::legacy::{ElementId, Key, ObjectId, OpId};
use automerge::{Change, ExpandedChange};
use doc_payload::{check, Base, STREAM};
use everlog::documents::{DocError, Document, Editor, PathSeg};
use seeded::Rng;
use serde_json::json;

type Edit<'a> = dyn Fn(&mut Editor<'_>) -> Result<(), DocError> + 'a;

/// `b`'s possible next changes (not appended): edits of every kind of object.
fn next_changes(base: &Base) -> Vec<ExpandedChange> {
    let seg = |s: &str| PathSeg::from(s);
    let edits: Vec<Box<Edit<'_>>> = vec![
        Box::new(|e| e.splice_text(&[seg("text")], 2, 1, "XY")),
        Box::new(|e| e.insert(&[seg("list")], 1, &json!("z"))),
        Box::new(|e| e.put(&[seg("list"), PathSeg::from(0)], &json!(5))),
        Box::new(|e| e.put(&[seg("list"), PathSeg::from(1), seg("k")], &json!("w"))),
        Box::new(|e| e.put(&[seg("n")], &json!(8))),
        Box::new(|e| e.delete(&[seg("list"), PathSeg::from(0)])),
        Box::new(|e| e.put(&[seg("new")], &json!({"l": [1, 2], "t": "x"}))),
    ];
    let mut out = Vec::new();
    for f in &edits {
        let mut doc = Document::open(&base.b, STREAM).expect("the base document");
        doc.edit(&base.b, |e| f(e)).expect("a valid edit").expect("a change");
        out.push(doc.automerge().clone().get_last_local_change().expect("the change").decode());
    }
    out
}

/// Every op id of the document and of the candidate changes, and a few that no change made.
fn op_ids(base: &Base, next: &[ExpandedChange]) -> Vec<OpId> {
    let mut doc = Document::open(&base.a, STREAM).expect("the base document").automerge().clone();
    let mut ids = Vec::new();
    let changes: Vec<ExpandedChange> =
        doc.get_changes(&[]).iter().map(Change::decode).chain(next.iter().cloned()).collect();
    for c in &changes {
        for i in 0..c.operations.len() as u64 + 2 {
            // Two past the end: ids in gaps, or made by no change.
            ids.push(OpId(c.start_op.get() + i, c.actor_id.clone()));
        }
        ids.push(OpId(c.start_op.get() - 1, c.actor_id.clone()));
    }
    // Counter 0 with each actor (no op: automerge 0.12 reads object `0@<actor>` as the
    // root and element `0@<the change's actor>` as the list head, and saves a change
    // naming them as another change, src/documents/fit.rs `canonical`).
    let mut actors: Vec<_> = changes.iter().map(|c| c.actor_id.clone()).collect();
    actors.sort();
    actors.dedup();
    ids.extend(actors.into_iter().map(|a| OpId(0, a)));
    ids
}

fn mutate(rng: &mut Rng, c: &mut ExpandedChange, ids: &[OpId]) {
    let pick = |rng: &mut Rng| ids[rng.below(ids.len() as u64) as usize].clone();
    let i = rng.below(c.operations.len() as u64) as usize;
    let id = OpId(c.start_op.get() + i as u64, c.actor_id.clone());
    match rng.below(8) {
        0 => c.operations[i].obj = if rng.chance(20) { ObjectId::Root } else { ObjectId::Id(pick(rng)) },
        1 => c.operations[i].key = Key::Seq(ElementId::Id(pick(rng))),
        2 => c.operations[i].key = Key::Seq(ElementId::Head),
        3 => c.operations[i].key = Key::Map("k".into()),
        4 => c.operations[i].insert = !c.operations[i].insert,
        5 => {
            let start = c.start_op.get().saturating_add_signed(rng.below(5) as i64 - 3).max(1);
            c.start_op = std::num::NonZeroU64::new(start).expect("at least 1");
            return;
        }
        // A predecessor moved to any op id, or one more.
        6 => {
            c.operations[i].pred = vec![pick(rng)].into();
            return;
        }
        _ => {
            let mut pred: Vec<OpId> = c.operations[i].pred.iter().cloned().collect();
            pred.push(pick(rng));
            c.operations[i].pred = pred.into();
            return;
        }
    }
    // The moved op keeps its predecessors (now at another object or key) half the time;
    // else it overwrites nothing, and nothing overwrites it.
    if rng.chance(50) {
        return;
    }
    c.operations[i].pred = Vec::new().into();
    for op in &mut c.operations {
        if op.pred.iter().any(|p| *p == id) {
            op.pred = Vec::new().into();
        }
    }
}

#[test]
fn ops_moved_to_any_object_key_or_element_never_panic_and_every_fold_agrees() {
    let base = Base::new();
    let next = next_changes(&base);
    let ids = op_ids(&base, &next);
    for seed in 0..1000u64 {
        let mut rng = Rng::new(seed);
        let mut c = next[rng.below(next.len() as u64) as usize].clone();
        for _ in 0..1 + rng.below(2) {
            mutate(&mut rng, &mut c, &ids);
        }
        // Byte 0: from `b`, legacy shape (the change chunk as automerge writes it).
        let mut input = vec![0b1001];
        input.extend_from_slice(Change::from(c).raw_bytes());
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&base, &input, true)));
        assert!(run.is_ok(), "seed {seed}: the property broke (message above)");
    }
}
