#!/usr/bin/env bash
# Builds what the demo and its end-to-end tests run: the npm package (copied to www/pkg,
# where the page's import map finds "everlog/docs" in pkg/docs/web) and the release relay
# binary.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
bash pkg-scripts/build.sh || status=$?
# Exit 3: the package was built but is over its size budget (reported above); the demo
# still runs it. Any other failure stops here.
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then exit "$status"; fi
rm -rf www/pkg
cp -R pkg www/pkg
cargo build --release --features relay --bin everlog-relay
