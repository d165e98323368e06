// The event-sourcing toolkit's JavaScript API in headless Chromium (real IndexedDB, real
// tabs and Web Locks): named handlers (log.on), decide, upcasters, CloudEvents, revert,
// through the opt-in entry `everlog/toolkit` (pages/index.html?entry=toolkit).
// Run: node --test www/tests/ (after pkg-scripts/build.sh).
import { test } from "node:test";
import assert from "node:assert/strict";

import { openPage } from "./browser.mjs";
import { serveAndLaunch } from "./fixture.mjs";

const env = serveAndLaunch();

test("a named handler survives a reload without running twice; folds never trigger it", async () => {
  const context = await env.browser.newContext();
  // The handler's effect goes to localStorage, which survives the reload like IndexedDB.
  await context.addInitScript(() => {
    window.ran = () => JSON.parse(localStorage.getItem("ran") ?? "[]");
    window.register = () =>
      window.log.on("OrderPlaced", (e) => localStorage.setItem("ran", JSON.stringify([...window.ran(), e.id])), { name: "mailer" });
  });
  const page = await openPage(context, env.server.url, "index.html?entry=toolkit");
  const first = await page.evaluate(async () => {
    window.log = await window.everlog.EventLog.open("tk-reload");
    const h = window.register();
    await window.log.append([
      { stream: "o:1", type: "OrderPlaced" },
      { stream: "o:1", type: "Noted" },
      { stream: "o:2", type: "OrderPlaced" },
    ]);
    await h.idle();
    return { ran: window.ran(), active: h.active };
  });
  assert.equal(first.ran.length, 2, "once per OrderPlaced, not for other types");
  assert.ok(first.active);

  await page.reload();
  await page.waitForFunction(() => window.everlog !== undefined);
  const second = await page.evaluate(async () => {
    window.log = await window.everlog.EventLog.open("tk-reload");
    const h = window.register();
    await h.idle();
    // A replay, a point-in-time fold and a projection rebuild read the log, never run handlers.
    window.log.fold((n) => n + 1, 0, { at: { time: 0 } });
    window.log.fold((n) => n + 1, 0);
    window.log.project("all", { reducer: (n) => n + 1, initial: 0 }).close();
    await h.idle();
    const before = window.ran();
    const e = await window.log.append({ stream: "o:3", type: "OrderPlaced" });
    await h.idle();
    // The same name with other types is refused (the old filter skipped what the new one wants).
    h.stop();
    const refused = await new Promise((resolve) => {
      window.log.on(["Other"], () => {}, { name: "mailer", onError: (err, f) => resolve({ type: err instanceof TypeError, event: f.event ?? null }) });
    });
    return { before, after: window.ran(), id: e.id, refused };
  });
  assert.deepEqual(second.before, first.ran, "nothing ran again after the reload");
  assert.deepEqual(second.after, [...first.ran, second.id], "the new event ran once");
  assert.deepEqual(second.refused, { type: true, event: null });
  assert.deepEqual(page.pageErrors, []);
  await context.close();
});

test("two tabs with the same named handler run it once per event on the device", async () => {
  const context = await env.browser.newContext();
  const [a, b] = [await openPage(context, env.server.url, "index.html?entry=toolkit"), await openPage(context, env.server.url, "index.html?entry=toolkit")];
  const setup = (page) =>
    page.evaluate(async () => {
      window.log = await window.everlog.EventLog.open("tk-tabs");
      window.ran = [];
      window.h = window.log.on(["Ping"], (e) => { window.ran.push(e.id); }, { name: "once" });
      await window.h.idle();
      return window.h.active;
    });
  assert.equal(await setup(a), true, "the first tab runs the handler");
  assert.equal(await setup(b), false, "the second waits for the lock");
  const burst = (page, n) =>
    page.evaluate(async (n) => {
      for (let i = 0; i < n; i++) await window.log.append({ stream: "p", type: "Ping", data: i });
    }, n);
  await Promise.all([burst(a, 5), burst(b, 5)]);
  const settle = (page, n) =>
    page.evaluate(async (n) => {
      while (window.log.streamVersion("p") < n) await new Promise((r) => setTimeout(r, 10));
      await window.h.idle();
      return { ran: [...window.ran], ids: window.log.events({ stream: "p" }).map((e) => e.id) };
    }, n);
  const [sa, sb] = [await settle(a, 10), await settle(b, 10)];
  assert.deepEqual([...sa.ran].sort(), [...sa.ids].sort(), "tab A ran every event, its own and tab B's");
  assert.deepEqual(sb.ran, [], "tab B ran none");

  // Tab A goes away: B takes the lock over, resumes from the stored progress.
  await a.close();
  const after = await b.evaluate(async () => {
    while (!window.h.active) await new Promise((r) => setTimeout(r, 10));
    await window.h.idle();
    const ranAtTakeover = [...window.ran];
    const added = [];
    for (let i = 0; i < 3; i++) added.push((await window.log.append({ stream: "p", type: "Ping", data: 10 + i })).id);
    await window.h.idle();
    return { ranAtTakeover, ran: [...window.ran], added };
  });
  assert.deepEqual(after.ranAtTakeover, [], "nothing tab A handled ran again in tab B");
  assert.deepEqual(after.ran, after.added, "tab B runs the new events once");
  assert.deepEqual(b.pageErrors, []);
  await context.close();
});

test("a failing handler is retried with backoff and reported; another handler proceeds", async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, "index.html?entry=toolkit");
  const r = await page.evaluate(async () => {
    const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
    const log = await window.everlog.EventLog.open("tk-retry", { storage: "memory" });
    let open = false;
    const flakyRan = [], steadyRan = [], errors = [];
    const flaky = log.on([], async (e) => {
      if (e.type === "Bad" && !open) throw new Error("mail server down");
      flakyRan.push(e.type);
    }, {
      name: "flaky",
      retry: { baseMs: 5, maxMs: 20 },
      onError: (err, f) => errors.push({ message: err.message, name: f.name, type: f.event?.type, attempts: f.attempts }),
    });
    const steady = log.on([], (e) => { steadyRan.push(e.type); }, { name: "steady" });
    // One actor, one batch: C saw Bad, so the flaky handler must not run C before Bad.
    await log.append([{ stream: "s", type: "A" }, { stream: "s", type: "Bad" }, { stream: "s", type: "C" }]);
    await steady.idle();
    while (errors.length < 2) await sleep(5);
    const during = { steadyRan: [...steadyRan], flakyRan: [...flakyRan], errors: errors.slice(0, 2) };
    open = true;
    while (flakyRan.length < 3) await sleep(5);
    await flaky.idle();
    return { during, flakyRan, steadyRan };
  });
  assert.deepEqual(r.during.steadyRan, ["A", "Bad", "C"], "the other handler was not blocked");
  assert.deepEqual(r.during.flakyRan, ["A"], "the failing event blocks its causal successors");
  assert.deepEqual(r.during.errors, [
    { message: "mail server down", name: "flaky", type: "Bad", attempts: 1 },
    { message: "mail server down", name: "flaky", type: "Bad", attempts: 2 },
  ]);
  assert.deepEqual(r.flakyRan, ["A", "Bad", "C"], "retried until it succeeded, then went on");
  assert.deepEqual(r.steadyRan, ["A", "Bad", "C"], "each event once");
  await context.close();
});

test("decide retries on a concurrent append, then succeeds; gives up after the bound", async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, "index.html?entry=toolkit");
  const r = await page.evaluate(async () => {
    const { EventLog, ConcurrencyError } = window.everlog;
    const log = await EventLog.open("tk-decide", { storage: "memory" });
    await log.append({ stream: "acct:1", type: "Deposited", data: { amount: 10 } });
    const account = (interfere) => {
      const seen = [];
      return {
        seen,
        initial: { balance: 0 },
        evolve: (s, e) => ({ balance: s.balance + (e.type === "Deposited" ? e.data.amount : -e.data.amount) }),
        decide: async (cmd, s) => {
          seen.push(s.balance);
          // Another writer gets in between this fold and the append.
          if (seen.length <= interfere) await log.append({ stream: "acct:1", type: "Deposited", data: { amount: 1 } });
          if (s.balance < cmd.amount) throw new Error("insufficient funds");
          return [{ type: "Withdrawn", data: { amount: cmd.amount } }];
        },
      };
    };
    const ok = account(2);
    const events = await log.decide("acct:1", ok, { amount: 5 });
    const afterOk = log.streamVersion("acct:1");
    const bound = account(Infinity);
    let gaveUp;
    try {
      await log.decide("acct:1", bound, { amount: 5 }, { maxRetries: 1 });
    } catch (e) {
      gaveUp = { isClass: e instanceof ConcurrencyError, current: e.currentVersion };
    }
    let refused;
    try {
      await log.decide("acct:1", account(0), { amount: 1000 });
    } catch (e) {
      refused = e.message;
    }
    const fresh = await log.decide("acct:2", account(0), { amount: 0 });
    return {
      seen: ok.seen, events: events.map((e) => [e.stream, e.type, e.data.amount]), afterOk,
      boundSeen: bound.seen, gaveUp, versionAfter: log.streamVersion("acct:1"), refused, fresh: fresh.length,
    };
  });
  assert.deepEqual(r.seen, [10, 11, 12], "each attempt folded the stream again");
  assert.deepEqual(r.events, [["acct:1", "Withdrawn", 5]]);
  assert.equal(r.afterOk, 4, "1 + 2 concurrent deposits + the withdrawal");
  assert.equal(r.boundSeen.length, 2, "maxRetries: 1 means two attempts");
  assert.deepEqual(r.gaveUp, { isClass: true, current: 6 });
  assert.equal(r.versionAfter, 6, "the given-up decision appended nothing");
  assert.equal(r.refused, "insufficient funds", "decide's own error is passed on, not retried");
  assert.equal(r.fresh, 1, "an empty stream is decided on with expectedVersion \"no-stream\"");
  await context.close();
});

test("upcasters: folds, events() and handlers see old events in the newest shape; storage unchanged", async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, "index.html?entry=toolkit");
  const r = await page.evaluate(async () => {
    const { EventLog, Fold } = window.everlog;
    const log = await EventLog.open("tk-upcast", { storage: "memory" });
    await log.append({ stream: "u:1", type: "UserRegistered", data: { name: "Ada Lovelace" } });
    await log.append({ stream: "u:1", type: "UserRegistered", data: { first: "Grace", last: "Hopper" }, meta: { schema: "2" } });
    await log.append({ stream: "c:1", type: "ItemAdded", data: { count: 2 } });
    await log.append({ stream: "c:1", type: "Added", data: { qty: 3 }, meta: { schema: "2" } });
    log.upcast("UserRegistered", 1, ({ data }) => {
      const [first, last] = data.name.split(" ");
      return { data: { first, last } };
    });
    log.upcast("ItemAdded", 1, ({ data }) => ({ type: "Added", data: { qty: data.count } })); // renamed in v2
    const seen = [];
    const h = log.on("UserRegistered", (e) => { seen.push(e.data); }, { name: "welcome" });
    await h.idle();
    return {
      events: log.events({ stream: "u:1" }).map((e) => [e.data, e.meta?.schema]),
      got: log.get(log.events({ stream: "u:1" })[0].id).data,
      fold: log.fold((s, e) => [...s, e.data.last], [], { stream: "u:1" }),
      sum: log.fold(Fold.sum("qty"), { stream: "c:1" }),
      types: log.events({ stream: "c:1" }).map((e) => e.type),
      view: log.project("qty", { reducer: (s, e) => s + e.data.qty, initial: 0, filter: { stream: "c:1" } }).value,
      seen,
      stored: log.exportCloudEvents({ stream: "u:1" }).split("\n")[0],
    };
  });
  assert.deepEqual(r.events, [[{ first: "Ada", last: "Lovelace" }, "2"], [{ first: "Grace", last: "Hopper" }, "2"]]);
  assert.deepEqual(r.got, { first: "Ada", last: "Lovelace" });
  assert.deepEqual(r.fold, ["Lovelace", "Hopper"]);
  assert.equal(r.sum, 5, "the built-in fold sums the upcast field");
  assert.deepEqual(r.types, ["Added", "Added"]);
  assert.equal(r.view, 5, "a JS projection folds upcast events");
  assert.deepEqual(r.seen, [{ first: "Ada", last: "Lovelace" }, { first: "Grace", last: "Hopper" }]);
  assert.match(r.stored, /"data":\{"name":"Ada Lovelace"\}/, "the stored event is unchanged");
  await context.close();
});

test("CloudEvents: a round trip gives an identical log; bad input is typed and changes nothing", async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, "index.html?entry=toolkit");
  const r = await page.evaluate(async () => {
    const { EventLog, DecodeError, InvalidEventError } = window.everlog;
    const a = await EventLog.open("tk-ce-a", { storage: "memory" });
    const c = await EventLog.open("tk-ce-c", { storage: "memory" });
    await a.append({ stream: "doc", type: "Set", key: "title", data: { v: "A" }, meta: { by: "ann" } });
    await c.append({ stream: "doc", type: "Set", key: "title", data: { v: "C" }, id: "c-1" });
    await a.importCloudEvents(c.exportCloudEvents()); // a conflict, and a second actor
    await a.append({ stream: "doc", type: "Set", key: "title", data: "line\nbreak" }); // resolves it: has deps
    const text = a.exportCloudEvents();
    const b = await EventLog.open("tk-ce-b");
    const result = await b.importCloudEvents(text);
    const again = await b.importCloudEvents(text);
    const errorOf = async (log, input) => {
      try {
        await log.importCloudEvents(input);
        return null;
      } catch (e) {
        return { decode: e instanceof DecodeError, invalid: e instanceof InvalidEventError, name: e.name, count: log.events().length };
      }
    };
    const empty = await EventLog.open("tk-ce-empty", { storage: "memory" });
    const lines = text.trimEnd().split("\n");
    // Well-formed CloudEvents, but the first event has an empty type: the log refuses it.
    const badEvent = lines.map((l, i) => (i === 0 ? l.replace('"type":"Set"', '"type":""') : l)).join("\n");
    return {
      lines: lines.length,
      deps: a.events().some((e) => e.deps?.length),
      same: JSON.stringify(b.events()) === JSON.stringify(a.events()),
      sameVersion: JSON.stringify(b.version()) === JSON.stringify(a.version()),
      reexport: b.exportCloudEvents() === text,
      conflictHistory: JSON.stringify(b.conflictHistory()) === JSON.stringify(a.conflictHistory()),
      result, again,
      notJson: await errorOf(empty, text + "{not json\n"),
      badEvent: await errorOf(empty, badEvent),
      emptyAfter: empty.events().length,
    };
  });
  assert.equal(r.lines, 3);
  assert.ok(r.deps, "the export carries causal dependencies");
  assert.ok(r.same, "identical events: ids, times, lamports, deps, meta, data");
  assert.ok(r.sameVersion && r.reexport && r.conflictHistory);
  assert.deepEqual(r.result, { applied: 3, duplicates: 0, pending: 0 });
  assert.deepEqual(r.again, { applied: 0, duplicates: 3, pending: 0 }, "importing twice changes nothing");
  assert.deepEqual(r.notJson, { decode: true, invalid: false, name: "DecodeError", count: 0 });
  assert.deepEqual(r.badEvent, { decode: false, invalid: true, name: "InvalidEventError", count: 0 });
  assert.equal(r.emptyAfter, 0);
  await context.close();
});

test("revert appends a linked compensation; events(), get() and a reload show the link", async () => {
  const context = await env.browser.newContext();
  const page = await openPage(context, env.server.url, "index.html?entry=toolkit");
  const r = await page.evaluate(async () => {
    const { EventLog, InvalidEventError } = window.everlog;
    await EventLog.deleteDatabase("tk-revert");
    const log = await EventLog.open("tk-revert");
    const added = await log.append({ stream: "cart:1", type: "ItemAdded", data: { sku: "sock" } });
    const undo = await log.revert(added.id, { type: "ItemRemoved", data: { sku: "sock" } });
    let unknown;
    try {
      await log.revert("9@" + "0".repeat(32), { type: "X" });
    } catch (e) {
      unknown = e instanceof InvalidEventError;
    }
    const now = { undo, original: log.get(added.id), events: log.events({ stream: "cart:1" }), unknown };
    await log.close();
    const again = await EventLog.open("tk-revert");
    return { ...now, added: added.id, reopened: again.get(added.id).revertedBy, reopenedUndo: again.get(undo.id).reverts };
  });
  assert.equal(r.undo.reverts, r.added);
  assert.equal(r.undo.stream, "cart:1", "the stream defaults to the original's");
  assert.equal(r.undo.meta.reverts, r.added);
  assert.deepEqual(r.original.revertedBy, [r.undo.id]);
  assert.deepEqual(r.events.map((e) => [e.type, e.reverts ?? null, e.revertedBy ?? null]), [
    ["ItemAdded", null, [r.undo.id]],
    ["ItemRemoved", r.added, null],
  ]);
  assert.equal(r.unknown, true);
  assert.deepEqual(r.reopened, [r.undo.id]);
  assert.equal(r.reopenedUndo, r.added);
  await context.close();
});
