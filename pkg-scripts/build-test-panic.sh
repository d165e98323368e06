#!/usr/bin/env bash
# Builds a test-only variant of the web package with the `test-panic` feature (exports that
# panic on purpose) into www/tests/pages/pkg-panic/, for www/tests/panic.test.mjs.
# Never part of the npm package (pkg-scripts/build.sh does not enable the feature).
# A debug build: quick to compile, and nothing is measured with it.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-target}
OUT=www/tests/pages/pkg-panic

cargo build --lib --target wasm32-unknown-unknown --features test-panic
rm -rf "$OUT"
wasm-bindgen --target web --out-dir "$OUT" --out-name everlog "$TARGET_DIR/wasm32-unknown-unknown/debug/everlog.wasm"
# The error classes live in a wasm-bindgen snippet whose directory name is a hash.
errors=$(cd "$OUT" && ls snippets/*/js/errors.js)
cat >"$OUT/index.js" <<JS
export { default, EventLog, panicForTest, panicInTaskForTest } from "./everlog.js";
export * from "./$errors";
JS
echo "test package with the test-panic feature: $OUT"
