#!/usr/bin/env bash
# The demo's end-to-end tests: Playwright (playwright-core) driving Debian's Chromium,
# headless, against the real relay on a free loopback port. Screenshots of the main
# screens land in www/test-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash pkg-scripts/demo-build.sh
node --test --test-reporter=tap --test-concurrency=1 www/tests/e2e/
