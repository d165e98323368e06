// The documents workload: a real editing trace (josephg/editing-traces, served by the runner
// under /traces/) replayed through a collaborative text, one change per transaction, the
// same work for every contender:
//   Automerge 3: A.change + A.splice per transaction (one change each);
//   Yjs: one doc.transact per transaction on a Y.Text;
//   everlog (`everlog/docs`, its own bundle): Document.change([...splices]) per transaction,
//     one event each, in a memory log (storage is timed by the other workloads).
// A concurrent trace (several agents: friendsforever) is replayed on one replica per agent,
// each receiving the others' transactions in the causal past of its own (agents.js), through
//   Automerge: each transaction's change (getLastLocalChange) → A.applyChanges;
//   Yjs: each transaction's update (the doc's "update" event) → Y.applyUpdate;
//   everlog: the logs' own sync (peer() on each side, messages over a FIFO link).
// Then each replica is synced to an empty one with the library's own protocol (bytes on the
// wire), and the stored size is what the library would persist for the document
// (Automerge `save`, Yjs `encodeStateAsUpdate`; everlog's stored batches are the events the
// sync carries). Only the replay is on the clock. The heap held after the replay, with the
// replayed replicas alive and before the sync: the JS heap it added (gc(), then
// performance.memory.usedJSHeapSize, as the memory workload reads it) plus the linear memory
// of the library's wasm instance (wasm-memory.js; Yjs has none), which is a high-water mark:
// it includes the library's initial memory and never shrinks. Trace positions count code points; the
// traces have no character outside the BMP, so they equal the UTF-16 indexes all three use.
import * as A from "@automerge/automerge";
import * as Y from "yjs";
import { automergePeer, runSync } from "./sync.js";
import { yPeer } from "./contenders/yjs.js";
import { replayAgents } from "./agents.js";
import { wasmInitialOf, wasmMemoryOf } from "./wasm-memory.js";

const jsHeap = () => (globalThis.gc?.(), performance.memory?.usedJSHeapSize ?? NaN);

const traces = {};

/** The trace file, gunzipped and parsed once per page; null when the runner has none. */
export function loadTrace(file) {
  traces[file] ??= (async () => {
    const res = await fetch(`/traces/${file}`);
    if (!res.ok) return null;
    return JSON.parse(await new Response(res.body.pipeThrough(new DecompressionStream("gzip"))).text());
  })();
  return traces[file];
}

/** A short fingerprint of the final text, compared across contenders by the runner. */
export function textCheck(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${text.length}:${h.toString(16)}`;
}

/**
 * Runs `adapter` over the first `p.n` transactions of `p.trace`. The adapter:
 *   replay(txns) -> { ms, text, stored, peer() }   (a single-user trace),
 *   agents(n) -> net (agents.js)                   (a concurrent trace),
 *   fresh() -> { peer(), text() }.
 */
export async function replayWorkload(adapter, p) {
  const trace = await loadTrace(p.trace);
  if (!trace) return { na: `trace ${p.trace} not served (runner option --traces DIR)` };
  const txns = trace.txns.slice(0, p.n);
  const agents = trace.numAgents ?? 1;
  const js0 = jsHeap();
  const r = agents > 1 ? await concurrent(adapter, txns, agents) : await adapter.replay(txns);
  // The replicas are alive here (r holds them: the sync below uses them).
  const jsHeld = jsHeap() - js0;
  const wasmHeld = adapter.wasmClass ? wasmMemoryOf(adapter.wasmClass) : 0;
  const wasmInitial = adapter.wasmClass ? wasmInitialOf(adapter.wasmClass) : 0;
  const texts = r.texts ?? [r.text];
  if (texts.some((t) => t !== texts[0])) throw new Error(`${adapter.name}: the replicas differ after the replay`);
  if (txns.length === trace.txns.length && r.text !== trace.endContent) throw new Error(`${adapter.name}: wrong final text`);
  const fresh = await adapter.fresh();
  const sync = await runSync(r.peer(), fresh.peer());
  if ((await fresh.text()) !== r.text) throw new Error(`${adapter.name}: the synced replica differs`);
  return {
    ms: r.ms,
    events: txns.length,
    check: textCheck(r.text),
    stored: r.stored,
    bytes: sync.bytes,
    gzipBytes: sync.gzipBytes,
    flights: sync.flights,
    roundTrips: sync.roundTrips,
    messages: sync.messages,
    syncMs: sync.ms,
    jsHeld,
    wasmHeld,
    wasmInitial,
    ...(r.deliveries === undefined ? {} : { deliveries: r.deliveries, deliveredBytes: r.deliveredBytes, applyMs: r.applyMs, receiveMs: r.receiveMs, drainMs: r.drainMs }),
  };
}

/** A concurrent trace: one replica per agent (agents.js); replica 0 is the one measured after. */
async function concurrent(adapter, txns, n) {
  const net = await adapter.agents(n);
  const { ms, ...split } = await replayAgents(net, txns, n);
  const texts = await Promise.all(Array.from({ length: n }, (_, a) => net.text(a)));
  return { ms, text: texts[0], texts, stored: await net.stored(0), peer: () => net.peer(0), ...split };
}

/** The actor of agent `a`'s Automerge replica: the native replay's (`0xd0c00001 + a`, 16 bytes). */
const agentActor = (a) => (0xd0c00001 + a).toString(16).padStart(32, "0");

export const automergeDocs = {
  name: "automerge",
  wasmClass: "automerge",
  async replay(txns) {
    let doc = A.from({ text: "" });
    const t0 = performance.now();
    for (const { patches } of txns) {
      doc = A.change(doc, (d) => {
        for (const [pos, del, ins] of patches) A.splice(d, ["text"], pos, del, ins);
      });
    }
    const ms = performance.now() - t0;
    return { ms, text: doc.text, stored: A.save(doc).length, peer: () => automergePeer(A, () => doc, (d) => (doc = d)) };
  },
  async fresh() {
    let doc = A.init();
    return { peer: () => automergePeer(A, () => doc, (d) => (doc = d)), text: () => doc.text };
  },
  async agents(n) {
    // Agent 0 creates the text; the others load it. Actors in agent order, as natively
    // (concurrent inserts at one position are ordered by actor; the trace's final text
    // assumes agent order).
    const first = A.from({ text: "" }, { actor: agentActor(0) });
    const docs = [first, ...Array.from({ length: n - 1 }, (_, a) => A.load(A.save(first), { actor: agentActor(a + 1) }))];
    const outbox = docs.map(() => docs.map(() => []));
    return {
      apply(r, patches) {
        const before = A.getHeads(docs[r]);
        docs[r] = A.change(docs[r], (d) => {
          for (const [pos, del, ins] of patches) A.splice(d, ["text"], pos, del, ins);
        });
        const heads = A.getHeads(docs[r]);
        if (heads.length === before.length && heads.every((h, k) => h === before[k])) return; // an empty transaction
        const change = A.getLastLocalChange(docs[r]);
        outbox[r].forEach((box, to) => to !== r && box.push(change));
      },
      drain: (from, to) => outbox[from][to].splice(0),
      receive(to, _from, msgs) {
        [docs[to]] = A.applyChanges(docs[to], msgs);
      },
      text: (r) => docs[r].text,
      stored: (r) => A.save(docs[r]).length,
      peer: (r) => automergePeer(A, () => docs[r], (d) => (docs[r] = d)),
    };
  },
};

export const yjsDocs = {
  name: "yjs",
  async replay(txns) {
    const doc = new Y.Doc();
    const text = doc.getText("text");
    const t0 = performance.now();
    for (const { patches } of txns) {
      doc.transact(() => {
        for (const [pos, del, ins] of patches) {
          if (del) text.delete(pos, del);
          if (ins) text.insert(pos, ins);
        }
      });
    }
    const ms = performance.now() - t0;
    return { ms, text: text.toString(), stored: Y.encodeStateAsUpdate(doc).length, peer: () => yPeer(doc) };
  },
  async fresh() {
    const doc = new Y.Doc();
    return { peer: () => yPeer(doc), text: () => doc.getText("text").toString() };
  },
  async agents(n) {
    // Client ids in agent order: Yjs orders concurrent inserts at one position by client id,
    // and the trace's final text assumes agent 0's first (with the ids swapped it differs).
    const docs = Array.from({ length: n }, (_, a) => {
      const doc = new Y.Doc();
      doc.clientID = a + 1;
      return doc;
    });
    const outbox = docs.map(() => docs.map(() => []));
    const REMOTE = "remote";
    docs.forEach((doc, r) =>
      // One update per local transaction (Yjs's own diff of it), queued for every other replica.
      doc.on("update", (update, origin) => {
        if (origin !== REMOTE) outbox[r].forEach((box, to) => to !== r && box.push(update));
      }),
    );
    return {
      apply(r, patches) {
        const text = docs[r].getText("text");
        docs[r].transact(() => {
          for (const [pos, del, ins] of patches) {
            if (del) text.delete(pos, del);
            if (ins) text.insert(pos, ins);
          }
        });
      },
      drain: (from, to) => outbox[from][to].splice(0),
      receive(to, _from, msgs) {
        for (const m of msgs) Y.applyUpdate(docs[to], m, REMOTE);
      },
      text: (r) => docs[r].getText("text").toString(),
      stored: (r) => Y.encodeStateAsUpdate(docs[r]).length,
      peer: (r) => yPeer(docs[r]),
    };
  },
};
