use base64::Engine;
use serde_json::json;

use super::*;
use crate::core::{ActorId, AppendOptions};

// Helpers shared with the snapshot tests (src/documents/snapshot_tests.rs).

pub(super) fn log(n: u128) -> Log {
    Log::new(ActorId::from_u128(n))
}

/// Appends the draft an edit produced and folds it back in.
pub(super) fn commit(log: &mut Log, doc: &mut Document, draft: Option<Draft>, now: u64) {
    let draft = draft.expect("the edit changed something");
    log.append(vec![draft], &AppendOptions::default(), now).unwrap();
    doc.update(log).unwrap();
}

/// Gives each log the events the other has.
pub(super) fn sync(a: &mut Log, b: &mut Log) {
    let to_b: Vec<crate::core::Event> = a.missing_from(b.version()).map(|e| e.to_event()).collect();
    let to_a: Vec<crate::core::Event> = b.missing_from(a.version()).map(|e| e.to_event()).collect();
    b.receive(to_b).unwrap();
    a.receive(to_a).unwrap();
}

/// A path from `"a/b"`.
pub(super) fn p(s: &str) -> Vec<PathSeg> {
    s.split('/').filter(|x| !x.is_empty()).map(PathSeg::from).collect()
}

#[test]
fn edits_become_events_and_fold_back() {
    let mut l = log(1);
    let mut d = Document::open(&l, "doc:1").unwrap();
    let draft = d.edit(&l, |e| e.put(&p("/title"), &json!("Groceries"))).unwrap();
    commit(&mut l, &mut d, draft, 1);
    let draft = d.edit(&l, |e| e.put(&p("/items"), &json!([{"sku": "sock", "qty": 2}]))).unwrap();
    commit(&mut l, &mut d, draft, 2);
    assert_eq!(l.stream_version("doc:1"), 2);
    assert_eq!(d.to_json(), json!({"title": "Groceries", "items": [{"sku": "sock", "qty": 2}]}));
    // A fresh fold of the stream gives the same document.
    assert_eq!(Document::open(&l, "doc:1").unwrap().to_json(), d.to_json());
}

#[test]
fn a_failed_edit_keeps_nothing() {
    let l = log(1);
    let mut d = Document::open(&l, "doc:1").unwrap();
    let err = d.edit(&l, |e| {
        e.put(&p("/a"), &json!(1))?;
        e.splice_text(&p("/missing"), 0, 0, "x")
    });
    assert!(matches!(err, Err(DocError::BadPath { .. })));
    assert_eq!(d.to_json(), json!({}));
    assert!(d.edit(&l, |_| Ok(())).unwrap().is_none());
}

#[test]
fn concurrent_puts_keep_both_with_their_authors_then_resolve() {
    let (mut a, mut b) = (log(1), log(2));
    let mut da = Document::open(&a, "doc").unwrap();
    let draft = da.edit(&a, |e| e.put(&p("/title"), &json!("draft"))).unwrap();
    commit(&mut a, &mut da, draft, 1);
    sync(&mut a, &mut b);
    let mut db = Document::open(&b, "doc").unwrap();

    let draft = da.edit(&a, |e| e.put(&p("/title"), &json!("Alice's"))).unwrap();
    commit(&mut a, &mut da, draft, 10);
    let draft = db.edit(&b, |e| e.put(&p("/title"), &json!("Bob's"))).unwrap();
    commit(&mut b, &mut db, draft, 11);
    sync(&mut a, &mut b);
    da.update(&a).unwrap();
    db.update(&b).unwrap();
    assert_eq!(da.to_json(), db.to_json());

    let c = da.conflicts(&a).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].path, p("/title"));
    let mut who: Vec<(serde_json::Value, ActorId, u64)> =
        c[0].values.iter().map(|v| (v.value.clone(), v.actor.unwrap(), v.time.unwrap())).collect();
    who.sort_by_key(|w| w.2);
    assert_eq!(who, vec![(json!("Alice's"), a.actor(), 10), (json!("Bob's"), b.actor(), 11)]);
    assert_eq!(db.conflicts(&b).unwrap().len(), 1);

    let draft = db.edit(&b, |e| e.put(&p("/title"), &json!("Both"))).unwrap();
    commit(&mut b, &mut db, draft, 20);
    sync(&mut a, &mut b);
    da.update(&a).unwrap();
    assert!(da.conflicts(&a).unwrap().is_empty());
    let h = da.conflict_history(&a).unwrap();
    assert_eq!(h, db.conflict_history(&b).unwrap());
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].path, "/title");
    assert_eq!(h[0].siblings.len(), 2);
    assert_eq!(h[0].resolved_by, Some(EventId::new(b.actor(), 2)));
}

#[test]
fn concurrent_text_edits_merge_character_by_character() {
    let (mut a, mut b) = (log(1), log(2));
    let mut da = Document::open(&a, "doc").unwrap();
    let draft = da.edit(&a, |e| e.put_text(&p("/body"), "hello world")).unwrap();
    commit(&mut a, &mut da, draft, 1);
    sync(&mut a, &mut b);
    let mut db = Document::open(&b, "doc").unwrap();
    let draft = da.edit(&a, |e| e.splice_text(&p("/body"), 5, 0, ",")).unwrap();
    commit(&mut a, &mut da, draft, 2);
    let draft = db.edit(&b, |e| e.splice_text(&p("/body"), 11, 0, "!")).unwrap();
    commit(&mut b, &mut db, draft, 2);
    sync(&mut a, &mut b);
    da.update(&a).unwrap();
    db.update(&b).unwrap();
    assert_eq!(da.text(&p("/body")).unwrap(), "hello, world!");
    assert_eq!(db.text(&p("/body")).unwrap(), "hello, world!");
}

#[test]
fn past_versions_and_diffs() {
    let mut l = log(1);
    let mut d = Document::open(&l, "doc").unwrap();
    let draft = d.edit(&l, |e| e.put(&p("/n"), &json!(1))).unwrap();
    commit(&mut l, &mut d, draft, 1);
    let v1 = l.version().clone();
    let draft = d.edit(&l, |e| e.put(&p("/n"), &json!(2))).unwrap();
    commit(&mut l, &mut d, draft, 2);
    assert_eq!(d.at(&v1).unwrap(), json!({"n": 1}));
    assert_eq!(d.to_json(), json!({"n": 2}));
    let patches = d.diff(&v1, l.version());
    assert_eq!(patches, vec![json!({"action": "put", "path": ["n"], "value": 2, "conflict": false})]);
    assert_eq!(d.at(&VersionVector::new()).unwrap(), json!({}));
}

#[test]
fn a_change_event_with_a_bad_payload_is_skipped_and_reported() {
    let mut l = log(1);
    let mut d = Document::open(&l, "doc").unwrap();
    let draft = d.edit(&l, |e| e.put(&p("/ok"), &json!(true))).unwrap();
    commit(&mut l, &mut d, draft, 1);
    let bad = Draft::new("doc", CHANGE_TYPE, json!({"change": "not base64!"}));
    l.append(vec![bad], &AppendOptions::default(), 2).unwrap();
    let d = Document::open(&l, "doc").unwrap();
    assert_eq!(d.to_json(), json!({"ok": true}));
    assert_eq!(d.rejected().len(), 1);
    assert!(matches!(&d.rejected()[0], DocError::BadChange { id, .. } if id.seq == 2));
}

#[test]
fn own_changes_come_back_without_decoding_and_keep_their_event() {
    let mut l = log(1);
    let mut d = Document::open(&l, "doc:1").unwrap();
    let draft = d.edit(&l, |e| e.put(&p("/n"), &json!(1))).unwrap().unwrap();
    let ev = l.append(vec![draft], &AppendOptions::default(), 1).unwrap();
    let hash = d.read_change(&l, ev[0].view()).unwrap().hash();
    assert_eq!(d.update(&l).unwrap(), 1);
    assert_eq!(d.event_of(&hash), Some(ev[0].id));
    // A draft never appended (the caller skipped `reload`) does not hide the next one.
    d.edit(&l, |e| e.put(&p("/n"), &json!(2))).unwrap().unwrap();
    let draft = d.edit(&l, |e| e.put(&p("/m"), &json!(3))).unwrap().unwrap();
    let ev = l.append(vec![draft], &AppendOptions::default(), 2).unwrap();
    let hash = d.read_change(&l, ev[0].view()).unwrap().hash();
    assert_eq!(d.update(&l).unwrap(), 1);
    assert_eq!(d.event_of(&hash), Some(ev[0].id));
    // Another document of the same actor (a reload) reads the first event, and refuses the
    // second: its change follows one that was never appended (automerge would only have
    // held it back forever), so it does not fit the log's document (src/documents/fit.rs).
    let cold = Document::open(&l, "doc:1").unwrap();
    assert_eq!(cold.event_of(&hash), None);
    assert!(
        matches!(cold.rejected(), [DocError::BadChange { id, reason }]
        if *id == ev[0].id && reason.contains("not the next seq")),
        "{:?}",
        cold.rejected()
    );
    assert_eq!(cold.to_json(), json!({"n": 1}));
}

#[test]
fn tracked_patches_cover_local_edits_and_remote_changes_once() {
    let (mut a, mut b) = (log(1), log(2));
    let mut da = Document::open(&a, "doc").unwrap();
    let draft = da.edit(&a, |e| e.put_text(&p("/body"), "hi")).unwrap();
    commit(&mut a, &mut da, draft, 1);
    sync(&mut a, &mut b);
    let mut db = Document::open(&b, "doc").unwrap();
    db.track_patches();
    assert!(db.take_patches().is_empty(), "nothing changed since tracking started");

    let draft = db.edit(&b, |e| e.put(&p("/n"), &json!(1))).unwrap();
    commit(&mut b, &mut db, draft, 2);
    assert_eq!(db.take_patches(), vec![json!({"action": "put", "path": ["n"], "value": 1, "conflict": false})]);

    let draft = da.edit(&a, |e| e.splice_text(&p("/body"), 2, 0, "!")).unwrap();
    commit(&mut a, &mut da, draft, 3);
    sync(&mut a, &mut b);
    assert_eq!(db.update(&b).unwrap(), 1);
    assert_eq!(db.take_patches(), vec![json!({"action": "splice", "path": ["body", 2], "value": "!"})]);
    assert!(db.take_patches().is_empty());
}

#[test]
fn logs_written_with_legacy_payloads_still_fold_next_to_compact_ones() {
    let (mut a, mut b) = (log(1), log(2));
    let mut da = Document::open(&a, "doc").unwrap();
    // An old writer: the same change, in the legacy `{"change": …}` shape.
    let mut draft = da.edit(&a, |e| e.put_text(&p("/t"), "ab")).unwrap().unwrap();
    assert!(draft.data.starts_with('"'), "new writers write compact payloads");
    let change = payload::read(&draft.data, &da.actor, &da.index, &|_| true).unwrap();
    draft.data = payload::legacy(&change);
    commit(&mut a, &mut da, Some(draft), 1);
    let draft = da.edit(&a, |e| e.splice_text(&p("/t"), 1, 0, "x")).unwrap();
    commit(&mut a, &mut da, draft, 2);
    sync(&mut a, &mut b);
    let mut db = Document::open(&b, "doc").unwrap();
    let draft = db.edit(&b, |e| e.splice_text(&p("/t"), 0, 1, "A")).unwrap();
    commit(&mut b, &mut db, draft, 3);
    sync(&mut a, &mut b);
    da.update(&a).unwrap();
    for d in [&da, &db, &Document::open(&a, "doc").unwrap(), &Document::open(&b, "doc").unwrap()] {
        assert_eq!(d.text(&p("/t")).unwrap(), "Axb");
        assert!(d.rejected().is_empty());
        assert_eq!(
            d.automerge().clone().get_heads(),
            da.automerge().clone().get_heads(),
            "the same change hashes everywhere"
        );
    }
}

#[test]
fn a_malformed_compact_payload_is_rejected_and_changes_nothing() {
    let mut l = log(1);
    let mut d = Document::open(&l, "doc").unwrap();
    let draft = d.edit(&l, |e| e.put(&p("/n"), &json!(1))).unwrap();
    commit(&mut l, &mut d, draft, 1);
    let good = d.edit(&l, |e| e.put(&p("/n"), &json!(2))).unwrap().unwrap();
    d.reload(&l).unwrap();
    let (json_before, heads_before) = (d.to_json(), d.automerge().clone().get_heads());
    // Cut payloads, a future version, and a dependency on a change the log does not hold.
    let b64 = good.data.trim_matches('"');
    let mut bad: Vec<String> = (0..b64.len()).step_by(3).map(|n| format!("\"{}\"", &b64[..n])).collect();
    bad.push("\"wg\"".into());
    bad.push(format!("\"{}\"", base64::engine::general_purpose::STANDARD_NO_PAD.encode([0xc1, 0, 2, 1, 0, 5])));
    let n = bad.len();
    for (i, data) in bad.into_iter().enumerate() {
        let draft = Draft { stream: "doc".into(), kind: CHANGE_TYPE.into(), data, ..Default::default() };
        l.append(vec![draft], &AppendOptions::default(), 2 + i as u64).unwrap();
    }
    d.update(&l).unwrap();
    assert_eq!(d.rejected().len(), n);
    assert!(d.rejected().iter().all(|e| matches!(e, DocError::BadChange { .. })));
    assert_eq!((d.to_json(), d.automerge().clone().get_heads()), (json_before, heads_before));
}
