#!/usr/bin/env bash
# The main job: builds everything and shows everlog working.
# (Grows with the project: today it runs the native offline-cart example.)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --example offline_cart
