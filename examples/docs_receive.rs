//! The browser bench `docFriends` natively: the same calls as the JS receive path, to
//! measure (and profile) what a received sync message costs as the log grows.
//!
//! ```text
//! cargo run --release --features documents --example docs_receive            # whole trace
//! cargo run --release --features documents --example docs_receive -- 10000   # first 10k txns
//! cargo run --release --features documents --example docs_receive -- --eager # as before
//! ```
//!
//! Two replicas (one log and one UTF-16 document per agent of `friendsforever`), connected
//! by the logs' sync protocol, one `SyncState` per direction, driven exactly as
//! `www/bench/page/agents.js` drives `Peer` and `Document` in the browser: one FIFO link
//! per direction, every message tagged with its sender's last transaction, drained right
//! after each transaction and after each receive, and delivered once its tag is in the
//! receiver's causal past. A receive is what `Peer.receiveMessage` does
//! (`sync::decode_message`, `Log::prepare_receive`, `Log::commit_receive`, then the
//! document observer's `Document::update`); an edit is what `Document.change` does
//! (`Document::edit`, `Log::prepare` / `commit`, then `Document::update`).
//!
//! `--eager` applies every received message to the document at once, as the JS observer
//! did before it deferred that to the document's next read or edit (then one automerge
//! apply, which walks the whole text object, covers every message received since).
//!
//! Prints, per tenth of the trace, the receive cost per message split into its steps, so
//! a cost that grows with the log shows as a growing column.

#[path = "../benches/support/documents.rs"]
mod documents;
#[path = "../tests/support/trace.rs"]
mod trace;

use std::time::{Duration, Instant};

use everlog::documents::{Document, TextEncoding};
use everlog::sync::{self, SyncState};
use everlog::{AppendOptions, Log};

use documents::{actor, body, causal_past, STREAM};

/// Time spent per receive step.
#[derive(Default, Clone, Copy)]
struct Split {
    messages: usize,
    decode: Duration,
    prepare: Duration,
    commit: Duration,
    update: Duration,
    drain: Duration,
    apply: Duration,
}

impl Split {
    fn row(&self, label: &str) -> String {
        let per = |d: Duration| d.as_secs_f64() * 1e3 / self.messages.max(1) as f64;
        format!(
            "| {label} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} |",
            self.messages,
            per(self.decode),
            per(self.prepare),
            per(self.commit),
            per(self.update),
            self.drain.as_secs_f64() * 1e3,
            self.apply.as_secs_f64() * 1e3,
        )
    }
}

struct Replica {
    log: Log,
    doc: Document,
    /// The document observer applies received events at once (`--eager`, as before), or
    /// marks the document stale and applies them on its next read or edit.
    eager: bool,
    stale: bool,
}

impl Replica {
    /// `Peer.receiveMessage`: decode, persist (memory: nothing), apply, publish.
    fn receive(&mut self, state: &mut SyncState, bytes: &[u8], split: &mut Split) {
        let t = Instant::now();
        let incoming = sync::decode_message(&self.log, state, bytes).unwrap();
        split.decode += t.elapsed();
        split.messages += 1;
        if incoming.events.is_empty() {
            return;
        }
        let t = Instant::now();
        let prepared = self.log.prepare_receive(incoming.events).unwrap();
        split.prepare += t.elapsed();
        let t = Instant::now();
        let received = self.log.commit_receive(prepared).unwrap();
        state.acknowledge();
        split.commit += t.elapsed();
        let t = Instant::now();
        if received.applied.iter().any(|e| *e.stream == *STREAM) {
            if self.eager {
                self.doc.update(&self.log).unwrap();
            } else {
                self.stale = true;
            }
        }
        split.update += t.elapsed();
    }

    /// What a read (`text()`) or an edit does first: apply what arrived since.
    fn refresh(&mut self) {
        if std::mem::take(&mut self.stale) {
            self.doc.update(&self.log).unwrap();
        }
    }

    /// `Document.change`: build the change, append it, publish it to the document.
    fn edit(&mut self, patches: &[(usize, usize, String)], time: u64) {
        self.refresh();
        let draft = self
            .doc
            .edit(&self.log, |e| patches.iter().try_for_each(|(pos, del, ins)| e.splice_text(&body(), *pos, *del, ins)))
            .unwrap();
        if let Some(d) = draft {
            let prepared = self.log.prepare(vec![d], &AppendOptions::default(), time).unwrap();
            self.log.commit(prepared).unwrap();
            self.doc.update(&self.log).unwrap();
        }
    }
}

/// A message on a link, tagged with its sender's last transaction when it was drained.
type Tagged = (i64, Vec<u8>);

/// The replicas, one sync state per ordered pair, and one FIFO link per ordered pair.
struct Net {
    reps: Vec<Replica>,
    /// `states[a][b]`: replica a's state for its peer b.
    states: Vec<Vec<SyncState>>,
    /// `links[from][to]`: messages in flight, in FIFO order.
    links: Vec<Vec<Vec<Tagged>>>,
}

impl Net {
    fn new(reps: Vec<Replica>) -> Self {
        let n = reps.len();
        let states = (0..n).map(|_| (0..n).map(|_| SyncState::new()).collect()).collect();
        Net { reps, states, links: vec![vec![Vec::new(); n]; n] }
    }

    /// `drain`: everything `from` has to say to each other replica now, tagged `tag`.
    fn pump(&mut self, from: usize, tag: i64, split: &mut Split) {
        let t0 = Instant::now();
        for to in (0..self.reps.len()).filter(|to| *to != from) {
            while let Some(m) = sync::generate_message(&self.reps[from].log, &mut self.states[from][to]) {
                self.links[from][to].push((tag, m));
            }
        }
        split.drain += t0.elapsed();
    }

    /// Hands `to` the messages from `from` tagged up to `up_to`; false when there were none.
    fn deliver(&mut self, from: usize, to: usize, up_to: i64, split: &mut Split) -> bool {
        let k = self.links[from][to].iter().take_while(|(tag, _)| *tag <= up_to).count();
        if k == 0 {
            return false;
        }
        for (_, m) in self.links[from][to].drain(..k).collect::<Vec<_>>() {
            self.reps[to].receive(&mut self.states[to][from], &m, split);
        }
        true
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let eager = args.iter().any(|a| a == "--eager");
    let limit: Option<usize> =
        args.iter().find(|a| !a.starts_with("--")).map(|a| a.parse().expect("a number of transactions"));
    let mut t = trace::load_file("friendsforever.json.gz");
    let full = limit.is_none_or(|l| l >= t.txns.len());
    if let Some(l) = limit {
        t.txns.truncate(l);
    }
    let past = causal_past(&t);
    let n = t.agents();
    let opts = AppendOptions::default();

    // Agent 0 creates the text; every pair is synced before the replay.
    let mut reps: Vec<Replica> = (0..n)
        .map(|a| {
            let log = Log::new(actor(a));
            let doc = Document::open_with(&log, STREAM, TextEncoding::Utf16CodeUnit).unwrap();
            Replica { log, doc, eager, stale: false }
        })
        .collect();
    {
        let r0 = &mut reps[0];
        let d = r0.doc.edit(&r0.log, |e| e.put_text(&body(), "")).unwrap().unwrap();
        r0.log.append(vec![d], &opts, 0).unwrap();
        r0.doc.update(&r0.log).unwrap();
    }
    let mut net = Net::new(reps);
    let mut scratch = Split::default();
    for a in 0..n {
        for b in a + 1..n {
            loop {
                net.pump(a, -1, &mut scratch);
                net.pump(b, -1, &mut scratch);
                if !(net.deliver(a, b, i64::MAX, &mut scratch) | net.deliver(b, a, i64::MAX, &mut scratch)) {
                    break;
                }
            }
        }
    }

    let mut last = vec![-1i64; n];
    let tenth = t.txns.len().div_ceil(10);
    let mut splits: Vec<Split> = vec![Split::default(); 11];
    let mut deliveries = 0;
    let started = Instant::now();
    for (i, txn) in t.txns.iter().enumerate() {
        let split = &mut splits[i / tenth];
        let r = txn.agent;
        for o in (0..n).filter(|o| *o != r) {
            let up_to = past[i][o].map_or(-1, |v| v as i64);
            if net.deliver(o, r, up_to, split) {
                deliveries += 1;
                net.pump(r, last[r], split);
            }
        }
        let t0 = Instant::now();
        net.reps[r].edit(&txn.patches, i as u64);
        split.apply += t0.elapsed();
        last[r] = i as i64;
        net.pump(r, last[r], split);
    }
    // The end: everything still in flight, until nobody has anything left to say.
    let split = &mut splits[10];
    for rounds in 0.. {
        assert!(rounds <= 100, "the replicas did not settle");
        let mut moved = false;
        for from in 0..n {
            for to in (0..n).filter(|to| *to != from) {
                if net.deliver(from, to, i64::MAX, split) {
                    deliveries += 1;
                    net.pump(to, last[to], split);
                    moved = true;
                }
            }
        }
        if !moved {
            break;
        }
    }
    let wall = started.elapsed();
    let t0 = Instant::now();
    for r in &mut net.reps {
        r.refresh();
    }
    splits[10].apply += t0.elapsed();

    let texts: Vec<String> = net.reps.iter().map(|r| r.doc.text(&body()).unwrap()).collect();
    assert!(texts.windows(2).all(|w| w[0] == w[1]), "the replicas diverged");
    if full {
        assert_eq!(texts[0], t.end_content, "the replay did not reach the trace's end content");
    }
    let mode = if eager { "eager document updates" } else { "document updated on read or edit" };
    println!(
        "{} transactions, {} deliveries, {mode}, {:.2} s wall; receive cost per message (ms) and totals (ms):",
        t.txns.len(),
        deliveries,
        wall.as_secs_f64()
    );
    println!("| tenth | messages | decode | prepare | commit | document update | drain (total) | edits, with deferred updates (total) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut total = Split::default();
    for (k, s) in splits.iter().enumerate() {
        let label = if k == 10 { "end".to_string() } else { format!("{}", k + 1) };
        println!("{}", s.row(&label));
        total.messages += s.messages;
        total.decode += s.decode;
        total.prepare += s.prepare;
        total.commit += s.commit;
        total.update += s.update;
        total.drain += s.drain;
        total.apply += s.apply;
    }
    println!("{}", total.row("all"));
}
