//! Invariant checks against an independent oracle.
//!
//! The oracle records, for every event the simulation ever created, its content and its
//! **reference causal past**: the author's whole version at the moment it appended (a
//! full version vector per event, exactly what the log avoids storing). Every replica's
//! answers (`happened_before`, `causal_past`, conflicts, heads, pending set) are checked
//! against that reference, so a bug in the log's compact knowledge points cannot hide
//! behind replicas agreeing with each other.

use std::collections::{BTreeMap, HashMap};

use everlog::{
    Builtin, Conflict, ConflictRecord, Event, EventId, EventRef, Filter, Log, Name, PendingInfo, VersionVector,
};

use super::prng::{FxBuild, Prng};

pub type Res<T = ()> = Result<T, String>;

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}
pub(crate) use ensure;

/// Every event ever created, with its reference causal past (the event included).
#[derive(Default)]
pub struct Oracle {
    pub events: HashMap<EventId, Event, FxBuild>,
    pub past: HashMap<EventId, VersionVector, FxBuild>,
}

impl Oracle {
    /// Records a local event appended when its author's version was `before`.
    pub fn record(&mut self, e: &Event, before: &VersionVector) -> Res {
        let mut past = before.clone();
        past.raise(e.id.actor, e.id.seq);
        ensure!(!self.events.contains_key(&e.id), "event {:?} was created twice", e.id);
        self.events.insert(e.id, e.clone());
        self.past.insert(e.id, past);
        Ok(())
    }

    fn knows(&self, b: &EventId, a: &EventId) -> bool {
        self.past[b].includes(a)
    }
}

/// Everything a replica must agree on with the others after a full sync.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub version: VersionVector,
    pub events: Vec<Event>,
    pub heads: Vec<EventId>,
    pub conflicts: Vec<Conflict>,
    pub history: Vec<ConflictRecord>,
    pub streams: Vec<(Name, u64)>,
    pub folds: Vec<StreamFold>,
    /// The built-in folds (count, sum, groupSum, latest, register) per stream, as JSON.
    pub builtins: Vec<serde_json::Value>,
    pub ikeys: Vec<(String, Option<EventId>)>,
    /// `encode_log`: replicas holding the same events must write the same bytes.
    pub encoded: Vec<u8>,
}

/// A small deterministic fold per stream: count, sum of `v`, and the last value per key
/// in the total order. Stands for "identical folds" until built-in folds exist.
#[derive(Debug, PartialEq)]
pub struct StreamFold {
    pub stream: Name,
    pub count: u64,
    pub sum: i64,
    pub last: BTreeMap<Name, i64>,
}

pub fn folds(log: &Log) -> Vec<StreamFold> {
    log.streams()
        .into_iter()
        .map(|s| {
            let f = Filter::stream(&s);
            let mut out = StreamFold { stream: s.clone(), count: 0, sum: 0, last: BTreeMap::new() };
            for e in log.events(&f) {
                let v = e.data_value().unwrap()["v"].as_i64().unwrap_or(0);
                out.count += 1;
                out.sum += v;
                if let Some(k) = &e.key() {
                    out.last.insert((*k).clone(), v);
                }
            }
            out
        })
        .collect()
}

pub fn snapshot(log: &Log, ikeys: &[String]) -> Snapshot {
    let all = Filter::default();
    Snapshot {
        version: log.version().clone(),
        events: log.iter().map(|e| e.to_event()).collect(),
        heads: log.heads(),
        conflicts: log.conflicts(&all),
        history: log.conflict_history(&all),
        streams: log.streams().into_iter().map(|s| (s.clone(), log.stream_version(&s))).collect(),
        folds: folds(log),
        builtins: builtins(log),
        ikeys: ikeys.iter().map(|k| (k.clone(), log.get_by_idempotency_key(k).map(|e| e.id()))).collect(),
        encoded: everlog::codec::encode_log(log),
    }
}

pub fn builtins(log: &Log) -> Vec<serde_json::Value> {
    let all =
        [Builtin::count(), Builtin::sum("v"), Builtin::group_sum("v", "v"), Builtin::latest(), Builtin::register()];
    let mut out = Vec::new();
    for s in log.streams() {
        let f = Filter::stream(&s);
        for b in &all {
            out.push(b.value(&log.fold(b, &f)));
        }
    }
    out
}

/// Checks one replica against the oracle. `pair_budget` bounds the pairwise
/// happened-before comparisons (all pairs when they fit, else a random sample); `deep`
/// adds the per-key conflict oracle, which is quadratic in the events of a key.
pub fn check_replica(log: &Log, o: &Oracle, rng: &mut Prng, pair_budget: usize, deep: bool) -> Res {
    let evs: Vec<EventRef<'_>> = log.iter().collect();
    let v = log.version();
    // Invariant 3: a strict total order by (lamport, actor, seq).
    for w in evs.windows(2) {
        ensure!(w[0].order_key() < w[1].order_key(), "order broken: {:?} before {:?}", w[0].id(), w[1].id());
    }
    ensure!(evs.len() == log.len() && evs.len() as u64 == v.total(), "len {} vs version {:?}", evs.len(), v);
    ensure!(log.events(&Filter::default()).count() == evs.len(), "events(all) differs from iter()");
    for e in &evs {
        ensure!(v.includes(&e.id()), "{:?} applied but not in the version {v:?}", e.id());
        ensure!(o.events.get(&e.id()).is_some_and(|w| *e == *w), "{:?} differs from what its author wrote", e.id());
        ensure!(log.get(&e.id()) == Some(*e), "get({:?}) disagrees with iter()", e.id());
        // Causal delivery: the author's previous event and every dep are applied, earlier
        // in the order, with smaller lamport and no later time.
        let prev = (e.id().seq > 1).then(|| EventId::new(e.id().actor, e.id().seq - 1));
        for d in prev.iter().chain(e.deps().iter()) {
            let dep = log.get(d).ok_or_else(|| format!("{:?} applied without its dependency {d:?}", e.id()))?;
            ensure!(dep.order_key() < e.order_key(), "{d:?} sorts after its dependent {:?}", e.id());
            ensure!(dep.time() <= e.time(), "time runs backwards from {d:?} to {:?}", e.id());
        }
        let past = log.causal_past(&e.id());
        ensure!(past == o.past[&e.id()], "causal_past({:?}) = {past:?}, expected {:?}", e.id(), o.past[&e.id()]);
    }
    check_pairs(log, o, &evs, rng, pair_budget)?;
    let pending = log.pending();
    check_pending(log, o, &pending)?;
    check_heads(log, o)?;
    if deep {
        check_conflicts(log, o, &evs)?;
    }
    for s in log.streams() {
        let f = Filter::stream(&s);
        let by_filter: Vec<EventRef<'_>> = log.events(&f).collect();
        let by_scan: Vec<EventRef<'_>> = evs.iter().copied().filter(|e| *e.stream() == s).collect();
        ensure!(by_filter == by_scan, "events(stream {s}) differs from a scan");
        ensure!(log.stream_version(&s) == by_scan.len() as u64, "stream_version({s}) is wrong");
    }
    Ok(())
}

fn check_pairs(log: &Log, o: &Oracle, evs: &[EventRef<'_>], rng: &mut Prng, budget: usize) -> Res {
    let n = evs.len();
    if n == 0 {
        return Ok(());
    }
    let check = |a: EventRef<'_>, b: EventRef<'_>| -> Res {
        let hb = log.happened_before(&a.id(), &b.id());
        let expected = a.id() != b.id() && o.knows(&b.id(), &a.id());
        ensure!(hb == expected, "happened_before({:?}, {:?}) = {hb}, the oracle says {expected}", a.id(), b.id());
        ensure!(!hb || a.order_key() < b.order_key(), "{:?} happened before {:?} but sorts after", a.id(), b.id());
        let conc = log.concurrent(&a.id(), &b.id());
        let expected = a.id() != b.id() && !o.knows(&b.id(), &a.id()) && !o.knows(&a.id(), &b.id());
        ensure!(conc == expected, "concurrent({:?}, {:?}) = {conc}", a.id(), b.id());
        Ok(())
    };
    if n * n <= budget {
        for a in evs {
            for b in evs {
                check(*a, *b)?;
            }
        }
    } else {
        for _ in 0..budget {
            check(evs[rng.below(n)], evs[rng.below(n)])?;
        }
    }
    Ok(())
}

/// Invariant 4: pending events are never visible, and really wait for something.
fn check_pending(log: &Log, o: &Oracle, info: &PendingInfo) -> Res {
    let v = log.version();
    ensure!(info.waiting.len() == log.pending_events().count(), "pending info and events disagree");
    for (id, missing) in &info.waiting {
        ensure!(!v.includes(id) && log.get(id).is_none(), "pending {id:?} is visible");
        ensure!(!v.includes(missing), "{id:?} waits for {missing:?}, which is applied");
        ensure!(o.events.contains_key(id), "pending {id:?} was never created");
    }
    Ok(())
}

/// Conflicts against the oracle: the heads of each `(stream, key)` are its events that no
/// other event on the same key knows.
fn check_conflicts(log: &Log, o: &Oracle, evs: &[EventRef<'_>]) -> Res {
    let mut slots: BTreeMap<(Name, Name), Vec<EventRef<'_>>> = BTreeMap::new();
    for &e in evs {
        if let Some(k) = e.key() {
            slots.entry((e.stream().clone(), k.clone())).or_default().push(e);
        }
    }
    let mut expected_conflicts = Vec::new();
    for ((s, k), on_key) in &slots {
        let heads: Vec<EventId> = on_key
            .iter()
            .filter(|e| !on_key.iter().any(|f| f.id() != e.id() && o.knows(&f.id(), &e.id())))
            .map(|e| e.id())
            .collect();
        let actual: Vec<EventId> = log.current(s, k).iter().map(|e| e.id()).collect();
        ensure!(actual == heads, "current({s}, {k}) = {actual:?}, the oracle says {heads:?}");
        if heads.len() > 1 {
            expected_conflicts.push((s.clone(), k.clone(), heads));
        }
    }
    let actual: Vec<(Name, Name, Vec<EventId>)> = log
        .conflicts(&Filter::default())
        .into_iter()
        .map(|c| (c.stream, c.key, c.events.iter().map(|e| e.id).collect()))
        .collect();
    ensure!(actual == expected_conflicts, "conflicts() = {actual:?}, expected {expected_conflicts:?}");
    for rec in log.conflict_history(&Filter::default()) {
        ensure!(rec.siblings.len() > 1, "a conflict record with one sibling: {rec:?}");
        match rec.resolved_by {
            Some(r) => {
                for s in &rec.siblings {
                    ensure!(o.knows(&r, s), "{r:?} resolves {rec:?} without knowing {s:?}");
                }
            }
            None => ensure!(log.current(&rec.stream, &rec.key).len() > 1, "open record without a conflict: {rec:?}"),
        }
    }
    Ok(())
}

fn check_heads(log: &Log, o: &Oracle) -> Res {
    let last: Vec<EventId> = log.version().iter().map(|(a, s)| EventId::new(*a, s)).collect();
    let mut expected: Vec<EventId> =
        last.iter().copied().filter(|h| !last.iter().any(|x| x != h && o.knows(x, h))).collect();
    expected.sort_by_key(|id| log.get(id).map(EventRef::order_key));
    let heads = log.heads();
    ensure!(heads == expected, "heads() = {heads:?}, expected {expected:?}");
    Ok(())
}
