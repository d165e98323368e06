//! A real trace: the `friendsforever` editing session (two users, ~26k transactions with
//! causal parents) loaded as events. The log's causality must agree with the trace's
//! parent graph, and replicas fed in different causal (or no causal) orders must end
//! identical.

#[path = "sim/prng.rs"]
mod prng;
#[path = "support/trace.rs"]
mod trace;

use everlog::{ActorId, Event, EventId, Log};
use prng::Prng;
use trace::Trace;

/// Feeds the trace's events into a fresh log in `order`, in random batch sizes,
/// shuffling each batch when `shuffle` is set.
fn deliver(t: &Trace, order: &[usize], rng: &mut Prng, shuffle: bool) -> Log {
    let mut log = Log::new(ActorId::from_u128(0xfeed));
    let mut rest = order;
    while !rest.is_empty() {
        let k = 1 + rng.below(rest.len().min(3000));
        let mut batch: Vec<Event> = rest[..k].iter().map(|i| t.events[*i].clone()).collect();
        if shuffle {
            rng.shuffle(&mut batch);
        }
        let r = log.receive(batch).expect("honest events are accepted");
        assert!(r.rejected.is_empty() && r.dropped == 0, "{r:?}");
        rest = &rest[k..];
    }
    assert!(log.pending().waiting.is_empty(), "events left pending after the whole trace");
    assert_eq!(log.len(), t.events.len());
    log
}

#[test]
fn happened_before_matches_the_parent_graph() {
    let t = trace::load();
    let n = t.events.len();
    assert!(n > 20_000 && t.agents == 2, "unexpected trace: {n} txns, {} agents", t.agents);
    let mut rng = Prng::new(0x7ace);
    let order: Vec<usize> = (0..n).collect();
    let log = deliver(&t, &order, &mut rng, false);
    let id = |i: usize| t.events[i].id;

    // Every parent edge, both ways.
    let mut edges = 0;
    for (i, ps) in t.parents.iter().enumerate() {
        for p in ps {
            assert!(log.happened_before(&id(*p), &id(i)), "parent {p} of {i} is not before it");
            assert!(!log.happened_before(&id(i), &id(*p)), "{i} is before its parent {p}");
            edges += 1;
        }
    }
    assert!(edges >= n - 1);

    // The whole causal past of every event equals the transitive closure of the parents.
    for (i, past) in t.past.iter().enumerate() {
        assert_eq!(log.causal_past(&id(i)), *past, "causal past of txn {i}");
    }

    // A large random sample of pairs against the closure, and the order agrees.
    let (mut before, mut concurrent) = (0, 0);
    for _ in 0..300_000 {
        let (a, b) = (rng.below(n), rng.below(n));
        let expected = a != b && t.past[b].includes(&id(a));
        let hb = log.happened_before(&id(a), &id(b));
        assert_eq!(hb, expected, "happened_before(txn {a}, txn {b})");
        if hb {
            before += 1;
            assert!(t.events[a].order_key() < t.events[b].order_key());
        } else if !t.past[a].includes(&id(b)) {
            concurrent += 1;
            assert!(log.concurrent(&id(a), &id(b)));
        }
    }
    // The sample saw both kinds of pairs, or it proved little.
    assert!(before > 1000 && concurrent > 10, "{before} ordered, {concurrent} concurrent pairs");
}

#[test]
fn different_delivery_orders_converge() {
    let t = trace::load();
    let n = t.events.len();
    let mut rng = Prng::new(0xc0de);
    let file_order: Vec<usize> = (0..n).collect();
    let mut pick = Prng::new(0x70b0);
    let topo = t.random_topological_order(|len| pick.below(len));
    assert_ne!(topo, file_order, "the random causal order should differ from the file's");
    let mut chaos = file_order.clone();
    rng.shuffle(&mut chaos);

    let a = deliver(&t, &file_order, &mut rng, false);
    let b = deliver(&t, &topo, &mut rng, false);
    // No causal order at all: most events wait in the pending set for a while.
    let c = deliver(&t, &chaos, &mut rng, true);

    let ids = |l: &Log| l.iter().map(|e| e.id()).collect::<Vec<EventId>>();
    assert_eq!(a.version(), b.version());
    assert_eq!(a.version(), c.version());
    assert_eq!(ids(&a), ids(&b), "total order differs between two causal orders");
    assert_eq!(ids(&a), ids(&c), "total order differs after out-of-order delivery");
    assert!(a.iter().eq(b.iter()) && a.iter().eq(c.iter()), "events differ");
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.heads(), c.heads());
    for i in (0..n).step_by(97) {
        let e = &t.events[i].id;
        assert_eq!(a.causal_past(e), b.causal_past(e));
        assert_eq!(a.causal_past(e), c.causal_past(e));
    }
}
