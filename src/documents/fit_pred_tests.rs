//! Hand-built changes whose predecessors are not ops of their op's object and key: each is
//! refused as not fitting (and changes nothing, and every fold agrees: `send`), and each
//! is shown, applied to automerge 0.12 without the checks, making a document whose save
//! no longer loads or panics.

use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType};
use automerge::{AutoCommit, AutoSerde, ExpandedChange};
use serde_json::{json, Value};

use super::super::Document;
use super::tests::{build_raw, refused, send, Ids};

const WHY: &str = "is not an op of its op's object and key";

/// What automerge 0.12 makes of `b`'s document when it applies the change (`build`)
/// changed by `mutate` without the checks.
#[derive(Debug, PartialEq)]
pub(super) enum Unchecked {
    /// It panicked applying the change, hydrating the document or saving it.
    Panics(&'static str),
    /// The document as JSON, and whether its `save()` loads.
    Applied(Value, bool),
}

fn unchecked(mutate: impl FnOnce(&mut ExpandedChange, &Ids)) -> Unchecked {
    unchecked_raw(mutate, <[u8]>::to_vec)
}

/// [`unchecked`] of [`build_raw`]'s change.
pub(super) fn unchecked_raw(
    mutate: impl FnOnce(&mut ExpandedChange, &Ids),
    raw: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Unchecked {
    let (_, b, change) = build_raw(mutate, raw);
    let mut doc = Document::open(&b, "doc").unwrap().automerge().clone();
    let stage = std::cell::Cell::new("apply");
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        doc.apply_changes([change]).expect("automerge takes it");
        stage.set("hydrate");
        let json = serde_json::to_value(AutoSerde::from(&doc)).expect("JSON");
        stage.set("save");
        let saved = doc.save();
        (json, AutoCommit::load(&saved).is_ok())
    }));
    match run {
        Ok((json, loads)) => Unchecked::Applied(json, loads),
        Err(_) => Unchecked::Panics(stage.get()),
    }
}

/// Applied without the checks, the change makes a document that differs from what the
/// unchanged change makes, or that no longer loads, or automerge panics.
fn corrupts(mutate: impl FnOnce(&mut ExpandedChange, &Ids)) -> Unchecked {
    let out = unchecked(mutate);
    assert_ne!(out, Unchecked::Applied(sound(), true), "automerge applies it soundly");
    out
}

/// The document a change that fits makes: `/l` gets `"c"` at its head and `"A"` for `"a"`,
/// nothing else changes, and it saves and loads.
pub(super) fn sound() -> Value {
    json!({"l": ["c", "A", "b"], "t": "xy", "n": 1, "first": true})
}

fn pred(e: &mut ExpandedChange, i: usize, p: OpId) {
    e.operations[i].pred = vec![p].into();
}

/// The list's elements: `"a"` and `"b"` (inserted right after the list, one change).
fn list_el(ids: &Ids, i: u64) -> OpId {
    OpId(ids.list.0 + 1 + i, ids.list.1.clone())
}

#[test]
fn the_unchanged_change_is_sound_unchecked() {
    assert_eq!(unchecked(|_, _| {}), Unchecked::Applied(sound(), true));
}

#[test]
fn a_predecessor_in_another_object_is_refused() {
    // The set of `/l/1` names the text's first character.
    let m = |e: &mut ExpandedChange, ids: &Ids| pred(e, 1, ids.text_el.clone());
    // automerge 0.12 applies it; the document reads as before, but its save no longer loads.
    assert_eq!(corrupts(m), Unchecked::Applied(sound(), false));
    refused(m, WHY);
    // Or the list object itself (another object's key: the root's `/l`).
    let m = |e: &mut ExpandedChange, ids: &Ids| pred(e, 1, ids.list.clone());
    assert_eq!(corrupts(m), Unchecked::Applied(sound(), false));
    refused(m, WHY);
}

#[test]
fn a_predecessor_at_another_key_of_the_same_map_is_refused() {
    // A put of the root's `/n` that names `/l`'s op.
    let m = |e: &mut ExpandedChange, ids: &Ids| {
        e.operations[1].obj = ObjectId::Root;
        e.operations[1].key = Key::Map("n".into());
        pred(e, 1, ids.list.clone());
    };
    assert_eq!(corrupts(m), Unchecked::Panics("save"));
    refused(m, WHY);
    // The same put overwriting `/n` itself fits.
    let (da, reason) = send(|e, ids| {
        e.operations[1].obj = ObjectId::Root;
        e.operations[1].key = Key::Map("n".into());
        pred(e, 1, ids.n.clone());
    });
    assert_eq!(reason, None);
    assert_eq!((da.to_json()["n"].clone(), da.to_json()["l"].clone()), (json!("A"), json!(["c", "a", "b"])));
}

#[test]
fn a_predecessor_at_another_element_of_the_same_list_is_refused() {
    // The set of `"a"` names `"b"`.
    let m = |e: &mut ExpandedChange, ids: &Ids| pred(e, 1, list_el(ids, 1));
    assert_eq!(corrupts(m), Unchecked::Panics("save"));
    refused(m, WHY);
}

#[test]
fn a_predecessor_that_is_no_op_is_refused() {
    // In the gap before `b`'s first change's first op: the causal-past check passes it.
    let m = |e: &mut ExpandedChange, _: &Ids| pred(e, 1, OpId(e.start_op.get() - 2, e.actor_id.clone()));
    assert_eq!(corrupts(m), Unchecked::Applied(sound(), false));
    refused(m, WHY);
}

#[test]
fn an_insert_with_a_predecessor_is_refused() {
    // The insert at the head of `/l` names `"b"`.
    let m = |e: &mut ExpandedChange, ids: &Ids| pred(e, 0, list_el(ids, 1));
    assert_eq!(corrupts(m), Unchecked::Panics("save"));
    refused(m, WHY);
}

#[test]
fn a_predecessor_that_is_a_delete_is_refused() {
    // The first op deletes `"a"`; the set of `"a"` names the delete.
    let m = |e: &mut ExpandedChange, ids: &Ids| {
        let del = OpId(e.start_op.get(), e.actor_id.clone());
        let op = &mut e.operations[0];
        (op.action, op.insert, op.key) = (OpType::Delete, false, Key::Seq(ElementId::Id(list_el(ids, 0))));
        op.pred = vec![list_el(ids, 0)].into();
        pred(e, 1, del);
    };
    // The delete of `"a"` by itself would leave `["A", "b"]` (the set keeps `"a"` as `"A"`).
    assert_eq!(corrupts(m), Unchecked::Applied(json!({"l": ["A", "b"], "t": "xy", "n": 1, "first": true}), false));
    refused(m, WHY);
}

#[test]
fn a_predecessor_made_earlier_in_the_change_must_be_at_the_same_key() {
    // The set of `"a"` names the element the first op inserted.
    let m = |e: &mut ExpandedChange, _: &Ids| pred(e, 1, OpId(e.start_op.get(), e.actor_id.clone()));
    assert_eq!(corrupts(m), Unchecked::Panics("save"));
    refused(m, WHY);
    // Setting that element instead fits.
    let (da, reason) = send(|e, _| {
        let first = OpId(e.start_op.get(), e.actor_id.clone());
        e.operations[1].key = Key::Seq(ElementId::Id(first.clone()));
        pred(e, 1, first);
    });
    assert_eq!(reason, None);
    assert_eq!(da.to_json()["l"], json!(["A", "a", "b"]));
}

#[test]
fn a_set_of_the_list_head_names_no_predecessor() {
    // (The head is no element: a set of it does not fit a list either, see
    // `an_op_that_does_not_fit_its_objects_kind_is_refused`; its predecessor is checked first.)
    refused(|e, _| e.operations[1].key = Key::Seq(ElementId::Head), WHY);
}

#[test]
fn a_predecessor_named_twice_is_refused() {
    let m = |e: &mut ExpandedChange, ids: &Ids| e.operations[1].pred = vec![list_el(ids, 0), list_el(ids, 0)].into();
    refused(m, "names one predecessor twice");
}

#[test]
fn a_delete_that_names_no_predecessor_is_refused() {
    // The set of `"a"` becomes a delete of it that names nothing.
    let m = |e: &mut ExpandedChange, _: &Ids| {
        e.operations[1].action = OpType::Delete;
        e.operations[1].pred = Vec::new().into();
    };
    // automerge 0.12 applies it (nothing deleted), and its save no longer loads.
    let unset = json!({"l": ["c", "a", "b"], "t": "xy", "n": 1, "first": true});
    assert_eq!(corrupts(m), Unchecked::Applied(unset, false));
    refused(m, "a delete that names no predecessor");
}
