#!/usr/bin/env bash
# Runs every test of everlog: formatting and lints, the native suite (core, storage,
# convergence fuzzer with a fixed seed, relay integration), and the browser suite
# (wasm-bindgen-test and Playwright in headless Chromium, TypeScript type check).
# Installs what is missing first (pkg-scripts/setup.sh). Ends with one line:
# "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash pkg-scripts/setup.sh

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy (native, all features, all targets)"
cargo clippy --all-targets --all-features -- -D warnings

step "cargo clippy (wasm32)"
cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
# The toolkit entry's build (the core entry's is the line above; `documents` includes it).
cargo clippy --lib --target wasm32-unknown-unknown --features toolkit -- -D warnings

step "native tests"
cargo test --all-features 2>&1 | tee "$out/native.log"

step "browser tests (wasm-bindgen-test, npm package, tsc, Playwright)"
bash pkg-scripts/test-browser.sh 2>&1 | tee "$out/browser.log"

step "end-to-end tests of the demo (Playwright, real relay)"
bash pkg-scripts/test-e2e.sh 2>&1 | tee "$out/e2e.log"

# One summary line over every runner: cargo's "test result:" lines and node's "# pass/# fail".
cat "$out"/*.log | awk '
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed/) p += $(i-1); if ($(i) ~ /^failed/) f += $(i-1) } }
  /^# pass /  { p += $3 }
  /^# fail /  { f += $3 }
  END { printf "\n%d passed, %d failed\n", p, f; exit (f > 0) }'
