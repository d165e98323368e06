#!/usr/bin/env bash
# Builds the npm package into pkg/ (override with OUT=dir):
#   1. cargo release build for wasm32 (Cargo.toml's release profile is tuned for size),
#   2. wasm-bindgen for the `web` and the `bundler` targets,
#   3. wasm-opt -Oz from the npm package `binaryen` (Debian's binaryen writes broken modules),
#   4. pkg-scripts/package.mjs: entry points, exact .d.ts, package.json, README,
#   5. pkg-scripts/minify.mjs: esbuild minifies the JS in place,
# once for the core entry (`everlog`: pkg/web, pkg/bundler), once with the `toolkit`
# feature for the opt-in entry `everlog/toolkit` (pkg/toolkit/web, pkg/toolkit/bundler: the
# event-sourcing toolkit's bindings, docs/toolkit.md) and once with the `documents` feature
# (which includes `toolkit`) for the opt-in entry `everlog/docs` (pkg/docs/web,
# pkg/docs/bundler; automerge inside). Then prints raw and gzip sizes of all three and
# exits with status 3 if the gzipped wasm + JS of the core entry exceed the budget
# (150 KB); the opt-in entries have no budget.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-pkg}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
WASM_OPT=node_modules/.bin/wasm-opt
[ -x "$WASM_OPT" ] || { echo "missing $WASM_OPT: run npm ci (or pkg-scripts/setup.sh)" >&2; exit 1; }

# Panic locations embed source paths: drop the machine-specific prefixes (registry
# checkout, this checkout) so the module carries `serde_json-1.0.x/src/de.rs`, not the
# builder's home directory (smaller, and the same bytes on every machine).
remap=""
for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ "$PWD/"; do remap+="--remap-path-prefix=$d="$'\x1f'; done
wasm="$TARGET_DIR/wasm32-unknown-unknown/wasm-release/everlog.wasm"
rm -rf "$OUT"
mkdir -p "$OUT"

# bindgen <dest> <wasm-opt passes> <cargo args...>: one wasm build, bound and optimised for
# both targets. The two targets' modules are byte-identical with this wasm-bindgen: then the
# bundler's is a copy of the web one instead of a second wasm-opt run (minutes for the
# documents build). The core entry, which has a budget, gets `--flatten --rereloop -Oz`
# twice and a last -Oz (the control flow rebuilt by binaryen's relooper, then shrunk:
# ~1.2 KB gzipped less than `-Oz --converge`, docs/size.md), and so does `everlog/toolkit`
# (−2.1 KB gzipped for ~2 s); the documents build, mostly automerge, one -Oz.
raw_web=$(mktemp); trap 'rm -f "$raw_web"' EXIT
bindgen() {
dest=$1; passes=$2; shift 2
start=$SECONDS
CARGO_ENCODED_RUSTFLAGS="${remap%$'\x1f'}" cargo build --lib --profile wasm-release --target wasm32-unknown-unknown "$@"
for target in web bundler; do
  wasm-bindgen --target "$target" --out-dir "$dest/$target" --out-name everlog "$wasm"
  if [ "$target" = bundler ] && cmp -s "$dest/bundler/everlog_bg.wasm" "$raw_web"; then
    cp "$dest/web/everlog_bg.wasm" "$dest/bundler/everlog_bg.wasm"
    continue
  fi
  cp "$dest/$target/everlog_bg.wasm" "$raw_web"
  # producers/target_features are metadata no runtime reads (docs/size.md has the
  # measured effect of each).
  "$WASM_OPT" $passes --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$dest/$target/everlog_bg.wasm" -o "$dest/$target/everlog_bg.wasm"
done
# Build time per entry (CI has 90 minutes on 2 cores for everything).
echo "built $dest in $((SECONDS - start)) s" >&2
}
ROUNDS="--flatten --rereloop -Oz --flatten --rereloop -Oz -Oz"
bindgen "$OUT" "$ROUNDS"
bindgen "$OUT/toolkit" "$ROUNDS" --features toolkit
bindgen "$OUT/docs" "-Oz" --features documents
node pkg-scripts/package.mjs "$OUT"
node pkg-scripts/minify.mjs "$OUT"

# sizes <dir>: what a web-target app downloads (wasm + JS glue + snippets); sets total_gz.
sizes() {
total_raw=0; total_gz=0
printf '%-48s %10s %10s\n' file raw gzip
while IFS= read -r f; do
  raw=$(wc -c <"$f"); gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-48s %10d %10d\n' "${f#"$OUT"/}" "$raw" "$gz"
done < <(find "$1" -type f \( -name '*.wasm' -o -name '*.js' \) | sort)
printf '%-48s %10d %10d\n' "total ($2)" "$total_raw" "$total_gz"
}
sizes "$OUT/docs/web" "everlog/docs, web target, no budget"
echo
sizes "$OUT/toolkit/web" "everlog/toolkit, web target, no budget"
echo
sizes "$OUT/web" "web target"
budget=$((150 * 1024))
if [ "$total_gz" -gt "$budget" ]; then
  echo "over budget: $total_gz bytes gzipped > $budget" >&2
  exit 3 # distinct: the package was built (test-browser.sh still tests it)
fi
