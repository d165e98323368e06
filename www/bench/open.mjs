#!/usr/bin/env node
// The open of a stored log, phase by phase, for comparing two builds side by side:
//
//   node www/bench/open.mjs [--everlog pkg] [--n 100000] [--since 0] [--reps 6]
//
// One page stores n events of the bench (batches of 1,000) with a live built-in projection,
// so close() persists its snapshot, then `since` more events in a session without it.
// Then each rep opens the log in a fresh page (the module instantiated before the timer):
// even reps fold (`log.fold(Fold.groupSum)`, a plain cold open), odd reps read the
// projection (`log.project(...)`: the snapshot plus the events since). Prints per rep the
// time of `EventLog.open`, of the fold or project() after it, and the wasm memory after
// the open (fresh page: the open's own high-water mark). The projection of an odd rep
// writes a new snapshot on close(), so only the first odd rep has `since` events to fold.
// A development tool (docs/benchmarks.md, "Cold open and the snapshot open"); wall times.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { serve } from "./lib/server.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values: opt } = parseArgs({
  options: {
    everlog: { type: "string", default: "pkg" },
    n: { type: "string", default: "100000" },
    since: { type: "string", default: "0" },
    reps: { type: "string", default: "6" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
  },
});

const page = `<!doctype html><meta charset="utf-8"><script type="module">
import init from "/pkg/web/everlog.js";
import { EventLog, Fold } from "/pkg/web/index.js";
import { makeEvents } from "/data.js";
const skus = () => ({ reducer: Fold.groupSum("sku", "qty") });
window.setup = async (n, since) => {
  await init();
  await EventLog.deleteDatabase("open-bench");
  const events = makeEvents(n + since);
  let log = await EventLog.open("open-bench", { storage: "indexeddb", durability: "relaxed" });
  log.project("skus", skus());
  for (let i = 0; i < n; i += 1000) await log.append(events.slice(i, Math.min(n, i + 1000)));
  await log.close();
  log = await EventLog.open("open-bench", { storage: "indexeddb", durability: "relaxed" });
  for (let i = n; i < n + since; i += 1000) await log.append(events.slice(i, Math.min(n + since, i + 1000)));
  await log.close();
};
window.measure = async (project) => {
  const wasm = await init();
  const t0 = performance.now();
  const log = await EventLog.open("open-bench", { storage: "indexeddb" });
  const t1 = performance.now();
  const memory = wasm.memory.buffer.byteLength;
  if (project) log.project("skus", skus()).value;
  else log.fold(Fold.groupSum("sku", "qty"), {});
  const t2 = performance.now();
  await log.close();
  return { open: t1 - t0, after: t2 - t1, memory };
};
</script>`;

const server = await serve({ "/pkg/": resolve(opt.everlog), "/": join(repo, "www/bench/page") }, { "/index.html": page });
const browser = await chromium.launch({ executablePath: opt.chromium, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
const context = await browser.newContext();
const fresh = async () => {
  const p = await context.newPage();
  p.on("pageerror", (e) => console.error("page error:", e.message));
  await p.goto(server.url);
  return p;
};
let p = await fresh();
await p.evaluate(([n, since]) => window.setup(n, since), [Number(opt.n), Number(opt.since)]);
await p.close();
console.log(`n ${opt.n}, since ${opt.since}, ${opt.everlog}`);
for (let r = 0; r < Number(opt.reps); r++) {
  p = await fresh();
  const project = r % 2 === 1;
  const m = await p.evaluate((pr) => window.measure(pr), project);
  await p.close();
  const what = project ? "project()" : "fold()   ";
  console.log(`open ${m.open.toFixed(1).padStart(7)} ms  ${what} ${m.after.toFixed(1).padStart(6)} ms  wasm memory ${(m.memory / 1e6).toFixed(1)} MB`);
}
await browser.close();
await server.close();
