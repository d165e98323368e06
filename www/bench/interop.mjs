// Runs www/bench/interop.html in headless Chromium against a wasm-bindgen output directory
// (argument 1, built with `--features interop-bench`) and prints the timings as JSON.
import { fileURLToPath } from "node:url";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { launch } from "../tests/browser.mjs";

const wasmDir = process.argv[2];
const here = fileURLToPath(new URL(".", import.meta.url));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
const server = createServer(async (req, res) => {
  const p = new URL(req.url, "http://x").pathname;
  const file = p.startsWith("/interop/") ? join(wasmDir, p.slice("/interop/".length)) : join(here, p);
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const browser = await launch();
const page = await browser.newPage();
page.on("pageerror", (e) => console.error(e));
await page.goto(`http://127.0.0.1:${server.address().port}/interop.html`);
await page.waitForFunction(() => window.result !== undefined, null, { timeout: 120000 });
console.log(JSON.stringify(await page.evaluate(() => window.result), null, 2));
await browser.close();
server.close();
