// Yjs + y-indexeddb, used as their docs show: one Y.Doc, an IndexeddbPersistence bound to it
// (it writes every update to its "updates" store and compacts past 500 of them).
//
// Representation: a Y.Array of plain JSON objects (Yjs "ContentAny"). Events are immutable,
// so a Y.Map per event (a CRDT per field, for edits that never happen) would only cost more
// memory and time; plain objects are the cheapest faithful mapping of an append-only log.
//
// y-indexeddb has no "written" promise; an append counts as persisted when an empty
// readonly transaction on its store completes, which IndexedDB orders after the write.
import * as Y from "yjs";
import { IndexeddbPersistence } from "y-indexeddb";
import { batches, checksum, makeEvents, memo, reducer } from "../data.js";
import { deleteDb, flushed } from "../idb.js";
import { runSync, versionPeer } from "../sync.js";

async function openPersisted(name) {
  const doc = new Y.Doc();
  const persistence = new IndexeddbPersistence(name, doc);
  await persistence.whenSynced;
  return { doc, persistence, events: doc.getArray("events") };
}

const push = (doc, arr, evs) => doc.transact(() => arr.push(evs.map((ev) => ({ ...ev, time: Date.now() }))));

async function timedAppend(p, batchSize) {
  const events = makeEvents(p.n);
  const { doc, persistence, events: arr } = await openPersisted(p.db);
  const t0 = performance.now();
  for (const b of batches(events, batchSize)) {
    push(doc, arr, b);
    await flushed(persistence.db, ["updates"]);
  }
  const ms = performance.now() - t0;
  await persistence.clearData(); // closes and deletes the database
  return { ms, events: p.n };
}

function build(events, clientID) {
  const doc = new Y.Doc();
  if (clientID) doc.clientID = clientID;
  const arr = doc.getArray("events");
  for (const b of batches(events, 1000)) push(doc, arr, b);
  return doc;
}

const fold = (doc) => doc.getArray("events").toArray().reduce(reducer, {});

// The y-protocols sync: state vector, then the update the other side lacks.
export const yPeer = (doc) =>
  versionPeer({
    version: () => Y.encodeStateVector(doc),
    updateSince: (theirs) => Y.encodeStateAsUpdate(doc, theirs),
    apply: (update) => Y.applyUpdate(doc, update),
  });

export default {
  name: "yjs",
  label: "Yjs + y-indexeddb",
  workloads: {
    appendBatch: (p) => timedAppend(p, p.batch),
    appendSingle: (p) => timedAppend(p, 1),

    async coldSetup(p) {
      const { doc, persistence, events } = await openPersisted(p.db);
      for (const b of batches(makeEvents(p.n), 1000)) push(doc, events, b);
      await flushed(persistence.db, ["updates"]);
      await persistence.destroy(); // closes the database, keeps the data
    },
    async coldOpen(p) {
      const t0 = performance.now();
      const { doc, persistence } = await openPersisted(p.db);
      const state = fold(doc);
      const ms = performance.now() - t0;
      const events = doc.getArray("events").length;
      await persistence.destroy(); // closes the database, keeps the data
      return { ms, events, check: checksum(state) };
    },
    coldCleanup: (p) => deleteDb(p.db),

    async merge(p) {
      const remote = build(makeEvents(p.n, "a"), 1);
      const local = build(makeEvents(p.local, "b"), 2);
      const update = Y.encodeStateAsUpdate(remote);
      const t0 = performance.now();
      Y.applyUpdate(local, update);
      const ms = performance.now() - t0;
      if (local.getArray("events").length !== p.n + p.local) throw new Error("yjs merge lost events");
      return { ms, events: p.n };
    },

    async foldJs(p) {
      const doc = await memo(`y-fold-${p.n}`, () => build(makeEvents(p.n)));
      const t0 = performance.now();
      const state = fold(doc);
      return { ms: performance.now() - t0, events: p.n, check: checksum(state) };
    },

    async sync(p) {
      const base = build(makeEvents(p.base, "base"), 9);
      const fork = (id) => {
        const d = new Y.Doc();
        d.clientID = id;
        Y.applyUpdate(d, Y.encodeStateAsUpdate(base));
        return d;
      };
      const a = fork(1);
      const b = fork(2);
      for (const batch of batches(makeEvents(p.n, "a"), 1000)) push(a, a.getArray("events"), batch);
      for (const batch of batches(makeEvents(p.n, "b"), 1000)) push(b, b.getArray("events"), batch);
      const res = await runSync(yPeer(a), yPeer(b));
      if (a.getArray("events").length !== b.getArray("events").length) throw new Error("yjs sync did not converge");
      return { ...res, events: 2 * p.n, check: checksum(fold(a)) };
    },
  },
  na: {
    memory: "not measured: the harness reads only everlog's wasm memory",
    foldBuiltin: "no built-in fold: a fold is a JS reduce over the array",
  },
};
