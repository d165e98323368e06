// everlog, through its public JS API as DESIGN.md fixes it:
//   import init, { EventLog, Fold } from "everlog";
//   EventLog.open(name, { storage, durability }), log.append(ev | ev[]), log.fold(...),
//   log.peer().generateMessage() / receiveMessage(bytes), log.version(), log.close().
// The bare specifier "everlog" is resolved by the page's import map to the package the
// runner was given (--everlog DIR); this module is bundled with it left external.
import init, { EventLog, Fold } from "everlog";
import { batches, checksum, makeEvents, memo, reducer } from "../data.js";
import { deleteDb } from "../idb.js";
import { runSync } from "../sync.js";

let ready = null;
const start = () => (ready ??= typeof init === "function" ? init() : Promise.resolve());

const open = async (name, storage, durability = "strict") => {
  await start();
  return EventLog.open(name, { storage, durability });
};

async function appendAll(log, events, batchSize) {
  for (const b of batches(events, batchSize)) await log.append(batchSize === 1 ? b[0] : b);
}

async function timedAppend(p, batchSize) {
  const events = makeEvents(p.n);
  const log = await open(p.db, "indexeddb", p.durability);
  const t0 = performance.now();
  await appendAll(log, events, batchSize);
  const ms = performance.now() - t0;
  await log.close();
  await drop(p.db);
  return { ms, events: p.n };
}

const memoryLog = async (name, events) => {
  const log = await open(name, "memory");
  await appendAll(log, events, 1000);
  return log;
};

async function syncPair(a, b) {
  const side = (peer) => ({ generate: () => peer.generateMessage(), receive: (m) => peer.receiveMessage(m) });
  return runSync(side(a.peer()), side(b.peer()));
}

const versionKey = (log) => JSON.stringify(Object.entries(log.version()).sort());

// Sync lands in the package separately from storage; until then these workloads say so.
const NO_PEER = { na: "this everlog build has no log.peer() yet" };
const hasPeer = (log) => typeof log.peer === "function";

// The wasm-bindgen module next to the package entry (the page's import map names it
// "everlog-glue"): its init() returns the instance's exports, `memory` among them.
const glue = async () => {
  try {
    await start();
    return await (await import("everlog-glue")).default();
  } catch {
    return null;
  }
};
const SNAPSHOT = "bench-skus";

// The log's own delete when the build has it (it knows its database name), else IndexedDB's.
const drop = (name) => (typeof EventLog.deleteDatabase === "function" ? EventLog.deleteDatabase(name) : deleteDb(name));

export default {
  name: "everlog",
  label: "everlog (wasm + IndexedDB)",
  workloads: {
    appendBatch: (p) => timedAppend(p, p.batch),
    appendSingle: (p) => timedAppend(p, 1),

    async coldSetup(p) {
      const log = await open(p.db, "indexeddb", "relaxed");
      await appendAll(log, makeEvents(p.n), 1000);
      // close() persists the snapshot of every built-in projection.
      if (p.snapshot) log.project(SNAPSHOT, { reducer: Fold.groupSum("sku", "qty") });
      await log.close();
      if (p.since) {
        // Events the snapshot does not cover: appended in a session without the projection.
        const later = await open(p.db, "indexeddb", "relaxed");
        await appendAll(later, makeEvents(p.since, "a", p.n), 1000);
        await later.close();
      }
    },
    async coldOpen(p) {
      const t0 = performance.now();
      const log = await open(p.db, "indexeddb");
      const state = p.snapshot
        ? log.project(SNAPSHOT, { reducer: Fold.groupSum("sku", "qty") }).value
        : log.fold(Fold.groupSum("sku", "qty"), {});
      const ms = performance.now() - t0;
      await log.close();
      return { ms, events: p.n + (p.since || 0), check: checksum(state) };
    },
    coldCleanup: async (p) => {
      await start();
      await drop(p.db);
    },

    async merge(p) {
      const remote = await memoryLog(`${p.db}-remote`, makeEvents(p.n, "a"));
      const local = await memoryLog(`${p.db}-local`, makeEvents(p.local, "b"));
      if (!hasPeer(local)) return NO_PEER;
      // Only the receiving side's work is timed, as for the other contenders' apply/import.
      const from = remote.peer();
      const to = local.peer();
      let ms = 0;
      for (let i = 0; i < 50; i++) {
        const ask = to.generateMessage();
        if (ask) await from.receiveMessage(ask);
        const msg = from.generateMessage();
        if (!msg && !ask) break;
        if (msg) {
          const t0 = performance.now();
          await to.receiveMessage(msg);
          ms += performance.now() - t0;
        }
      }
      const v = local.version();
      if (Object.values(v).reduce((s, n) => s + Number(n), 0) !== p.n + p.local) throw new Error("everlog merge lost events");
      await remote.close();
      await local.close();
      return { ms, events: p.n };
    },

    // The folds read a memory log built once per page (folding does not change it).
    async foldJs(p) {
      const log = await memo(`everlog-fold-${p.n}`, () => memoryLog(`${p.db}-fold`, makeEvents(p.n)));
      const t0 = performance.now();
      const state = log.fold(reducer, {}, {});
      return { ms: performance.now() - t0, events: p.n, check: checksum(state) };
    },

    async foldBuiltin(p) {
      const log = await memo(`everlog-fold-${p.n}`, () => memoryLog(`${p.db}-fold`, makeEvents(p.n)));
      const t0 = performance.now();
      const state = log.fold(Fold.groupSum("sku", "qty"), {});
      return { ms: performance.now() - t0, events: p.n, check: checksum(state) };
    },

    // Heap per event: wasm linear memory (the log) and JS heap (what the page keeps), then
    // the JS heap the event cache of JS reducer folds adds after the first such fold.
    async memory(p) {
      const wasm = await glue();
      if (!wasm) return { na: "the package's wasm-bindgen module was not found next to its entry" };
      const events = makeEvents(p.n);
      const payload = events.reduce((s, e) => s + JSON.stringify(e.data).length + e.stream.length + e.type.length + e.key.length, 0);
      const heap = () => (globalThis.gc?.(), performance.memory?.usedJSHeapSize ?? NaN);
      const js0 = heap();
      const w0 = wasm.memory.buffer.byteLength;
      const log = await open(`${p.db}-mem`, "memory");
      const t0 = performance.now();
      await appendAll(log, events, 1000);
      const ms = performance.now() - t0;
      const js1 = heap();
      const w1 = wasm.memory.buffer.byteLength;
      const check = checksum(log.fold(reducer, {}, {}));
      const js2 = heap();
      await log.close();
      const n = p.n;
      return { ms, events: n, check, payload: payload / n, wasmBytes: (w1 - w0) / n, jsBytes: (js1 - js0) / n, cacheBytes: (js2 - js1) / n };
    },

    async sync(p) {
      const a = await memoryLog(`${p.db}-a`, makeEvents(p.base, "base"));
      const b = await open(`${p.db}-b`, "memory");
      if (!hasPeer(b)) return NO_PEER;
      await syncPair(a, b); // shared history first, untimed
      await appendAll(a, makeEvents(p.n, "a"), 1000);
      await appendAll(b, makeEvents(p.n, "b"), 1000);
      const res = await syncPair(a, b);
      if (versionKey(a) !== versionKey(b)) throw new Error("everlog sync did not converge");
      const check = checksum(a.fold(reducer, {}, {}));
      await a.close();
      await b.close();
      return { ...res, events: 2 * p.n, check };
    },
  },
  snapshot: true,
  na: {},
};
