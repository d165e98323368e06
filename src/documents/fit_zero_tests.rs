//! Hand-built changes whose bytes automerge 0.12 reads loosely: ids with counter 0 that
//! are not the root or the list head, and a column it does not know. Each passed every
//! other check; automerge applies each, and the document's save then no longer loads
//! ("mismatching heads": saving rebuilds the change into other bytes). Each is refused as
//! not fitting, changes nothing, and every fold agrees (`send`).

use automerge::legacy::{ElementId, Key, ObjectId, OpId};
use automerge::ExpandedChange;
use serde_json::json;
use sha2_11::{Digest, Sha256};

use super::super::payload::{uleb, Reader};
use super::pred_tests::{sound, unchecked_raw, Unchecked};
use super::tests::{refused, send, send_raw, Ids};

const LOOSE: &str = "its bytes are not automerge's encoding of its ops";
const NOT_IN_PAST: &str = "is not in the event's causal past";

/// What automerge 0.12 makes of the change without the checks.
fn unchecked(mutate: impl FnOnce(&mut ExpandedChange, &Ids)) -> Unchecked {
    unchecked_raw(mutate, <[u8]>::to_vec)
}

/// `0@<actor>`: `b`'s own actor (`own`, actor index 0 in the change) or `a`'s.
fn zero(e: &ExpandedChange, ids: &Ids, own: bool) -> OpId {
    OpId(0, if own { e.actor_id.clone() } else { ids.n.1.clone() })
}

#[test]
fn an_object_id_with_counter_0_is_refused() {
    for own in [true, false] {
        // The set of `/l/1` becomes a put of `/n` (overwriting `a`'s put) on object `0@actor`.
        let m = move |e: &mut ExpandedChange, ids: &Ids| {
            e.operations[1].obj = ObjectId::Id(zero(e, ids, own));
            e.operations[1].key = Key::Map("n".into());
            e.operations[1].pred = vec![ids.n.clone()].into();
        };
        // automerge reads the object as the root: it puts `/n`, and the save no longer loads.
        let put_n = json!({"l": ["c", "a", "b"], "t": "xy", "n": "A", "first": true});
        assert_eq!(unchecked(m), Unchecked::Applied(put_n, false), "own actor: {own}");
        refused(m, LOOSE);
    }
    // The same put on the root itself fits (fit_pred_tests.rs,
    // `a_predecessor_at_another_key_of_the_same_map_is_refused`).
}

#[test]
fn an_element_id_with_counter_0_is_refused() {
    let insert_after = |own: bool| {
        move |e: &mut ExpandedChange, ids: &Ids| e.operations[0].key = Key::Seq(ElementId::Id(zero(e, ids, own)))
    };
    // After `0@<own actor>`: automerge reads it as the head (the change then does what it
    // did unchanged), and the save no longer loads.
    assert_eq!(unchecked(insert_after(true)), Unchecked::Applied(sound(), false));
    refused(insert_after(true), LOOSE);
    // After `0@<a>`: no element of `/l`; automerge inserts at the head too.
    assert_eq!(unchecked(insert_after(false)), Unchecked::Applied(sound(), false));
    refused(insert_after(false), NOT_IN_PAST);
    // A set of the element `0@<own actor>` (read as the head, which is no element).
    refused(
        |e, ids| {
            e.operations[1].key = Key::Seq(ElementId::Id(zero(e, ids, true)));
            e.operations[1].pred = vec![zero(e, ids, true)].into();
        },
        "does not fit",
    );
    // The list head itself (a null actor) is where the unchanged change inserts.
    let (da, reason) = send(|e, _| e.operations[0].key = Key::Seq(ElementId::Head));
    assert_eq!(reason, None);
    assert_eq!(da.to_json()["l"], json!(["c", "A", "b"]));
}

#[test]
fn a_predecessor_with_counter_0_is_refused() {
    for own in [true, false] {
        let m = move |e: &mut ExpandedChange, ids: &Ids| e.operations[1].pred = vec![zero(e, ids, own)].into();
        // automerge overwrites nothing with it (`"a"` stays beside `"A"`, which wins), and
        // the save no longer loads.
        assert_eq!(unchecked(m), Unchecked::Applied(sound(), false), "own actor: {own}");
        refused(m, NOT_IN_PAST);
    }
}

/// The change chunk `raw` with one more op column, of an id automerge 0.12 does not know
/// (15, an integer column): automerge reads it and leaves it out.
fn with_unknown_column(raw: &[u8]) -> Vec<u8> {
    // magic 4 B, checksum 4 B, chunk type 1 B, uleb body length, body.
    let mut r = Reader(&raw[9..]);
    r.uleb().unwrap();
    let body = r.0;
    let mut r = Reader(body);
    let deps = r.uleb().unwrap() as usize;
    r.take(32 * deps).unwrap();
    r.bytes().unwrap(); // actor
    r.uleb().unwrap(); // seq
    r.uleb().unwrap(); // start op
    r.sleb_i128().unwrap(); // time
    r.bytes().unwrap(); // message
    for _ in 0..r.uleb().unwrap() {
        r.bytes().unwrap(); // other actors
    }
    let columns_at = body.len() - r.0.len();
    let n = r.uleb().unwrap();
    let mut specs = Vec::new();
    let mut data_len = 0;
    for _ in 0..n {
        let (spec, len) = (r.uleb().unwrap(), r.uleb().unwrap());
        uleb(&mut specs, spec);
        uleb(&mut specs, len);
        data_len += len as usize;
    }
    let (data, extra) = r.0.split_at(data_len);
    let mut out_body = body[..columns_at].to_vec();
    uleb(&mut out_body, n + 1);
    out_body.extend_from_slice(&specs);
    uleb(&mut out_body, 15 << 4 | 2);
    uleb(&mut out_body, 2);
    out_body.extend_from_slice(data);
    out_body.extend_from_slice(&[0x01, 0x07]); // a run of one 7
    out_body.extend_from_slice(extra);
    let mut head = vec![1u8];
    uleb(&mut head, out_body.len() as u64);
    let hash = Sha256::new().chain_update(&head).chain_update(&out_body).finalize();
    let mut out = raw[..4].to_vec();
    out.extend_from_slice(&hash[..4]);
    out.extend_from_slice(&head);
    out.extend_from_slice(&out_body);
    out
}

#[test]
fn a_column_automerge_does_not_know_is_refused() {
    // automerge applies what it knows of the change, and the save no longer loads.
    assert_eq!(unchecked_raw(|_, _| {}, with_unknown_column), Unchecked::Applied(sound(), false));
    let (_, reason) = send_raw(|_, _| {}, with_unknown_column);
    assert!(reason.expect("the change was applied").contains(LOOSE));
}
