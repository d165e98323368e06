//! Log::restore (the cold-open replay) builds the same log as Log::receive, and refuses
//! stores whose events do not fit together, leaving the log empty.

use everlog::codec::encode_log;
use everlog::{ActorId, AppendOptions, Draft, Error, Event, EventId, InvalidEvent, Log};
use serde_json::json;

const A: ActorId = ActorId::from_u128(1);
const B: ActorId = ActorId::from_u128(2);

/// Events of two actors that saw each other, in a causal order.
fn history() -> Vec<Event> {
    let (mut a, mut b) = (Log::new(A), Log::new(B));
    let opts = AppendOptions::default();
    let d = |i: u64| vec![Draft::new("doc", "Set", json!(i)).key("title"), Draft::new("doc", "Note", json!("x"))];
    a.append(d(1), &opts, 10).unwrap();
    b.append(d(2), &opts, 5).unwrap();
    b.receive(a.iter().map(|e| e.to_event()).collect()).unwrap();
    b.append(d(3), &opts, 20).unwrap();
    a.append(d(4), &opts, 15).unwrap();
    a.receive(b.iter().map(|e| e.to_event()).collect()).unwrap();
    a.append(d(5), &opts, 30).unwrap();
    // A causal order that is not the total order: each actor's events in turn.
    let mut out: Vec<Event> = Vec::new();
    let mut left: Vec<Event> = a.iter().map(|e| e.to_event()).collect();
    left.sort_by_key(|e| (e.id.actor != B, e.id.seq));
    while !left.is_empty() {
        let i = left
            .iter()
            .position(|e| {
                let ok = |id: &EventId| out.iter().any(|o| o.id == *id);
                (e.id.seq == 1 || ok(&EventId::new(e.id.actor, e.id.seq - 1))) && e.deps().iter().all(ok)
            })
            .unwrap();
        out.push(left.remove(i));
    }
    out
}

#[test]
fn restore_builds_the_same_log_as_receive() {
    let events = history();
    let mut received = Log::new(A);
    received.receive(events.clone()).unwrap();
    let mut restored = Log::new(A);
    assert_eq!(restored.restore(events).unwrap(), 10);
    assert_eq!(encode_log(&restored), encode_log(&received));
    assert_eq!(restored.version(), received.version());
    assert_eq!(restored.heads(), received.heads());
    assert_eq!(restored.conflicts(&Default::default()), received.conflicts(&Default::default()));
    // And it keeps working as a log.
    restored.append(vec![Draft::new("doc", "Set", json!(6)).key("title")], &AppendOptions::default(), 40).unwrap();
    assert!(restored.conflicts(&Default::default()).is_empty());
}

fn refused(events: Vec<Event>) -> InvalidEvent {
    let mut log = Log::new(A);
    match log.restore(events) {
        Err(Error::Invalid(why)) => {
            assert!(log.is_empty() && log.version().iter().next().is_none(), "a refused restore leaves the log empty");
            why
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn restore_refuses_gaps_repeats_missing_deps_and_bad_clocks() {
    let events = history();
    let mut gap = events.clone();
    gap.remove(1);
    assert!(matches!(refused(gap), InvalidEvent::BadDependency { .. }));

    let mut repeat = events.clone();
    let mut changed = events[1].clone();
    changed.data = "\"something else\"".into();
    repeat.insert(2, changed);
    assert!(matches!(refused(repeat), InvalidEvent::Equivocation(_)));

    let with_deps = events.iter().position(|e| !e.deps().is_empty()).unwrap();
    let mut early = events.clone();
    let e = early.remove(with_deps);
    early.insert(0, e);
    assert!(matches!(refused(early), InvalidEvent::BadDependency { .. }));

    let mut clock = events.clone();
    clock[1].lamport = clock[0].lamport;
    assert!(matches!(refused(clock), InvalidEvent::BadLamport { .. }));
}

#[test]
fn exact_repeats_are_skipped() {
    // Two tabs sharing one store may each persist the same received event.
    let events = history();
    let mut twice = events.clone();
    twice.insert(3, events[1].clone());
    twice.extend(events.iter().cloned());
    let mut once = Log::new(A);
    once.restore(events).unwrap();
    let mut log = Log::new(A);
    assert_eq!(log.restore(twice).unwrap(), 10);
    assert_eq!(encode_log(&log), encode_log(&once));
}

#[test]
fn restore_is_for_an_empty_log_only() {
    let mut log = Log::new(A);
    log.append(vec![Draft::new("s", "T", json!(1))], &AppendOptions::default(), 1).unwrap();
    assert!(matches!(log.restore(Vec::new()), Err(Error::Storage(_))));
    assert_eq!(log.len(), 1);
}

/// What the browser's open does: stored batches decoded one at a time as `restore` pulls
/// events (an iterator, no list of every event): the same log as from one list, and a
/// refusal in a later batch still leaves the log empty.
#[test]
fn restore_from_batches_decoded_as_it_goes_builds_the_same_log() {
    use everlog::codec::{decode_events, encode_events};
    let events = history();
    let batches: Vec<Vec<u8>> = events.chunks(3).map(encode_events).collect();
    let mut from_list = Log::new(A);
    from_list.restore(events.clone()).unwrap();
    let mut streamed = Log::new(A);
    let n = streamed.restore(batches.iter().flat_map(|b| decode_events(b).unwrap())).unwrap();
    assert_eq!(n, 10);
    assert_eq!(encode_log(&streamed), encode_log(&from_list));

    // The last batch repeats an event with other content: refused, nothing kept.
    let mut bad = events[9].clone();
    bad.id = events[0].id;
    let mut damaged = batches.clone();
    damaged.push(encode_events(&[bad]));
    let mut log = Log::new(A);
    let r = log.restore(damaged.iter().flat_map(|b| decode_events(b).unwrap()));
    assert!(matches!(r, Err(Error::Invalid(_))), "{r:?}");
    assert!(log.is_empty() && log.version().iter().next().is_none());
}
