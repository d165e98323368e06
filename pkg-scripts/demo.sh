#!/usr/bin/env bash
# The main job: builds the npm package and the relay, then serves the demo at
# http://127.0.0.1:8787 (override with EVERLOG_DEMO_LISTEN). Open it in two browser
# windows (one private) to see two devices sync, go offline, and conflict.
#
# Room tokens: the relay runs with the documented demo secret, and the demo page mints its
# own token with it (www/app/connection.js). That only suits a relay on 127.0.0.1; a real
# deployment keeps its secret on the app's server (docs/relay.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash pkg-scripts/setup.sh
bash pkg-scripts/demo-build.sh

listen="${EVERLOG_DEMO_LISTEN:-127.0.0.1:8787}"
data="${EVERLOG_DEMO_DATA:-target/demo-data}"
mkdir -p "$data"
printf '\n\033[1meverlog demo\033[0m: open http://%s in two browser windows (one private).\n' "$listen"
printf 'Data of the relay: %s (delete it to start over). Stop with Ctrl-C.\n\n' "$data"
EVERLOG_RELAY_SECRET="everlog-local-demo" exec target/release/everlog-relay \
  --listen "$listen" --data-dir "$data" --www www
