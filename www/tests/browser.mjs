// Launches Debian's Chromium through playwright-core (no browser download needed).
import { chromium } from "playwright-core";

export const ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
];

export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: ARGS });
}

/** Opens a test page (`index.html`: the core entry; `index.html?entry=docs` or `?entry=toolkit`:
 * that opt-in entry) and waits until `window.everlog` (the package, initialised) is there. */
export async function openPage(context, base, file = "index.html") {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${base}/www/tests/pages/${file}`);
  await page.waitForFunction(() => window.everlog !== undefined);
  page.pageErrors = errors;
  return page;
}

/** A browser with an on-disk profile (temporary): storage quotas are only enforced there. */
export async function launchPersistent() {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "everlog-pw-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: ARGS,
  });
  const close = context.close.bind(context);
  context.close = async () => { await close(); rmSync(dir, { recursive: true, force: true }); };
  return context;
}
