//! `Log::receive` has a fast path for batches already in a causal order (what sync
//! messages carry) and a general planner for everything else. Both must give the same
//! log, the same report and the same errors: here each batch is also received with a
//! harmless extra copy of one event, which forces the general path.

#[path = "../benches/support/workload.rs"]
mod workload;

use everlog::{ActorId, Error, Event, Log};

fn fresh() -> Log {
    Log::new(ActorId::from_u128(0xbeef))
}

/// The same batch through the general path: one duplicate appended.
fn with_repeat(batch: &[Event]) -> Vec<Event> {
    let mut v = batch.to_vec();
    v.push(batch[0].clone());
    v
}

#[test]
fn both_paths_build_the_same_log() {
    let events = workload::remote_events(5_000, 3);
    let (mut fast, mut general) = (fresh(), fresh());
    for chunk in events.chunks(700) {
        let a = fast.receive(chunk.to_vec()).unwrap();
        let b = general.receive(with_repeat(chunk)).unwrap();
        assert_eq!(a.applied, b.applied);
        assert_eq!((a.pending, a.dropped, a.earliest), (b.pending, b.dropped, b.earliest));
        assert_eq!(b.duplicates, a.duplicates + 1);
    }
    assert_eq!(fast.version(), general.version());
    assert!(fast.iter().eq(general.iter()));
    assert_eq!(fast.heads(), general.heads());
    assert_eq!(fast.conflicts(&Default::default()), general.conflicts(&Default::default()));
    assert_eq!(fast.conflict_history(&Default::default()), general.conflict_history(&Default::default()));
}

/// A named way to spoil a batch.
type Mutation = (&'static str, Box<dyn Fn(&mut Vec<Event>)>);

#[test]
fn both_paths_refuse_the_same_bad_batches_and_change_nothing() {
    let events = workload::remote_events(400, 2);
    let mut base = fresh();
    base.receive(events[..100].to_vec()).unwrap();
    let batch = &events[100..300];
    let mutations: Vec<Mutation> = vec![
        ("lamport does not grow", Box::new(|b: &mut Vec<Event>| b[50].lamport = b[49].lamport.min(b[50].lamport) - 1)),
        ("time runs backwards", Box::new(|b: &mut Vec<Event>| b[80].time = 0)),
        ("bad json", Box::new(|b: &mut Vec<Event>| b[120].data = "{nope".into())),
        ("empty stream", Box::new(|b: &mut Vec<Event>| b[199].stream = "".into())),
        ("equivocation", Box::new(|b: &mut Vec<Event>| b.push(Event { data: "7".into(), ..b[10].clone() }))),
    ];
    for (what, mutate) in mutations {
        let mut bad = batch.to_vec();
        mutate(&mut bad);
        let (mut fast, mut general) = (base.clone(), base.clone());
        let a = fast.receive(bad.clone()).expect_err(what);
        let b = general.receive(with_repeat(&bad)).expect_err(what);
        assert_eq!(a, b, "{what}: the two paths disagree");
        assert!(matches!(a, Error::Invalid(_)), "{what}: {a}");
        for log in [&fast, &general] {
            assert_eq!(log.version(), base.version(), "{what}: a refused batch changed the log");
            assert_eq!(log.generation(), base.generation());
        }
    }
    // A gap (an event missing in the middle) parks the rest on both paths alike.
    let mut gap = batch.to_vec();
    gap.remove(20);
    let (mut fast, mut general) = (base.clone(), base.clone());
    let a = fast.receive(gap.clone()).unwrap();
    let b = general.receive(with_repeat(&gap)).unwrap();
    assert_eq!(a.applied, b.applied);
    assert_eq!(a.pending, b.pending);
    assert!(a.pending > 0);
    assert_eq!(fast.pending(), general.pending());
}
