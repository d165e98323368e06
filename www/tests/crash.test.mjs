// Crash test (docs/design.md, "Testing"): the browser is killed (SIGKILL of Chromium's whole
// process group, on-disk profile) in the middle of a burst of appends. After a relaunch on
// the same profile, every append whose promise resolved before the kill is there, every
// batch is all or nothing, and the log carries on (same actor, no reused seq).
// Chromium is started by hand here (not by Playwright) so that the test owns its process
// and can kill it; Playwright connects to it over the DevTools protocol.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { serve } from "./server.mjs";
import { ARGS } from "./browser.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const BATCH = 5; // events per append
const ACKED_BEFORE_KILL = 40; // batches acknowledged before the kill
let server, profile;
const started = []; // every Chromium this file started, killed in `after` if still running

before(async () => {
  server = await serve(root);
  profile = mkdtempSync(join(tmpdir(), "everlog-crash-"));
});
after(async () => {
  for (const child of started) await killGroup(child);
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Starts Chromium on `profile` in its own process group; resolves once DevTools listens. */
async function startChromium() {
  const child = spawn(process.env.CHROMIUM ?? "/usr/bin/chromium",
    [...ARGS, "--headless", "--disable-breakpad", `--user-data-dir=${profile}`, "--remote-debugging-port=0", "about:blank"],
    { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  started.push(child);
  const endpoint = await new Promise((ok, fail) => {
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
      const m = err.match(/DevTools listening on (ws:\/\/\S+)/);
      if (m) ok(m[1]);
    });
    child.once("exit", (code) => fail(new Error(`chromium exited (${code}) before listening:\n${err}`)));
  });
  const browser = await chromium.connectOverCDP(endpoint);
  return { child, browser, context: browser.contexts()[0] };
}

/** SIGKILL to every process of the group, then waits until none is left. */
async function killGroup(child) {
  const running = child.exitCode === null && child.signalCode === null;
  const exited = running ? new Promise((r) => child.once("exit", r)) : Promise.resolve();
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // the group is already gone
  }
  await exited;
  for (;;) {
    try {
      process.kill(-child.pid, 0);
    } catch {
      return; // ESRCH: the whole group is gone
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function openTestPage(context) {
  const page = await context.newPage();
  await page.goto(`${server.url}/www/tests/pages/index.html`);
  await page.waitForFunction(() => window.everlog !== undefined, null, { timeout: 60_000 });
  return page;
}

// A generous guard (not a timing assertion): a hang fails the test instead of the suite.
test("killing the browser mid-burst loses no acknowledged append and leaves no partial batch", { timeout: 300_000 }, async (t) => {
  const first = await startChromium();
  const page = await openTestPage(first.context);
  const acked = [];
  let reached;
  const enough = new Promise((r) => (reached = r));
  await page.exposeFunction("ack", (b, ids) => {
    acked.push({ b, ids });
    if (acked.length === ACKED_BEFORE_KILL) reached();
  });
  const actor = await page.evaluate(async () => {
    window.log = await window.everlog.EventLog.open("crash");
    return window.log.actor;
  });
  // Appends until the browser dies: one batch of BATCH events at a time, each acknowledged
  // to the test once its promise resolved (so the next one is always in flight).
  const burst = page
    .evaluate(async (size) => {
      const pad = "x".repeat(200);
      for (let b = 0; ; b++) {
        const events = Array.from({ length: size }, (_, i) => ({ stream: "crash", type: "Tick", key: `b${b}`, data: { b, i, pad } }));
        const written = await window.log.append(events);
        window.ack(b, written.map((e) => e.id));
      }
    }, BATCH)
    .then(() => "ended", (e) => `failed: ${e.message}`);
  // The burst only ends when the browser dies; anything else is a failure before the kill.
  assert.equal(await Promise.race([enough.then(() => "enough"), burst]), "enough");
  await killGroup(first.child);
  assert.match(await burst, /^failed: /, "the burst was cut by the kill");
  const ackedNow = acked.slice(); // anything acknowledged reached us before the kill
  assert.ok(ackedNow.length >= ACKED_BEFORE_KILL);

  const second = await startChromium();
  try {
    const again = await openTestPage(second.context);
    const r = await again.evaluate(async () => {
      const log = await window.everlog.EventLog.open("crash");
      const events = log.events({ stream: "crash" }).map((e) => ({ id: e.id, b: e.data.b, i: e.data.i }));
      const next = await log.append({ stream: "after", type: "Resumed" });
      return { actor: log.actor, events, next: next.id };
    });
    const stored = new Set(r.events.map((e) => e.id));
    const missing = ackedNow.flatMap((a) => a.ids).filter((id) => !stored.has(id));
    assert.deepEqual(missing, [], "every acknowledged append is there");
    // All or nothing per batch, and the batches form a prefix (they were appended in order).
    const byBatch = new Map();
    for (const e of r.events) byBatch.set(e.b, [...(byBatch.get(e.b) ?? []), e.i]);
    const batches = [...byBatch.keys()].sort((x, y) => x - y);
    assert.deepEqual(batches, batches.map((_, i) => i), "no batch is missing before the last one");
    for (const [b, is] of byBatch) assert.deepEqual(is, [0, 1, 2, 3, 4], `batch ${b} is complete`);
    assert.ok(batches.length >= ackedNow.length, `${batches.length} batches stored, ${ackedNow.length} acknowledged`);
    t.diagnostic(`${ackedNow.length} batches acknowledged before the kill, ${batches.length} stored`);
    assert.equal(r.actor, actor, "the relaunched tab reuses its actor slot");
    assert.equal(r.next, `${r.events.length + 1}@${actor}`, "the next seq follows the stored ones");
  } finally {
    await second.browser.close().catch(() => {});
    await killGroup(second.child).catch(() => {});
  }
});

// The same kill while a live built-in projection writes its snapshots (every 10,000 events,
// in the background, beside the batches): after the relaunch the projection, started from
// whichever snapshot was stored and folding the events since, equals a fold from scratch,
// and the log has every acknowledged event.
test("killing the browser while a projection snapshots leaves a projection equal to a fold from scratch", { timeout: 300_000 }, async (t) => {
  const SIZE = 1000; // events per append: a snapshot every 10 appends
  const ACKED = 25;
  const first = await startChromium();
  const page = await openTestPage(first.context);
  const acked = [];
  let reached;
  const enough = new Promise((r) => (reached = r));
  await page.exposeFunction("ackSnap", (b, firstId, lastId) => {
    acked.push({ b, firstId, lastId });
    if (acked.length === ACKED) reached();
  });
  await page.evaluate(async () => {
    await window.everlog.EventLog.deleteDatabase("crash-snap");
    window.log = await window.everlog.EventLog.open("crash-snap");
    window.log.project("per-key", { reducer: window.everlog.Fold.groupSum("k", "n") });
  });
  const burst = page
    .evaluate(async (size) => {
      for (let b = 0; ; b++) {
        const events = Array.from({ length: size }, (_, i) => ({ stream: `s${i % 5}`, type: "Tick", data: { k: `k${(b + i) % 7}`, n: 1 + (i % 3) } }));
        const written = await window.log.append(events);
        window.ackSnap(b, written[0].id, written[written.length - 1].id);
      }
    }, SIZE)
    .then(() => "ended", (e) => `failed: ${e.message}`);
  assert.equal(await Promise.race([enough.then(() => "enough"), burst]), "enough");
  await killGroup(first.child);
  assert.match(await burst, /^failed: /, "the burst was cut by the kill");
  const ackedNow = acked.slice();

  const second = await startChromium();
  try {
    const again = await openTestPage(second.context);
    const r = await again.evaluate(async () => {
      const { EventLog, Fold } = window.everlog;
      const log = await EventLog.open("crash-snap");
      const projected = log.project("per-key", { reducer: Fold.groupSum("k", "n") }).value;
      const builtin = log.fold(Fold.groupSum("k", "n"), {});
      const events = log.events({});
      const byHand = {};
      for (const e of events) byHand[e.data.k] = (byHand[e.data.k] ?? 0) + e.data.n;
      const ids = new Set(events.map((e) => e.id));
      await log.close();
      return { projected, builtin, byHand, count: events.length, ids: [...ids] };
    });
    const ids = new Set(r.ids);
    const missing = ackedNow.flatMap((a) => [a.firstId, a.lastId]).filter((id) => !ids.has(id));
    assert.deepEqual(missing, [], "every acknowledged append is there");
    assert.equal(r.count % SIZE, 0, "whole batches only");
    assert.ok(r.count >= ackedNow.length * SIZE, `${r.count} events stored, ${ackedNow.length * SIZE} acknowledged`);
    assert.deepEqual(r.projected, r.byHand, "the projection over the snapshot equals a fold by hand");
    assert.deepEqual(r.builtin, r.byHand, "the built-in fold equals a fold by hand");
    t.diagnostic(`${ackedNow.length} appends acknowledged before the kill, ${r.count / SIZE} stored`);
  } finally {
    await second.browser.close().catch(() => {});
    await killGroup(second.child).catch(() => {});
  }
});
