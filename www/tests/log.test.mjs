// End-to-end tests of the npm package in headless Chromium (real IndexedDB, real tabs).
// Run: node --test www/tests/ (after pkg-scripts/build.sh).
import { test } from "node:test";
import assert from "node:assert/strict";

import { launchPersistent, openPage } from "./browser.mjs";
import { serveAndLaunch } from "./fixture.mjs";

const env = serveAndLaunch();

test("open, append, reload: the data is still there", async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url);
  const first = await page.evaluate(async () => {
    const { EventLog } = window.everlog;
    const log = await EventLog.open("reload");
    await log.append({ stream: "cart:42", type: "ItemAdded", data: { sku: "sock", qty: 2 } });
    await log.append([
      { stream: "cart:42", type: "ItemAdded", data: { sku: "hat", qty: 1 } },
      { stream: "cart:42", type: "ItemAdded", data: { sku: "sock", qty: 1 } },
    ]);
    return { actor: log.actor, events: log.events({ stream: "cart:42" }) };
  });
  await page.reload();
  await page.waitForFunction(() => window.everlog !== undefined);
  const again = await page.evaluate(async () => {
    const { EventLog, Fold } = window.everlog;
    const log = await EventLog.open("reload");
    return {
      actor: log.actor,
      events: log.events({ stream: "cart:42" }),
      sums: log.fold(Fold.groupSum("sku", "qty"), { stream: "cart:42" }),
    };
  });
  assert.equal(again.actor, first.actor, "the tab's actor slot is reused");
  assert.deepEqual(again.events, first.events);
  assert.deepEqual(again.sums, { sock: 3, hat: 1 });
  await context.close();
});

test("expectedVersion, idempotency keys and typed errors", async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url);
  const r = await page.evaluate(async () => {
    const { EventLog, ConcurrencyError, InvalidEventError, EverlogError } = window.everlog;
    const log = await EventLog.open("occ", { storage: "memory" });
    const a = await log.append({ stream: "s", type: "T", id: "order-9-submit" });
    const b = await log.append({ stream: "s", type: "T", id: "order-9-submit" });
    let conc, invalid;
    try {
      await log.append([{ stream: "s", type: "T" }, { stream: "t", type: "T" }], { expectedVersion: 0 });
    } catch (e) {
      conc = { isClass: e instanceof ConcurrencyError, isBase: e instanceof EverlogError, isError: e instanceof Error,
        name: e.name, code: e.code, current: e.currentVersion, stream: e.stream };
    }
    try {
      await log.append({ stream: "s", type: "T", data: { n: 10n } });
    } catch (e) {
      invalid = { isClass: e instanceof InvalidEventError, name: e.name, code: e.code };
    }
    const ok = await log.append({ stream: "s", type: "T" }, { expectedVersion: 1 });
    return { same: a.id === b.id, byKey: log.get("order-9-submit")?.id === a.id, conc, invalid,
      version: log.streamVersion("s"), other: log.streamVersion("t"), okId: ok.id };
  });
  assert.ok(r.same && r.byKey);
  assert.deepEqual(r.conc, { isClass: true, isBase: true, isError: true, name: "ConcurrencyError", code: "CONCURRENCY", current: 1, stream: "s" });
  assert.deepEqual(r.invalid, { isClass: true, name: "InvalidEventError", code: "INVALID_EVENT" });
  assert.equal(r.version, 2, "the failed batch appended nothing, the next append went through");
  assert.equal(r.other, 0, "a batch is all or nothing");
  await context.close();
});

test("a quota failure mid-batch leaves the log intact and usable", async () => {
  const context = await launchPersistent();
  const page = await openPage(context, env.server.url);
  // A real QuotaExceededError: shrink this origin's quota below the big batch (the quota
  // is read when the database opens, so before that).
  const cdp = await context.newCDPSession(page);
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: env.server.url, quotaSize: 64 * 1024 });
  await page.evaluate(async () => {
    await navigator.storage.estimate(); // makes the storage service pick the override up
    const log = await window.everlog.EventLog.open("quota");
    await log.append([{ stream: "s", type: "Small", data: 1 }, { stream: "s", type: "Small", data: 2 }]);
    window.log = log;
  });
  const failed = await page.evaluate(async () => {
    // Random text: Chromium compresses IndexedDB values, so repeated text would fit.
    const big = Array.from(crypto.getRandomValues(new Uint8Array(50_000)), (b) => b.toString(16).padStart(2, "0")).join("");
    try {
      await window.log.append(Array.from({ length: 20 }, (_, i) => ({ stream: "s", type: "Big", data: { i, big } })));
      return null;
    } catch (e) {
      return { name: e.name, code: e.code, reason: e.reason, isClass: e instanceof window.everlog.StorageError,
        count: window.log.streamVersion("s") };
    }
  });
  assert.deepEqual(failed, { name: "StorageError", code: "STORAGE", reason: "QuotaExceededError", isClass: true, count: 2 });
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: env.server.url });
  const after = await page.evaluate(async () => {
    await window.log.append({ stream: "s", type: "Small", data: 3 });
    await window.log.close();
    const again = await window.everlog.EventLog.open("quota");
    return again.events({ stream: "s" }).map((e) => e.type + ":" + JSON.stringify(e.data));
  });
  assert.deepEqual(after, ["Small:1", "Small:2", "Small:3"], "no partial batch, later appends work");
  await context.close();
});

test("two tabs appending at the same time end with identical logs", async () => {
  const context = await env.browser.newContext();
  const [a, b] = [await openPage(context, env.server.url), await openPage(context, env.server.url)];
  const setup = async (page) =>
    page.evaluate(async () => {
      window.log = await window.everlog.EventLog.open("tabs");
      window.seen = [];
      window.log.subscribe((evs) => window.seen.push(...evs.map((e) => e.id)));
      window.view = window.log.project("count", { reducer: (n, e) => n + e.data.n, initial: 0, filter: { stream: "c" } });
      return window.log.actor;
    });
  const [actorA, actorB] = [await setup(a), await setup(b)];
  assert.notEqual(actorA, actorB, "each tab is its own actor");
  const burst = (page, tag) =>
    page.evaluate(async (tag) => {
      const all = [];
      for (let i = 0; i < 25; i++) all.push(window.log.append({ stream: "c", type: tag, key: "k", data: { n: i } }));
      await Promise.all(all);
    }, tag);
  await Promise.all([burst(a, "A"), burst(b, "B")]);
  const state = (page) =>
    page.evaluate(async () => {
      while (window.log.streamVersion("c") < 50) await new Promise((r) => setTimeout(r, 10));
      return {
        ids: window.log.events().map((e) => e.id),
        version: window.log.version(),
        view: window.view.value,
        fold: window.log.fold((n, e) => n + e.data.n, 0, { stream: "c" }),
        seen: [...window.seen].sort(),
        conflicts: window.log.conflicts({ stream: "c" }).length,
      };
    });
  const [sa, sb] = [await state(a), await state(b)];
  assert.equal(sa.ids.length, 50);
  assert.deepEqual(sa.ids, sb.ids, "same events in the same total order");
  assert.deepEqual(sa.version, sb.version);
  assert.equal(sa.view, sa.fold, "live projection = fold from scratch (tab A)");
  assert.equal(sb.view, sb.fold, "live projection = fold from scratch (tab B)");
  assert.equal(sa.fold, 2 * (24 * 25) / 2);
  assert.deepEqual(sa.seen, [...sa.ids].sort(), "subscribers saw every event exactly once");
  assert.deepEqual(sb.seen, [...sb.ids].sort());
  assert.deepEqual(a.pageErrors, []);
  await context.close();
});
