// Loro (loro-crdt), a Rust CRDT compiled to wasm like everlog, so the closest peer in kind.
// Loro ships no IndexedDB layer; persistence here follows its docs' advice: after each
// commit, store `export({ mode: "update", from: lastVersion })` as one row, and load by
// importing every row with `importBatch`.
//
// Representation: a LoroList with one string (the event's JSON) per event. Events are
// immutable, so an opaque value per event is the faithful mapping (as for Yjs and Automerge);
// a string rather than a Loro object value because reading 100k objects back out of wasm
// (`toJSON`) took ~5 s, against ~0.6 s for strings plus JSON.parse.
import { LoroDoc, VersionVector } from "loro-crdt/base64";
import { batches, checksum, makeEvents, memo, reducer } from "../data.js";
import { deleteDb, done, openDb, req } from "../idb.js";
import { runSync, versionPeer } from "../sync.js";

const STORE = "updates";
const open = (name) => openDb(name, (db) => db.createObjectStore(STORE, { autoIncrement: true }));

// The list handler is fetched once per document: a fresh `getList` per batch makes pushes
// grow slower with the list's length.
const lists = new WeakMap();
function push(doc, evs) {
  let list = lists.get(doc);
  if (!list) lists.set(doc, (list = doc.getList("events")));
  for (const ev of evs) list.push(JSON.stringify({ ...ev, time: Date.now() }));
  doc.commit();
}

async function persist(db, doc, from, durability) {
  const bytes = doc.export(from ? { mode: "update", from } : { mode: "snapshot" });
  const tx = db.transaction(STORE, "readwrite", { durability });
  tx.objectStore(STORE).add(bytes);
  await done(tx);
  return doc.oplogVersion();
}

async function timedAppend(p, batchSize) {
  const events = makeEvents(p.n);
  const db = await open(p.db);
  const doc = new LoroDoc();
  let version = null;
  const t0 = performance.now();
  for (const b of batches(events, batchSize)) {
    push(doc, b);
    version = await persist(db, doc, version, p.durability);
  }
  const ms = performance.now() - t0;
  db.close();
  await deleteDb(p.db);
  return { ms, events: p.n };
}

function build(events, peer) {
  const doc = new LoroDoc();
  if (peer) doc.setPeerId(peer);
  for (const b of batches(events, 1000)) push(doc, b);
  return doc;
}

const fold = (doc) => doc.getList("events").toJSON().reduce((s, e) => reducer(s, JSON.parse(e)), {});

// Same two steps as Yjs: send the version vector, answer with the missing updates.
const loroPeer = (doc) =>
  versionPeer({
    version: () => doc.oplogVersion().encode(),
    updateSince: (theirs) => doc.export({ mode: "update", from: VersionVector.decode(theirs) }),
    apply: (update) => doc.import(update),
  });

export default {
  name: "loro",
  label: "Loro + IndexedDB (update rows)",
  workloads: {
    appendBatch: (p) => timedAppend(p, p.batch),
    appendSingle: (p) => timedAppend(p, 1),

    async coldSetup(p) {
      const db = await open(p.db);
      const doc = new LoroDoc();
      let version = null;
      for (const b of batches(makeEvents(p.n), 1000)) {
        push(doc, b);
        version = await persist(db, doc, version, "relaxed");
      }
      db.close();
    },
    async coldOpen(p) {
      const t0 = performance.now();
      const db = await open(p.db);
      const rows = await req(db.transaction(STORE, "readonly").objectStore(STORE).getAll());
      const doc = new LoroDoc();
      doc.importBatch(rows);
      const state = fold(doc);
      const ms = performance.now() - t0;
      db.close();
      return { ms, events: doc.getList("events").length, check: checksum(state) };
    },
    coldCleanup: (p) => deleteDb(p.db),

    async merge(p) {
      const remote = build(makeEvents(p.n, "a"), 1n);
      const local = build(makeEvents(p.local, "b"), 2n);
      const bytes = remote.export({ mode: "update" });
      const t0 = performance.now();
      local.import(bytes);
      const ms = performance.now() - t0;
      if (local.getList("events").length !== p.n + p.local) throw new Error("loro merge lost events");
      return { ms, events: p.n };
    },

    async foldJs(p) {
      const doc = await memo(`loro-fold-${p.n}`, () => build(makeEvents(p.n)));
      const t0 = performance.now();
      const state = fold(doc);
      return { ms: performance.now() - t0, events: p.n, check: checksum(state) };
    },

    async sync(p) {
      const base = build(makeEvents(p.base, "base"), 9n);
      const fork = (peer) => {
        const d = new LoroDoc();
        d.setPeerId(peer);
        d.import(base.export({ mode: "snapshot" }));
        return d;
      };
      const a = fork(1n);
      const b = fork(2n);
      for (const batch of batches(makeEvents(p.n, "a"), 1000)) push(a, batch);
      for (const batch of batches(makeEvents(p.n, "b"), 1000)) push(b, batch);
      const res = await runSync(loroPeer(a), loroPeer(b));
      if (a.getList("events").length !== b.getList("events").length) throw new Error("loro sync did not converge");
      return { ...res, events: 2 * p.n, check: checksum(fold(a)) };
    },
  },
  na: {
    memory: "not measured: the harness reads only everlog's wasm memory",
    foldBuiltin: "no built-in fold: a fold is a JS reduce over the list's JSON",
  },
  // Building a 1M-event document takes about a minute; the rate is measured on fewer.
  caps: { foldJs: 100_000 },
};
