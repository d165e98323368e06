#!/usr/bin/env node
// Single awaited appends, everlog against one raw IndexedDB put transaction, interleaved in
// one page (blocks of `per` operations, `rounds` times each), so that the load of a shared
// machine hits both alike; run.mjs measures them one after the other, which on a busy
// machine swings the ratio by ±0.4 between runs.
//
//   node www/bench/single.mjs [ROOT with pkg/ and www/tests/pages/ (default: the repository)] [rounds 10] [per 100]
//   MEM=1 node www/bench/single.mjs …   (off-the-record context: IndexedDB in memory, no disk)
//
// Prints the medians of the per-block means and the ratio everlog / raw.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launch, launchPersistent, openPage } from "../tests/browser.mjs";
import { serve } from "../tests/server.mjs";
const root = resolve(process.argv[2] ?? fileURLToPath(new URL("../..", import.meta.url)));
const rounds = Number(process.argv[3] ?? 10), per = Number(process.argv[4] ?? 100);
const server = await serve(root);
const context = process.env.MEM ? await (await launch()).newContext() : await launchPersistent();
const page = await openPage(context, server.url);
const r = await page.evaluate(async ([rounds, per]) => {
  const { EventLog } = window.everlog;
  const ev = (i) => ({ stream: `cart:${i % 50}`, type: "ItemAdded", key: `sku-${i % 20}`, data: { sku: `sku-${i % 20}`, qty: i % 7, price: 1.25, note: "x".repeat(40) } });
  const db = await new Promise((res, rej) => { const q = indexedDB.open("raw", 1); q.onupgradeneeded = () => q.result.createObjectStore("events", { keyPath: "seq" }); q.onsuccess = () => res(q.result); q.onerror = () => rej(q.error); });
  const log = await EventLog.open("ev", { durability: "strict" });
  let seq = 0;
  const raw = async () => { const tx = db.transaction("events", "readwrite", { durability: "strict" }); tx.objectStore("events").put({ seq: ++seq, time: Date.now(), ...ev(seq) }); await new Promise((res, rej) => { tx.oncomplete = res; tx.onabort = () => rej(tx.error); }); };
  const evl = async () => { await log.append(ev(seq)); };
  const out = { raw: [], everlog: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of [["raw", raw], ["everlog", evl]]) {
      const t0 = performance.now();
      for (let i = 0; i < per; i++) await f();
      out[name].push((performance.now() - t0) / per);
    }
  }
  await log.close(); db.close();
  return out;
}, [rounds, per]);
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`raw ${med(r.raw).toFixed(3)} ms, everlog ${med(r.everlog).toFixed(3)} ms, ratio of medians ${(med(r.everlog) / med(r.raw)).toFixed(2)}; per-round ratios ${r.raw.map((x, i) => (r.everlog[i] / x).toFixed(2)).join(" ")}`);
await context.close(); await server.close(); process.exit(0);
