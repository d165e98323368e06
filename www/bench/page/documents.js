// The documents workload: a real editing trace (josephg/editing-traces, served by the runner
// under /traces/) replayed through a collaborative text, one change per transaction, the
// same work for every contender:
//   Automerge 3: A.change + A.splice per transaction (one change each);
//   Yjs: one doc.transact per transaction on a Y.Text;
//   everlog (`everlog/docs`, its own bundle): Document.change([...splices]) per transaction,
//     one event each, in a memory log (storage is timed by the other workloads).
// Then each replica is synced to an empty one with the library's own protocol (bytes on the
// wire), and the stored size is what the library would persist for the document
// (Automerge `save`, Yjs `encodeStateAsUpdate`; everlog's stored batches are the events the
// sync carries). Only the replay is on the clock. Trace positions count code points; the
// traces have no character outside the BMP, so they equal the UTF-16 indexes all three use.
import * as A from "@automerge/automerge";
import * as Y from "yjs";
import { automergePeer, runSync } from "./sync.js";
import { yPeer } from "./contenders/yjs.js";

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
 *   replay(txns) -> { ms, text, stored, peer(), fresh() -> { peer(), text() } }
 */
export async function replayWorkload(adapter, p) {
  const trace = await loadTrace(p.trace);
  if (!trace) return { na: `trace ${p.trace} not served (runner option --traces DIR)` };
  const txns = trace.txns.slice(0, p.n);
  const r = await adapter.replay(txns);
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
  };
}

export const automergeDocs = {
  name: "automerge",
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
};
