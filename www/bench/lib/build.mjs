// Bundles the bench page with esbuild: one ESM bundle with every baseline (their wasm is
// inlined as base64 by the packages' own entries), and a separate everlog bundle that keeps
// the bare specifier "everlog" external for the page's import map to resolve (and one for
// the documents entry, "everlog/docs").
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const page = join(dirname(fileURLToPath(import.meta.url)), "..", "page");

export async function bundle(outdir) {
  await mkdir(outdir, { recursive: true });
  const common = {
    bundle: true,
    format: "esm",
    target: "es2022",
    // "neutral" keeps esbuild off the packages' "browser" entries, which expect a bundler
    // wasm loader; their default "import" entries inline the wasm and work as is.
    platform: "neutral",
    mainFields: ["module", "main"],
    sourcemap: "linked",
    logLevel: "warning",
  };
  await build({ ...common, entryPoints: { bench: join(page, "main.js") }, outdir });
  await build({ ...common, entryPoints: { everlog: join(page, "contenders", "everlog.js") }, outdir, external: ["everlog", "everlog-glue"] });
  await build({ ...common, entryPoints: { "everlog-docs": join(page, "contenders", "everlog-docs.js") }, outdir, external: ["everlog/docs"] });
  await copyFile(join(page, "index.html"), join(outdir, "index.html"));
  return outdir;
}
