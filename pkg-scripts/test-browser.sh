#!/usr/bin/env bash
# The browser suite (CI calls this from test-all.sh):
#   1. wasm-bindgen-test in headless Chromium (real IndexedDB): src/wasm/tests.rs, src/wasm/idb/tests.rs
#   2. the npm package build (pkg-scripts/build.sh, with its size budget)
#   3. tsc --noEmit over the typed usage example (www/tests/types/example.ts)
#   4. Playwright end-to-end tests under www/tests/ (node's built-in test runner, TAP output),
#      including the failure paths (failures, panic with a test-only build, browser kill)
# Needs: /usr/bin/chromium + chromedriver, wasm-bindgen-cli, npm packages (pkg-scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }

step "wasm-bindgen-test (headless Chromium)"
# Through pkg-scripts/wasm-test-runner.sh (the cargo runner in .cargo/config.toml), which
# fixed the old "page hangs before any test, one run in four" flake at its cause (the test
# runner's page server, docs/browser-tests.md). No retry any more: a hang now is a real bug.
cargo test --lib --target wasm32-unknown-unknown

step "npm package"
# An over-budget package still gets tested; the budget is reported at the end.
budget_ok=1
rc=0
bash pkg-scripts/build.sh || rc=$?
if [ "$rc" = 3 ]; then budget_ok=0; elif [ "$rc" != 0 ]; then exit "$rc"; fi

step "TypeScript: tsc --noEmit over www/tests/types/example.ts"
node_modules/.bin/tsc -p www/tests/types

step "test-only build with the test-panic feature (for www/tests/panic.test.mjs)"
bash pkg-scripts/build-test-panic.sh

step "Playwright (www/tests)"
# The demo's end-to-end tests (www/tests/e2e/) need the relay binary: test-e2e.sh runs them.
node --test --test-reporter=tap --test-concurrency=1 www/tests/*.test.mjs

# The size budget (150 KB gzipped, docs/size.md). The core package met it on the size
# branch (151,457 B) and is over again on main with the toolkit bindings; issue #3 tracks
# it. Until it is met on main it is reported loudly, not
# failed, so that it does not block every other change; EVERLOG_ENFORCE_SIZE_BUDGET=1
# makes it a failure (the default flips once main is under the budget).
if [ "$budget_ok" = 0 ]; then
  echo "SIZE BUDGET NOT MET: the npm package is over 150 KB gzipped (see the size table above)" >&2
  if [ "${EVERLOG_ENFORCE_SIZE_BUDGET:-0}" = 1 ]; then exit 1; fi
fi
