//! The op table against a plain list of ops: every op's object and key, and nothing else.

use automerge::legacy::{ElementId, Key, ObjectId, Op, OpId, OpType};
use automerge::ActorId;

use super::{slot_of, Elements, NewRuns, Place};

fn actor(n: u8) -> ActorId {
    ActorId::from(&[n; 16][..])
}

fn op(obj: &OpId, insert: bool) -> Op {
    Op {
        action: OpType::Put("x".into()),
        obj: ObjectId::Id(obj.clone()),
        key: Key::Seq(ElementId::Head),
        pred: Vec::new().into(),
        insert,
    }
}

#[test]
fn finds_the_object_of_every_element_and_nothing_else() {
    let (a, b) = (actor(1), actor(2));
    let (l, t) = (OpId(1, a.clone()), OpId(2, b.clone()));
    // (actor, start, ops): inserts into both objects, with non-insert ops between.
    let changes = [
        (a.clone(), 3, vec![op(&l, true), op(&l, true), op(&t, true), op(&t, false), op(&t, true)]),
        (b.clone(), 4, vec![op(&l, true)]),
        (a.clone(), 8, vec![op(&t, true), op(&l, false)]),
        (a.clone(), 12, vec![op(&t, true), op(&t, true)]),
    ];
    let mut els = Elements::default();
    let mut model: Vec<(OpId, OpId)> = Vec::new();
    for (who, start, ops) in &changes {
        els.record(who, &NewRuns::of(*start, ops));
        for (i, o) in ops.iter().enumerate() {
            if let (true, ObjectId::Id(obj)) = (o.insert, &o.obj) {
                model.push((OpId(start + i as u64, who.clone()), obj.clone()));
            }
        }
    }
    for who in [&a, &b, &actor(3)] {
        for ctr in 0..16 {
            let id = OpId(ctr, who.clone());
            let want = model.iter().find(|(e, _)| *e == id).map(|(_, o)| o.clone());
            assert_eq!(els.object_of(&id), want, "{id:?}");
        }
    }
    // Forgetting `a`'s ops after counter 9 forgets the last change and nothing before.
    els.truncate(&a, 9);
    assert_eq!(els.object_of(&OpId(12, a.clone())), None);
    assert_eq!(els.object_of(&OpId(8, a.clone())), Some(t.clone()));
    els.truncate(&a, 3);
    assert_eq!(els.object_of(&OpId(3, a.clone())), Some(l.clone()));
    assert_eq!(els.object_of(&OpId(4, a.clone())), None);
    assert_eq!(els.object_of(&OpId(4, b.clone())), Some(l));
}

/// A put (or delete) of `key` in `obj` (the root for `None`).
fn keyed(obj: Option<&OpId>, key: Key, delete: bool) -> Op {
    Op {
        action: if delete { OpType::Delete } else { OpType::Put("x".into()) },
        obj: obj.map_or(ObjectId::Root, |o| ObjectId::Id(o.clone())),
        key,
        pred: Vec::new().into(),
        insert: false,
    }
}

#[test]
fn finds_the_object_and_key_of_every_op() {
    let (a, b) = (actor(1), actor(2));
    let (l, m) = (OpId(1, a.clone()), OpId(2, b.clone()));
    let el = |ctr: u64, who: &ActorId| Key::Seq(ElementId::Id(OpId(ctr, who.clone())));
    let map = |k: &str| Key::Map(k.into());
    // Element runs forwards, backwards and in place (of one actor, then another), puts of
    // one key and of several, in the root and in a map, deletes among them.
    let changes = [
        (a.clone(), 3, vec![op(&l, true), op(&l, true), op(&l, true), keyed(None, map("k"), false)]),
        (
            a.clone(),
            7,
            (0..3)
                .map(|i| keyed(Some(&l), el(3 + i, &a), true))
                .chain((0..3).map(|i| keyed(Some(&l), el(5 - i, &a), false)))
                .chain([keyed(Some(&l), el(4, &a), false), keyed(Some(&l), el(4, &a), false)])
                .chain([keyed(Some(&l), el(5, &b), false), keyed(Some(&l), el(6, &b), false)])
                .collect(),
        ),
        (b.clone(), 4, vec![keyed(Some(&m), map("k"), false), keyed(Some(&m), map("k"), false)]),
        (b.clone(), 6, vec![keyed(Some(&m), map("j"), false), keyed(Some(&m), map("k"), true), op(&m, true)]),
    ];
    let mut els = Elements::default();
    let mut model: Vec<(OpId, Op)> = Vec::new();
    for (who, start, ops) in &changes {
        els.record(who, &NewRuns::of(*start, ops));
        model.extend(ops.iter().enumerate().map(|(i, o)| (OpId(start + i as u64, who.clone()), o.clone())));
    }
    for who in [&a, &b, &actor(3)] {
        for ctr in 0..24 {
            let id = OpId(ctr, who.clone());
            let want = model.iter().find(|(e, _)| *e == id).map(|(_, o)| Place {
                obj: o.obj.clone(),
                slot: slot_of(o, &id).unwrap(),
                insert: o.insert,
                delete: matches!(o.action, OpType::Delete),
            });
            assert_eq!(els.place(&id), want, "{id:?}");
        }
    }
    // Fewer runs than ops: `a`'s are 2 + 4, `b`'s one per key and kind.
    assert_eq!(els.runs(), (1 + 1 + 4) + (1 + 1 + 1 + 1));
}
