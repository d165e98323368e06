// The packed npm package (`npm pack pkg`), installed the way apps install it:
// into a plain page with an import map (no bundler), and into a fresh Vite app (vite build).
// Each page opens a log in IndexedDB, appends, folds, and checks an exported error class.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readdirSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { serve } from "./server.mjs";
import { launch } from "./browser.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
let dir, tgz, browser;

// What every app page runs (given the package's exports) and leaves in window.result.
const APP = `
  await init();
  const log = await EventLog.open("app");
  await log.append([{ stream: "cart:1", type: "ItemAdded", data: { sku: "sock", qty: 2 } },
                    { stream: "cart:1", type: "ItemAdded", data: { sku: "sock", qty: 1 } }]);
  let errorClass = false;
  try { await log.append({ stream: "cart:1", type: "X" }, { expectedVersion: "no-stream" }); }
  catch (e) { errorClass = e instanceof ConcurrencyError && e.currentVersion === log.streamVersion("cart:1"); }
  window.result = { sums: log.fold(Fold.groupSum("sku", "qty"), { stream: "cart:1" }), errorClass };
`;

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
    await page.goto(server.url + path);
    await page.waitForFunction(() => window.result !== undefined || document.title === "failed", null, { timeout: 20000 });
    const result = await page.evaluate(() => window.result);
    await page.close();
    return { result, errors };
  } finally {
    await server.close();
  }
}

test("the packed package works in a plain <script type=module> page", async () => {
  const app = join(dir, "plain");
  mkdirSync(join(app, "node_modules"), { recursive: true });
  execFileSync("tar", ["-xzf", tgz, "-C", join(app, "node_modules")]);
  renameSync(join(app, "node_modules", "package"), join(app, "node_modules", "everlog"));
  writeFileSync(join(app, "index.html"), `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": { "everlog": "./node_modules/everlog/web/index.js" } }</script>
<script type="module">
  import init, { EventLog, Fold, ConcurrencyError } from "everlog";
  ${APP}
</script>`);
  const { result, errors } = await run(app, "/index.html");
  assert.deepEqual(errors, []);
  assert.deepEqual(result, { sums: { sock: 3 }, errorClass: true });
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
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd: app, stdio: "inherit" });
  execFileSync(join(app, "node_modules", ".bin", "vite"), ["build", "--logLevel", "warn"], { cwd: app, stdio: "inherit" });
  assert.ok(readdirSync(join(app, "dist", "assets")).some((f) => f.endsWith(".wasm")), "vite emitted the wasm asset");
  const { result, errors } = await run(join(app, "dist"), "/index.html");
  assert.deepEqual(errors, []);
  assert.deepEqual(result, { sums: { sock: 3 }, errorClass: true });
});
