//! A predecessor naming an op that an earlier change of the causal past already
//! overwrote (same object, same key) fits: automerge 0.12 marks each op a predecessor
//! names as overwritten (a set of successors), so the stale one only adds a successor to
//! an op that already has one, and the op that overwrote it stays visible beside the new
//! one, exactly as if the two had been concurrent: a conflict, decided the same on every
//! replica. (automerge's own changes name several predecessors after a conflict.) These
//! tests show it: two replicas that receive the same changes in different orders, and a
//! fresh fold, agree on the document and its conflicts, and every snapshot reopens into
//! the same document.

use serde_json::{json, Value};

use super::super::tests::{commit, log, p, sync};
use super::super::{payload, Document, PathSeg, CHANGE_TYPE};
use crate::core::{AppendOptions, Draft, Event, Log};

/// Everything `from` has that `to` lacks.
fn give(from: &Log, to: &mut Log) {
    let events: Vec<Event> = from.missing_from(to.version()).map(|e| e.to_event()).collect();
    to.receive(events).unwrap();
}

/// The document, its conflicts and its conflict history, checked against a fresh fold
/// and against its own snapshot reopened.
fn state(doc: &mut Document, log: &Log) -> (Value, Value, Value) {
    doc.update(log).unwrap();
    assert!(doc.rejected().is_empty(), "{:?}", doc.rejected());
    let seen = (
        doc.to_json(),
        serde_json::to_value(doc.conflicts(log).unwrap()).unwrap(),
        serde_json::to_value(doc.conflict_history(log).unwrap()).unwrap(),
    );
    let fresh = Document::open(log, "doc").unwrap();
    assert_eq!(fresh.to_json(), seen.0, "a fresh fold agrees");
    assert_eq!(serde_json::to_value(fresh.conflicts(log).unwrap()).unwrap(), seen.1);
    let snapshot = doc.snapshot(log).unwrap();
    let reopened = Document::open_snapshot(log, "doc", &snapshot).expect("the snapshot opens");
    assert_eq!(reopened.to_json(), seen.0, "the snapshot reopens into the same document");
    seen
}

/// `a` made `{"n": 1, "l": ["x"]}`; `b` overwrote `/n` and `/l/0` (`"B"`), then sends a
/// change made by `edit` whose every op names the predecessors `a`'s op had (`a`'s, which
/// `b`'s first overwrite already overwrote). `c`, concurrently, writes `/n` and `/l/0`
/// (`"C"`). Two replicas receive `b`'s and `c`'s events in opposite orders. Returns what
/// both see (they must agree).
fn stale(edit: impl FnOnce(&mut super::super::Editor<'_>) -> Result<(), super::super::DocError>) -> Value {
    let (mut a, mut b, mut c) = (log(1), log(2), log(3));
    let mut da = Document::open(&a, "doc").unwrap();
    let draft = da.edit(&a, |e| e.put(&p("/n"), &json!(1))).unwrap();
    commit(&mut a, &mut da, draft, 1);
    let draft = da.edit(&a, |e| e.put(&p("/l"), &json!(["x"]))).unwrap();
    commit(&mut a, &mut da, draft, 2);
    let first: Vec<Event> = a.iter().map(|e| e.to_event()).collect();
    b.receive(first.clone()).unwrap();
    c.receive(first).unwrap();

    let mut db = Document::open(&b, "doc").unwrap();
    let l0 = [PathSeg::from("l"), PathSeg::from(0)];
    let draft = db
        .edit(&b, |e| {
            e.put(&p("/n"), &json!("B"))?;
            e.put(&l0, &json!("B"))
        })
        .unwrap();
    commit(&mut b, &mut db, draft, 3);
    let before = db.automerge().clone().get_last_local_change().unwrap().decode();
    // The change, then each op's predecessors replaced by those of `b`'s overwrite.
    let draft = db.edit(&b, edit).unwrap().unwrap();
    let change = payload::read(&draft.data, &db.actor, &db.index, &|_| true).unwrap();
    let mut expanded = change.decode();
    for op in &mut expanded.operations {
        let at = before.operations.iter().find(|o| o.obj == op.obj && o.key == op.key).expect("an overwritten key");
        assert_ne!(op.pred, at.pred, "automerge names `b`'s overwrite");
        op.pred = at.pred.clone();
    }
    let data = payload::legacy(&automerge::Change::from(expanded));
    let stale = Draft { stream: "doc".into(), kind: CHANGE_TYPE.into(), data, ..Default::default() };
    b.append(vec![stale], &AppendOptions::default(), 4).unwrap();

    let mut dc = Document::open(&c, "doc").unwrap();
    let draft = dc
        .edit(&c, |e| {
            e.put(&p("/n"), &json!("C"))?;
            e.put(&l0, &json!("C"))
        })
        .unwrap();
    commit(&mut c, &mut dc, draft, 3);

    // Replica `a` gets `b`'s events first, replica `d` (a fourth actor) `c`'s first.
    let mut d = log(4);
    give(&a, &mut d);
    let mut dd = Document::open(&d, "doc").unwrap();
    give(&b, &mut a);
    let after_b = state(&mut da, &a);
    give(&c, &mut d);
    state(&mut dd, &d);
    give(&c, &mut a);
    give(&b, &mut d);
    let seen_a = state(&mut da, &a);
    let seen_d = state(&mut dd, &d);
    assert_eq!(seen_a, seen_d, "replicas that received the same changes in other orders agree");
    // And every replica, once synced.
    sync(&mut b, &mut c);
    let mut db = Document::open(&b, "doc").unwrap();
    assert_eq!(state(&mut db, &b), seen_a);
    json!({"after_b": after_b.0, "end": seen_a.0, "conflicts": seen_a.1})
}

/// The values of the conflict at `path`, sorted.
fn values(seen: &Value, path: &Value) -> Vec<Value> {
    let conflicts = seen["conflicts"].as_array().unwrap();
    let c = conflicts.iter().find(|c| c["path"] == *path).unwrap_or_else(|| panic!("no conflict at {path}"));
    let mut v: Vec<Value> = c["values"].as_array().unwrap().iter().map(|v| v["value"].clone()).collect();
    v.sort_by_key(|v| v.to_string());
    v
}

#[test]
fn a_put_naming_an_already_overwritten_op_keeps_both_as_a_conflict_everywhere() {
    let seen = stale(|e| {
        e.put(&p("/n"), &json!("b2"))?;
        e.put(&[PathSeg::from("l"), PathSeg::from(0)], &json!("b2"))
    });
    // `b`'s first overwrite stays beside its second: a conflict, as if they were concurrent.
    let after_b = &seen["after_b"];
    assert_eq!((after_b["n"].clone(), after_b["l"].clone()), (json!("b2"), json!(["b2"])));
    assert_eq!(values(&seen, &json!(["n"])), vec![json!("B"), json!("C"), json!("b2")]);
    assert_eq!(values(&seen, &json!(["l", 0])), vec![json!("B"), json!("C"), json!("b2")]);
}

#[test]
fn a_delete_naming_an_already_overwritten_op_deletes_nothing_everywhere() {
    let seen = stale(|e| e.delete(&p("/n")));
    // The delete names only `a`'s put, already overwritten: `b`'s put stays.
    assert_eq!(seen["after_b"]["n"], json!("B"));
    assert_eq!(values(&seen, &json!(["n"])), vec![json!("B"), json!("C")]);
}
