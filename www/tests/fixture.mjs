// The shared setup of the Playwright test files: serve the repository over HTTP and launch
// one headless Chromium for the file, closed again after its last test (node:test hooks).
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";

import { launch } from "./browser.mjs";
import { serve } from "./server.mjs";

/** The repository root, which the server serves (`/pkg/`, `/www/tests/pages/`, …). */
export const root = fileURLToPath(new URL("../..", import.meta.url));

/** Registers the hooks; `env.server` and `env.browser` are set once `before` has run. */
export function serveAndLaunch() {
  const env = { server: undefined, browser: undefined };
  before(async () => {
    env.server = await serve(root);
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}
