#!/usr/bin/env bash
# Builds what the demo and its end-to-end tests run: the npm package (copied to www/pkg,
# where the page's import map finds "everlog") and the release relay binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash pkg-scripts/build.sh
rm -rf www/pkg
cp -R pkg www/pkg
cargo build --release --features relay --bin everlog-relay
