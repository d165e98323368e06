//! The simulated world: replicas, a lossy network, and what each action does to them.

use std::collections::{HashMap, HashSet};

use everlog::codec::{decode_events, decode_events_partial, decode_log, encode_events_with, encode_log, EncodeOptions};
use everlog::sync::SyncState;
use everlog::{ActorId, AppendOptions, Draft, Error, Event, EventRef, ExpectedVersion, Limits, Log, OrderKey};
use serde_json::json;

use super::check::{check_replica, ensure, snapshot, Oracle, Res};
use super::prng::Prng;
use super::Action;

/// Pairwise happened-before comparisons after an ordinary step / after a full sync.
const PAIRS_STEP: usize = 32;
const PAIRS_SYNC: usize = 2048;

/// What a run exercised, to see that a seed did something.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub appended: u64,
    pub messages: u64,
    pub damaged: u64,
    pub delivered: u64,
    pub parked: u64,
    pub dropped: u64,
    pub full_syncs: u64,
    pub reopens: u64,
    pub max_conflicts: usize,
}

pub(super) struct Replica {
    pub log: Log,
    clock: u64,
}

/// A message in flight: an encoded event batch (the codec's format), small chunks so
/// that a cut keeps some of it.
struct Msg {
    to: usize,
    bytes: Vec<u8>,
}

pub struct World {
    pub(super) replicas: Vec<Replica>,
    net: Vec<Msg>,
    pub(super) oracle: Oracle,
    limits: Limits,
    /// Samples pairs for the checks only (never decides what happens).
    pub(super) rng: Prng,
    pub(super) ikeys: Vec<String>,
    /// `(me, peer)` → my sync state for that peer (one connection each way).
    pub(super) sync: HashMap<(usize, usize), SyncState>,
    /// Connections `(low, high)` that lost a message silently since they last reconnected.
    pub(super) silent_loss: HashSet<(usize, usize)>,
    pub stats: Stats,
}

fn actor(i: usize) -> ActorId {
    // Spread-out ids so actor order differs from replica index order.
    ActorId::from_u128((i as u128 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835))
}

impl World {
    pub fn new(n: usize, small_pending: bool) -> Self {
        let limits =
            Limits { max_pending: if small_pending { 4 } else { Limits::default().max_pending }, ..Default::default() };
        World {
            replicas: (0..n)
                .map(|i| Replica { log: Log::with_limits(actor(i), limits.clone()), clock: 1_000 })
                .collect(),
            net: Vec::new(),
            oracle: Oracle::default(),
            limits,
            rng: Prng::new(n as u64),
            ikeys: Vec::new(),
            sync: HashMap::new(),
            silent_loss: HashSet::new(),
            stats: Stats::default(),
        }
    }

    pub fn log(&self, i: usize) -> &Log {
        &self.replicas[i].log
    }

    pub fn step(&mut self, a: &Action) -> Res {
        let n = self.replicas.len();
        let r = |x: &u8| *x as usize % n;
        match a {
            Action::Append { replica, stream, key, value, tick } => {
                let mut d = Draft::new(&format!("s{}", stream % 3), "Set", json!({ "v": value }));
                if let Some(k) = key {
                    d = d.key(&format!("k{}", k % 4));
                }
                self.append(r(replica), vec![d], ExpectedVersion::Any, *tick)
            }
            Action::AppendBatch { replica, stream, len, tick } => {
                let s = format!("s{}", stream % 3);
                let drafts = (0..len % 8 + 1)
                    .map(|i| Draft::new(&s, "Set", json!({ "v": i })).key(&format!("k{}", i % 4)))
                    .collect();
                self.append(r(replica), drafts, ExpectedVersion::Any, *tick)
            }
            Action::AppendExpecting { replica, stream, expect, tick } => {
                let s = format!("s{}", stream % 3);
                let current = self.log(r(replica)).stream_version(&s);
                let ev = match expect % 4 {
                    0 => ExpectedVersion::Any,
                    1 => ExpectedVersion::NoStream,
                    2 => ExpectedVersion::Exact(current),
                    _ => ExpectedVersion::Exact(current ^ 1),
                };
                self.append(r(replica), vec![Draft::new(&s, "Checked", json!({ "v": 1 }))], ev, *tick)
            }
            Action::AppendIdempotent { replica, ikey, tick } => {
                let k = format!("ik{}", ikey % 4);
                if !self.ikeys.contains(&k) {
                    self.ikeys.push(k.clone());
                }
                let d = Draft::new("s0", "Once", json!({ "v": 7 })).idempotency_key(&k);
                self.append(r(replica), vec![d], ExpectedVersion::Any, *tick)
            }
            Action::Deliver { from, to, count, skip, seed } => {
                let events = self.pick(r(from), r(to), *count, *skip, *seed);
                self.receive(r(to), events)
            }
            Action::Post { from, to, count, skip, seed } => {
                let events = self.pick(r(from), r(to), *count, *skip, *seed);
                let bytes = encode(&events, *seed);
                ensure!(decode_events(&bytes).as_ref() == Ok(&events), "the codec does not round-trip a batch");
                self.net.push(Msg { to: r(to), bytes });
                Ok(())
            }
            Action::Arrive { msg } => match self.msg_index(*msg) {
                Some(i) => {
                    let m = self.net.remove(i);
                    // A cut or damaged batch yields the events of its intact chunks.
                    let partial = decode_events_partial(&m.bytes);
                    self.stats.damaged += partial.error.is_some() as u64;
                    self.receive(m.to, partial.events)
                }
                None => Ok(()),
            },
            Action::Duplicate { msg } => {
                if let Some(i) = self.msg_index(*msg) {
                    let copy = Msg { to: self.net[i].to, bytes: self.net[i].bytes.clone() };
                    self.net.push(copy);
                }
                Ok(())
            }
            Action::Reorder { msg, seed } => {
                if let Some(i) = self.msg_index(*msg) {
                    let mut m = self.net.remove(i);
                    if let Ok(mut events) = decode_events(&m.bytes) {
                        Prng::new(*seed as u64).shuffle(&mut events);
                        m.bytes = encode(&events, *seed);
                    }
                    self.net.push(m);
                }
                Ok(())
            }
            Action::Drop { msg } => {
                if let Some(i) = self.msg_index(*msg) {
                    self.net.remove(i);
                }
                Ok(())
            }
            Action::Truncate { msg, keep } => {
                if let Some(i) = self.msg_index(*msg) {
                    let m = &mut self.net[i];
                    let keep = m.bytes.len() * *keep as usize / 256;
                    m.bytes.truncate(keep);
                }
                Ok(())
            }
            Action::Corrupt { msg, at } => {
                if !crc_checked() {
                    return Ok(());
                }
                if let Some(i) = self.msg_index(*msg) {
                    let m = &mut self.net[i];
                    let at = *at as usize % m.bytes.len().max(1);
                    if let Some(b) = m.bytes.get_mut(at) {
                        *b ^= 0x20;
                    }
                }
                Ok(())
            }
            Action::Sync { from, to } => self.sync(r(from), r(to)),
            Action::SyncAll => self.sync_all(),
            Action::Reopen { replica, seed } => self.reopen(r(replica), *seed),
            Action::SyncMessage { from, to, fate, at } => self.sync_message(r(from), r(to), *fate, *at).map(drop),
            Action::SyncSession { a, b } => self.sync_session(r(a), r(b)),
            Action::Reconnect { a, b } => {
                self.reconnect(r(a), r(b));
                Ok(())
            }
        }
    }

    fn msg_index(&self, msg: u8) -> Option<usize> {
        (!self.net.is_empty()).then(|| msg as usize % self.net.len())
    }

    /// Light checks after ordinary steps, deep ones (all of [`check_replica`]) after syncs.
    pub(super) fn check(&mut self, i: usize, pairs: usize) -> Res {
        let deep = pairs >= PAIRS_SYNC;
        check_replica(&self.replicas[i].log, &self.oracle, &mut self.rng, pairs, deep)
            .map_err(|e| format!("replica {i}: {e}"))
    }

    fn append(&mut self, i: usize, drafts: Vec<Draft>, ev: ExpectedVersion, tick: u8) -> Res {
        let rep = &mut self.replicas[i];
        rep.clock += (tick % 16) as u64;
        // Now and then a clock that jumped back: event time must still never go backwards.
        let now = if tick >= 240 { rep.clock.saturating_sub(500) } else { rep.clock };
        let before = rep.log.version().clone();
        let (gen, max_before) = (rep.log.generation(), rep.log.iter().map(|e| e.lamport()).max().unwrap_or(0));
        let streams: Vec<(String, u64)> =
            drafts.iter().map(|d| (d.stream.clone(), rep.log.stream_version(&d.stream))).collect();
        let existing: Vec<Option<Event>> = drafts
            .iter()
            .map(|d| d.idempotency_key.as_deref().and_then(|k| rep.log.get_by_idempotency_key(k)).map(|e| e.to_event()))
            .collect();
        match rep.log.append(drafts, &AppendOptions { expected_version: ev }, now) {
            Ok(evs) => {
                ensure!(streams.iter().all(|(_, cur)| ev.accepts(*cur)), "append accepted {ev} on a moved stream");
                for (e, old) in evs.iter().zip(&existing) {
                    if let Some(old) = old {
                        ensure!(e == old, "idempotency key returned {:?}, not the existing {:?}", e.id, old.id);
                        continue;
                    }
                    ensure!(!before.includes(&e.id) && e.id.actor == rep.log.actor(), "bad new id {:?}", e.id);
                    ensure!(e.lamport > max_before && e.time >= now, "clocks of {:?} too low", e.id);
                    self.oracle.record(e, &before)?;
                    self.stats.appended += 1;
                }
                ensure!(
                    rep.log.version().get(&rep.log.actor()) == before.get(&rep.log.actor()) + self_new(&evs, &existing),
                    "own seq count is off"
                );
            }
            Err(Error::Concurrency { stream, current, .. }) => {
                let expected = streams.iter().find(|(s, _)| *s == stream).map(|(_, c)| *c);
                ensure!(expected == Some(current) && !ev.accepts(current), "wrong concurrency error on {stream}");
                ensure!(rep.log.generation() == gen && *rep.log.version() == before, "a failed append changed the log");
            }
            Err(e) => return Err(format!("append failed: {e}")),
        }
        self.check(i, PAIRS_STEP)
    }

    /// Events of `from` that `to` lacks (all of `from`'s when they are the same replica:
    /// a re-delivery), with a cut at the front, a bounded count, maybe shuffled.
    fn pick(&self, from: usize, to: usize, count: u8, skip: u8, seed: u16) -> Vec<Event> {
        let theirs = self.log(to).version();
        let all: Vec<EventRef<'_>> =
            self.log(from).iter().filter(|e| from == to || !theirs.includes(&e.id())).collect();
        let skip = skip as usize % (all.len() + 1);
        let mut out: Vec<Event> =
            all.into_iter().skip(skip).take(count as usize % 12 + 1).map(|e| e.to_event()).collect();
        if seed % 2 == 1 {
            Prng::new(seed as u64).shuffle(&mut out);
        }
        out
    }

    pub(super) fn receive(&mut self, i: usize, events: Vec<Event>) -> Res {
        let log = &mut self.replicas[i].log;
        let before = log.version().clone();
        let res = log.receive(events.clone()).map_err(|e| format!("replica {i} refused honest events: {e}"))?;
        ensure!(res.rejected.is_empty(), "replica {i} rejected honest events: {:?}", res.rejected);
        let v = log.version();
        let mut seen = before.clone();
        for e in &res.applied {
            ensure!(!before.includes(&e.id) && v.includes(&e.id), "{:?} reported applied twice or not at all", e.id);
            let prev = (e.id.seq > 1).then(|| everlog::EventId::new(e.id.actor, e.id.seq - 1));
            ensure!(prev.iter().chain(e.deps().iter()).all(|d| seen.includes(d)), "applied {:?} before its deps", e.id);
            seen.raise(e.id.actor, e.id.seq);
        }
        ensure!(seen == *v, "applied events do not account for the new version");
        let earliest: Option<OrderKey> = res.applied.iter().map(Event::order_key).min();
        ensure!(res.earliest == earliest, "earliest is {:?}, expected {earliest:?}", res.earliest);
        let pending = log.pending();
        let lost =
            events.iter().filter(|e| !v.includes(&e.id) && !pending.waiting.iter().any(|(p, _)| *p == e.id)).count();
        ensure!(lost <= res.dropped, "{lost} events vanished, only {} reported dropped", res.dropped);
        self.stats.delivered += res.applied.len() as u64;
        self.stats.parked += res.pending as u64;
        self.stats.dropped += res.dropped as u64;
        self.check(i, PAIRS_STEP)
    }

    fn sync(&mut self, from: usize, to: usize) -> Res {
        let theirs = self.log(to).version().clone();
        let events: Vec<Event> = self.log(from).missing_from(&theirs).map(|e| e.to_event()).collect();
        self.receive(to, events)?;
        ensure!(self.log(from).version().le(self.log(to).version()), "sync {from}->{to} left {to} behind");
        Ok(())
    }

    /// Everyone through replica 0 and back; then every replica must be identical, with an
    /// empty pending set, and receiving everything again must change nothing.
    fn sync_all(&mut self) -> Res {
        let n = self.replicas.len();
        for i in 1..n {
            self.sync(i, 0)?;
        }
        for i in 1..n {
            self.sync(0, i)?;
        }
        self.stats.full_syncs += 1;
        let snaps: Vec<_> = self.replicas.iter().map(|r| snapshot(&r.log, &self.ikeys)).collect();
        for (i, s) in snaps.iter().enumerate() {
            ensure!(self.log(i).pending().waiting.is_empty(), "replica {i} still has pending events after a full sync");
            ensure!(
                *s == snaps[0],
                "replica {i} differs from replica 0 after a full sync:\n{s:#?}\nvs\n{:#?}",
                snaps[0]
            );
        }
        // Identical events give identical causal tracks, so one deep check covers all;
        // the others still get the light one.
        self.check(0, PAIRS_SYNC)?;
        for i in 1..n {
            self.check(i, PAIRS_STEP)?;
        }
        self.stats.max_conflicts = self.stats.max_conflicts.max(snaps[0].conflicts.len());
        // Idempotence: everything again, shuffled, in random batches.
        let mut all: Vec<Event> = self.log(0).iter().map(|e| e.to_event()).collect();
        for i in 0..n {
            self.rng.shuffle(&mut all);
            let log = &mut self.replicas[i].log;
            let gen = log.generation();
            let mut rest = &all[..];
            while !rest.is_empty() {
                let k = 1 + self.rng.below(rest.len());
                let res = log.receive(rest[..k].to_vec()).map_err(|e| format!("re-delivery failed: {e}"))?;
                ensure!(res.applied.is_empty() && res.duplicates == k, "re-delivery to {i} applied something: {res:?}");
                rest = &rest[k..];
            }
            ensure!(log.generation() == gen, "re-delivery to {i} changed the generation");
            ensure!(snapshot(log, &self.ikeys) == snaps[0], "re-delivery changed replica {i}");
        }
        Ok(())
    }

    /// Rebuilds a replica from its applied events alone (what storage keeps): decoded
    /// from `encode_log`, or fed back in a shuffled order. It must answer exactly as
    /// before (its pending set is forgotten, and so are its connections).
    fn reopen(&mut self, i: usize, seed: u16) -> Res {
        let old = &self.replicas[i].log;
        let before = snapshot(old, &self.ikeys);
        let fresh = if seed.is_multiple_of(2) {
            decode_log(&encode_log(old), old.actor(), self.limits.clone()).map_err(|e| format!("decode_log: {e}"))?
        } else {
            let mut events: Vec<Event> = old.iter().map(|e| e.to_event()).collect();
            Prng::new(seed as u64).shuffle(&mut events);
            let mut fresh = Log::with_limits(old.actor(), self.limits.clone());
            let res = fresh.receive(events).map_err(|e| format!("reopen of {i} failed: {e}"))?;
            ensure!(res.pending == 0 && res.rejected.is_empty(), "reopen of {i} left events out: {res:?}");
            fresh
        };
        for j in 0..self.replicas.len() {
            self.reconnect(i, j);
        }
        let after = snapshot(&fresh, &self.ikeys);
        ensure!(after == before, "replica {i} differs after reopen:\n{after:#?}\nvs\n{before:#?}");
        self.replicas[i].log = fresh;
        self.stats.reopens += 1;
        self.check(i, PAIRS_STEP)
    }
}

/// Encodes a batch in small chunks (so cuts keep some), compressed for odd seeds.
fn encode(events: &[Event], seed: u16) -> Vec<u8> {
    let opts = EncodeOptions { level: if seed % 2 == 1 { 6 } else { 0 }, chunk_bytes: 64 << (seed % 4) };
    encode_events_with(events, &opts)
}

fn self_new(evs: &[Event], existing: &[Option<Event>]) -> u64 {
    // Fresh events, counting a key repeated inside the batch once.
    let mut ids: Vec<_> = evs.iter().zip(existing).filter(|(_, o)| o.is_none()).map(|(e, _)| e.id).collect();
    ids.sort();
    ids.dedup();
    ids.len() as u64
}

/// Does this build's codec check CRCs? Fuzzing builds (`--cfg fuzzing`) skip them so that
/// libFuzzer reaches the decoders; there a flipped byte can decode into other, valid
/// events, so the simulator only flips bytes when the flip is detectable. Probed at run
/// time: a digit of a payload is changed in an uncompressed batch.
pub fn crc_checked() -> bool {
    static CHECKED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CHECKED.get_or_init(|| {
        let mut log = Log::new(ActorId::from_u128(1));
        let e = log.append(vec![Draft::new("s", "t", json!({ "v": 1 }))], &AppendOptions::default(), 0).unwrap();
        let mut bytes = encode_events_with(&e, &EncodeOptions { level: 0, chunk_bytes: 1 << 16 });
        let at = bytes.windows(6).position(|w| w == b"\"v\":1}").expect("the payload is stored raw") + 4;
        bytes[at] = b'2';
        decode_events(&bytes).is_err()
    })
}
