// Page entry: exposes `window.bench` to the runner. The baselines are bundled in; everlog is
// a separate bundle loaded only when asked for, so a missing package never breaks the page.
// First: it records the WebAssembly instances the other modules create as they load.
import "./wasm-memory.js";
import automerge from "./contenders/automerge.js";
import loro from "./contenders/loro.js";
import raw, { rawBatch, rawBytes } from "./contenders/raw.js";
import yjs from "./contenders/yjs.js";
import { automergeDocs, replayWorkload, yjsDocs } from "./documents.js";

const bundled = { raw, rawBatch, rawBytes, automerge, yjs, loro };

async function contender(name) {
  if (bundled[name]) return bundled[name];
  // A computed URL keeps the bundler from following it: everlog.js is its own bundle.
  if (name === "everlog") return (await import(new URL("./everlog.js", import.meta.url).href)).default;
  throw new Error(`unknown contender ${name}`);
}

// The documents workload runs on a document library's own adapter (documents.js).
async function docsAdapter(name) {
  if (name === "automerge") return automergeDocs;
  if (name === "yjs") return yjsDocs;
  if (name !== "everlog") return { na: "not a document library" };
  try {
    return (await import(new URL("./everlog-docs.js", import.meta.url).href)).default;
  } catch (e) {
    return { na: `everlog/docs not built (${e.message.split("\n")[0]})` };
  }
}

window.bench = {
  async describe(name) {
    const c = await contender(name);
    return { name: c.name, label: c.label, workloads: Object.keys(c.workloads), na: c.na, caps: c.caps || {} };
  },
  async run(name, workload, params) {
    if (workload === "documents") {
      const adapter = await docsAdapter(name);
      if (adapter.na) return adapter;
      if (globalThis.gc) globalThis.gc();
      return replayWorkload(adapter, params);
    }
    const c = await contender(name);
    const fn = c.workloads[workload];
    if (!fn) return { na: c.na[workload] || "not implemented for this contender" };
    // The snapshot variant of the cold open: only for contenders that persist fold state.
    if (params.snapshot && !c.snapshot) return { na: c.na.snapshot || "persists no fold result: its cold open is the one above" };
    if (globalThis.gc) globalThis.gc();
    return fn(params);
  },
};
document.title = "bench ready";
