// The physical limit: plain JavaScript over raw IndexedDB, no library. Two layouts:
// - raw: one record per event in one object store keyed by seq; a batch is one readwrite
//   transaction; cold load is one getAll. What an app writing its own log would do first.
// - rawBatch: one record per appended batch (the array of its events). Chromium pays per
//   record (an IPC and a LevelDB write each), so this is the floor for a library that stores
//   batches as blobs, as the CRDT libraries and everlog do.
// - rawBytes: one record per batch holding the batch's JSON as bytes (a Uint8Array), read
//   back with one getAll and JSON.parse. IndexedDB copies bytes without the per-object cost
//   of structured clone, so this is the floor for a library with its own binary encoding. Merge has no meaning here (no causality); "sync" is the best an app could do by
// hand without any metadata: send the other side your count, get back the JSON of the
// events you lack (it only works because this workload's histories are disjoint).
import { batches, checksum, makeEvents, memo, reducer } from "../data.js";
import { deleteDb, done, openDb, req } from "../idb.js";
import { fromJsonBytes, jsonBytes, runSync } from "../sync.js";

const STORE = "events";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const open = (name) => openDb(name, (db) => db.createObjectStore(STORE, { keyPath: "seq" }));

// How each layout stores a batch (`records`) and reads a record's events back (`events`;
// absent when every record is one event, which is then folded as it comes).
const stamp = (ev) => ({ time: Date.now(), ...ev });
const LAYOUTS = {
  event: { records: (seq, batch) => batch.map((ev, i) => ({ seq: seq + 1 + i, time: Date.now(), ...ev })) },
  batch: { records: (seq, batch) => [{ seq: seq + 1, events: batch.map(stamp) }], events: (row) => row.events },
  bytes: {
    records: (seq, batch) => [{ seq: seq + 1, bytes: encoder.encode(JSON.stringify(batch.map(stamp))) }],
    events: (row) => JSON.parse(decoder.decode(row.bytes)),
  },
};

async function appendAll(db, events, batchSize, durability, layout) {
  let seq = 0;
  for (const batch of batches(events, batchSize)) {
    const tx = db.transaction(STORE, "readwrite", { durability });
    const store = tx.objectStore(STORE);
    const records = LAYOUTS[layout].records(seq, batch);
    for (const record of records) store.put(record);
    seq = records.at(-1).seq;
    await done(tx);
  }
}

async function timedAppend(p, batchSize, layout) {
  const events = makeEvents(p.n);
  const db = await open(p.db);
  const t0 = performance.now();
  await appendAll(db, events, batchSize, p.durability, layout);
  const ms = performance.now() - t0;
  db.close();
  await deleteDb(p.db);
  return { ms, events: p.n };
}

// The cold-open workloads of one layout: fill a database, then time open + getAll + fold.
function coldWorkloads(layout) {
  return {
    async coldSetup(p) {
      const db = await open(p.db);
      await appendAll(db, makeEvents(p.n), 1000, "relaxed", layout);
      db.close();
    },
    async coldOpen(p) {
      const t0 = performance.now();
      const db = await open(p.db);
      const rows = await req(db.transaction(STORE, "readonly").objectStore(STORE).getAll());
      const read = LAYOUTS[layout].events;
      let state = read ? {} : rows.reduce(reducer, {});
      let events = read ? 0 : rows.length;
      for (const row of read ? rows : []) {
        const batch = read(row);
        state = batch.reduce(reducer, state);
        events += batch.length;
      }
      const ms = performance.now() - t0;
      db.close();
      return { ms, events, check: checksum(state) };
    },
    coldCleanup: (p) => deleteDb(p.db),
  };
}

export default {
  name: "raw",
  label: "raw IndexedDB / plain JS",
  workloads: {
    appendBatch: (p) => timedAppend(p, p.batch, "event"),
    appendSingle: (p) => timedAppend(p, 1, "event"),
    ...coldWorkloads("event"),

    // The reference for memory: the same events as plain JS objects, nothing else.
    async memory(p) {
      const heap = () => (globalThis.gc?.(), performance.memory?.usedJSHeapSize ?? NaN);
      const js0 = heap();
      const t0 = performance.now();
      const events = makeEvents(p.n);
      const ms = performance.now() - t0;
      const js1 = heap();
      const check = checksum(events.reduce(reducer, {}));
      const payload = events.reduce((s, e) => s + JSON.stringify(e.data).length + e.stream.length + e.type.length + e.key.length, 0);
      return { ms, events: p.n, check, payload: payload / p.n, wasmBytes: 0, jsBytes: (js1 - js0) / p.n, keep: events.length };
    },

    // The reference for every JS fold: Array.prototype.reduce over objects already in memory.
    async foldJs(p) {
      const events = await memo(`raw-fold-${p.n}`, () => makeEvents(p.n));
      const t0 = performance.now();
      const state = events.reduce(reducer, {});
      return { ms: performance.now() - t0, events: p.n, check: checksum(state) };
    },

    async sync(p) {
      const side = (mine) => {
        const have = mine.slice();
        let outbox = [jsonBytes({ count: have.length })];
        return {
          have,
          generate: () => outbox.shift() || null,
          receive(bytes) {
            const msg = fromJsonBytes(bytes);
            // Disjoint histories by construction: "the events after your count" is all of mine
            // beyond the shared base.
            if ("count" in msg) outbox.push(jsonBytes({ events: have.slice(p.base) }));
            else for (const ev of msg.events) have.push(ev);
          },
        };
      };
      const base = makeEvents(p.base, "base");
      const a = side(base.concat(makeEvents(p.n, "a")));
      const b = side(base.concat(makeEvents(p.n, "b")));
      const res = await runSync(a, b);
      if (a.have.length !== b.have.length) throw new Error("raw sync did not converge");
      return { ...res, events: 2 * p.n, check: checksum(a.have.reduce(reducer, {})) };
    },
  },
  na: {
    merge: "no causality or replication metadata: merging is the app's own code",
    foldBuiltin: "no built-in fold: the JS reduce is the reference",
  },
};

export const rawBatch = {
  name: "rawBatch",
  label: "raw IndexedDB, one record per batch",
  workloads: {
    appendBatch: (p) => timedAppend(p, p.batch, "batch"),
    ...coldWorkloads("batch"),
  },
  na: {
    appendSingle: "same as raw: one record per append",
    merge: "same as raw",
    foldJs: "same as raw",
    foldBuiltin: "same as raw",
    sync: "same as raw",
    memory: "same as raw",
  },
};

export const rawBytes = {
  name: "rawBytes",
  label: "raw IndexedDB, one JSON byte record per batch",
  workloads: {
    appendBatch: (p) => timedAppend(p, p.batch, "bytes"),
    ...coldWorkloads("bytes"),
  },
  na: rawBatch.na,
};
