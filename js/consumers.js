// Web Locks and timer glue for src/wasm/consumers.rs.
//
// `holdLock(name, onHeld, onWaiting)` asks for the exclusive Web Lock `name` and calls
// `onHeld()` once it is granted: at once when free, or when the tab holding it closes the
// log or goes away. When another tab holds it, `onWaiting()` is called first. The lock is
// held until the returned `release()` is called (which also withdraws a request still
// waiting). Without Web Locks (very old browsers) `onHeld` runs at once.
export function holdLock(name, onHeld, onWaiting) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks) {
    onHeld();
    return () => {};
  }
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const abort = new AbortController();
  const granted = () => {
    onHeld();
    return held;
  };
  locks.request(name, { ifAvailable: true }, (lock) => {
    if (lock) return granted();
    if (abort.signal.aborted) return undefined;
    onWaiting();
    locks.request(name, { signal: abort.signal }, granted).catch(() => {}); // aborted: nothing to do
    return undefined;
  }).catch(() => {});
  return () => {
    abort.abort();
    release();
  };
}

export function later(ms, f) {
  return setTimeout(f, ms);
}

export function cancel(id) {
  clearTimeout(id);
}
