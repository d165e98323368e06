#!/usr/bin/env bash
# Measures ways of handing events from wasm to JS (docs/js-interop.md): builds the crate
# with the `interop-bench` feature into a temporary directory and runs www/bench/interop.html
# in headless Chromium. Not part of the tests (timings are not assertions).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-target}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo build --lib --profile wasm-release --target wasm32-unknown-unknown --features interop-bench
wasm-bindgen --target web --out-dir "$out" --out-name everlog "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/everlog.wasm"
node www/bench/interop.mjs "$out"
