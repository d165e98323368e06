use everlog::store::{block_on, MemoryStorage, Replica};
use everlog::toolkit::{Consumer, RetryPolicy, ToolkitError, Upcasters};
use everlog::{EventId, Log};
use serde_json::json;

use super::{put, sync, ME, PEER};

fn ids(events: &[everlog::Event]) -> Vec<EventId> {
    events.iter().map(|e| e.id).collect()
}

/// Runs a handler that succeeds on everything; returns what it saw.
fn drain(c: &mut Consumer, log: &Log, now: u64) -> Vec<EventId> {
    let mut seen = Vec::new();
    loop {
        let batch = c.next_batch(log, now, 2, None);
        if batch.is_empty() {
            return seen;
        }
        for e in batch {
            seen.push(e.id);
            c.ack(&e.id).unwrap();
        }
    }
}

#[test]
fn a_consumer_sees_its_types_once_in_order() {
    // Given a log with events of two types
    let mut log = Log::new(ME);
    let a1 = put(&mut log, "s", "A", 1);
    put(&mut log, "s", "B", 2);
    let a3 = put(&mut log, "t", "A", 3);
    // When a consumer of type A drains it in small batches
    let mut c = Consumer::new("mailer", ["A"]);
    let seen = drain(&mut c, &log, 0);
    // Then it saw the A events, in order, and nothing is left
    assert_eq!(seen, vec![a1.id, a3.id]);
    assert_eq!(c.lag(&log), 0);
    assert!(c.next_batch(&log, 0, 10, None).is_empty());
    // And a new event is offered, once
    let a4 = put(&mut log, "s", "A", 4);
    assert_eq!(drain(&mut c, &log, 0), vec![a4.id]);
}

#[test]
fn progress_survives_a_reload_so_nothing_runs_twice() {
    // Given a replica whose consumer handled two events and saved its progress
    let storage = MemoryStorage::new();
    let mut replica = block_on(Replica::open(storage.reopen(), Some(ME))).unwrap();
    let opts = everlog::AppendOptions::default();
    for n in 0..2 {
        block_on(replica.append(vec![everlog::Draft::new("s", "A", json!(n))], &opts, 10)).unwrap();
    }
    let mut c = Consumer::load(&replica, "projector", ["A"]).unwrap();
    assert_eq!(drain(&mut c, replica.log(), 0).len(), 2);
    assert!(c.is_dirty());
    block_on(c.save(&mut replica)).unwrap();
    assert!(!c.is_dirty());
    // When the replica is reopened (a reload, a replay of the whole log)
    drop(replica);
    let mut replica = block_on(Replica::open(storage.reopen(), Some(ME))).unwrap();
    let mut c = Consumer::load(&replica, "projector", ["A"]).unwrap();
    // Then the handled events are not offered again, and new ones are
    assert!(c.next_batch(replica.log(), 0, 10, None).is_empty());
    let e = block_on(replica.append(vec![everlog::Draft::new("s", "A", json!(3))], &opts, 10)).unwrap();
    assert_eq!(ids(&c.next_batch(replica.log(), 0, 10, None)), vec![e[0].id]);
    // And opening the same name with another filter is refused
    let err = Consumer::load(&replica, "projector", ["A", "B"]).unwrap_err();
    assert!(matches!(err, ToolkitError::FilterChanged { .. }), "{err:?}");
}

#[test]
fn events_that_arrive_by_sync_are_handled_even_when_they_sort_earlier() {
    // Given a consumer that handled our three events
    let mut log = Log::new(ME);
    for n in 1..=3 {
        put(&mut log, "s", "A", n);
    }
    let mut c = Consumer::new("c", Vec::<String>::new());
    assert_eq!(drain(&mut c, &log, 0).len(), 3);
    // When a peer's concurrent event arrives, sorting before our later ones
    let mut peer = Log::new(PEER);
    let p1 = put(&mut peer, "s", "A", 9);
    sync(&peer, &mut log);
    assert!(log.position_of(&p1.order_key()) < 3);
    // Then it is offered, once
    assert_eq!(drain(&mut c, &log, 0), vec![p1.id]);
    assert!(drain(&mut c, &log, 0).is_empty());
}

#[test]
fn a_failure_is_retried_with_backoff_and_blocks_only_its_causal_successors() {
    // Given our two events (the second causally after the first) and a concurrent peer event
    let mut log = Log::new(ME);
    let a1 = put(&mut log, "s", "A", 1);
    let a2 = put(&mut log, "s", "A", 2);
    let mut peer = Log::new(PEER);
    let p1 = put(&mut peer, "s", "A", 3);
    sync(&peer, &mut log);
    let policy = RetryPolicy { base_ms: 100, max_ms: 250 };
    let mut c = Consumer::new("flaky", ["A"]).with_policy(policy);
    let mut other = Consumer::new("steady", ["A"]);
    // When the handler fails on the first event
    let batch = c.next_batch(&log, 1_000, 10, None);
    assert_eq!(batch[0].id, a1.id);
    let f = c.fail(&a1.id, "smtp down", 1_000).unwrap();
    // Then the error is kept with a retry time, and its successor waits while the concurrent event goes on
    assert_eq!((f.attempts, f.retry_at, f.error.as_str()), (1, 1_100, "smtp down"));
    assert_eq!(ids(&c.next_batch(&log, 1_050, 10, None)), vec![p1.id]);
    c.ack(&p1.id).unwrap();
    assert!(c.next_batch(&log, 1_099, 10, None).is_empty());
    assert_eq!(c.next_retry_at(), Some(1_100));
    // And another consumer is not blocked at all
    assert_eq!(drain(&mut other, &log, 1_000), vec![a1.id, p1.id, a2.id]);
    // When the retry (offered with its successor behind it) fails again, the delay doubles, then hits the cap
    assert_eq!(ids(&c.next_batch(&log, 1_100, 10, None)), vec![a1.id, a2.id]);
    assert_eq!(c.fail(&a1.id, "still down", 1_100).unwrap().retry_at, 1_300);
    c.next_batch(&log, 1_300, 10, None);
    let f = c.fail(&a1.id, "down", 1_300).unwrap();
    assert_eq!((f.attempts, f.retry_at), (3, 1_550));
    // And the failure survives encoding (a reload keeps the backoff and the error)
    let reloaded = Consumer::resume("flaky", ["A"], Some(&c.encode())).unwrap();
    assert_eq!(reloaded.failures()[&a1.id].error, "down");
    // When it finally succeeds, its successor is offered and the failure is gone
    c.next_batch(&log, 1_550, 1, None);
    c.ack(&a1.id).unwrap();
    assert!(c.failures().is_empty());
    assert_eq!(drain(&mut c, &log, 1_550), vec![a2.id]);
}

#[test]
fn unacked_events_of_a_batch_are_offered_again_and_bad_acks_are_refused() {
    // Given a consumer that got a batch of three and acked only the first
    let mut log = Log::new(ME);
    let evs: Vec<EventId> = (1..=3).map(|n| put(&mut log, "s", "A", n).id).collect();
    let mut c = Consumer::new("c", ["A"]);
    assert_eq!(ids(&c.next_batch(&log, 0, 3, None)), evs);
    c.ack(&evs[0]).unwrap();
    // When it asks again (as after a crash mid-batch)
    let again = c.next_batch(&log, 0, 3, None);
    // Then the rest is offered again
    assert_eq!(ids(&again), evs[1..]);
    // And acking an event never handed out is a typed error; acking a done one is a no-op
    let stranger = EventId::new(PEER, 1);
    assert_eq!(c.ack(&stranger), Err(ToolkitError::NotInBatch(stranger)));
    assert_eq!(c.ack(&evs[0]), Ok(()));
    assert!(c.fail(&stranger, "x", 0).is_err());
}

#[test]
fn a_consumer_sees_upcast_events_and_filters_on_the_new_type() {
    // Given a v1 event of an old type name, and an upcaster that renames it
    let mut log = Log::new(ME);
    let old = put(&mut log, "s", "UserCreated", 1);
    let mut up = Upcasters::new();
    up.register("UserCreated", 1, |mut s| {
        s.kind = "UserRegistered".into();
        s.data["v2"] = json!(true);
        s
    });
    // When a consumer of the new type reads with the upcasters
    let mut c = Consumer::new("c", ["UserRegistered"]);
    let batch = c.next_batch(&log, 0, 10, Some(&up));
    // Then it sees the event in its newest shape, with the same id
    assert_eq!(batch.len(), 1);
    assert_eq!((batch[0].id, &*batch[0].kind), (old.id, "UserRegistered"));
    assert_eq!(batch[0].data_value().unwrap(), json!({ "n": 1, "v2": true }));
}

#[test]
fn under_interleaved_syncs_and_failures_every_event_is_handled_once_after_its_causes() {
    // Given two writers that sync now and then, and a consumer that handles as events arrive
    let (mut me, mut peer) = (Log::new(ME), Log::new(PEER));
    let mut c = Consumer::new("c", ["A"]).with_policy(RetryPolicy { base_ms: 15, max_ms: 40 });
    let mut handled: Vec<EventId> = Vec::new();
    let mut offered = 0u32;
    for round in 0..40i64 {
        put(&mut me, "s", if round % 3 == 0 { "B" } else { "A" }, round);
        put(&mut peer, "s", "A", round);
        if round % 4 == 1 {
            sync(&peer, &mut me);
        }
        if round % 7 == 3 {
            sync(&me, &mut peer);
        }
        // When the consumer runs a batch; every fifth offer fails once
        let now = round as u64 * 10;
        for e in c.next_batch(&me, now, 3, None) {
            offered += 1;
            if offered.is_multiple_of(5) && !c.failures().contains_key(&e.id) {
                c.fail(&e.id, "flaky", now).unwrap();
                break;
            }
            handled.push(e.id);
            c.ack(&e.id).unwrap();
        }
    }
    sync(&peer, &mut me);
    for now in 1_000..1_100 {
        for e in c.next_batch(&me, now, 3, None) {
            handled.push(e.id);
            c.ack(&e.id).unwrap();
        }
    }
    // Then every A event was handled exactly once
    let mut expected: Vec<EventId> = me.iter().filter(|e| e.kind() == "A").map(|e| e.id()).collect();
    let mut got = handled.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    // And never before an event in its causal past
    for (i, a) in handled.iter().enumerate() {
        for b in &handled[i + 1..] {
            assert!(!me.happened_before(b, a), "{b:?} is before {a:?} but was handled after it");
        }
    }
    // And a consumer resumed on another log instance with the same events has nothing to do
    let mut resumed = Consumer::resume("c", ["A"], Some(&c.encode())).unwrap();
    assert!(resumed.next_batch(&me.clone(), 2_000, 10, None).is_empty());
    // And the scan hint does not hide events from a log it was not made on
    let mut fresh = Log::new(ME);
    let e = put(&mut fresh, "s", "A", 1);
    let mut reused = Consumer::new("c", ["A"]);
    assert!(reused.next_batch(&Log::new(PEER), 0, 10, None).is_empty());
    assert_eq!(ids(&reused.next_batch(&fresh, 0, 10, None)), vec![e.id]);
}
