// Automerge 3, persisted to IndexedDB the way automerge-repo does it (StorageSubsystem +
// IndexedDBStorageAdapter): one document; after each change an incremental chunk
// (`saveSince` the last stored heads) is put under [docId, "incremental", hash]; when the
// incremental chunks outgrow the last snapshot, a full `save` is written under
// [docId, "snapshot", hash] and the older chunks are deleted. Load = getAll over the doc's key
// range, concatenate, `loadIncremental`. Unlike automerge-repo (which saves on a debounce and
// does not await), every save is awaited here: the workloads ask for persisted appends.
//
// Representation: `doc.events` is an Automerge list with one ImmutableString (the event's
// JSON) per event, appended with one `insertAt` per batch. Events are immutable, so this is
// the same mapping as the Yjs and Loro contenders (an opaque value per event). Plain objects
// would make every field a CRDT register and every string a text CRDT (one op per character
// in Automerge 3): measured at ~2k events/s, that puts 100k events out of a bounded run. And
// `push` item by item grows slower as the list grows, where one `insertAt` stays flat.
import * as A from "@automerge/automerge";
import { batches, checksum, makeEvents, memo, reducer } from "../data.js";
import { deleteDb, done, openDb, req } from "../idb.js";
import { automergePeer, runSync } from "../sync.js";

const STORE = "documents";
const DOC = "bench-doc";

class Storage {
  static async open(name, durability) {
    const s = new Storage();
    s.db = await openDb(name, (db) => db.createObjectStore(STORE));
    s.durability = durability;
    s.chunks = []; // { key, type, size }
    s.heads = null;
    return s;
  }
  async put(key, binary) {
    const tx = this.db.transaction(STORE, "readwrite", { durability: this.durability });
    tx.objectStore(STORE).put({ key, binary }, key);
    await done(tx);
  }
  async save(doc) {
    const snapshot = this.chunks.filter((c) => c.type === "snapshot").reduce((s, c) => s + c.size, 0);
    const incremental = this.chunks.filter((c) => c.type === "incremental").reduce((s, c) => s + c.size, 0);
    if (incremental >= snapshot) {
      const binary = A.save(doc);
      const key = [DOC, "snapshot", A.getHeads(doc).join(",").slice(0, 64)];
      await this.put(key, binary);
      const tx = this.db.transaction(STORE, "readwrite", { durability: this.durability });
      for (const c of this.chunks) tx.objectStore(STORE).delete(c.key);
      await done(tx);
      this.chunks = [{ key, type: "snapshot", size: binary.length }];
    } else {
      const binary = A.saveSince(doc, this.heads || []);
      const key = [DOC, "incremental", await hash(binary)];
      await this.put(key, binary);
      this.chunks.push({ key, type: "incremental", size: binary.length });
    }
    this.heads = A.getHeads(doc);
  }
  async load() {
    const range = IDBKeyRange.bound([DOC], [DOC, "\uffff"]);
    const rows = await req(this.db.transaction(STORE, "readonly").objectStore(STORE).getAll(range));
    const total = rows.reduce((s, r) => s + r.binary.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const r of rows) {
      all.set(r.binary, at);
      at += r.binary.length;
    }
    return A.loadIncremental(A.init(), all);
  }
}

async function hash(bytes) {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("");
}

function appendBatch(doc, evs) {
  const items = evs.map((ev) => new A.ImmutableString(JSON.stringify({ ...ev, time: Date.now() })));
  return A.change(doc, (d) => {
    if (!d.events) d.events = [];
    d.events.insertAt(d.events.length, ...items);
  });
}

// Replicas that will merge must share the list object, so they start from a common base
// that created it (two concurrent `d.events = []` would be a conflict, not one list).
const root = () => A.change(A.init({ actor: hex(9) }), (d) => (d.events = []));
const fork = (base, actor) => A.merge(A.init({ actor: hex(actor) }), base);

function build(events, batchSize, actor, from) {
  let doc = from ? fork(from, actor) : A.init();
  for (const b of batches(events, batchSize)) doc = appendBatch(doc, b);
  return doc;
}

async function timedAppend(p, batchSize) {
  const events = makeEvents(p.n);
  const storage = await Storage.open(p.db, p.durability);
  let doc = A.init();
  const t0 = performance.now();
  for (const b of batches(events, batchSize)) {
    doc = appendBatch(doc, b);
    await storage.save(doc);
  }
  const ms = performance.now() - t0;
  storage.db.close();
  await deleteDb(p.db);
  return { ms, events: p.n, bytesStored: storage.chunks.reduce((s, c) => s + c.size, 0) };
}

const fold = (doc) => doc.events.reduce((s, e) => reducer(s, JSON.parse(e.val)), {});
const hex = (n) => n.toString(16).padStart(32, "0");

export default {
  name: "automerge",
  label: "Automerge 3 + IndexedDB (automerge-repo style)",
  workloads: {
    appendBatch: (p) => timedAppend(p, p.batch),
    appendSingle: (p) => timedAppend(p, 1),

    async coldSetup(p) {
      const storage = await Storage.open(p.db, "relaxed");
      await storage.save(build(makeEvents(p.n), 1000));
      storage.db.close();
    },
    async coldOpen(p) {
      const t0 = performance.now();
      const storage = await Storage.open(p.db, "relaxed");
      const doc = await storage.load();
      const state = fold(doc);
      const ms = performance.now() - t0;
      storage.db.close();
      return { ms, events: doc.events.length, check: checksum(state) };
    },
    coldCleanup: (p) => deleteDb(p.db),

    async merge(p) {
      const base = root();
      const remote = build(makeEvents(p.n, "a"), 1000, 1, base);
      const local = build(makeEvents(p.local, "b"), 1000, 2, base);
      const bytes = A.save(remote);
      const t0 = performance.now();
      const merged = A.loadIncremental(local, bytes);
      const ms = performance.now() - t0;
      if (merged.events.length !== p.n + p.local) throw new Error("automerge merge lost events");
      return { ms, events: p.n };
    },

    async foldJs(p) {
      const doc = await memo(`am-fold-${p.n}`, () => build(makeEvents(p.n), 1000));
      const t0 = performance.now();
      const state = fold(doc);
      return { ms: performance.now() - t0, events: p.n, check: checksum(state) };
    },

    async sync(p) {
      const base = build(makeEvents(p.base, "base"), 1000, 8, root());
      let a = fork(base, 1);
      let b = fork(base, 2);
      for (const batch of batches(makeEvents(p.n, "a"), 1000)) a = appendBatch(a, batch);
      for (const batch of batches(makeEvents(p.n, "b"), 1000)) b = appendBatch(b, batch);
      const res = await runSync(automergePeer(A, () => a, (d) => (a = d)), automergePeer(A, () => b, (d) => (b = d)));
      if (a.events.length !== b.events.length) throw new Error("automerge sync did not converge");
      return { ...res, events: 2 * p.n, check: checksum(fold(a)) };
    },
  },
  na: {
    memory: "not measured: the harness reads only everlog's wasm memory",
    foldBuiltin: "no built-in fold: a fold is a JS reduce over the materialized document",
  },
  // Building a 1M-event document takes minutes; the rate is measured on fewer.
  caps: { foldJs: 100_000 },
};
