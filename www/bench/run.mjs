#!/usr/bin/env node
// Runs the everlog benchmark in headless Chromium against the baselines users would pick
// instead (raw IndexedDB, Automerge 3, Yjs, Loro), on the same work, in one run.
//
//   node www/bench/run.mjs [--quick] [--big] [--everlog DIR] [--only a,b] [--workloads x,y]
//                          [--runs N] [--durability strict|relaxed|default] [--out DIR]
//                          [--subscribe] [--help]
//
// --help: this text and the workloads (their ids are what --workloads takes).
// --subscribe: the document workloads (docPaper, docFriends) with a change listener on
// every replica, as a UI has (everlog `doc.subscribe`, Automerge `patchCallback`, Yjs
// `observe`); without it they run with none, as before.
// Writes <out>/bench-<stamp>.json and .md (and latest.json / latest.md); prints the tables.
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { bundle } from "./lib/build.mjs";
import { findEverlog } from "./lib/everlog-pkg.mjs";
import { checkAgreement, markdown, summarize } from "./lib/report.mjs";
import { serve } from "./lib/server.mjs";
import { workloads } from "./lib/workloads.mjs";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values: opt } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    big: { type: "boolean", default: false },
    everlog: { type: "string" },
    only: { type: "string" },
    workloads: { type: "string" },
    runs: { type: "string" },
    durability: { type: "string", default: "strict" },
    out: { type: "string", default: join(repo, "bench-results") },
    traces: { type: "string", default: join(repo, "..", "shared", "data") }, // editing traces (documents workload)
    budget: { type: "string", default: "20" }, // seconds of wall time per contender and workload
    timeout: { type: "string", default: "300" }, // seconds for one run before it is abandoned
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
    verbose: { type: "boolean", default: false },
    subscribe: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

const CONTENDERS = ["raw", "rawBatch", "rawBytes", "everlog", "automerge", "yjs", "loro"];
const contenders = opt.only ? opt.only.split(",") : CONTENDERS;
const maxRuns = Number(opt.runs || (opt.quick ? 3 : 5));
const log = (...a) => console.error("[bench]", ...a);

if (opt.help) {
  const source = await readFile(fileURLToPath(import.meta.url), "utf8");
  const lines = source.split("\n").slice(1); // after the #! line
  const header = lines.slice(0, lines.findIndex((l) => !l.startsWith("//")));
  console.log(header.map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
  console.log(`\ncontenders (--only): ${CONTENDERS.join(", ")}\nworkloads (--workloads):`);
  for (const w of workloads({ big: true })) console.log(`  ${w.id.padEnd(22)} ${w.title}`);
  process.exit(0);
}

const everlog = findEverlog(opt.everlog, repo);
if (everlog.missing) log(`everlog package not found: ${everlog.missing}. Running the baselines only.`);
else log(`everlog package: ${everlog.dir} (entry ${everlog.entry})`);

const build = await bundle(join(opt.out, "build"));
// "everlog-glue": the wasm-bindgen module beside the entry (the memory workload reads the
// instance's linear memory through it).
const imports = everlog.entry
  ? { everlog: `/everlog-pkg/${everlog.entry}`, "everlog-glue": `/everlog-pkg/${join(dirname(everlog.entry), "everlog.js")}` }
  : {};
if (everlog.docs) imports["everlog/docs"] = `/everlog-pkg/${everlog.docs}`;
const importMap = everlog.entry ? `<script type="importmap">${JSON.stringify({ imports })}</script>` : "";
const index = (await readFile(join(build, "index.html"), "utf8")).replace("<!--IMPORTMAP-->", importMap);
const server = await serve(
  { "/": build, "/traces/": resolve(opt.traces), ...(everlog.dir ? { "/everlog-pkg/": everlog.dir } : {}) },
  { "/index.html": index },
);

// A persistent profile: Playwright's ordinary contexts are off-the-record, where Chromium
// keeps IndexedDB in memory. The profile lives on disk, so IndexedDB does too, and it
// survives the browser restarts of the cold-open workloads.
const profile = await mkdtemp(join(tmpdir(), "everlog-bench-"));
const launchOptions = {
  executablePath: opt.chromium,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
    "--js-flags=--expose-gc", "--enable-precise-memory-info",
  ],
};
let context = null;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, async () => {
    log(`${sig}: closing the browser and removing its profile`);
    await context?.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
    process.exit(130);
  });
}
async function browser() {
  context ??= await chromium.launchPersistentContext(profile, launchOptions);
  return context;
}
async function restart() {
  if (context) await context.close();
  context = null;
  return browser();
}
async function newPage() {
  const page = await (await browser()).newPage();
  page.on("pageerror", (e) => log("page error:", e.message));
  if (opt.verbose) page.on("console", (m) => log("page:", m.text()));
  await page.goto(server.url);
  await page.waitForFunction(() => window.bench !== undefined);
  return page;
}
async function call(page, contender, workload, params) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${opt.timeout} s`)), Number(opt.timeout) * 1000);
  });
  try {
    return await Promise.race([
      page.evaluate(([c, w, p]) => window.bench.run(c, w, p).catch((e) => ({ error: `${e.name}: ${e.message}` })), [contender, workload, params]),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function measure(w, contender, cap) {
  const fn = w.run || w.id;
  const base = { ...w.params, durability: opt.durability };
  if (cap && cap < base.n) base.n = cap;
  const runs = [];
  let page = await newPage();
  try {
    const na = await call(page, contender, fn === "coldOpen" ? "coldSetup" : fn, { ...base, n: 1, db: "probe-na" });
    if (na?.na) return { status: "na", reason: na.na };
    if (fn === "coldOpen") await call(page, contender, "coldCleanup", { db: "probe-na" });
    const db = `bench-${contender}-${w.id}`;
    if (fn === "coldOpen") {
      const t0 = Date.now();
      const setup = await call(page, contender, "coldSetup", { ...base, db });
      if (setup?.error) throw new Error(setup.error);
      log(`  ${contender}: stored ${w.params.n} events in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    let wanted = maxRuns;
    let elapsed = 0;
    const budget = Number(opt.budget) * 1000;
    for (let i = 0; i < wanted; i++) {
      const wall = Date.now();
      if (w.kind === "memory" && i > 0) {
        await page.close();
        page = await newPage();
      }
      if (fn === "coldOpen") {
        await page.close();
        await restart();
        page = await newPage();
      }
      const r = await call(page, contender, fn, { ...base, db: fn === "coldOpen" ? db : `${db}-${i}` });
      if (r.error) throw new Error(r.error);
      if (r.na) return { status: "na", reason: r.na };
      runs.push(r);
      // Bound the run by wall time (setup included): stop when the next run would pass the
      // budget, but reach 3 runs unless one run takes more than half of it. The next run is
      // predicted to take as long as this one, except that a memoized input (w.memo) is
      // built by the first run only.
      const last = Date.now() - wall;
      elapsed += last;
      const next = w.memo && i === 0 ? r.ms + 1000 : last;
      const over = elapsed + next > budget;
      if (over && (i + 1 >= 3 || next * 2 > budget)) wanted = i + 1;
      log(`  ${contender} run ${i + 1}/${wanted}: ${r.ms.toFixed(1)} ms`);
    }
    const note = base.n < w.params.n ? `measured on ${base.n.toLocaleString("en-US")} events, not ${w.params.n.toLocaleString("en-US")} (building more takes minutes); the rate is comparable, the time is not` : undefined;
    return { status: "ok", runs, summary: summarize(runs), check: base.n === w.params.n ? runs[0].check : undefined, note };
  } catch (e) {
    log(`  ${contender}: ${e.message}`);
    return { status: "error", reason: e.message.split("\n")[0] };
  } finally {
    if (fn === "coldOpen") {
      await page.close().catch(() => {});
      page = await newPage().catch(() => null);
      await page?.evaluate(([c, db]) => window.bench.run(c, "coldCleanup", { db }), [contender, `bench-${contender}-${w.id}`]).catch(() => {});
    }
    await page?.close().catch(() => {});
  }
}

const started = Date.now();
const selected = workloads({ quick: opt.quick, big: opt.big, subscribe: opt.subscribe }).filter((w) => !opt.workloads || opt.workloads.split(",").includes(w.id));
const result = {
  meta: {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    browserVersion: (await browser()).browser()?.version() ?? (await (await newPage()).evaluate(() => navigator.userAgent)),
    cpus: cpus().length,
    node: process.versions.node,
    quick: opt.quick,
    big: opt.big,
    subscribe: opt.subscribe,
    durability: opt.durability,
    maxRuns,
    everlog: everlog.dir ? `loaded from the package at ${everlog.entry}` : `not run: ${everlog.missing}`,
    sizes: await packageSizes(everlog),
  },
  workloads: [],
};
try {
  for (const w of selected) {
    log(`${w.title} (${w.params.n} ${w.kind === "doc" ? "transactions" : "events"})`);
    const rows = [];
    for (const c of contenders) {
      const info = await describe(c);
      const label = info?.label ?? c;
      if (c === "everlog" && everlog.missing) {
        rows.push({ contender: c, label, status: "absent", reason: "package not found (--everlog DIR)" });
        continue;
      }
      rows.push({ contender: c, label, ...(await measure(w, c, info?.caps?.[w.run || w.id])) });
    }
    const entry = { ...w, runs: maxRuns, rows };
    checkAgreement(entry);
    result.workloads.push(entry);
  }
} finally {
  await context?.close().catch(() => {});
  await server.close();
  await rm(profile, { recursive: true, force: true });
}
result.meta.seconds = Math.round((Date.now() - started) / 1000);

const md = markdown(result);
await mkdir(opt.out, { recursive: true });
const stamp = result.meta.date.replace(/[:]/g, "-");
for (const name of [`bench-${stamp}`, "latest"]) {
  await writeFile(join(opt.out, `${name}.json`), JSON.stringify(result, null, 2));
  await writeFile(join(opt.out, `${name}.md`), md);
}
console.log(md);
log(`done in ${result.meta.seconds} s; wrote ${join(opt.out, `bench-${stamp}`)}.{json,md}`);

/** Raw and gzip -9 bytes of what a page downloads: everlog's web target (wasm, JS glue,
 *  snippets), and each peer as the bench bundles it (esbuild, minified; Automerge's and
 *  Loro's entries inline their wasm as base64). */
async function packageSizes(pkg) {
  const { readdir, stat } = await import("node:fs/promises");
  const { gzipSync } = await import("node:zlib");
  const measure = (buf) => ({ raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length });
  const out = {};
  if (pkg.entry) {
    const root = join(pkg.dir, dirname(pkg.entry));
    let raw = 0;
    let gzip = 0;
    const walk = async (d) => {
      for (const f of await readdir(d)) {
        const p = join(d, f);
        if ((await stat(p)).isDirectory()) await walk(p);
        else if (/\.(wasm|js)$/.test(f)) {
          const m = measure(await readFile(p));
          raw += m.raw;
          gzip += m.gzip;
        }
      }
    };
    await walk(root);
    out.everlog = { raw, gzip };
  }
  const { build: esbuild } = await import("esbuild");
  const peers = {
    automerge: 'export * from "@automerge/automerge";',
    yjs: 'export * from "yjs"; export { IndexeddbPersistence } from "y-indexeddb";',
    loro: 'export * from "loro-crdt/base64";',
  };
  for (const [name, contents] of Object.entries(peers)) {
    const r = await esbuild({
      stdin: { contents, resolveDir: repo },
      bundle: true, minify: true, format: "esm", platform: "neutral", mainFields: ["module", "main"], write: false, logLevel: "silent",
    }).catch(() => null);
    if (r) out[name] = measure(Buffer.from(r.outputFiles[0].contents));
  }
  return out;
}

async function describe(c) {
  if (c === "everlog" && everlog.missing) return { label: "everlog (wasm + IndexedDB)" };
  describe.cache ??= {};
  if (!(c in describe.cache)) {
    const page = await newPage();
    describe.cache[c] = await page.evaluate((n) => window.bench.describe(n), c).catch((e) => {
      log(`${c}: cannot load: ${e.message.split("\n")[0]}`);
      return null;
    });
    await page.close();
  }
  return describe.cache[c];
}
