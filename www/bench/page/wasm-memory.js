// The linear memory of each library's WebAssembly instance, for the heap figures of the
// documents workload. wasm-bindgen's glue keeps its instance private (Automerge's, inlined
// in the bench bundle, is created when the bundle loads), so this module, imported first by
// the page, records every instance the page creates: `new WebAssembly.Instance` (the glue's
// initSync), WebAssembly.instantiate and instantiateStreaming (the glue's init). A library's
// instance is told apart by the destructor its glue exports for its main class
// (`__wbg_<class>_free`). Read the same way as the memory workload reads everlog's:
// memory.buffer.byteLength, which only grows (64 KiB pages, never returned: a high-water mark).
const instances = [];
const initial = new WeakMap(); // memory -> its byteLength when its instance was created
const W = globalThis.WebAssembly;
const Instance = W.Instance;
const keep = (x) => {
  const i = x instanceof Instance ? x : x?.instance;
  if (i instanceof Instance) {
    instances.push(i);
    for (const v of Object.values(i.exports)) if (v instanceof W.Memory && !initial.has(v)) initial.set(v, v.buffer.byteLength);
  }
  return x;
};
W.Instance = new Proxy(Instance, { construct: (t, args, nt) => keep(Reflect.construct(t, args, nt)) });
for (const name of ["instantiate", "instantiateStreaming"]) {
  const f = W[name];
  if (typeof f === "function") W[name] = (...args) => f.apply(W, args).then(keep);
}

const memoriesOf = (cls) => {
  const memories = new Set();
  for (const i of instances) {
    if (typeof i.exports[`__wbg_${cls}_free`] !== "function") continue;
    for (const v of Object.values(i.exports)) if (v instanceof W.Memory) memories.add(v);
  }
  return memories;
};

/** Bytes of linear memory held now by the instances exporting `__wbg_<cls>_free` (0 if none). */
export function wasmMemoryOf(cls) {
  let bytes = 0;
  for (const m of memoriesOf(cls)) bytes += m.buffer.byteLength;
  return bytes;
}

/** The same memories' size when their instance was created (the module's initial memory). */
export function wasmInitialOf(cls) {
  let bytes = 0;
  for (const m of memoriesOf(cls)) bytes += initial.get(m) ?? 0;
  return bytes;
}
