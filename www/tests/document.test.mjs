// The documents entry (`everlog/docs`) in headless Chromium: documents kept in IndexedDB,
// edited on two replicas synced through `peer()` or two tabs, with keep-both conflicts,
// merged text, patches for subscribers, past versions and typed errors.
// Run: node --test www/tests/ (after pkg-scripts/build.sh).
import { test } from "node:test";
import assert from "node:assert/strict";

import { openPage } from "./browser.mjs";
import { serveAndLaunch } from "./fixture.mjs";

const env = serveAndLaunch();

/**
 * A page of the docs entry with two helpers:
 * - `window.sync(a, b)`: exchange messages until both are quiet;
 * - `window.twoReplicas()`: two memory logs "a" and "b" and their documents of stream "doc",
 *   `{ a, b, da, db }` (the setup of every two-replica test);
 * - `window.peersAfterText(text)`: `twoReplicas()` with `text` at `["body"]` synced to both,
 *   plus a peer on each side that has made its first exchange (so every later edit on a
 *   travels as one message of its own): `{ a, b, da, db, pa, pb }`.
 */
async function docsPage(context) {
  const page = await openPage(context, env.server.url, "index.html?entry=docs");
  await page.evaluate(() => {
    window.twoReplicas = async () => {
      const { EventLog } = window.everlog;
      const [a, b] = [await EventLog.open("a", { storage: "memory" }), await EventLog.open("b", { storage: "memory" })];
      return { a, b, da: await a.document("doc"), db: await b.document("doc") };
    };
    window.peersAfterText = async (text) => {
      const r = await window.twoReplicas();
      await r.da.putText(["body"], text);
      await window.sync(r.a, r.b);
      const [pa, pb] = [r.a.peer(), r.b.peer()];
      await pa.receiveMessage(pb.generateMessage());
      await pb.receiveMessage(pa.generateMessage());
      return { ...r, pa, pb };
    };
    window.sync = async (a, b) => {
      const [pa, pb] = [a.peer(), b.peer()];
      for (let round = 0; round < 20; round++) {
        const ab = pa.generateMessage();
        if (ab) await pb.receiveMessage(ab);
        const ba = pb.generateMessage();
        if (ba) await pa.receiveMessage(ba);
        if (!ab && !ba) return;
      }
      throw new Error("sync did not settle");
    };
    // Remote changes reach subscribers after the task that received them: wait (in later
    // tasks) until `done()` holds.
    window.until = async (done) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 0));
      if (!done()) throw new Error("waited 200 tasks in vain");
    };
  });
  return page;
}

test("edits become one event each, and the document survives a reload (IndexedDB)", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const first = await page.evaluate(async () => {
    const { EventLog, Document } = window.everlog;
    const log = await EventLog.open("doc-reload");
    const doc = await Document.open(log, "doc:7");
    const e = await doc.put(["title"], "Groceries");
    await doc.putText(["body"], "buy milk");
    await doc.splice(["body"], 4, 0, "oat ");
    await doc.put(["items"], []);
    await doc.insert(["items"], 0, { sku: "sock", qty: 2 });
    await doc.change([
      { op: "insert", path: ["items"], index: 1, value: { sku: "hat", qty: 1 } },
      { op: "put", path: ["items", 0, "qty"], value: 3 },
      { op: "put", path: ["done"], value: false },
    ]);
    await doc.delete(["done"]);
    const nothing = await doc.change([]);
    return {
      json: doc.toJSON(), body: doc.text(["body"]), events: log.streamVersion("doc:7"),
      type: e.type, stream: e.stream, nothing, same: (await log.document("doc:7")).toJSON(),
    };
  });
  assert.deepEqual(first.json, { title: "Groceries", body: "buy oat milk", items: [{ sku: "sock", qty: 3 }, { sku: "hat", qty: 1 }] });
  assert.equal(first.body, "buy oat milk");
  assert.equal(first.events, 7, "one event per edit, one for the batch, none for an empty batch");
  assert.equal(first.type, "automerge.change");
  assert.equal(first.stream, "doc:7");
  assert.equal(first.nothing, null);
  assert.deepEqual(first.same, first.json, "log.document() opens the same document");

  await page.reload();
  await page.waitForFunction(() => window.everlog !== undefined);
  const again = await page.evaluate(async () => {
    const log = await window.everlog.EventLog.open("doc-reload");
    const doc = await log.document("doc:7");
    await doc.splice(["body"], 0, 3, "get");
    return { json: doc.toJSON(), events: log.streamVersion("doc:7") };
  });
  assert.deepEqual(again.json, { title: "Groceries", body: "get oat milk", items: [{ sku: "sock", qty: 3 }, { sku: "hat", qty: 1 }] });
  assert.equal(again.events, 8, "after a reload the document keeps writing as the same actor");
  assert.deepEqual(page.pageErrors, []);
  await context.close();
});

test("concurrent property writes keep both values, each with the event that wrote it", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const r = await page.evaluate(async () => {
    const { a, b, da, db } = await window.twoReplicas();
    await da.put(["title"], "draft");
    await window.sync(a, b);
    const ea = await da.put(["title"], "Alice's");
    const eb = await db.put(["title"], "Bob's");
    await window.sync(a, b);
    const conflicts = [da.conflicts(), db.conflicts(["title"]), da.conflicts(["other"])];
    const json = [da.toJSON(), db.toJSON()];
    const resolved = await db.put(["title"], "Both");
    await window.sync(a, b);
    return {
      actors: [a.actor, b.actor], ea, eb, conflicts, json, resolvedId: resolved.id,
      after: da.conflicts(), history: [da.conflictHistory(), db.conflictHistory()], title: da.toJSON().title,
    };
  });
  const [onA, onB, elsewhere] = r.conflicts;
  assert.deepEqual(onA, onB, "both replicas see the same conflict");
  assert.deepEqual(elsewhere, []);
  assert.equal(onA.length, 1);
  assert.deepEqual(onA[0].path, ["title"]);
  const values = [...onA[0].values].sort((x, y) => x.time - y.time);
  assert.deepEqual(values, [
    { value: "Alice's", event: r.ea.id, actor: r.actors[0], time: r.ea.time },
    { value: "Bob's", event: r.eb.id, actor: r.actors[1], time: r.eb.time },
  ]);
  assert.deepEqual(r.json[0], r.json[1]);
  assert.equal(r.json[0].title, onA[0].values.at(-1).value, "toJSON shows the last value");
  assert.deepEqual(r.after, []);
  assert.equal(r.title, "Both");
  assert.deepEqual(r.history[0], r.history[1], "the history is the same on both replicas");
  assert.equal(r.history[0].length, 1);
  assert.deepEqual(r.history[0][0].path, "/title");
  assert.deepEqual([...r.history[0][0].siblings].sort(), [r.ea.id, r.eb.id].sort());
  assert.equal(r.history[0][0].resolvedBy, r.resolvedId);
  await context.close();
});

test("concurrent text splices merge character by character", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const r = await page.evaluate(async () => {
    const { a, b, da, db } = await window.twoReplicas();
    await da.putText(["body"], "hello world");
    await window.sync(a, b);
    await da.splice(["body"], 5, 0, ",");
    await da.splice(["body"], 0, 0, "👋 ");
    // Positions count UTF-16 code units, as JavaScript strings do: "👋" is two.
    await da.splice(["body"], 3, 1, "H");
    await db.splice(["body"], 11, 0, "!");
    await db.splice(["body"], 6, 1, "W");
    const before = [da.text(["body"]), db.text(["body"])];
    await window.sync(a, b);
    return [...before, da.text(["body"]), db.text(["body"]), db.toJSON().body];
  });
  assert.deepEqual(r, ["👋 Hello, world", "hello World!", "👋 Hello, World!", "👋 Hello, World!", "👋 Hello, World!"]);
  await context.close();
});

test("subscribe hears local and remote changes as patches, until unsubscribed", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const r = await page.evaluate(async () => {
    const { a, b, da, db } = await window.twoReplicas();
    await da.putText(["body"], "hi");
    await window.sync(a, b);
    const heard = [];
    const off = db.subscribe((patches) => heard.push(patches));
    await da.put(["n"], 1);
    await da.splice(["body"], 2, 0, "!");
    await window.sync(a, b);
    const early = heard.length; // remote changes are reported after this task
    await window.until(() => heard.length > 0);
    const remote = heard.splice(0);
    await db.put(["m"], [1]);
    const local = heard.splice(0);
    off();
    await da.put(["n"], 2);
    await window.sync(a, b);
    return { early, remote, local, afterOff: heard.length, n: db.toJSON().n };
  });
  assert.equal(r.early, 0);
  // One sync delivers both remote events in one batch: one call with both patches.
  assert.deepEqual(r.remote, [[
    { action: "put", path: ["n"], value: 1, conflict: false },
    { action: "splice", path: ["body", 2], value: "!" },
  ]]);
  assert.deepEqual(r.local, [[
    { action: "put", path: ["m"], value: { object: "list" }, conflict: false },
    { action: "insert", path: ["m", 0], values: [1] },
  ]]);
  assert.equal(r.afterOff, 0);
  assert.equal(r.n, 2);
  await context.close();
});

test("messages received in one task reach a subscriber as one call with every patch", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const r = await page.evaluate(async () => {
    const { da, db, pa, pb } = await window.peersAfterText("hi");
    // 40 edits on a, one sync message each (as the relay relays them), queued for b.
    const messages = [];
    for (let i = 0; i < 40; i++) {
      if (i % 10 === 9) await da.put(["n"], i);
      else if (i % 7 === 6) await da.splice(["body"], 1, 1, "");
      else await da.splice(["body"], da.text(["body"]).length, 0, String.fromCharCode(97 + (i % 26)));
      messages.push(pa.generateMessage());
    }
    const before = db.text(["body"]);
    const calls = [];
    db.subscribe((patches) => calls.push({ patches, body: db.text(["body"]) }));
    // Received in this task, one awaited call each; a read halfway sees what arrived.
    for (const m of messages.slice(0, 20)) await pb.receiveMessage(m);
    const halfway = db.text(["body"]);
    for (const m of messages.slice(20)) await pb.receiveMessage(m);
    const inTask = calls.length;
    await window.until(() => calls.length > 0);
    // Later tasks bring no second call.
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
    const once = calls.length;
    // Replaying the one call's patches on the text b had before gives the text after.
    let body = before;
    let n;
    for (const p of calls[0].patches) {
      if (p.path[0] === "n") n = p.value;
      else if (p.action === "splice") body = body.slice(0, p.path[1]) + p.value + body.slice(p.path[1]);
      else if (p.action === "del") body = body.slice(0, p.path[1]) + body.slice(p.path[1] + (p.length ?? 1));
    }
    // A local edit afterwards: its own call, with its patch only.
    await db.put(["m"], 1);
    return {
      inTask, once, halfway, replayed: { body, n }, seenInCall: calls[0].body, local: calls.slice(1),
      a: da.toJSON(), b: db.toJSON(), sent: 40 - messages.filter((m) => m === null).length,
    };
  });
  assert.equal(r.sent, 40, "one message per edit");
  assert.equal(r.inTask, 0, "subscribers are called after the task that received");
  assert.equal(r.once, 1, "one call for the whole task");
  assert.notEqual(r.halfway, "hi", "a read halfway sees the messages received so far");
  assert.deepEqual(r.replayed, { body: r.a.body, n: r.a.n }, "the call's patches lead to the sender's document");
  assert.equal(r.seenInCall, r.a.body);
  assert.deepEqual(r.local, [{ patches: [{ action: "put", path: ["m"], value: 1, conflict: false }], body: r.a.body }]);
  assert.deepEqual(r.b, { ...r.a, m: 1 });
  await context.close();
});

test("without subscribers, received events are applied on the next read or edit: each sees them all", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const r = await page.evaluate(async () => {
    const { a, b, da, db, pa, pb } = await window.peersAfterText("hi");
    // Two messages, received one by one while nobody listens on b.
    await da.splice(["body"], 2, 0, "!");
    await pb.receiveMessage(pa.generateMessage());
    await da.put(["n"], 1);
    await pb.receiveMessage(pa.generateMessage());
    // An edit at index 3 exists only once both received changes are applied ("hi!").
    await db.splice(["body"], 3, 0, "?");
    const edited = { body: db.text(["body"]), n: db.toJSON().n };
    // A read after a receive sees it too.
    await da.put(["n"], 2);
    await pb.receiveMessage(pa.generateMessage());
    const read = db.toJSON();
    // A subscriber hears what comes after it subscribed, not what arrived before.
    await da.put(["n"], 3);
    await pb.receiveMessage(pa.generateMessage());
    const heard = [];
    db.subscribe((patches) => heard.push(patches));
    await da.put(["n"], 4);
    await pb.receiveMessage(pa.generateMessage());
    await window.sync(a, b);
    await window.until(() => heard.length > 0);
    return { edited, read, heard, a: da.toJSON(), b: db.toJSON(), rejected: db.rejected.length };
  });
  assert.deepEqual(r.edited, { body: "hi!?", n: 1 });
  assert.deepEqual(r.read, { body: "hi!?", n: 2 });
  assert.deepEqual(r.heard, [[{ action: "put", path: ["n"], value: 4, conflict: false }]]);
  assert.deepEqual(r.a, { body: "hi!?", n: 4 });
  assert.deepEqual(r.b, r.a);
  assert.equal(r.rejected, 0);
  await context.close();
});

test("a document edited in another tab updates here, with patches", async () => {
  const context = await env.browser.newContext();
  const [a, b] = [await docsPage(context), await docsPage(context)];
  for (const p of [a, b]) {
    await p.evaluate(async () => {
      window.log = await window.everlog.EventLog.open("doc-tabs");
      window.doc = await window.log.document("doc:tabs");
      window.heard = [];
      window.doc.subscribe((patches) => window.heard.push(...patches));
    });
  }
  await a.evaluate(() => window.doc.put(["from"], "tab a"));
  await b.waitForFunction(() => window.heard.length > 0);
  const seen = await b.evaluate(() => ({ heard: window.heard, json: window.doc.toJSON() }));
  assert.deepEqual(seen.heard, [{ action: "put", path: ["from"], value: "tab a", conflict: false }]);
  assert.deepEqual(seen.json, { from: "tab a" });
  await context.close();
});

test("at() shows a past version, diff() the patches between two", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const r = await page.evaluate(async () => {
    const log = await window.everlog.EventLog.open("past", { storage: "memory" });
    const doc = await log.document("doc");
    const v0 = log.version();
    await doc.put(["n"], 1);
    const v1 = log.version();
    await doc.put(["n"], 2);
    await doc.putText(["t"], "x");
    const v2 = log.version();
    return { at0: doc.at(v0), at1: doc.at(v1), at2: doc.at(v2), diff: doc.diff(v1, v2), back: doc.diff(v2, v1) };
  });
  assert.deepEqual(r.at0, {});
  assert.deepEqual(r.at1, { n: 1 });
  assert.deepEqual(r.at2, { n: 2, t: "x" });
  assert.deepEqual(r.diff, [
    { action: "put", path: ["n"], value: 2, conflict: false },
    { action: "put", path: ["t"], value: { object: "text" }, conflict: false },
    { action: "splice", path: ["t", 0], value: "x" },
  ]);
  assert.deepEqual(r.back, [
    { action: "put", path: ["n"], value: 1, conflict: false },
    { action: "del", path: ["t"] },
  ]);
  await context.close();
});

test("bad edits are typed errors and change nothing", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const r = await page.evaluate(async () => {
    const { EventLog, DocumentError, EverlogError, ClosedError } = window.everlog;
    const log = await EventLog.open("errors", { storage: "memory" });
    const doc = await log.document("doc");
    await doc.put(["title"], "plain string");
    const caught = async (p) => {
      try { await p; return "no error"; } catch (e) {
        return { doc: e instanceof DocumentError, base: e instanceof EverlogError, type: e instanceof TypeError,
                 name: e.name, code: e.code, reason: e.reason, path: e.path };
      }
    };
    const sync = (f) => caught((async () => f())());
    const out = {
      missing: await caught(doc.delete(["nope"])),
      notText: await caught(doc.splice(["title"], 0, 0, "x")),
      pastEnd: await caught(doc.change([{ op: "put", path: ["ok"], value: 1 }, { op: "insert", path: ["list"], index: 0, value: 1 }])),
      readText: await sync(() => doc.text(["title", "deeper"])),
      badPath: await caught(doc.put("title", 1)),
      badValue: await caught(doc.put(["x"], undefined)),
      badOp: await caught(doc.change([{ op: "rename", path: ["title"] }])),
      badIndex: await caught(doc.insert(["list"], -1, 1)),
      badVersion: await sync(() => doc.at("yesterday")),
    };
    out.json = doc.toJSON();
    out.events = log.streamVersion("doc");
    await log.close();
    out.closed = await caught(doc.put(["x"], 1));
    out.closedIsClosedError = await doc.put(["x"], 1).catch((e) => e instanceof ClosedError);
    return out;
  });
  const docErr = (path) => ({ doc: true, base: true, type: false, name: "DocumentError", code: "DOCUMENT", reason: "BAD_PATH", path });
  assert.deepEqual(r.missing, docErr("/nope"));
  assert.deepEqual(r.notText, docErr("/title"));
  assert.deepEqual(r.pastEnd, docErr("/list"));
  assert.deepEqual(r.readText, docErr("/title"), "the path up to the step that fails");
  for (const k of ["badPath", "badValue", "badOp", "badIndex", "badVersion"]) {
    assert.equal(r[k].type, true, `${k} is a TypeError`);
  }
  assert.deepEqual(r.json, { title: "plain string" }, "a failed batch keeps none of its edits");
  assert.equal(r.events, 1);
  assert.equal(r.closed.name, "ClosedError");
  assert.equal(r.closedIsClosedError, true);
  await context.close();
});

test("a change event that cannot be read is skipped and listed, the rest of the document stays", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const r = await page.evaluate(async () => {
    const { EventLog, DocumentError } = window.everlog;
    const log = await EventLog.open("rejected", { storage: "memory" });
    const doc = await log.document("doc");
    await doc.put(["ok"], true);
    const bad = await log.append({ stream: "doc", type: "automerge.change", data: { change: "not base64!" } });
    await doc.put(["after"], 1);
    const [e] = doc.rejected;
    return { json: doc.toJSON(), n: doc.rejected.length, isDocErr: e instanceof DocumentError, reason: e.reason, event: e.event, bad: bad.id };
  });
  assert.deepEqual(r.json, { ok: true, after: 1 });
  assert.equal(r.n, 1);
  assert.equal(r.isDocErr, true);
  assert.equal(r.reason, "BAD_CHANGE");
  assert.equal(r.event, r.bad);
  await context.close();
});

test("an edit means the document the caller saw, even when a remote change is saved before it", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const r = await page.evaluate(async () => {
    const { EventLog } = window.everlog;
    const [a, b] = [await EventLog.open("a", { storage: "memory" }), await EventLog.open("b", { storage: "memory" })];
    const da = await a.document("doc");
    await da.putText(["body"], "world");
    await window.sync(a, b);
    const db = await b.document("doc");
    await db.splice(["body"], 0, 0, "hello ");
    // b's change is on its way to a: its receive is queued before a's next edit.
    const [pa, pb] = [a.peer(), b.peer()];
    await pb.receiveMessage(pa.generateMessage());
    const receiving = pa.receiveMessage(pb.generateMessage());
    const seen = da.text(["body"]);
    // "!" after the last character the caller saw ("world"), saved after b's change.
    const editing = da.splice(["body"], seen.length, 0, "!");
    const optimistic = da.text(["body"]);
    await Promise.all([receiving, editing]);
    await window.sync(a, b);
    return { seen, optimistic, a: da.text(["body"]), b: db.text(["body"]) };
  });
  assert.equal(r.seen, "world");
  assert.equal(r.optimistic, "world!", "the edit shows at once");
  assert.equal(r.a, "hello world!");
  assert.equal(r.b, "hello world!");
  await context.close();
});

test("a subscriber that heard an edit that then failed hears it undone at once", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const r = await page.evaluate(async () => {
    const { EventLog } = window.everlog;
    const log = await EventLog.open(`doc-undo-${Math.random()}`);
    const doc = await log.document("doc");
    await doc.putText(["t"], "ab");
    let model = doc.text(["t"]);
    const calls = [];
    const add = IDBObjectStore.prototype.add;
    doc.subscribe((patches) => {
      calls.push(patches);
      for (const p of patches) {
        const at = p.path[1];
        if (p.action === "splice") model = model.slice(0, at) + p.value + model.slice(at);
        else if (p.action === "del") model = model.slice(0, at) + model.slice(at + (p.length ?? 1));
        else throw new Error(`unexpected patch ${JSON.stringify(p)}`);
      }
      // The first edit's commit reports both edits (the second is built on it already);
      // the second's append then fails.
      IDBObjectStore.prototype.add = function () {
        throw new DOMException("simulated", "QuotaExceededError");
      };
    });
    const first = doc.splice(["t"], 2, 0, "c");
    const second = doc.splice(["t"], 3, 0, "d");
    const settled = await Promise.allSettled([first, second]);
    IDBObjectStore.prototype.add = add;
    const heard = calls.map((c) => c.map((p) => p.action));
    const text = doc.text(["t"]);
    await log.close();
    return { statuses: settled.map((s) => s.status), reason: settled[1].reason?.reason, heard, model, text };
  });
  assert.deepEqual(r.statuses, ["fulfilled", "rejected"]);
  assert.equal(r.reason, "QuotaExceededError");
  assert.equal(r.heard.length, 2, "told of both edits, then of the failed one undone");
  assert.deepEqual(r.heard[1], ["del"]);
  assert.equal(r.text, "abc");
  assert.equal(r.model, r.text, "the patches lead to the document");
  await context.close();
});

test("a failed edit rejects with the storage error, so do the edits queued behind it, and the document keeps what was saved", async () => {
  const context = await env.browser.newContext();
  const page = await docsPage(context);
  const r = await page.evaluate(async () => {
    const { EventLog } = window.everlog;
    const name = `doc-fail-${Math.random()}`;
    const log = await EventLog.open(name);
    const doc = await log.document("doc");
    await doc.putText(["t"], "ab");
    const add = IDBObjectStore.prototype.add;
    IDBObjectStore.prototype.add = function () {
      throw new DOMException("simulated", "QuotaExceededError");
    };
    const first = doc.splice(["t"], 2, 0, "c");
    // Position 3 exists only in the first edit's document: the second is built on it.
    const second = doc.splice(["t"], 3, 0, "d");
    const optimistic = doc.text(["t"]);
    const settled = await Promise.allSettled([first, second]);
    IDBObjectStore.prototype.add = add;
    const afterFailure = doc.text(["t"]);
    await doc.splice(["t"], 2, 0, "!");
    await log.close();
    const reopened = await EventLog.open(name);
    const text = (await reopened.document("doc")).text(["t"]);
    await reopened.close();
    return {
      optimistic,
      reasons: settled.map((s) => s.status === "rejected" && s.reason.reason),
      same: settled[0].reason === settled[1].reason,
      afterFailure,
      text,
    };
  });
  assert.equal(r.optimistic, "abcd");
  assert.deepEqual(r.reasons, ["QuotaExceededError", "QuotaExceededError"]);
  assert.equal(r.same, true, "the queued edit rejects with the error that voided it");
  assert.equal(r.afterFailure, "ab", "nothing unsaved stays in the document");
  assert.equal(r.text, "ab!");
  await context.close();
});
