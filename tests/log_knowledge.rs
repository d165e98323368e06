//! Causal knowledge across merges, through `receive` and through `restore`: an actor's
//! events after its first merge know what that merge brought, and events without
//! explicit deps inherit their predecessor's knowledge without recording a new point
//! (the append path skips that work; these tests pin the answers it must give).

use everlog::codec::{decode_events, encode_log};
use everlog::{ActorId, AppendOptions, Draft, Event, Log};
use serde_json::json;

fn actor(n: u128) -> ActorId {
    ActorId::from_u128(n)
}

fn append(log: &mut Log, n: usize, t: u64) -> Vec<Event> {
    let drafts = (0..n).map(|i| Draft::new("s", "T", json!(i)).key("k")).collect();
    log.append(drafts, &AppendOptions::default(), t).unwrap()
}

fn check(log: &Log, a: &[Event], b_before: &[Event], b_after: &[Event], a_late: &[Event]) {
    for x in a {
        for y in b_after {
            assert!(log.happened_before(&x.id, &y.id), "{:?} before {:?}", x.id, y.id);
        }
        for y in b_before {
            assert!(log.concurrent(&x.id, &y.id), "{:?} concurrent with {:?}", x.id, y.id);
        }
    }
    for x in a_late {
        for y in b_after.iter().chain(b_before) {
            assert!(log.concurrent(&x.id, &y.id), "{:?} concurrent with {:?}", x.id, y.id);
        }
    }
    // The conflict on ("s", "k"): a's late events and b's last event are siblings.
    let current: Vec<_> = log.current("s", "k").into_iter().map(|e| e.id()).collect();
    assert_eq!(current.len(), 2, "{current:?}");
}

#[test]
fn knowledge_survives_deps_free_events_in_receive_and_restore() {
    let (mut a, mut b) = (Log::new(actor(1)), Log::new(actor(2)));
    let a_early = append(&mut a, 3, 10);
    let b_before = append(&mut b, 2, 10);
    b.receive(a_early.clone()).unwrap();
    // The first event after the merge names a's head; the others carry no deps.
    let b_after = append(&mut b, 4, 20);
    assert!(!b_after[0].deps().is_empty() && b_after[1..].iter().all(|e| e.deps().is_empty()));
    let a_late = append(&mut a, 2, 30);
    a.receive(b.iter().map(|e| e.to_event()).collect()).unwrap();
    check(&a, &a_early, &b_before, &b_after, &a_late);

    let mut restored = Log::new(actor(3));
    restored.restore(decode_events(&encode_log(&a)).unwrap()).unwrap();
    check(&restored, &a_early, &b_before, &b_after, &a_late);
    assert_eq!(restored.causal_past(&b_after[3].id), a.causal_past(&b_after[3].id));
}
