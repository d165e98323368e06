// IndexedDB failure paths in headless Chromium, through the built package: the durability
// option reaches the transaction, and a connection closed under the log (another page
// deletes the database, the browser force-closes it) gives typed errors and no partial
// batch. The blocked upgrade and the upgrade by a newer tab are wasm-bindgen tests
// (src/wasm/idb/tests.rs): they need a second schema version, which only Rust can ask for.
import { test } from "node:test";
import assert from "node:assert/strict";

import { launchPersistent, openPage } from "./browser.mjs";
import { serveAndLaunch } from "./fixture.mjs";

const env = serveAndLaunch();

/** In-page helpers: `describe(error)` as plain data, `settle(promise)` without throwing. */
async function helpers(page) {
  await page.evaluate(() => {
    window.describe = (e) => ({
      name: e?.name, code: e?.code, reason: e?.reason, message: String(e?.message ?? e),
      everlog: e instanceof window.everlog.EverlogError, closed: e instanceof window.everlog.ClosedError,
      storage: e instanceof window.everlog.StorageError, cause: e?.cause === undefined ? undefined : window.describe(e.cause),
    });
    window.settle = (p) => p.then((v) => ({ ok: true, v }), (e) => ({ ok: false, e: window.describe(e) }));
  });
}

/** Records every `IDBDatabase.transaction` call: stores, mode, the durability asked and the one the browser applied. */
function spyOnTransactions() {
  window.txLog = [];
  const original = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, options) {
    const tx = original.call(this, stores, mode, options);
    window.txLog.push({ db: this.name, stores: [].concat(stores), mode: mode ?? "readonly",
      asked: options?.durability ?? null, applied: tx.durability });
    return tx;
  };
}

for (const durability of ["relaxed", "strict", undefined]) {
  const expected = durability ?? "strict";
  test(`durability ${durability ?? "(default)"}: every write transaction is ${expected}, and the data survives a reopen`, async () => {
    const context = await env.browser.newContext();
    await context.addInitScript(spyOnTransactions);
    const page = await openPage(context, env.server.url);
    const name = `durability-${expected}-${durability === undefined ? "default" : "explicit"}`;
    const writes = await page.evaluate(async ({ name, durability }) => {
      const log = await window.everlog.EventLog.open(name, durability === undefined ? {} : { durability });
      await log.append([{ stream: "s", type: "A" }, { stream: "s", type: "B" }, { stream: "s", type: "C" }]);
      await log.append({ stream: "s", type: "D" });
      await log.close();
      return window.txLog.filter((t) => t.db === `everlog:${name}` && t.mode === "readwrite" && t.stores.includes("batches"));
    }, { name, durability });
    assert.equal(writes.length, 2, "one write transaction per append");
    for (const w of writes) assert.deepEqual({ asked: w.asked, applied: w.applied }, { asked: expected, applied: expected });
    await page.reload();
    await page.waitForFunction(() => window.everlog !== undefined);
    const types = await page.evaluate(async (name) => {
      const log = await window.everlog.EventLog.open(name);
      return log.events({ stream: "s" }).map((e) => e.type);
    }, name);
    assert.deepEqual(types, ["A", "B", "C", "D"]);
    assert.deepEqual(page.pageErrors, []);
    await context.close();
  });
}

test("another page deletes the database: the log steps aside and reports ClosedError (cause DeletedError)", async () => {
  const context = await env.browser.newContext();
  const [a, b] = [await openPage(context, env.server.url), await openPage(context, env.server.url)];
  await helpers(a);
  await helpers(b);
  await a.evaluate(async () => {
    window.log = await window.everlog.EventLog.open("deleted-elsewhere");
    await window.log.append([{ stream: "s", type: "A" }, { stream: "s", type: "B" }]);
  });
  // Not blocked by page A: its connection closes itself on `versionchange`.
  const deleted = await b.evaluate(() => window.settle(window.everlog.EventLog.deleteDatabase("deleted-elsewhere")));
  assert.equal(deleted.ok, true, JSON.stringify(deleted));
  const r = await a.evaluate(async () => {
    const sync = (f) => { try { return { ok: true, v: f() }; } catch (e) { return { ok: false, e: window.describe(e) }; } };
    return {
      closed: window.log.closed,
      append: await window.settle(window.log.append({ stream: "s", type: "C" })),
      read: sync(() => window.log.events()),
      close: await window.settle(window.log.close()),
    };
  });
  assert.equal(r.closed, true);
  for (const e of [r.append.e, r.read.e]) {
    assert.equal(e?.name, "ClosedError");
    assert.ok(e.closed && e.everlog);
    assert.equal(e.cause?.name, "StorageError");
    assert.equal(e.cause.reason, "DeletedError");
  }
  assert.equal(r.close.ok, true, "close() still works");
  // The app can open the log again: a fresh, empty database that works.
  const again = await a.evaluate(async () => {
    const log = await window.everlog.EventLog.open("deleted-elsewhere");
    const before = log.events().length;
    await log.append({ stream: "s", type: "D" });
    return { before, after: log.events().map((e) => e.type) };
  });
  assert.deepEqual(again, { before: 0, after: ["D"] });
  assert.deepEqual([...a.pageErrors, ...b.pageErrors], []);
  await context.close();
});

// The timeout is a guard against the hang this test is about, not a timing assertion.
test("the browser closes the connection mid-burst (site data cleared): typed errors, no hang, no partial batch", { timeout: 120_000 }, async (t) => {
  const context = await launchPersistent();
  const page = await openPage(context, env.server.url);
  await helpers(page);
  await page.evaluate(async () => {
    window.log = await window.everlog.EventLog.open("forced-close");
    // The app is told as it happens (log.onClose), not only by its next call.
    window.told = new Promise((resolve) => window.log.onClose((e) => resolve(window.describe(e))));
    window.done = 0;
    // Batches of 3 until the log says it is closed; then one more attempt.
    window.burst = (async () => {
      const errors = [];
      while (!window.log.closed) {
        try {
          await window.log.append([{ stream: "s", type: "B" }, { stream: "s", type: "B" }, { stream: "s", type: "B" }]);
          window.done++;
        } catch (e) {
          errors.push(window.describe(e));
          await new Promise((r) => setTimeout(r, 0)); // let queued events (`close`) run
        }
      }
      const last = await window.settle(window.log.append({ stream: "s", type: "B" }));
      return { errors, last: last.e };
    })();
  });
  await page.waitForFunction(() => window.done >= 20, null, { timeout: 60_000 });
  // What "Clear site data" does: Chromium force-closes the connection (`close` event).
  const cdp = await context.newCDPSession(page);
  await cdp.send("Storage.clearDataForOrigin", { origin: env.server.url, storageTypes: "indexeddb" });
  const r = await page.evaluate(async () => ({ ...(await window.burst), closed: window.log.closed, told: await window.told }));
  // The appends in flight or started while the browser was closing the connection failed
  // as storage failures (transaction aborted, never settled and given up on the `close`
  // event, or refused), or as ClosedError once the log knew; never a hang.
  t.diagnostic(`errors: ${r.errors.map((e) => `${e.name}(${e.reason ?? e.cause?.reason})`).join(", ")}`);
  assert.ok(r.errors.length >= 1);
  for (const e of r.errors) assert.ok(e.everlog && (e.storage || e.closed), JSON.stringify(e));
  assert.equal(r.closed, true);
  assert.equal(r.last?.name, "ClosedError");
  assert.equal(r.last.cause?.reason, "ConnectionLostError");
  assert.equal(r.told.name, "ClosedError", "onClose told the app");
  assert.equal(r.told.cause?.reason, "ConnectionLostError");
  // Opening again works; only whole batches can be there (the data was cleared, so none).
  const again = await page.evaluate(async () => {
    const log = await window.everlog.EventLog.open("forced-close");
    const count = log.events({ stream: "s" }).length;
    await log.append({ stream: "t", type: "After" });
    return { count, after: log.streamVersion("t") };
  });
  assert.equal(again.count % 3, 0, `${again.count} events: whole batches only`);
  assert.equal(again.after, 1);
  assert.deepEqual(page.pageErrors, []);
  await context.close();
});
