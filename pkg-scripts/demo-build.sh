#!/usr/bin/env bash
# Builds what the demo and its end-to-end tests run: the npm package (copied to www/pkg,
# where the page's import map finds "everlog") and the release relay binary.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! bash pkg-scripts/build.sh; then
  # build.sh writes pkg/web/index.js only after every build step passed; what can still
  # fail after it is the size budget, which must not keep the demo from running.
  [ -f pkg/web/index.js ] || exit 1
  echo "demo-build: the package failed a check after building (see above); the demo uses it anyway" >&2
fi
rm -rf www/pkg
cp -R pkg www/pkg
cargo build --release --features relay --bin everlog-relay
