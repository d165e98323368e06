//! The element table against a plain list of `(element, object)` pairs.

use automerge::legacy::{ElementId, Key, ObjectId, Op, OpId, OpType};
use automerge::ActorId;

use super::{Elements, NewRuns};

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
