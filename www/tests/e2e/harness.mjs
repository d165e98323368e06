// Shared setup of the end-to-end tests: the real relay binary on a free loopback port
// with a fresh data directory, headless Debian Chromium through playwright-core, and one
// browser context per simulated device.
//
// The relay binary comes from EVERLOG_RELAY_BIN, else target/release or target/debug
// (build it with `cargo build --release --features relay --bin everlog-relay`). The page
// imports `everlog/docs` from www/pkg/docs/ (pkg-scripts/demo.sh and the test script put it there).

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const WWW = join(ROOT, "www");
export const ARTIFACTS = process.env.EVERLOG_E2E_ARTIFACTS ?? join(WWW, "test-results");
/** The documented demo secret (www/app/connection.js mints room tokens with it). */
export const DEMO_SECRET = "everlog-local-demo";

function relayBinary() {
  const candidates = [
    process.env.EVERLOG_RELAY_BIN,
    join(ROOT, "target/release/everlog-relay"),
    join(ROOT, "target/debug/everlog-relay"),
  ].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`no relay binary (looked at ${candidates.join(", ")}); run: cargo build --release --features relay --bin everlog-relay`);
  }
  return found;
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function waitForHttp(url, child, output) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`relay exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`relay did not answer at ${url}:\n${output()}`);
}

/** Starts the relay serving www/; returns { url, stop }. */
export async function startRelay() {
  if (!existsSync(join(WWW, "pkg/docs/web/index.js"))) {
    throw new Error("www/pkg/docs/web/index.js (the page imports everlog/docs) is missing: build the package first (bash pkg-scripts/demo-build.sh)");
  }
  const dataDir = mkdtempSync(join(tmpdir(), "everlog-e2e-"));
  const port = await freePort();
  let log = "";
  const child = spawn(
    relayBinary(),
    ["--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, "--www", WWW, "--log", "warn"],
    { env: { ...process.env, EVERLOG_RELAY_SECRET: DEMO_SECRET }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/`, child, () => log);
  return {
    url,
    output: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      "--disable-dev-shm-usage",
    ],
  });
}

/**
 * One simulated device: its own browser context (own IndexedDB, own actor), a page on the
 * demo in `room` as `name`, and every console error or page error it shows.
 */
export async function openDevice(browser, baseUrl, { name, room, tab = "cart", viewport } = {}) {
  const context = await browser.newContext({ viewport: viewport ?? { width: 1200, height: 860 } });
  const device = { context, name, room, errors: [], page: null };
  device.open = async (hash = tab) => {
    const page = await context.newPage();
    page.on("console", (m) => m.type() === "error" && device.errors.push(`${name}: ${m.text()}`));
    page.on("pageerror", (e) => device.errors.push(`${name}: ${e.message}`));
    await page.goto(`${baseUrl}/?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}#${hash}`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
    device.page = page;
    return page;
  };
  await device.open();
  return device;
}

/** The log's version vector as this device sees it, as a canonical JSON string. */
export async function versionOf(page) {
  return page.evaluate(() => {
    const v = window.everlogDemo.log.version();
    const plain = v instanceof Map ? Object.fromEntries(v) : v;
    return JSON.stringify(Object.keys(plain).sort().map((k) => [k, Number(plain[k])]));
  });
}

/**
 * Waits until the page's log holds every edit its document shows. A document edit shows in
 * `toJSON()` at once but is appended to the log asynchronously (IndexedDB, in turn), so
 * right after typing the log, and with it `version()`, can still be behind the screen.
 * `doc.at(log.version())` is the document built from the log's events only.
 */
export async function waitSaved(page, { timeout = 30_000 } = {}) {
  await page.waitForFunction(
    () => {
      const { store, log } = window.everlogDemo;
      return JSON.stringify(store.doc.at(log.version())) === JSON.stringify(store.doc.toJSON());
    },
    null,
    { timeout, polling: 50 },
  );
}

/**
 * Waits until every page's log holds what it shows and all hold the same version (the
 * relay delivered everything written).
 */
export async function waitConverged(pages, { timeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  await Promise.all(pages.map((p) => waitSaved(p, { timeout })));
  let seen = [];
  while (Date.now() < deadline) {
    seen = await Promise.all(pages.map(versionOf));
    if (seen.every((v) => v === seen[0])) return seen[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no convergence: ${seen.join(" vs ")}`);
}

export function shot(page, name) {
  return page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** A room name no other test uses, so tests share one relay without seeing each other. */
export function freshRoom(label) {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
