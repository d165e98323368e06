//! Loads josephg/editing-traces' files in `../shared/data/` (CC BY 4.0) for tests,
//! benchmarks and examples. One loader for every use:
//!
//! - [`load_file`]: a trace as the file has it (transactions of `[pos, del, ins]` patches,
//!   their agent and causal parents, the final text), to replay through documents;
//! - [`load`]: the `friendsforever` trace (a real two-user concurrent session) as everlog
//!   events, one per transaction, to test the log's causality against the parent graph.
//!
//! In [`load`], `agent` is the actor and the transaction's `parents` are its causal past.
//! An event names as dependencies only the parents its author's previous event does not
//! already imply (what the log itself would write), so the log has to rebuild the rest of
//! the graph from its knowledge points.

#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;

use everlog::{ActorId, Event, EventId, VersionVector};
use serde::Deserialize;

/// One transaction of a trace file.
#[derive(Deserialize)]
pub struct Txn {
    /// Indexes of the transactions this one saw last (empty in sequential traces).
    #[serde(default)]
    pub parents: Vec<usize>,
    /// Who typed it (0 in single-user traces).
    #[serde(default)]
    pub agent: usize,
    /// `[position, deleted, inserted]`, positions in Unicode code points.
    pub patches: Vec<(usize, usize, String)>,
}

/// A trace file as written.
#[derive(Deserialize)]
pub struct TraceFile {
    #[serde(rename = "endContent")]
    pub end_content: String,
    /// Number of agents (0 when the file does not say: one user).
    #[serde(rename = "numAgents", default)]
    pub num_agents: usize,
    pub txns: Vec<Txn>,
}

impl TraceFile {
    /// Number of agents, at least one.
    pub fn agents(&self) -> usize {
        self.num_agents.max(1)
    }
}

pub fn path_of(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(name)
}

/// Reads a trace file of `../shared/data/` (e.g. `"automerge-paper.json.gz"`).
pub fn load_file(name: &str) -> TraceFile {
    let path = path_of(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let mut json = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut json).expect("the trace is gzip'd UTF-8");
    serde_json::from_str(&json).expect("the trace parses")
}

/// The trace as events, with the reference causal past of every one.
pub struct Trace {
    pub agents: usize,
    /// Parent transaction indexes, as in the file.
    pub parents: Vec<Vec<usize>>,
    /// One event per transaction, in file order (a causal order).
    pub events: Vec<Event>,
    /// Full causal past (the event included) of each transaction, from the parent graph.
    pub past: Vec<VersionVector>,
}

pub fn actor_of(agent: usize) -> ActorId {
    ActorId::from_u128((agent as u128 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D_9E37_79B9_7F4A_7C15))
}

/// The `friendsforever` trace as events.
pub fn load() -> Trace {
    build(load_file("friendsforever.json.gz"))
}

fn build(raw: TraceFile) -> Trace {
    let n = raw.txns.len();
    let mut ids: Vec<EventId> = Vec::with_capacity(n);
    let mut past: Vec<VersionVector> = Vec::with_capacity(n);
    let mut events: Vec<Event> = Vec::with_capacity(n);
    let mut last_of_agent: Vec<Option<usize>> = vec![None; raw.num_agents];
    for (i, t) in raw.txns.iter().enumerate() {
        assert!(t.parents.iter().all(|p| *p < i), "txn {i} names a later parent");
        let actor = actor_of(t.agent);
        let prev = last_of_agent[t.agent];
        let seq = prev.map_or(1, |p| ids[p].seq + 1);
        let id = EventId::new(actor, seq);
        let mut vv = VersionVector::new();
        for p in &t.parents {
            vv.merge(&past[*p]);
        }
        assert_eq!(vv.get(&actor), seq - 1, "txn {i}: the author's previous txn is not in its past");
        vv.raise(actor, seq);
        let implied = prev.map(|p| &past[p]);
        let deps: Vec<EventId> = t
            .parents
            .iter()
            .map(|p| ids[*p])
            .filter(|d| d.actor != actor && !implied.is_some_and(|v| v.includes(d)))
            .collect();
        let lamport = 1 + t.parents.iter().map(|p| events[*p].lamport).max().unwrap_or(0);
        events.push(Event {
            id,
            stream: "doc:friends".into(),
            kind: "Edit".into(),
            key: None,
            data: serde_json::to_string(&t.patches).expect("patches serialize").into(),
            meta: Default::default(),
            idempotency_key: None,
            lamport,
            // The file's times are all the epoch; the index is a causally monotone clock.
            time: i as u64,
            deps: deps.into(),
        });
        ids.push(id);
        past.push(vv);
        last_of_agent[t.agent] = Some(i);
    }
    Trace { agents: raw.num_agents, parents: raw.txns.into_iter().map(|t| t.parents).collect(), events, past }
}

impl Trace {
    /// A random causal order other than the file's: Kahn's algorithm, picking a random
    /// ready transaction each time.
    pub fn random_topological_order(&self, mut next: impl FnMut(usize) -> usize) -> Vec<usize> {
        let n = self.events.len();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut missing: Vec<usize> = vec![0; n];
        for (i, ps) in self.parents.iter().enumerate() {
            let mut ps = ps.clone();
            ps.sort_unstable();
            ps.dedup();
            missing[i] = ps.len();
            for p in ps {
                children[p].push(i);
            }
        }
        let mut ready: Vec<usize> = (0..n).filter(|i| missing[*i] == 0).collect();
        let mut out = Vec::with_capacity(n);
        while !ready.is_empty() {
            let i = ready.swap_remove(next(ready.len()));
            out.push(i);
            for c in &children[i] {
                missing[*c] -= 1;
                if missing[*c] == 0 {
                    ready.push(*c);
                }
            }
        }
        assert_eq!(out.len(), n, "the parent graph has a cycle");
        out
    }
}
