// Minifies the package's JavaScript in place (wasm-bindgen glue, entry points, snippets):
// `node pkg-scripts/minify.mjs <out>` after package.mjs. esbuild (already a dev dependency
// for the bench) transforms each ES module on its own: no bundling, so imports, exports,
// `import.meta.url` and the snippet paths stay as wasm-bindgen wrote them; only local
// names, whitespace and comments go. No `format` option: esbuild then keeps top-level
// names, so classes keep theirs (`log.constructor.name`, devtools). Type declarations
// (.d.ts) are left readable. docs/size.md has the measured saving.
import { readFileSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { transformSync } from "esbuild";

const out = process.argv[2] ?? "pkg";

function* jsFiles(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* jsFiles(p);
    else if (name.endsWith(".js")) yield p;
  }
}

// Every build under <out>: the core entry (web, bundler) and `everlog/docs` (docs/…).
{
  for (const file of jsFiles(out)) {
    const src = readFileSync(file, "utf8");
    const { code } = transformSync(src, { minify: true, target: "es2020", legalComments: "none" });
    writeFileSync(file, code);
  }
}
