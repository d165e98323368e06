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
    let mut seen = da.to_json();
    sync(&mut a, &mut forger);
    sync(&mut a, &mut b);
    let opts = AppendOptions::default();
    let mut appended = Vec::new();
    if append_first {
        appended = a.append(vec![mine.clone()], &opts, 4).unwrap();
    }
    assert_eq!(da.dropped_changes(), 0);
    da.update(&a).expect("a change automerge refuses does not fail the update");
    assert_eq!(da.to_json()["b"], json!(true), "the rest of the update applied");
    assert_eq!(da.dropped_changes(), 1, "the rebuild dropped the draft");
    // Patches go on from what was reported, through the rebuild: first the draft's put
    // (reported, held by the old document only) undone, then what the log brought.
    let patches = da.take_patches();
    assert_eq!(patches[0], json!({"action": "del", "path": ["mine"]}));
    apply(&mut seen, &patches);
    assert_eq!(seen, da.to_json(), "the patches lead from what was reported to the document");
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

/// Applies patches of top-level map keys (all these tests make) to `doc`.
fn apply(doc: &mut serde_json::Value, patches: &[serde_json::Value]) {
    for patch in patches {
        let key = patch["path"][0].as_str().expect("a map key");
        assert_eq!(patch["path"].as_array().map(Vec::len), Some(1), "{patch}");
        match patch["action"].as_str() {
            Some("put") => doc[key] = patch["value"].clone(),
            Some("del") => drop(doc.as_object_mut().unwrap().remove(key)),
            _ => panic!("{patch}"),
        }
    }
}

/// A reload after a failed append (the draft never reached the log) tells the same way:
/// the draft counts as dropped, and a reported edit is undone by the next patches.
#[test]
fn a_reload_undoes_the_reported_drafts_in_the_next_patches() {
    let mut a = log(1);
    let mut da = Document::open(&a, "doc").unwrap();
    let draft = da.edit(&a, |e| e.put(&p("/n"), &json!(1))).unwrap();
    commit(&mut a, &mut da, draft, 1);
    da.track_patches();
    let lost = da.edit(&a, |e| e.put(&p("/n"), &json!(2))).unwrap();
    assert!(lost.is_some());
    let lost_too = da.edit(&a, |e| e.put(&p("/gone"), &json!(true))).unwrap();
    assert!(lost_too.is_some());
    let mut seen = json!({"n": 1});
    apply(&mut seen, &da.take_patches());
    assert_eq!(seen, json!({"n": 2, "gone": true}), "both drafts reported");
    da.reload(&a).unwrap();
    assert_eq!(da.dropped_changes(), 2);
    apply(&mut seen, &da.take_patches());
    assert_eq!(seen, json!({"n": 1}));
    assert_eq!(seen, da.to_json());
    assert!(da.take_patches().is_empty());
    // Not reported: nothing to undo.
    let draft = da.edit(&a, |e| e.put(&p("/later"), &json!(3))).unwrap();
    assert!(draft.is_some());
    da.reload(&a).unwrap();
    assert_eq!(da.dropped_changes(), 3);
    assert!(da.take_patches().is_empty());
    // And patches go on as before.
    let draft = da.edit(&a, |e| e.put(&p("/kept"), &json!(4))).unwrap();
    commit(&mut a, &mut da, draft, 2);
    assert_eq!(da.take_patches(), vec![json!({"action": "put", "path": ["kept"], "value": 4, "conflict": false})]);
}

/// Two rebuilds before the next patches: what the first undoes is still told, even when
/// the log holds nothing the reported document held (patches start from the empty one).
#[test]
fn a_second_rebuild_before_the_next_patches_keeps_what_the_first_undoes() {
    let a = log(1);
    let mut da = Document::open(&a, "doc").unwrap();
    da.track_patches();
    assert!(da.edit(&a, |e| e.put(&p("/x"), &json!(1))).unwrap().is_some());
    let mut seen = json!({});
    apply(&mut seen, &da.take_patches());
    assert_eq!(seen, json!({"x": 1}));
    da.reload(&a).unwrap();
    da.reload(&a).unwrap();
    assert_eq!(da.dropped_changes(), 1);
    apply(&mut seen, &da.take_patches());
    assert_eq!(seen, json!({}));
    assert_eq!(seen, da.to_json());
}
