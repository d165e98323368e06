// JS side of src/wasm/event_cache.rs: the cache of event objects that JS reducer folds
// read, and the fold loop itself. Both run in JS so that a fold over n events is one call
// from wasm, not n: V8 inlines the reducer into this loop like into Array.prototype.reduce.

// Cached events are shared by every later fold, so they are frozen (deeply): a reducer
// that mutated one, or kept `e.data` in its state and mutated that, would otherwise
// change what every later fold sees. Frozen, such a write throws in strict code.
function freeze(v) {
  Object.freeze(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === "object" && x !== null) freeze(x);
    }
  } else {
    for (const k in v) {
      const x = v[k];
      if (typeof x === "object" && x !== null) freeze(x);
    }
  }
}

/** Parses `json` (a JSON array of events that Rust wrote) and appends its events to `cache`. */
export function extendCache(cache, json) {
  const events = JSON.parse(json);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    freeze(e);
    cache.push(e);
  }
}

/** `reducer(acc, cache[order[0]])`, then the next…: a reduce over the selected events. */
export function foldIndexed(cache, order, reducer, acc) {
  for (let i = 0; i < order.length; i++) acc = reducer(acc, cache[order[i]]);
  return acc;
}
