// Replay of a concurrent editing trace (several agents, e.g. friendsforever), shared by every
// contender of the documents workload; the same logic as the native replay
// (benches/support/documents.rs, tests/documents_traces.rs):
//   - one replica per agent;
//   - a transaction's positions refer to the text as its agent saw it: the state after
//     exactly its `parents` (indexes of earlier transactions). So before each transaction
//     its agent's replica receives exactly the other agents' transactions in that causal
//     past it still lacks, then applies its patches;
//   - at the end every replica receives what it still lacks, and all hold the same text.
//
// The contender only supplies the library calls, as a "net" of replicas:
//   apply(r, patches)        one transaction on replica r (one commit / change / event);
//   drain(from, to) -> [msg] what `from` has to send to `to` right now (bytes);
//   receive(to, from, [msg]) applies messages from `from` (may be async);
//   text(r), peer(r) (full sync of replica r to an empty one), stored(r) (bytes persisted).
// Messages travel over one FIFO link per ordered pair of replicas, as over a WebSocket with
// latency: each is tagged with the last own transaction of its sender when it was drained
// (right after each transaction, and after each receive: replies of a sync protocol), and a
// delivery to r hands over the messages whose tag is in r's causal past. A message drained
// right after transaction j carries nothing later than j, so r gets exactly what it needs.

/** For each transaction, per agent, the last transaction of that agent in its causal past
 * (itself included), -1 for none. */
export function causalPast(txns, agents) {
  const past = [];
  txns.forEach((txn, i) => {
    const vv = new Array(agents).fill(-1);
    for (const p of txn.parents) past[p].forEach((v, a) => (vv[a] = Math.max(vv[a], v)));
    vv[txn.agent] = i;
    past.push(vv);
  });
  return past;
}

/**
 * Replays `txns` over `net` (n replicas, already holding the empty text and connected);
 * only the replay and its deliveries are timed. Returns { ms, deliveries, deliveredBytes,
 * applyMs, receiveMs, drainMs }.
 */
export async function replayAgents(net, txns, n) {
  const past = causalPast(txns, n);
  const links = Array.from({ length: n }, () => Array.from({ length: n }, () => []));
  const last = new Array(n).fill(-1);
  let deliveries = 0;
  let deliveredBytes = 0;
  // Where the replay's time goes (sums of the phases, on the same clock).
  const split = { applyMs: 0, receiveMs: 0, drainMs: 0 };
  const timed = async (k, f) => {
    const t = performance.now();
    const out = await f();
    split[k] += performance.now() - t;
    return out;
  };
  const pump = (from) =>
    timed("drainMs", () => {
      for (let to = 0; to < n; to++) {
        if (to !== from) for (const msg of net.drain(from, to)) links[from][to].push({ tag: last[from], msg });
      }
    });
  const deliver = async (from, to, upTo) => {
    const link = links[from][to];
    let k = 0;
    while (k < link.length && link[k].tag <= upTo) k++;
    if (k === 0) return false;
    const msgs = link.splice(0, k).map((m) => m.msg);
    deliveries++;
    for (const m of msgs) deliveredBytes += m.length;
    await timed("receiveMs", () => net.receive(to, from, msgs));
    await pump(to);
    return true;
  };

  const t0 = performance.now();
  for (let i = 0; i < txns.length; i++) {
    const r = txns[i].agent;
    for (let o = 0; o < n; o++) if (o !== r) await deliver(o, r, past[i][o]);
    await timed("applyMs", () => net.apply(r, txns[i].patches));
    last[r] = i;
    await pump(r);
  }
  // The end: everything still in flight, until no replica has anything left to say.
  for (let moved = true, rounds = 0; moved; rounds++) {
    if (rounds > 100) throw new Error("the replicas did not settle after the replay");
    moved = false;
    for (let from = 0; from < n; from++) {
      for (let to = 0; to < n; to++) if (from !== to && (await deliver(from, to, Infinity))) moved = true;
    }
  }
  return { ms: performance.now() - t0, deliveries, deliveredBytes, ...split };
}
