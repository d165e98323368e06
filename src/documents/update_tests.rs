//! Updates where automerge refuses a change that fits (src/documents/update.rs).

use serde_json::json;

use super::super::tests::{commit, log, p, sync};
use super::super::{DocError, Document};
use crate::core::AppendOptions;

/// A forger holding a copy of `a`'s log writes the next automerge change of `a`'s actor
/// while `a`'s own edit of that seq is a draft; `b`'s change comes in the same update.
/// automerge refuses the forged change (it holds the draft's seq). Before, the update
/// failed and `b`'s change, already marked seen, was never applied.
fn forged_seq_while_a_draft_is_out(append_first: bool) {
    let (mut a, mut b) = (log(1), log(2));
    let mut da = Document::open(&a, "doc").unwrap();
    let draft = da.edit(&a, |e| e.put(&p("/n"), &json!(1))).unwrap();
    commit(&mut a, &mut da, draft, 1);
    sync(&mut a, &mut b);
    let mut forger = a.clone();
    let mut df = Document::open(&forger, "doc").unwrap();
    let draft = df.edit(&forger, |e| e.put(&p("/forged"), &json!(true))).unwrap();
    commit(&mut forger, &mut df, draft, 2);
    let mut db = Document::open(&b, "doc").unwrap();
    let draft = db.edit(&b, |e| e.put(&p("/b"), &json!(true))).unwrap();
    commit(&mut b, &mut db, draft, 3);

    da.track_patches();
    let mine = da.edit(&a, |e| e.put(&p("/mine"), &json!(true))).unwrap().unwrap();
    assert_eq!(da.take_patches().len(), 1, "the draft's put");
    sync(&mut a, &mut forger);
    sync(&mut a, &mut b);
    let opts = AppendOptions::default();
    let mut appended = Vec::new();
    if append_first {
        appended = a.append(vec![mine.clone()], &opts, 4).unwrap();
    }
    da.update(&a).expect("a change automerge refuses does not fail the update");
    assert_eq!(da.to_json()["b"], json!(true), "the rest of the update applied");
    // Patches go on from what was reported, through the rebuild (the draft's put, held by
    // the old document only, is not reported undone).
    let mut paths: Vec<serde_json::Value> = da.take_patches().into_iter().map(|p| p["path"].clone()).collect();
    paths.sort_by_key(|p| p.to_string());
    assert_eq!(paths, vec![json!(["b"]), json!(["forged"])]);
    if !append_first {
        appended = a.append(vec![mine], &opts, 4).unwrap();
        da.update(&a).unwrap();
    }

    // The log decides: the forged event came first, so the draft's event (the same seq)
    // is refused, in this document as in a fresh fold.
    let fresh = Document::open(&a, "doc").unwrap();
    assert_eq!(fresh.to_json(), json!({"n": 1, "forged": true, "b": true}));
    assert!(
        matches!(fresh.rejected(), [DocError::BadChange { id, reason }]
            if *id == appended[0].id && reason.contains("does not fit")),
        "{:?}",
        fresh.rejected()
    );
    assert_eq!(da.to_json(), fresh.to_json());
    assert_eq!(da.rejected(), fresh.rejected());
    // Both stay editable, and agree after an edit.
    let draft = da.edit(&a, |e| e.put(&p("/after"), &json!(2))).unwrap();
    commit(&mut a, &mut da, draft, 5);
    assert_eq!(da.to_json(), Document::open(&a, "doc").unwrap().to_json());
    assert_eq!(da.to_json()["after"], json!(2));
}

#[test]
fn a_forged_seq_of_a_draft_not_appended_yet_fails_nothing_and_the_log_decides() {
    forged_seq_while_a_draft_is_out(false);
}

#[test]
fn a_forged_seq_of_a_draft_appended_in_the_same_update_fails_nothing_and_the_log_decides() {
    forged_seq_while_a_draft_is_out(true);
}
