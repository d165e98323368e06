//! Document snapshots: the same document as a full fold, and refused when they do not fit.

use serde_json::json;

use super::*;
use crate::core::{AppendOptions, Draft};
use crate::documents::tests::{commit, log, p, sync};
use crate::documents::CHANGE_TYPE;

/// Two replicas with a text, a conflict and a rejected event; both synced.
fn edited() -> (Log, Log, Document) {
    let (mut a, mut b) = (log(1), log(2));
    let mut da = Document::open(&a, "doc").unwrap();
    let draft = da.edit(&a, |e| e.put_text(&p("/t"), "hello")).unwrap();
    commit(&mut a, &mut da, draft, 1);
    sync(&mut a, &mut b);
    let mut db = Document::open(&b, "doc").unwrap();
    let draft = da.edit(&a, |e| e.put(&p("/title"), &json!("A"))).unwrap();
    commit(&mut a, &mut da, draft, 2);
    let draft = db.edit(&b, |e| e.put(&p("/title"), &json!("B"))).unwrap();
    commit(&mut b, &mut db, draft, 3);
    let draft = db.edit(&b, |e| e.splice_text(&p("/t"), 5, 0, "!")).unwrap();
    commit(&mut b, &mut db, draft, 4);
    b.append(vec![Draft::new("doc", CHANGE_TYPE, json!("wQ"))], &AppendOptions::default(), 5).unwrap();
    sync(&mut a, &mut b);
    da.update(&a).unwrap();
    (a, b, da)
}

#[test]
fn a_snapshot_opens_as_the_same_document_and_keeps_writing() {
    let (mut a, _b, mut da) = edited();
    let snap = da.snapshot(&a).unwrap();
    let draft = da.edit(&a, |e| e.splice_text(&p("/t"), 0, 1, "H")).unwrap();
    commit(&mut a, &mut da, draft, 6);

    let mut from_snap = Document::open_snapshot(&a, "doc", &snap).unwrap();
    let full = Document::open(&a, "doc").unwrap();
    for d in [&from_snap, &full] {
        assert_eq!(d.to_json(), da.to_json());
        assert_eq!(d.automerge().clone().get_heads(), da.automerge().clone().get_heads());
        assert_eq!(d.conflicts(&a).unwrap(), da.conflicts(&a).unwrap());
        assert_eq!(d.conflict_history(&a).unwrap(), da.conflict_history(&a).unwrap());
        assert_eq!(d.rejected(), da.rejected());
        assert_eq!(d.rejected().len(), 1);
    }
    let v = a.version().clone();
    assert_eq!(from_snap.at(&v).unwrap(), full.at(&v).unwrap());
    // It writes as the log's actor, after its own earlier changes.
    drop(da);
    let draft = from_snap.edit(&a, |e| e.put(&p("/n"), &json!(1))).unwrap();
    commit(&mut a, &mut from_snap, draft, 7);
    let cold = Document::open(&a, "doc").unwrap();
    assert_eq!(cold.to_json(), from_snap.to_json());
    assert_eq!(cold.to_json()["t"], json!("Hello!"));
    assert!(cold.automerge().get_actor().to_bytes() == a.actor().as_bytes());
}

#[test]
fn a_snapshot_that_does_not_fit_the_log_is_refused() {
    let (a, _b, mut da) = edited();
    let snap = da.snapshot(&a).unwrap();
    let bad = |r: Result<Document, DocError>| matches!(r, Err(DocError::BadSnapshot(_)));
    assert!(bad(Document::open_snapshot(&a, "other", &snap)), "another stream");
    assert!(bad(Document::open_snapshot(&log(1), "doc", &snap)), "a log without the events");
    for n in 0..snap.len() {
        assert!(bad(Document::open_snapshot(&a, "doc", &snap[..n])), "cut at {n}");
    }
    for i in 0..snap.len() {
        let mut m = snap.clone();
        m[i] ^= 0x41;
        // Either refused or some document; never a panic.
        let _ = Document::open_snapshot(&a, "doc", &m);
    }
    let mut later = snap.clone();
    later[4] = 2;
    assert!(bad(Document::open_snapshot(&a, "doc", &later)), "a later version");
}

#[test]
fn no_snapshot_while_a_draft_is_out() {
    let (a, _b, mut da) = edited();
    let _draft = da.edit(&a, |e| e.put(&p("/n"), &json!(1))).unwrap();
    assert!(matches!(da.snapshot(&a), Err(DocError::BadSnapshot(_))));
    da.reload(&a).unwrap();
    assert!(da.snapshot(&a).is_ok());
}

/// A snapshot holds no element table: the document builds it when a remote change that
/// names elements (made before the snapshot, and by a local edit since) is first read.
#[test]
fn a_snapshot_builds_its_element_table_when_a_remote_change_needs_it() {
    let (mut a, mut b, mut da) = edited();
    let snap = da.snapshot(&a).unwrap();
    let mut from_snap = Document::open_snapshot(&a, "doc", &snap).unwrap();
    let draft = from_snap.edit(&a, |e| e.splice_text(&p("/t"), 6, 0, "?")).unwrap();
    commit(&mut a, &mut from_snap, draft, 6);
    sync(&mut a, &mut b);
    let mut db = Document::open(&b, "doc").unwrap();
    let draft = db
        .edit(&b, |e| {
            e.splice_text(&p("/t"), 7, 0, "x")?;
            e.splice_text(&p("/t"), 2, 0, "y")
        })
        .unwrap();
    commit(&mut b, &mut db, draft, 7);
    sync(&mut a, &mut b);
    from_snap.update(&a).unwrap();
    assert_eq!(from_snap.text(&p("/t")).unwrap(), "heyllo!?x");
    assert_eq!(from_snap.rejected(), Document::open(&a, "doc").unwrap().rejected());
    assert_eq!(from_snap.rejected().len(), 1, "only the unreadable event of `edited`");
}
