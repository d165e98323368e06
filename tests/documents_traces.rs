//! Real editing traces replayed through documents in the log.
#![cfg(feature = "documents")]

#[path = "support/trace.rs"]
mod trace;

use everlog::documents::{Document, PathSeg};
use everlog::{ActorId, AppendOptions, EventId, Log};

fn body() -> Vec<PathSeg> {
    vec![PathSeg::from("text")]
}

/// Two users typing concurrently: each agent has its own replica, and before each of its
/// transactions it receives exactly the other agent's events in the transaction's causal
/// past (as the original editors did). Both end with the trace's final text.
#[test]
fn friendsforever_two_replicas_converge_on_the_final_text() {
    let trace = trace::load_file("friendsforever.json.gz");
    assert_eq!(trace.num_agents, 2);
    let mut logs = [Log::new(ActorId::from_u128(1)), Log::new(ActorId::from_u128(2))];
    // Create the text object once, known to both.
    let mut d0 = Document::open(&logs[0], "doc").unwrap();
    let draft = d0.edit(&logs[0], |e| e.put_text(&body(), "")).unwrap().unwrap();
    logs[0].append(vec![draft], &AppendOptions::default(), 0).unwrap();
    let first: Vec<_> = logs[0].iter().map(|e| e.to_event()).collect();
    logs[1].receive(first).unwrap();
    let mut docs = [Document::open(&logs[0], "doc").unwrap(), Document::open(&logs[1], "doc").unwrap()];

    // For every txn: its event id, and per agent the last txn index in its causal past.
    let mut ids: Vec<EventId> = Vec::with_capacity(trace.txns.len());
    let mut past: Vec<[Option<usize>; 2]> = Vec::with_capacity(trace.txns.len());
    for (i, txn) in trace.txns.iter().enumerate() {
        let r = txn.agent;
        let o = 1 - r;
        let mut vv = [None, None];
        for p in &txn.parents {
            for a in 0..2 {
                vv[a] = vv[a].max(past[*p][a]);
            }
        }
        // Deliver the other agent's events up to the last one in this txn's past.
        if let Some(j) = vv[o] {
            let want = ids[j];
            let have = logs[r].version().get(&want.actor);
            if have < want.seq {
                let evs: Vec<_> = (have + 1..=want.seq)
                    .map(|s| logs[o].get(&EventId::new(want.actor, s)).unwrap().to_event())
                    .collect();
                logs[r].receive(evs).unwrap();
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
        if let Some(draft) = draft {
            let ev = logs[r].append(vec![draft], &AppendOptions::default(), i as u64).unwrap();
            ids.push(ev[0].id);
        } else {
            ids.push(ids.last().copied().unwrap_or(EventId::new(logs[r].actor(), 1)));
        }
        vv[r] = Some(i);
        past.push(vv);
    }
    // Full sync, then both hold the final text and the same log.
    let (a, b) = logs.split_at_mut(1);
    let to_b: Vec<_> = a[0].missing_from(b[0].version()).map(|e| e.to_event()).collect();
    let to_a: Vec<_> = b[0].missing_from(a[0].version()).map(|e| e.to_event()).collect();
    b[0].receive(to_b).unwrap();
    a[0].receive(to_a).unwrap();
    for (doc, log) in docs.iter_mut().zip(&logs) {
        doc.update(log).unwrap();
        assert_eq!(doc.text(&body()).unwrap(), trace.end_content);
    }
    let order: Vec<Vec<EventId>> = logs.iter().map(|l| l.iter().map(|e| e.id()).collect()).collect();
    assert_eq!(order[0], order[1]);
    // Every change went out as a compact payload (a JSON string, not the legacy object),
    // and a cold fold rebuilds the very same changes (same automerge heads).
    assert!(logs[0].iter().all(|e| e.data().starts_with('"')));
    let cold = Document::open(&logs[1], "doc").unwrap();
    assert!(cold.rejected().is_empty());
    assert_eq!(cold.automerge().clone().get_heads(), docs[0].automerge().clone().get_heads());
}

/// One user writing a paper (260k single-character edits), grouped 500 edits per event
/// so the debug-build test stays quick; the benchmark replays one event per edit.
#[test]
fn automerge_paper_reaches_the_final_text() {
    let trace = trace::load_file("automerge-paper.json.gz");
    let mut log = Log::new(ActorId::from_u128(7));
    let mut doc = Document::open(&log, "paper").unwrap();
    let draft = doc.edit(&log, |e| e.put_text(&body(), "")).unwrap().unwrap();
    log.append(vec![draft], &AppendOptions::default(), 0).unwrap();
    for (n, chunk) in trace.txns.chunks(500).enumerate() {
        let draft = doc
            .edit(&log, |e| {
                for txn in chunk {
                    for (pos, del, ins) in &txn.patches {
                        e.splice_text(&body(), *pos, *del, ins)?;
                    }
                }
                Ok(())
            })
            .unwrap()
            .unwrap();
        log.append(vec![draft], &AppendOptions::default(), n as u64).unwrap();
    }
    doc.update(&log).unwrap();
    assert_eq!(doc.text(&body()).unwrap(), trace.end_content);
    // A cold fold of the stream gives the same text and the same changes.
    let cold = Document::open(&log, "paper").unwrap();
    assert_eq!(cold.text(&body()).unwrap(), trace.end_content);
    assert_eq!(cold.automerge().clone().get_heads(), doc.automerge().clone().get_heads());
    assert!(log.iter().all(|e| e.data().starts_with('"')));
}
