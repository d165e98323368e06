//! Given/when/then tests of the log's basic contract.

use everlog::*;
use serde_json::json;

fn actor(n: u128) -> ActorId {
    ActorId::from_u128(n)
}

fn add(stream: &str, key: &str, v: i64) -> Draft {
    Draft::new(stream, "Set", json!({ "v": v })).key(key)
}

#[test]
fn local_appends_number_seq_and_order() {
    let mut log = Log::new(actor(1));
    let evs = log.append(vec![add("s", "k", 1), add("s", "k", 2)], &AppendOptions::default(), 10).unwrap();
    assert_eq!(evs[0].id, EventId::new(actor(1), 1));
    assert_eq!(evs[1].id, EventId::new(actor(1), 2));
    assert!(evs[0].lamport < evs[1].lamport);
    assert_eq!(log.stream_version("s"), 2);
    assert!(log.happened_before(&evs[0].id, &evs[1].id));
    assert!(log.conflicts(&Filter::default()).is_empty());
}

#[test]
fn concurrent_writes_keep_both_until_resolved() {
    let mut a = Log::new(actor(1));
    let mut b = Log::new(actor(2));
    let ea = a.append(vec![add("doc", "title", 1)], &AppendOptions::default(), 5).unwrap();
    let eb = b.append(vec![add("doc", "title", 2)], &AppendOptions::default(), 6).unwrap();
    a.receive(eb.clone()).unwrap();
    b.receive(ea.clone()).unwrap();
    assert!(a.concurrent(&ea[0].id, &eb[0].id));
    let ca = a.conflicts(&Filter::stream("doc"));
    assert_eq!(ca.len(), 1);
    assert_eq!(ca[0].events.len(), 2);
    assert_eq!(ca, b.conflicts(&Filter::stream("doc")));
    // a resolves
    let r = a.append(vec![add("doc", "title", 3)], &AppendOptions::default(), 7).unwrap();
    assert_eq!(r[0].deps().to_vec(), vec![eb[0].id]);
    assert!(a.conflicts(&Filter::default()).is_empty());
    b.receive(r.clone()).unwrap();
    assert!(b.conflicts(&Filter::default()).is_empty());
    let h = b.conflict_history(&Filter::default());
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].resolved_by, Some(r[0].id));
    assert_eq!(h[0].siblings.len(), 2);
    let oa: Vec<_> = a.iter().map(|e| e.id()).collect();
    let ob: Vec<_> = b.iter().map(|e| e.id()).collect();
    assert_eq!(oa, ob);
}

#[test]
fn out_of_order_delivery_waits_in_pending() {
    let mut a = Log::new(actor(1));
    let evs =
        a.append(vec![add("s", "k", 1), add("s", "k", 2), add("s", "k", 3)], &AppendOptions::default(), 1).unwrap();
    let mut b = Log::new(actor(2));
    let r = b.receive(vec![evs[2].clone(), evs[1].clone()]).unwrap();
    assert_eq!(r.applied.len(), 0);
    assert_eq!(b.pending().waiting.len(), 2);
    let r = b.receive(vec![evs[0].clone()]).unwrap();
    assert_eq!(r.applied.len(), 3);
    assert_eq!(b.pending().waiting.len(), 0);
    assert_eq!(b.version(), a.version());
}

#[test]
fn expected_version_and_idempotency() {
    let mut log = Log::new(actor(1));
    let o = AppendOptions { expected_version: ExpectedVersion::NoStream };
    log.append(vec![add("s", "k", 1).idempotency_key("x")], &o, 1).unwrap();
    let err = log.append(vec![add("s", "k", 2)], &o, 1).unwrap_err();
    assert_eq!(err, Error::Concurrency { stream: "s".into(), expected: ExpectedVersion::NoStream, current: 1 });
    // same key again: the existing event, nothing appended, no version check
    let again = log.append(vec![add("s", "k", 9).idempotency_key("x")], &o, 1).unwrap();
    assert_eq!(again[0].id.seq, 1);
    assert_eq!(log.len(), 1);
}

#[test]
fn equivocation_is_rejected_and_changes_nothing() {
    let mut a = Log::new(actor(1));
    let evs = a.append(vec![add("s", "k", 1)], &AppendOptions::default(), 1).unwrap();
    let mut b = Log::new(actor(2));
    b.receive(evs.clone()).unwrap();
    let mut forged = evs[0].clone();
    forged.data = "{\"v\":666}".into();
    let before = b.version().clone();
    assert!(matches!(b.receive(vec![forged]), Err(Error::Invalid(InvalidEvent::Equivocation(_)))));
    assert_eq!(b.version(), &before);
}

#[test]
fn pending_event_is_refiled_when_it_still_misses_a_dependency() {
    let mut a = Log::new(actor(1));
    let mut b = Log::new(actor(2));
    let mut c = Log::new(actor(3));
    let ea = a.append(vec![add("s", "x", 1)], &AppendOptions::default(), 1).unwrap();
    let eb = b.append(vec![add("s", "y", 1)], &AppendOptions::default(), 1).unwrap();
    c.receive(ea.clone()).unwrap();
    c.receive(eb.clone()).unwrap();
    let ec = c.append(vec![add("s", "z", 1)], &AppendOptions::default(), 2).unwrap();
    assert_eq!(ec[0].deps().len(), 2);

    let mut d = Log::new(actor(4));
    assert_eq!(d.receive(ec.clone()).unwrap().pending, 1);
    let r = d.receive(ea.clone()).unwrap();
    assert_eq!(r.applied.len(), 1, "only a applies; c still waits for b");
    assert_eq!(d.pending().waiting.len(), 1);
    let r = d.receive(eb.clone()).unwrap();
    assert_eq!(r.applied.iter().map(|e| e.id).collect::<Vec<_>>(), vec![eb[0].id, ec[0].id]);
    assert!(d.pending().waiting.is_empty());
    assert_eq!(d.version(), c.version());
}

#[test]
fn prepare_receive_changes_nothing_until_commit() {
    let mut a = Log::new(actor(1));
    let evs = a.append(vec![add("s", "k", 1), add("s", "k", 2)], &AppendOptions::default(), 1).unwrap();
    let mut b = Log::new(actor(2));
    let p = b.prepare_receive(evs.clone()).unwrap();
    assert_eq!(p.ready.len(), 2);
    assert!(b.is_empty());
    b.commit_receive(p).unwrap();
    assert_eq!(b.len(), 2);
}

#[test]
fn a_lamport_that_does_not_grow_is_rejected_whole_batch() {
    let mut a = Log::new(actor(1));
    let mut evs = a.append(vec![add("s", "k", 1), add("s", "k", 2)], &AppendOptions::default(), 1).unwrap();
    evs[1].lamport = evs[0].lamport;
    let mut b = Log::new(actor(2));
    assert!(matches!(b.receive(evs), Err(Error::Invalid(InvalidEvent::BadLamport { .. }))));
    assert!(b.is_empty());
}
