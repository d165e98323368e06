// Generates the npm package's entry points, type declarations, package.json and README
// around the wasm-bindgen output in <out>/web and <out>/bundler (see build.sh), and, when
// built, the toolkit entry `everlog/toolkit` in <out>/toolkit/{web,bundler} (the crate with
// the `toolkit` feature: the core plus `log.on`, `decide`, `upcast`, CloudEvents, `revert`)
// and the documents entry `everlog/docs` in <out>/docs/{web,bundler} (the `documents`
// feature: everything the toolkit entry exports, plus `Document`). Each entry's types are
// its own build's: the toolkit's declarations are only in the entries that have it.
//
// - index.js re-exports the wasm-bindgen classes and the JS error classes (which live in a
//   wasm-bindgen "snippet" module: re-exporting that very module keeps `instanceof` working).
// - index.d.ts lists the public names explicitly, so wasm-bindgen's low-level `InitOutput`
//   (raw exports typed with `any`) is not part of the public API.
// - The `bundler` target instantiates the module on import; its `init()` is a no-op so that
//   `await init()` works with either target.
import { readFileSync, writeFileSync, copyFileSync, readdirSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";

const out = process.argv[2] ?? "pkg";
const root = new URL("..", import.meta.url).pathname;
const cargo = readFileSync(join(root, "Cargo.toml"), "utf8");
const field = (k) => cargo.match(new RegExp(`^${k} = "([^"]*)"`, "m"))[1];

const ERRORS = ["EverlogError", "ConcurrencyError", "StorageError", "DecodeError", "InvalidEventError", "ClosedError", "InternalError"];
const LOW_LEVEL = new Set(["InitOutput", "InitInput", "SyncInitInput", "initSync", "start"]);

function snippetDir(dir) {
  const base = join(dir, "snippets");
  const found = readdirSync(base).filter((d) => existsSync(join(base, d, "js", "errors.js")));
  if (found.length !== 1) throw new Error(`expected one snippet dir with js/errors.js in ${base}, found ${found}`);
  return `./snippets/${found[0]}/js`;
}

function publicNames(dts) {
  const names = new Set();
  for (const m of dts.matchAll(/^export (?:declare )?(?:class|interface|type|function|const|enum) ([A-Za-z_$][\w$]*)/gm)) {
    if (!LOW_LEVEL.has(m[1])) names.add(m[1]);
  }
  return [...names];
}

const INIT_WEB = `/** Loads and instantiates the WebAssembly module (once; later calls return at once).
 * With no argument it fetches everlog_bg.wasm next to this file. */
export default function init(
  module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<void>;
/** Instantiates the module synchronously from bytes or a compiled module. */
export function initSync(module: { module: BufferSource | WebAssembly.Module } | BufferSource | WebAssembly.Module): void;
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;
`;
const INIT_BUNDLER = `/** The bundler build instantiates the module on import; this resolves at once. */
export default function init(): Promise<void>;
`;

const docs = existsSync(join(out, "docs", "web"));
const toolkit = existsSync(join(out, "toolkit", "web"));
const CORE = ["EventLog", "Fold", "Projection", "Peer"];
// Declarations that only the toolkit build has (src/wasm/toolkit_types.rs), and the methods
// it adds to `EventLog`: checked present where the toolkit is, absent from the core entry.
const TOOLKIT_DTS = ["export type Upcaster", "on<D = Json>(", "decide<", "upcast(", "exportCloudEvents(", "importCloudEvents(", "revert<"];
const entries = [
  { base: out, classes: CORE, errors: "", toolkit: false },
  ...(toolkit ? [{ base: join(out, "toolkit"), classes: CORE, errors: "", toolkit: true }] : []),
  ...(docs ? [{ base: join(out, "docs"), classes: [...CORE, "Document"], errors: "document-error", toolkit: true }] : []),
];

for (const entry of entries) for (const target of ["web", "bundler"]) {
  const dir = join(entry.base, target);
  const snip = snippetDir(dir);
  copyFileSync(join(root, "js", "errors.d.ts"), join(dir, snip, "errors.d.ts"));
  if (entry.errors) copyFileSync(join(root, "js", `${entry.errors}.d.ts`), join(dir, snip, `${entry.errors}.d.ts`));
  // The declarations name error classes of js/errors.d.ts (`onClose`'s ClosedError).
  const dts = `import type { ClosedError } from "${snip}/errors.js";\n` + readFileSync(join(dir, "everlog.d.ts"), "utf8");
  writeFileSync(join(dir, "everlog.d.ts"), dts);
  const names = publicNames(dts);
  for (const n of entry.classes) {
    if (!names.includes(n)) throw new Error(`${target}/everlog.d.ts lacks ${n}`);
  }
  const publicPart = dts.split("export interface InitOutput")[0].replace(/\/\*[\s\S]*?\*\//g, "").replace(/"[^"\n]*"/g, '""');
  if (/\bany\b/.test(publicPart)) {
    throw new Error(`${target}/everlog.d.ts has \`any\` in the public API`);
  }
  for (const d of TOOLKIT_DTS) {
    if (dts.includes(d) !== entry.toolkit) throw new Error(`${dir}/everlog.d.ts ${entry.toolkit ? "lacks" : "has"} \`${d}\``);
  }
  const errors =
    `export { ${ERRORS.join(", ")} } from "${snip}/errors.js";\n` +
    (entry.errors ? `export { DocumentError } from "${snip}/${entry.errors}.js";\n` : "");
  const classes = names.filter((n) => new RegExp(`^export class ${n}\\b`, "m").test(dts)).join(", ");
  const init =
    target === "web"
      ? `import wasmInit, { initSync as wasmInitSync } from "./everlog.js";\n` +
        `export default async function init(m) { await wasmInit(m); }\n` +
        `export function initSync(m) { wasmInitSync(m); }\n`
      : `export default async function init() {}\n`;
  const js = `${init}export { ${classes} } from "./everlog.js";\n${errors}`;
  writeFileSync(join(dir, "index.js"), js);
  const types = `export { ${names.join(", ")} } from "./everlog.js";\n${errors}${target === "web" ? INIT_WEB : INIT_BUNDLER}`;
  writeFileSync(join(dir, "index.d.ts"), types);
  // wasm-bindgen writes a package.json and .gitignore per target; the package has one of each.
  for (const f of ["package.json", ".gitignore"]) {
    if (existsSync(join(dir, f))) rmSync(join(dir, f));
  }
}

const pkg = {
  name: "everlog",
  version: field("version"),
  description: field("description"),
  license: field("license"),
  repository: { type: "git", url: `git+${field("repository")}.git` },
  keywords: ["event-sourcing", "crdt", "offline-first", "sync", "indexeddb", "wasm"],
  type: "module",
  main: "./web/index.js",
  types: "./web/index.d.ts",
  exports: {
    ".": {
      webpack: { types: "./bundler/index.d.ts", default: "./bundler/index.js" },
      types: "./web/index.d.ts",
      default: "./web/index.js",
    },
    "./web": { types: "./web/index.d.ts", default: "./web/index.js" },
    "./bundler": { types: "./bundler/index.d.ts", default: "./bundler/index.js" },
    "./everlog_bg.wasm": "./web/everlog_bg.wasm",
    ...(toolkit && {
      // Opt-in: only apps that import `everlog/toolkit` download the toolkit's bindings.
      "./toolkit": {
        webpack: { types: "./toolkit/bundler/index.d.ts", default: "./toolkit/bundler/index.js" },
        types: "./toolkit/web/index.d.ts",
        default: "./toolkit/web/index.js",
      },
      "./toolkit/web": { types: "./toolkit/web/index.d.ts", default: "./toolkit/web/index.js" },
      "./toolkit/bundler": { types: "./toolkit/bundler/index.d.ts", default: "./toolkit/bundler/index.js" },
      "./toolkit/everlog_bg.wasm": "./toolkit/web/everlog_bg.wasm",
    }),
    ...(docs && {
      // Opt-in: only apps that import `everlog/docs` download automerge.
      "./docs": {
        webpack: { types: "./docs/bundler/index.d.ts", default: "./docs/bundler/index.js" },
        types: "./docs/web/index.d.ts",
        default: "./docs/web/index.js",
      },
      "./docs/web": { types: "./docs/web/index.d.ts", default: "./docs/web/index.js" },
      "./docs/bundler": { types: "./docs/bundler/index.d.ts", default: "./docs/bundler/index.js" },
      "./docs/everlog_bg.wasm": "./docs/web/everlog_bg.wasm",
    }),
    "./package.json": "./package.json",
  },
  files: ["web/", "bundler/", ...(toolkit ? ["toolkit/"] : []), ...(docs ? ["docs/"] : []), "README.md"],
  sideEffects: [
    "./bundler/everlog.js",
    "./bundler/index.js",
    ...(toolkit ? ["./toolkit/bundler/everlog.js", "./toolkit/bundler/index.js"] : []),
    ...(docs ? ["./docs/bundler/everlog.js", "./docs/bundler/index.js"] : []),
  ],
};
writeFileSync(join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");

writeFileSync(
  join(out, "README.md"),
  `# everlog

${field("description")}

\`\`\`js
import init, { EventLog, Fold, ConcurrencyError } from "everlog";
await init(); // loads the WebAssembly module (a no-op with the webpack build)

const log = await EventLog.open("shop"); // IndexedDB; { storage: "memory" } for tests
await log.append({ stream: "cart:42", type: "ItemAdded", data: { sku: "sock", qty: 2 } });
log.fold(Fold.groupSum("sku", "qty"), { stream: "cart:42" }); // { sock: 2 }
\`\`\`

Entry points: \`everlog\` (the \`web\` build: Vite, plain \`<script type="module">\`, esbuild, Rollup;
the \`webpack\` condition picks the \`bundler\` build), \`everlog/web\`, \`everlog/bundler\`.

The event-sourcing toolkit (named handlers \`log.on\`, \`log.decide\`, upcasters \`log.upcast\`,
CloudEvents import/export, \`log.revert\`) is the opt-in entry \`everlog/toolkit\`: everything
\`everlog\` exports, with those methods on \`EventLog\`, in a module of its own (about 25 KB
gzipped more). Import everything from the one entry an app uses: a log opened through one
entry lives in that entry's module.

\`\`\`js
import init, { EventLog } from "everlog/toolkit";
await init();
const log = await EventLog.open("shop");
log.on("OrderPlaced", (e) => sendMail(e.data), { name: "mailer" }); // once per event, across tabs and reloads
\`\`\`

Collaborative documents (automerge, a larger download) are the opt-in entry \`everlog/docs\`:
it exports everything \`everlog/toolkit\` does plus \`Document\`, in one module of its own. An app that
uses documents imports *everything* (\`EventLog\` too) from \`everlog/docs\`: a log opened through
\`everlog\` lives in the other module and cannot hold a document.

\`\`\`js
import init, { EventLog, Document } from "everlog/docs";
await init();
const log = await EventLog.open("notes");
const doc = await Document.open(log, "doc:7"); // or: await log.document("doc:7")
await doc.put(["title"], "Groceries");
doc.subscribe((patches) => render(doc.toJSON()));
\`\`\`
`,
);
console.log(`wrote ${out}/package.json (everlog ${pkg.version})`);
