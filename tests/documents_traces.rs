//! Real editing traces replayed through documents in the log.
#![cfg(feature = "documents")]

#[path = "../benches/support/documents.rs"]
mod documents;
#[path = "support/trace.rs"]
mod trace;

use documents::body;
use everlog::documents::Document;
use everlog::{ActorId, AppendOptions, EventId, Log};

/// Two users typing concurrently: each agent has its own replica, and before each of its
/// transactions it receives exactly the other agent's events in the transaction's causal
/// past (as the original editors did), then everyone receives what it lacks. The replay is
/// the benchmark's (benches/support/documents.rs), so the test checks what the benchmark
/// times. Both end with the trace's final text.
#[test]
fn friendsforever_two_replicas_converge_on_the_final_text() {
    let trace = trace::load_file("friendsforever.json.gz");
    assert_eq!(trace.num_agents, 2);
    let run = documents::everlog(&trace, &documents::causal_past(&trace));
    let (logs, docs) = (&run.logs, &run.docs);
    for doc in docs {
        assert_eq!(doc.text(&body()).unwrap(), trace.end_content);
    }
    let order: Vec<Vec<EventId>> = logs.iter().map(|l| l.iter().map(|e| e.id()).collect()).collect();
    assert_eq!(order[0], order[1]);
    // Every change went out as a compact payload (a JSON string, not the legacy object),
    // and a cold fold rebuilds the very same changes (same automerge heads).
    assert!(logs[0].iter().all(|e| e.data().starts_with('"')));
    let cold = Document::open(&logs[1], documents::STREAM).unwrap();
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
