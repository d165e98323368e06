use everlog::toolkit::revert::{revert_replica, Reverts, REVERTS_META_KEY};
use everlog::toolkit::{is_reverted, revert, reverted_by, ToolkitError};
use everlog::{Draft, EventId, Filter, Log};
use serde_json::json;

use super::{put, sync, ME, PEER};

#[test]
fn a_revert_appends_a_linked_compensation_and_deletes_nothing() {
    // Given an event written by a peer and synced to us
    let mut peer = Log::new(PEER);
    let added = put(&mut peer, "cart", "ItemAdded", 3);
    let mut log = Log::new(ME);
    sync(&peer, &mut log);
    // When we revert it
    let comp = revert(&mut log, &added.id, Draft::new("", "ItemRemoved", json!({ "n": 3 })), 50).unwrap();
    // Then the compensation names the original, lands in its stream, and comes causally after it
    assert_eq!(comp.meta()[REVERTS_META_KEY], added.id.to_string());
    assert_eq!(&*comp.stream, "cart");
    assert!(log.happened_before(&added.id, &comp.id));
    // And both events are in the log, folds see both
    assert_eq!(log.len(), 2);
    assert_eq!(log.fold(&everlog::fold::Count, &Filter::stream("cart")), 2);
    // And the queries answer
    assert_eq!(reverted_by(&log, &added.id).iter().map(|e| e.id()).collect::<Vec<_>>(), vec![comp.id]);
    assert!(is_reverted(&log, &added.id));
    assert!(!is_reverted(&log, &comp.id));
    // And the peer, once synced, sees the same
    sync(&log, &mut peer);
    assert!(is_reverted(&peer, &added.id));
}

#[test]
fn reverting_the_revert_puts_the_original_back_in_force() {
    // Given an event, its revert, and a revert of that revert
    let mut log = Log::new(ME);
    let e = put(&mut log, "s", "Set", 1);
    let undo = revert(&mut log, &e.id, Draft::new("", "Unset", json!(null)), 2).unwrap();
    let redo = revert(&mut log, &undo.id, Draft::new("", "Set", json!(null)), 3).unwrap();
    // Then the original is in force again, the undo is reverted, the redo is not
    let r = Reverts::of(&log);
    assert!(!r.is_reverted(&e.id));
    assert!(r.is_reverted(&undo.id));
    assert!(!r.is_reverted(&redo.id));
    assert_eq!(r.reverted_by(&undo.id), &[redo.id]);
}

#[test]
fn reverting_an_unknown_event_is_a_typed_error_that_changes_nothing() {
    // Given an empty replica, when reverting an id it does not hold
    let storage = everlog::store::MemoryStorage::new();
    let mut replica = everlog::store::block_on(everlog::store::Replica::open(storage, Some(ME))).unwrap();
    let ghost = EventId::new(PEER, 7);
    let fut = revert_replica(&mut replica, &ghost, Draft::new("s", "Undo", json!(null)), 1);
    // Then it fails with UnknownEvent and appends nothing
    assert_eq!(everlog::store::block_on(fut), Err(ToolkitError::UnknownEvent(ghost)));
    assert!(replica.log().is_empty());
}

#[test]
fn a_forged_reverts_link_to_a_later_event_does_not_count() {
    // Given an event whose meta claims to revert an event it never saw
    let mut log = Log::new(ME);
    let target = EventId::new(ME, 2);
    log.append(
        vec![Draft::new("s", "X", json!(1)).meta(REVERTS_META_KEY, &target.to_string())],
        &Default::default(),
        1,
    )
    .unwrap();
    put(&mut log, "s", "Y", 2);
    // Then the later event is not reverted by it
    assert!(!is_reverted(&log, &target));
    assert!(reverted_by(&log, &target).is_empty());
}
