//! Replays of the editing traces, once through everlog's documents and once through the
//! `automerge` crate used directly, doing the same work; shared by `benches/documents.rs`
//! (time) and `examples/documents.rs` (bytes stored, bytes synced, memory).
//!
//! Both replays give each agent its own replica. Before each transaction, the agent's
//! replica receives exactly the other agents' transactions in that transaction's causal
//! past (as the original editors did), over the wire format each library uses:
//!
//! - everlog: the missing events, encoded as one batch ([`codec::encode_events`]), decoded
//!   and received by the log; each transaction is one [`Document::edit`] appended as one
//!   event.
//! - automerge: each transaction is one commit; the author takes its change
//!   (`get_last_local_change`, what an automerge app sends), the receiver applies the
//!   missing changes' bytes (`Change::from_bytes` + `apply_changes`). A single-user trace
//!   sends nothing, so plain automerge then never builds a change at all.

#![allow(dead_code)]

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ROOT};
use everlog::codec;
use everlog::documents::{Document, PathSeg};
use everlog::{ActorId, AppendOptions, EventId, Log};

use crate::trace::{TraceFile, Txn};

pub const STREAM: &str = "doc:trace";

pub fn body() -> Vec<PathSeg> {
    vec![PathSeg::from("text")]
}

pub fn actor(agent: usize) -> ActorId {
    ActorId::from_u128(0xd0c0_0000 + agent as u128 + 1)
}

/// For each transaction, per agent, the last transaction of that agent in its causal
/// past (itself included).
pub fn causal_past(t: &TraceFile) -> Vec<Vec<Option<usize>>> {
    let n = t.agents();
    let mut past: Vec<Vec<Option<usize>>> = Vec::with_capacity(t.txns.len());
    for (i, txn) in t.txns.iter().enumerate() {
        let mut vv = vec![None; n];
        // Sequential traces name no parents: each transaction follows the previous one.
        let parents: &[usize] = if n == 1 { &[] } else { &txn.parents };
        for p in parents {
            for (a, v) in vv.iter_mut().enumerate() {
                *v = (*v).max(past[*p][a]);
            }
        }
        vv[txn.agent] = Some(i);
        past.push(vv);
    }
    past
}

/// What an everlog replay leaves: one log and one document per agent.
pub struct EverlogRun {
    pub logs: Vec<Log>,
    pub docs: Vec<Document>,
    /// Bytes of the event batches delivered between replicas during the replay.
    pub delivered_bytes: usize,
    pub deliveries: usize,
}

fn splice_all(txn: &Txn, mut f: impl FnMut(usize, usize, &str)) {
    for (pos, del, ins) in &txn.patches {
        f(*pos, *del, ins);
    }
}

/// Replays `t` through everlog: every transaction one event.
pub fn everlog(t: &TraceFile, past: &[Vec<Option<usize>>]) -> EverlogRun {
    let n = t.agents();
    let opts = AppendOptions::default();
    let mut logs: Vec<Log> = (0..n).map(|a| Log::new(actor(a))).collect();
    // The text object, created once by agent 0 and known to everyone before the trace.
    let mut d0 = Document::open(&logs[0], STREAM).unwrap();
    let draft = d0.edit(&logs[0], |e| e.put_text(&body(), "")).unwrap().unwrap();
    logs[0].append(vec![draft], &opts, 0).unwrap();
    let first: Vec<_> = logs[0].iter().map(|e| e.to_event()).collect();
    for log in &mut logs[1..] {
        log.receive(first.clone()).unwrap();
    }
    let mut docs: Vec<Document> = logs.iter().map(|l| Document::open(l, STREAM).unwrap()).collect();

    let (mut delivered_bytes, mut deliveries) = (0, 0);
    // The event of each transaction (an empty transaction reuses its author's last one).
    let mut ids: Vec<EventId> = Vec::with_capacity(t.txns.len());
    for (i, txn) in t.txns.iter().enumerate() {
        let r = txn.agent;
        for (o, last) in past[i].iter().enumerate() {
            let Some(j) = *last else { continue };
            if o == r {
                continue;
            }
            let want = ids[j];
            let have = logs[r].version().get(&want.actor);
            if have < want.seq {
                let evs: Vec<_> = (have + 1..=want.seq)
                    .map(|s| logs[o].get(&EventId::new(want.actor, s)).unwrap().to_event())
                    .collect();
                let wire = codec::encode_events(&evs);
                delivered_bytes += wire.len();
                deliveries += 1;
                logs[r].receive(codec::decode_events(&wire).unwrap()).unwrap();
            }
        }
        let draft = docs[r]
            .edit(&logs[r], |e| {
                for (pos, del, ins) in &txn.patches {
                    e.splice_text(&body(), *pos, *del, ins)?;
                }
                Ok(())
            })
            .unwrap();
        match draft {
            Some(draft) => ids.push(logs[r].append(vec![draft], &opts, i as u64).unwrap()[0].id),
            None => ids.push(ids.last().copied().unwrap_or(EventId::new(logs[r].actor(), 1))),
        }
    }
    // The end: every replica receives what it still lacks.
    for r in 0..n {
        for o in 0..n {
            let evs: Vec<everlog::Event> = logs[o].missing_from(logs[r].version()).map(|e| e.to_event()).collect();
            if o != r && !evs.is_empty() {
                let wire = codec::encode_events(&evs);
                delivered_bytes += wire.len();
                deliveries += 1;
                logs[r].receive(codec::decode_events(&wire).unwrap()).unwrap();
            }
        }
    }
    for (doc, log) in docs.iter_mut().zip(&logs) {
        doc.update(log).unwrap();
    }
    EverlogRun { logs, docs, delivered_bytes, deliveries }
}

/// What a plain automerge replay leaves: one document per agent.
pub struct AutomergeRun {
    pub docs: Vec<AutoCommit>,
    pub delivered_bytes: usize,
    pub deliveries: usize,
}

fn text_obj(doc: &AutoCommit) -> ObjId {
    doc.get(ROOT, "text").unwrap().unwrap().1
}

/// Replays `t` through automerge directly: every transaction one commit.
pub fn automerge(t: &TraceFile, past: &[Vec<Option<usize>>]) -> AutomergeRun {
    let n = t.agents();
    let mut docs: Vec<AutoCommit> = (0..n)
        .map(|a| {
            let mut d = AutoCommit::new_with_encoding(automerge::TextEncoding::UnicodeCodePoint);
            d.set_actor(automerge::ActorId::from(actor(a).as_bytes().as_slice()));
            d
        })
        .collect();
    docs[0].put_object(ROOT, "text", ObjType::Text).unwrap();
    docs[0].commit();
    if n > 1 {
        let first = docs[0].get_last_local_change().unwrap();
        for d in &mut docs[1..] {
            d.apply_changes([first.clone()]).unwrap();
        }
    }
    let mut texts: Vec<ObjId> = docs.iter().map(text_obj).collect();

    let (mut delivered_bytes, mut deliveries) = (0, 0);
    // Per agent, the bytes of its changes in order; per transaction, how many of its
    // author's changes exist once it is committed; per (receiver, author), how many applied.
    let mut outbox: Vec<Vec<Vec<u8>>> = vec![Vec::new(); n];
    let mut count_after: Vec<usize> = Vec::with_capacity(t.txns.len());
    let mut applied = vec![vec![0usize; n]; n];
    for (i, txn) in t.txns.iter().enumerate() {
        let r = txn.agent;
        for (o, last) in past[i].iter().enumerate() {
            let Some(j) = *last else { continue };
            if o == r || applied[r][o] >= count_after[j] {
                continue;
            }
            let changes: Vec<_> = outbox[o][applied[r][o]..count_after[j]]
                .iter()
                .map(|b| {
                    delivered_bytes += b.len();
                    automerge::Change::from_bytes(b.clone()).unwrap()
                })
                .collect();
            deliveries += 1;
            docs[r].apply_changes(changes).unwrap();
            applied[r][o] = count_after[j];
        }
        let doc = &mut docs[r];
        splice_all(txn, |pos, del, ins| {
            doc.splice_text(&texts[r], pos, del as isize, ins).unwrap();
        });
        if doc.commit().is_some() && n > 1 {
            outbox[r].push(doc.get_last_local_change().unwrap().raw_bytes().to_vec());
        }
        count_after.push(outbox[r].len());
    }
    // The end: every replica receives what it still lacks.
    for r in 0..n {
        for o in (0..n).filter(|o| *o != r && applied[r][*o] < outbox[*o].len()) {
            let changes: Vec<_> = outbox[o][applied[r][o]..]
                .iter()
                .map(|b| {
                    delivered_bytes += b.len();
                    automerge::Change::from_bytes(b.clone()).unwrap()
                })
                .collect();
            deliveries += 1;
            docs[r].apply_changes(changes).unwrap();
        }
    }
    texts.clear();
    AutomergeRun { docs, delivered_bytes, deliveries }
}

/// The text of the replayed document (to check a replay reached the trace's end).
pub fn automerge_text(doc: &AutoCommit) -> String {
    doc.text(text_obj(doc)).unwrap()
}
