#!/usr/bin/env bash
# Cargo's runner for wasm32 (.cargo/config.toml): wasm-bindgen-test-runner in headless
# Chromium, with the browser's requests to the runner's page server sent through
# pkg-scripts/wasm-test-proxy.mjs, one closed connection per request. Without it the page
# server (tiny_http) could leave a module request of the page queued forever, about one
# run in four: the page never loaded and no test ran (docs/browser-tests.md).
# A caller's own WASM_BINDGEN_TEST_WEBDRIVER_JSON, or EVERLOG_WASM_TEST_NO_PROXY=1, skips
# the proxy.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver || echo /usr/bin/chromedriver)}"
if [ -n "${WASM_BINDGEN_TEST_WEBDRIVER_JSON:-}" ] || [ "${EVERLOG_WASM_TEST_NO_PROXY:-0}" = 1 ]; then
  exec wasm-bindgen-test-runner "$@"
fi
dir=$(mktemp -d)
proxy_pid=""
cleanup() {
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
node "$here/wasm-test-proxy.mjs" >"$dir/port" &
proxy_pid=$!
for _ in $(seq 100); do
  [ -s "$dir/port" ] && break
  sleep 0.1
done
port=$(head -n1 "$dir/port")
[ -n "$port" ] || { echo "wasm-test-runner: the proxy did not start" >&2; exit 1; }
# `<-loopback>` sends requests to 127.0.0.1 through the proxy too (Chromium bypasses
# proxies for loopback addresses by default).
cat >"$dir/webdriver.json" <<JSON
{"goog:chromeOptions": {"args": ["proxy-server=http://127.0.0.1:$port", "proxy-bypass-list=<-loopback>"]}}
JSON
rc=0
WASM_BINDGEN_TEST_WEBDRIVER_JSON="$dir/webdriver.json" wasm-bindgen-test-runner "$@" || rc=$?
exit "$rc"
