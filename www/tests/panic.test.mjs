// The panic path (docs/wasm.md, "Panics"): a Rust panic reaches JS as a catchable
// `InternalError`, promises in flight reject with it, and the log then refuses further use
// with a `ClosedError` whose `cause` is the `InternalError`; a reload recovers the
// committed data. The panics come from test-only exports (feature `test-panic`), built by
// pkg-scripts/build-test-panic.sh into www/tests/pages/pkg-panic/, never into the package.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { root, serveAndLaunch } from "./fixture.mjs";

before(async () => {
  if (!existsSync(`${root}/www/tests/pages/pkg-panic/index.js`)) {
    throw new Error("www/tests/pages/pkg-panic is missing: run bash pkg-scripts/build-test-panic.sh");
  }
});

const env = serveAndLaunch();

async function openPanicPage(context) {
  const page = await context.newPage();
  page.pageErrors = [];
  page.on("pageerror", (e) => page.pageErrors.push(e.message));
  await page.goto(`${env.server.url}/www/tests/pages/panic.html`);
  await page.waitForFunction(() => window.everlog !== undefined);
  await page.evaluate(() => {
    // Plain data about an error, for the assertions in node.
    window.describe = (e) => ({
      name: e?.name, code: e?.code, message: String(e?.message ?? e),
      internal: e instanceof window.everlog.InternalError, closed: e instanceof window.everlog.ClosedError,
      base: e instanceof window.everlog.EverlogError, cause: e?.cause === undefined ? undefined : window.describe(e.cause),
    });
    window.settle = (p) => p.then((v) => ({ ok: true, v }), (e) => ({ ok: false, e: window.describe(e) }));
  });
  return page;
}

test("a panic in a call: InternalError to the caller and to promises in flight, then ClosedError", async () => {
  const context = await env.browser.newContext();
  const page = await openPanicPage(context);
  const r = await page.evaluate(async () => {
    const { EventLog, panicForTest } = window.everlog;
    await EventLog.deleteDatabase("panic");
    const log = await EventLog.open("panic");
    await log.append([{ stream: "s", type: "A" }, { stream: "s", type: "B" }]);
    const inFlight = window.settle(log.append({ stream: "s", type: "C" })); // started, not yet run
    let thrown = null;
    try {
      panicForTest("boom");
    } catch (e) {
      thrown = window.describe(e);
    }
    const sync = (f) => { try { f(); return null; } catch (e) { return window.describe(e); } };
    return {
      thrown,
      inFlight: await inFlight,
      append: await window.settle(log.append({ stream: "s", type: "D" })),
      events: sync(() => log.events()),
      version: sync(() => log.streamVersion("s")),
      reopen: await window.settle(EventLog.open("panic")),
    };
  });
  assert.equal(r.thrown?.name, "InternalError", "the panic is thrown to the caller as InternalError");
  assert.ok(r.thrown.internal && r.thrown.base, "an instance of InternalError and EverlogError");
  assert.equal(r.thrown.code, "INTERNAL");
  assert.match(r.thrown.message, /boom/);
  assert.equal(r.inFlight.ok, false);
  assert.equal(r.inFlight.e.name, "InternalError", "the promise in flight rejects with the InternalError");
  for (const [what, e] of [["append", r.append.e], ["events()", r.events], ["streamVersion()", r.version], ["open", r.reopen.e]]) {
    assert.equal(e?.name, "ClosedError", `${what} after the panic`);
    assert.ok(e.closed, `${what}: an instance of ClosedError`);
    assert.equal(e.cause?.name, "InternalError", `${what}: the cause is the InternalError`);
    assert.match(e.cause.message, /boom/);
  }
  // A reload (a fresh module) recovers; what was committed before the panic is intact and
  // the append that was refused wrote nothing.
  await page.reload();
  await page.waitForFunction(() => window.everlog !== undefined);
  const types = await page.evaluate(async () => {
    const log = await window.everlog.EventLog.open("panic");
    await log.append({ stream: "s", type: "E" });
    return log.events({ stream: "s" }).map((e) => e.type);
  });
  assert.deepEqual(types, ["A", "B", "E"]);
  await context.close();
});

test("a panic inside an async task rejects that task's promise with InternalError", async () => {
  const context = await env.browser.newContext();
  const page = await openPanicPage(context);
  const r = await page.evaluate(async () => {
    const { EventLog, panicInTaskForTest } = window.everlog;
    await EventLog.deleteDatabase("panic-task");
    const log = await EventLog.open("panic-task");
    await log.append({ stream: "s", type: "A" });
    const task = await window.settle(panicInTaskForTest(log, "boom in a task"));
    return { task, append: await window.settle(log.append({ stream: "s", type: "B" })) };
  });
  assert.equal(r.task.ok, false);
  assert.equal(r.task.e.name, "InternalError");
  assert.ok(r.task.e.internal);
  assert.match(r.task.e.message, /boom in a task/);
  assert.equal(r.append.e?.name, "ClosedError");
  assert.equal(r.append.e.cause?.name, "InternalError");
  await page.reload();
  await page.waitForFunction(() => window.everlog !== undefined);
  const types = await page.evaluate(async () => {
    const log = await window.everlog.EventLog.open("panic-task");
    return log.events().map((e) => e.type);
  });
  assert.deepEqual(types, ["A"]);
  await context.close();
});
