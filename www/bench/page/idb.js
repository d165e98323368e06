// Small promise helpers over IndexedDB, used by the baselines (the raw contender and the
// automerge-repo-style storage). No library: this is the "physical limit" path.

export function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** Resolves when the transaction has committed (its `complete` event), rejects on abort. */
export function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    tx.onerror = () => reject(tx.error);
  });
}

export function openDb(name, upgrade) {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => upgrade(r.result);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onblocked = () => reject(new Error(`open of ${name} blocked`));
  });
}

export function deleteDb(name) {
  return new Promise((resolve, reject) => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = () => resolve();
    r.onerror = () => reject(r.error);
    r.onblocked = () => resolve(); // a leaked connection; the delete completes when it closes
  });
}

/** Waits until every write queued so far on `stores` of `db` has committed: IndexedDB runs a
 *  transaction only after the earlier ones that overlap its scope, so an empty readonly
 *  transaction on the same stores completes after them. */
export function flushed(db, stores) {
  return done(db.transaction(stores, "readonly"));
}
