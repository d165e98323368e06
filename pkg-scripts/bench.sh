#!/usr/bin/env bash
# Runs the browser benchmark: everlog against raw IndexedDB, Automerge, Yjs and Loro in
# headless Chromium (www/bench/run.mjs; see docs/benchmarks.md). Installs what is missing
# first. Arguments go to the runner, e.g. --quick, --big, --everlog DIR, --only raw,yjs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash pkg-scripts/setup.sh
exec node www/bench/run.mjs "$@"
