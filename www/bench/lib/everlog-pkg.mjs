// Finds the everlog package the runner should load: the directory given by --everlog, or the
// first of a few conventional build outputs. Returns { dir, entry } or { missing: reason }.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

const CANDIDATES = ["pkg", "pkg/web", "www/pkg"];

export function findEverlog(option, repoRoot) {
  const dirs = option ? [resolve(option)] : CANDIDATES.map((d) => join(repoRoot, d));
  const reasons = [];
  for (const dir of dirs) {
    const found = inspect(dir);
    if (found.entry) return found;
    reasons.push(found.missing);
  }
  return { missing: option ? reasons[0] : `no package in ${CANDIDATES.join(", ")} (pass --everlog DIR)` };
}

function inspect(dir) {
  if (!existsSync(dir)) return { missing: `${dir} does not exist` };
  let entry = null;
  const pj = join(dir, "package.json");
  if (existsSync(pj)) {
    const p = JSON.parse(readFileSync(pj, "utf8"));
    const exp = typeof p.exports === "string" ? p.exports : p.exports?.["."]?.import || p.exports?.["."]?.default;
    entry = [exp, p.module, p.browser, p.main].find((e) => typeof e === "string" && e.endsWith(".js"));
  }
  if (!entry && existsSync(join(dir, "index.js"))) entry = "index.js";
  if (!entry) entry = readdirSync(dir).find((f) => f.endsWith(".js") && existsSync(join(dir, f.replace(/\.js$/, "_bg.wasm"))));
  if (!entry || !existsSync(join(dir, entry))) return { missing: `${dir} has no JS entry` };
  const src = readFileSync(join(dir, entry), "utf8");
  // wasm-bindgen --target bundler imports the .wasm as an ES module, which browsers cannot.
  if (/^import \* as \w+ from ["'][^"']+\.wasm["']/m.test(src)) {
    return { missing: `${dir} is a bundler build; the bench loads a --target web build (which exports init)` };
  }
  // The documents entry (`everlog/docs`) when the package root has one (pkg/docs/web).
  const docs = existsSync(join(dir, "docs", "web", "index.js")) ? "docs/web/index.js" : undefined;
  return { dir, entry: entry.replace(/^\.\//, ""), docs };
}
