// Web Locks glue for src/wasm/tabs.rs: find the lowest free actor slot of a log and hold
// its lock until `release()` (or until the tab goes away, when the browser frees it).
export async function acquireSlot(prefix) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks) return null;
  for (let n = 0; n < 1024; n++) {
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    const got = await new Promise((resolve, reject) => {
      locks.request(prefix + n, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        return lock ? held : undefined;
      }).catch(reject);
    });
    if (got) return { slot: n, release };
  }
  return null;
}
