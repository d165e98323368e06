// The packed npm package (`npm pack pkg`), installed the way apps install it:
// into a plain page with an import map (no bundler), and into a fresh Vite app (vite build).
// Each page opens a log in IndexedDB, appends, folds, and checks an exported error class.
// The documents entry `everlog/docs` is opt-in: a page importing `everlog` downloads only
// the core wasm, never the automerge-sized one; a page importing `everlog/docs` gets it.
// Likewise the toolkit entry `everlog/toolkit`: the core entry has none of its methods, and
// a page importing `everlog` never downloads the toolkit's wasm.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readdirSync, renameSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { serve } from "./server.mjs";
import { launch } from "./browser.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
let dir, tgz, browser;

// The methods the toolkit adds to EventLog (absent from the core entry).
const TOOLKIT_METHODS = ["on", "decide", "upcast", "exportCloudEvents", "importCloudEvents", "revert"];
const HAS_TOOLKIT = `const toolkit = ${JSON.stringify(TOOLKIT_METHODS)}.filter((m) => typeof EventLog.prototype[m] === "function");`;

// What every app page runs (given the package's exports) and leaves in window.result.
const APP = `
  ${HAS_TOOLKIT}
  await init();
  const log = await EventLog.open("app");
  await log.append([{ stream: "cart:1", type: "ItemAdded", data: { sku: "sock", qty: 2 } },
                    { stream: "cart:1", type: "ItemAdded", data: { sku: "sock", qty: 1 } }]);
  let errorClass = false;
  try { await log.append({ stream: "cart:1", type: "X" }, { expectedVersion: "no-stream" }); }
  catch (e) { errorClass = e instanceof ConcurrencyError && e.currentVersion === log.streamVersion("cart:1"); }
  window.result = { sums: log.fold(Fold.groupSum("sku", "qty"), { stream: "cart:1" }), errorClass, toolkit };
`;
const CORE_RESULT = { sums: { sock: 3 }, errorClass: true, toolkit: [] };

// What a page of the toolkit entry runs: a named handler and a CloudEvents export.
const TOOLKIT_APP = `
  ${HAS_TOOLKIT}
  await init();
  const log = await EventLog.open("tk", { storage: "memory" });
  const seen = [];
  const handler = log.on("ItemAdded", (e) => { seen.push(e.data.sku); }, { name: "seen" });
  await log.append({ stream: "cart:1", type: "ItemAdded", data: { sku: "sock", qty: 2 } });
  await handler.idle();
  window.result = { seen, lines: log.exportCloudEvents().trim().split("\\n").length, toolkit };
`;
const TOOLKIT_RESULT = { seen: ["sock"], lines: 1, toolkit: TOOLKIT_METHODS };

// What a page of the documents entry runs: a document edited through `everlog/docs`.
const DOCS_APP = `
  ${HAS_TOOLKIT}
  await init();
  const log = await EventLog.open("notes");
  const doc = await Document.open(log, "doc:7");
  await doc.putText(["body"], "buy milk");
  await doc.splice(["body"], 4, 0, "oat ");
  let errorClass = false;
  try { await doc.delete(["missing"]); } catch (e) { errorClass = e instanceof DocumentError && e.reason === "BAD_PATH"; }
  window.result = { doc: doc.toJSON(), events: log.streamVersion("doc:7"), errorClass, toolkit };
`;
const DOCS_RESULT = { doc: { body: "buy oat milk" }, events: 2, errorClass: true, toolkit: TOOLKIT_METHODS };

// Sizes of the three wasm modules as built (the packed ones are the same files).
const CORE_WASM = () => statSync(join(root, "pkg", "web", "everlog_bg.wasm")).size;
const TOOLKIT_WASM = () => statSync(join(root, "pkg", "toolkit", "web", "everlog_bg.wasm")).size;
const DOCS_WASM = () => statSync(join(root, "pkg", "docs", "web", "everlog_bg.wasm")).size;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "everlog-pack-"));
  const name = execFileSync("npm", ["pack", join(root, "pkg"), "--pack-destination", dir, "--silent"], { encoding: "utf8" }).trim();
  tgz = join(dir, name.split("\n").pop());
  return launch().then((b) => (browser = b));
});
after(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(appRoot, path) {
  const server = await serve(appRoot, ["/"]);
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    // The size of every wasm module the page downloads.
    const wasm = [];
    page.on("response", (r) => {
      if (new URL(r.url()).pathname.endsWith(".wasm")) wasm.push(r.body().then((b) => b.length));
    });
    await page.goto(server.url + path);
    await page.waitForFunction(() => window.result !== undefined || document.title === "failed", null, { timeout: 20000 });
    const result = await page.evaluate(() => window.result);
    await page.close();
    return { result, errors, wasm: await Promise.all(wasm) };
  } finally {
    await server.close();
  }
}

test("the packed package works in a plain <script type=module> page", async () => {
  const app = join(dir, "plain");
  mkdirSync(join(app, "node_modules"), { recursive: true });
  execFileSync("tar", ["-xzf", tgz, "-C", join(app, "node_modules")]);
  renameSync(join(app, "node_modules", "package"), join(app, "node_modules", "everlog"));
  const imports = `<script type="importmap">{ "imports": {
  "everlog": "./node_modules/everlog/web/index.js", "everlog/toolkit": "./node_modules/everlog/toolkit/web/index.js",
  "everlog/docs": "./node_modules/everlog/docs/web/index.js" } }</script>`;
  writeFileSync(join(app, "index.html"), `<!doctype html><meta charset="utf-8">${imports}
<script type="module">
  import init, { EventLog, Fold, ConcurrencyError } from "everlog";
  ${APP}
</script>`);
  writeFileSync(join(app, "toolkit.html"), `<!doctype html><meta charset="utf-8">${imports}
<script type="module">
  import init, { EventLog } from "everlog/toolkit";
  ${TOOLKIT_APP}
</script>`);
  writeFileSync(join(app, "docs.html"), `<!doctype html><meta charset="utf-8">${imports}
<script type="module">
  import init, { EventLog, Document, DocumentError } from "everlog/docs";
  ${DOCS_APP}
</script>`);
  const core = await run(app, "/index.html");
  assert.deepEqual(core.errors, []);
  assert.deepEqual(core.result, CORE_RESULT);
  assert.deepEqual(core.wasm, [CORE_WASM()], "importing everlog downloads only the core wasm");
  const tk = await run(app, "/toolkit.html");
  assert.deepEqual(tk.errors, []);
  assert.deepEqual(tk.result, TOOLKIT_RESULT);
  assert.deepEqual(tk.wasm, [TOOLKIT_WASM()], "everlog/toolkit downloads its own module (core + toolkit)");
  const docs = await run(app, "/docs.html");
  assert.deepEqual(docs.errors, []);
  assert.deepEqual(docs.result, DOCS_RESULT);
  assert.deepEqual(docs.wasm, [DOCS_WASM()], "everlog/docs downloads its own module (log + automerge)");
});

test("the packed package works installed into a fresh Vite app (vite build)", async () => {
  const app = join(dir, "vite-app");
  mkdirSync(join(app, "src"), { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({
    name: "vite-app", private: true, type: "module",
    dependencies: { everlog: `file:${tgz}` },
    devDependencies: { vite: "7.3.8" },
  }));
  writeFileSync(join(app, "index.html"), `<!doctype html><meta charset="utf-8"><script type="module" src="/src/main.js"></script>`);
  writeFileSync(join(app, "src", "main.js"), `import init, { EventLog, Fold, ConcurrencyError } from "everlog";\n${APP}`);
  // A second page of the same app uses the toolkit, a third documents (Vite builds all three).
  writeFileSync(join(app, "toolkit.html"), `<!doctype html><meta charset="utf-8"><script type="module" src="/src/toolkit.js"></script>`);
  writeFileSync(join(app, "src", "toolkit.js"), `import init, { EventLog } from "everlog/toolkit";\n${TOOLKIT_APP}`);
  writeFileSync(join(app, "docs.html"), `<!doctype html><meta charset="utf-8"><script type="module" src="/src/docs.js"></script>`);
  writeFileSync(join(app, "src", "docs.js"), `import init, { EventLog, Document, DocumentError } from "everlog/docs";\n${DOCS_APP}`);
  writeFileSync(join(app, "vite.config.js"), `export default { build: { rollupOptions: { input: ["index.html", "toolkit.html", "docs.html"] } } };\n`);
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd: app, stdio: "inherit" });
  execFileSync(join(app, "node_modules", ".bin", "vite"), ["build", "--logLevel", "warn"], { cwd: app, stdio: "inherit" });
  const emitted = readdirSync(join(app, "dist", "assets")).filter((f) => f.endsWith(".wasm"));
  assert.equal(emitted.length, 3, "vite emitted the core, the toolkit and the documents wasm assets");
  const core = await run(join(app, "dist"), "/index.html");
  assert.deepEqual(core.errors, []);
  assert.deepEqual(core.result, CORE_RESULT);
  assert.deepEqual(core.wasm, [CORE_WASM()], "the core page downloads only the core wasm");
  const tk = await run(join(app, "dist"), "/toolkit.html");
  assert.deepEqual(tk.errors, []);
  assert.deepEqual(tk.result, TOOLKIT_RESULT);
  assert.deepEqual(tk.wasm, [TOOLKIT_WASM()]);
  const docs = await run(join(app, "dist"), "/docs.html");
  assert.deepEqual(docs.errors, []);
  assert.deepEqual(docs.result, DOCS_RESULT);
  assert.deepEqual(docs.wasm, [DOCS_WASM()]);
});

test("TypeScript finds the types of everlog, everlog/toolkit and everlog/docs through the package's exports", () => {
  const app = join(dir, "ts-app");
  mkdirSync(join(app, "node_modules"), { recursive: true });
  execFileSync("tar", ["-xzf", tgz, "-C", join(app, "node_modules")]);
  renameSync(join(app, "node_modules", "package"), join(app, "node_modules", "everlog"));
  writeFileSync(join(app, "main.ts"), `import init, { EventLog, Fold } from "everlog";
import initDocs, { EventLog as DocsLog, Document, DocumentError, type DocPatch } from "everlog/docs";
import initToolkit, { EventLog as ToolkitLog, type Consumer } from "everlog/toolkit";
export async function main(): Promise<string> {
  await init();
  await initDocs();
  const log = await EventLog.open("a");
  const count: number = log.fold(Fold.count());
  const doc: Document = await Document.open(await DocsLog.open("b"), "doc:1");
  doc.subscribe((p: DocPatch[]) => p.length);
  // @ts-expect-error: Document is only in everlog/docs
  const { Document: none } = await import("everlog");
  // @ts-expect-error: the toolkit's methods are only in everlog/toolkit (and everlog/docs)
  log.on("A", () => {}, { name: "a" });
  await initToolkit();
  const handler: Consumer = (await ToolkitLog.open("c")).on("A", () => {}, { name: "a" });
  (await DocsLog.open("d")).on("A", () => {}, { name: "b" }).stop();
  handler.stop();
  return String(count) + doc.stream + String(none) + DocumentError.name;
}
`);
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
    compilerOptions: { target: "ES2022", module: "ES2022", moduleResolution: "bundler", lib: ["ES2022", "DOM"], strict: true, noEmit: true },
    files: ["main.ts"],
  }));
  execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", app], { stdio: "inherit" });
});
