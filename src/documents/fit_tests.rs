//! Hand-built hostile changes that read and pass the older checks, and that automerge 0.12
//! panics on (or applies into a document it cannot read or save): each is refused as not
//! fitting, changes nothing, and every fold agrees.

use automerge::legacy::{ElementId, Key, ObjectId, OpId};
use automerge::{ExpandedChange, ReadDoc, ROOT};
use serde_json::json;

use super::super::tests::{commit, log, p, sync};
use super::super::{payload, DocError, Document, PathSeg, CHANGE_TYPE};
use crate::core::{AppendOptions, Draft, Log};

fn op_id(x: &automerge::ObjId) -> OpId {
    match x {
        automerge::ObjId::Id(ctr, actor, _) => OpId(*ctr, actor.clone()),
        automerge::ObjId::Root => panic!("the root is no op"),
    }
}

/// The ids the cases name: `a`'s list `/l`, its text `/t`
/// (object and first character), and its put of `/n`.
pub(super) struct Ids {
    pub list: OpId,
    pub text: OpId,
    pub text_el: OpId,
    pub n: OpId,
}

/// `a` made `{"l": ["a", "b"], "t": "xy", "n": 1}`; `b` has it.
fn base() -> (Log, Log, Ids) {
    let (mut a, mut b) = (log(1), log(2));
    let mut da = Document::open(&a, "doc").unwrap();
    let draft = da.edit(&a, |e| e.put(&p("/l"), &json!(["a", "b"]))).unwrap();
    commit(&mut a, &mut da, draft, 1);
    let draft = da.edit(&a, |e| e.put_text(&p("/t"), "xy")).unwrap();
    commit(&mut a, &mut da, draft, 2);
    let draft = da.edit(&a, |e| e.put(&p("/n"), &json!(1))).unwrap();
    commit(&mut a, &mut da, draft, 3);
    sync(&mut a, &mut b);
    let doc = da.automerge();
    let (_, list) = doc.get(ROOT, "l").unwrap().unwrap();
    let (_, text) = doc.get(ROOT, "t").unwrap().unwrap();
    let (_, n) = doc.get(ROOT, "n").unwrap().unwrap();
    let ids = Ids {
        list: op_id(&list),
        text: op_id(&text),
        // The first character: the op right after the text object's (one change).
        text_el: OpId(op_id(&text).0 + 1, op_id(&text).1),
        n: op_id(&n),
    };
    (a, b, ids)
}

/// `b`'s change that inserts `"c"` at the head of `/l` and sets `/l/1` (its ops 0 and 1),
/// changed by `mutate`; and the logs (`b`'s has the change before it, not this one).
/// Then the change chunk's bytes changed by `raw` (to a change chunk again).
pub(super) fn build_raw(
    mutate: impl FnOnce(&mut ExpandedChange, &Ids),
    raw: impl FnOnce(&[u8]) -> Vec<u8>,
) -> (Log, Log, automerge::Change) {
    let (a, mut b, ids) = base();
    let mut db = Document::open(&b, "doc").unwrap();
    let draft = db.edit(&b, |e| e.put(&p("/first"), &json!(true))).unwrap();
    commit(&mut b, &mut db, draft, 4);
    let draft = db
        .edit(&b, |e| {
            e.insert(&p("/l"), 0, &json!("c"))?;
            e.put(&[PathSeg::from("l"), PathSeg::from(1)], &json!("A"))
        })
        .unwrap()
        .unwrap();
    let change = payload::read(&draft.data, &db.actor, &db.index, &|_| true).unwrap();
    let mut expanded = change.decode();
    mutate(&mut expanded, &ids);
    let bytes = raw(automerge::Change::from(expanded).raw_bytes());
    (a, b, automerge::Change::from_bytes(bytes).expect("a change chunk"))
}

/// `b` sends its change (`build`) changed by `mutate`; `a` reads it. Returns `a`'s
/// document, and whether it was refused.
pub(super) fn send(mutate: impl FnOnce(&mut ExpandedChange, &Ids)) -> (Document, Option<String>) {
    send_raw(mutate, <[u8]>::to_vec)
}

/// [`send`] of a change whose chunk `raw` changed too ([`build_raw`]).
pub(super) fn send_raw(
    mutate: impl FnOnce(&mut ExpandedChange, &Ids),
    raw: impl FnOnce(&[u8]) -> Vec<u8>,
) -> (Document, Option<String>) {
    let (mut a, mut b, change) = build_raw(mutate, raw);
    let data = payload::legacy(&change);
    let draft = Draft { stream: "doc".into(), kind: CHANGE_TYPE.into(), data, ..Default::default() };
    let sent = b.append(vec![draft], &AppendOptions::default(), 5).unwrap();
    let mut da = Document::open(&a, "doc").unwrap();
    let before = da.to_json();
    sync(&mut a, &mut b);
    da.update(&a).unwrap();
    let fresh = Document::open(&a, "doc").unwrap();
    assert_eq!(fresh.to_json(), da.to_json(), "a fresh fold agrees");
    assert_eq!(fresh.rejected(), da.rejected());
    let refused = match da.rejected() {
        [] => None,
        [DocError::BadChange { id, reason }] if *id == sent[0].id && reason.contains("does not fit") => {
            let mut want = before.clone();
            want["first"] = json!(true);
            assert_eq!(da.to_json(), want, "a refused change changed the document");
            Some(reason.clone())
        }
        other => panic!("{other:?}"),
    };
    // The document stays editable and readable.
    let draft = da.edit(&a, |e| e.put(&p("/after"), &json!(1))).unwrap();
    commit(&mut a, &mut da, draft, 6);
    assert_eq!(da.to_json()["after"], json!(1));
    da.automerge().clone().save();
    (da, refused)
}

pub(super) fn refused(mutate: impl FnOnce(&mut ExpandedChange, &Ids), why: &str) {
    let (_, reason) = send(mutate);
    let reason = reason.expect("the change was applied");
    assert!(reason.contains(why), "{reason}");
}

#[test]
fn the_unchanged_change_applies() {
    let (da, reason) = send(|_, _| {});
    assert_eq!(reason, None);
    assert_eq!(da.to_json()["l"], json!(["c", "A", "b"]));
}

#[test]
fn an_insert_after_an_op_that_is_not_an_element_of_its_object_is_refused() {
    let el = |e: &mut ExpandedChange, id: &OpId| e.operations[0].key = Key::Seq(ElementId::Id(id.clone()));
    let why = "is not an element of the object its op names";
    refused(|e, ids| el(e, &ids.text_el), why);
    refused(|e, ids| el(e, &ids.n), why);
    refused(|e, ids| el(e, &ids.list), why);
    refused(|e, ids| el(e, &ids.text), why);
}

#[test]
fn a_set_of_another_objects_element_is_refused() {
    refused(
        |e, ids| {
            e.operations[1].key = Key::Seq(ElementId::Id(ids.text_el.clone()));
            e.operations[1].pred = vec![ids.text_el.clone()].into();
        },
        "is not an element of the object its op names",
    );
}

#[test]
fn an_element_made_earlier_in_the_change_must_be_of_the_same_object() {
    // The second op inserts into the text after the list element the first op made.
    refused(
        |e, ids| {
            let first = OpId(e.start_op.get(), e.actor_id.clone());
            e.operations[1].obj = ObjectId::Id(ids.text.clone());
            e.operations[1].key = Key::Seq(ElementId::Id(first));
            e.operations[1].insert = true;
            e.operations[1].pred = Vec::new().into();
        },
        "is not an element of the object its op names",
    );
    // A set of an element made earlier in the same change (not an insert op) is fine.
    let (da, reason) = send(|e, _| {
        let first = OpId(e.start_op.get(), e.actor_id.clone());
        e.operations[1].key = Key::Seq(ElementId::Id(first.clone()));
        e.operations[1].pred = vec![first].into();
    });
    assert_eq!(reason, None);
    assert_eq!(da.to_json()["l"], json!(["A", "a", "b"]));
}

#[test]
fn an_op_that_does_not_fit_its_objects_kind_is_refused() {
    let why = "does not fit a";
    // A list position on the root map; a key, and an insert, on a list; an insert on the root.
    refused(
        |e, ids| {
            e.operations[1].obj = ObjectId::Root;
            e.operations[1].key = Key::Seq(ElementId::Id(ids.n.clone()));
            e.operations[1].pred = vec![ids.n.clone()].into();
        },
        why,
    );
    refused(
        |e, _| {
            e.operations[1].key = Key::Map("k".into());
            e.operations[1].pred = Vec::new().into();
        },
        why,
    );
    refused(|e, _| e.operations[0].key = Key::Map("k".into()), why);
    refused(|e, _| e.operations[0].obj = ObjectId::Root, why);
    refused(
        |e, _| {
            e.operations[1].key = Key::Seq(ElementId::Head);
            e.operations[1].pred = Vec::new().into();
        },
        why,
    );
}

#[test]
fn a_first_op_that_is_not_after_the_actors_last_op_is_refused() {
    refused(
        |e, _| e.start_op = std::num::NonZeroU64::new(e.start_op.get() - 1).unwrap(),
        "is not after its actor's last op",
    );
}

#[test]
fn an_element_in_the_gap_before_a_changes_first_op_is_refused() {
    // `b`'s first change (one op) starts after `a`'s seven ops: counters 1 to 7 of `b` are
    // no op, though `b`'s first change is the first to reach past them.
    refused(
        |e, _| {
            let gap = OpId(e.start_op.get() - 2, e.actor_id.clone());
            e.operations[0].key = Key::Seq(ElementId::Id(gap));
        },
        "is not",
    );
}
