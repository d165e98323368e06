#!/usr/bin/env node
// Profiles everlog's JS-facing hot paths in headless Chromium: times, heap sizes (JS heap
// from CDP, wasm linear memory from the module), and the top self-time functions of a
// Chromium CPU profile (CDP `Profiler`) taken around one phase.
//
//   node www/bench/profile.mjs [--everlog pkg] [--n 200000] [--phase firstFold] [--top 25]
//
// Phases: append (batches of 1,000 into a memory log), firstFold (the first JS reducer
// fold: builds the event cache), fold (a later JS reducer fold), builtin (Fold.groupSum),
// merge (peer sync of n remote events into a log of 1,000), events (log.events()),
// open (open of a stored IndexedDB log to its first built-in fold, module already warm),
// openSnapshot (the same log to the value of a built-in projection restored from the
// snapshot that close() persisted; the 300 events of `single` came after it, and
// `openSnapshotProject` is the project() call alone, `openFold` the first fold of `open`),
// single (300 awaited single appends to IndexedDB).
// A development tool (docs/benchmarks.md): the figures to quote come from bench.sh.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { serve } from "./lib/server.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values: opt } = parseArgs({
  options: {
    everlog: { type: "string", default: "pkg" },
    n: { type: "string", default: "200000" },
    phase: { type: "string", default: "firstFold" },
    top: { type: "string", default: "25" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
  },
});

const page = `<!doctype html><meta charset="utf-8"><script type="module">
import wasmInit from "/pkg/web/everlog.js";
import { EventLog, Fold } from "/pkg/web/index.js";
import { makeEvents, reducer } from "/data.js";
window.profile = async (n, phase, mark) => {
  const i0 = performance.now();
  const wasm = await wasmInit();
  const init = performance.now() - i0;
  const heap = () => ({ js: performance.memory.usedJSHeapSize, wasm: wasm.memory.buffer.byteLength });
  const out = { init, heap0: heap() };
  const events = makeEvents(n);
  const t = async (name, f) => {
    if (name === phase) await mark("start");
    const t0 = performance.now();
    const r = await f();
    out[name] = performance.now() - t0;
    if (name === phase) await mark("stop");
    return r;
  };
  const log = await EventLog.open("p", { storage: "memory" });
  await t("append", async () => { for (let i = 0; i < n; i += 1000) await log.append(events.slice(i, i + 1000)); });
  gc(); out.heapAfterAppend = heap();
  await t("builtin", () => log.fold(Fold.groupSum("sku", "qty"), {}));
  await t("firstFold", () => log.fold(reducer, {}, {}));
  gc(); out.heapAfterFold = heap();
  await t("fold", () => log.fold(reducer, {}, {}));
  await t("events", () => log.events({}).length);
  const local = await EventLog.open("q", { storage: "memory" });
  await local.append(makeEvents(1000, "b"));
  await t("merge", async () => {
    const from = log.peer(), to = local.peer();
    for (let i = 0; i < 50; i++) {
      const ask = to.generateMessage(); if (ask) await from.receiveMessage(ask);
      const msg = from.generateMessage(); if (!msg && !ask) break;
      if (msg) await to.receiveMessage(msg);
    }
  });
  gc(); out.heapEnd = heap();
  // Open of a stored log (IndexedDB) to its first built-in fold; the module is warm.
  await EventLog.deleteDatabase("p-idb");
  const stored = await EventLog.open("p-idb", { storage: "indexeddb", durability: "relaxed" });
  for (let i = 0; i < n; i += 1000) await stored.append(events.slice(i, i + 1000));
  stored.project("skus", { reducer: Fold.groupSum("sku", "qty") }); // snapshot written by close()
  await stored.close();
  await t("open", async () => {
    const l = await EventLog.open("p-idb", { storage: "indexeddb" });
    const f0 = performance.now();
    l.fold(Fold.groupSum("sku", "qty"), {});
    out.openFold = performance.now() - f0; // the first fold alone (columns extracted)
    await l.close();
  });
  await t("single", async () => {
    const l = await EventLog.open("p-idb", { storage: "indexeddb" });
    for (let i = 0; i < 300; i++) await l.append(events[i]);
    await l.close();
  });
  await t("openSnapshot", async () => {
    const l = await EventLog.open("p-idb", { storage: "indexeddb" });
    const p0 = performance.now();
    l.project("skus", { reducer: Fold.groupSum("sku", "qty") }).value;
    out.openSnapshotProject = performance.now() - p0; // restore + the 300 events since
    await l.close();
  });
  return out;
};
</script>`;

const server = await serve(
  { "/pkg/": resolve(opt.everlog), "/": join(repo, "www/bench/page") },
  { "/index.html": page },
);
const browser = await chromium.launch({
  executablePath: opt.chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--js-flags=--expose-gc", "--enable-precise-memory-info"],
});
const p = await browser.newPage();
p.on("pageerror", (e) => console.error("page error:", e.message));
const cdp = await p.context().newCDPSession(p);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
let profile = null;
await p.exposeFunction("__mark", async (what) => {
  if (what === "start") await cdp.send("Profiler.start");
  else profile = (await cdp.send("Profiler.stop")).profile;
});
await p.goto(server.url);
const res = await p.evaluate(([n, phase]) => window.profile(n, phase, window.__mark), [Number(opt.n), opt.phase]);
console.log(JSON.stringify(res, null, 1));

if (profile) {
  // Self time per function: samples × interval, summed over nodes with the same frame.
  const self = new Map();
  const dt = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const count = new Map();
  for (const s of profile.samples) count.set(s, (count.get(s) || 0) + 1);
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber}`;
    self.set(key, (self.get(key) || 0) + (count.get(node.id) || 0) * dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`\nCPU profile of phase ${opt.phase}: ${total.toFixed(1)} ms sampled; top self time:`);
  for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(opt.top))) {
    console.log(`${ms.toFixed(1).padStart(9)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${k}`);
  }
}
await browser.close();
await server.close();
