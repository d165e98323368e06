// Shared, deterministic workload data for every contender, so that all of them do the
// same work: the same events, the same reducer, the same fold result to check against.
//
// An event is what an app would hand to a log: stream, type, key and a JSON payload of
// about 100 bytes (`JSON.stringify(data).length` is 100 for every event).

const NOTE_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 ";

/** Event number `i` (0-based) of a generator named `origin` ("a", "b", …). */
export function makeEvent(i, origin = "a") {
  const sku = `sku-${(i * 7919) % 500}`;
  const data = { sku, qty: 1 + (i % 5), price: 100 + ((i * 37) % 9000), by: origin, note: "" };
  // Pad the note so the payload is exactly 100 bytes of JSON; the text varies per event
  // so that compression sees realistic, not constant, payloads.
  const room = 100 - JSON.stringify(data).length;
  let note = "";
  let x = (i + 1) * 2654435761;
  for (let k = 0; k < room; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    note += NOTE_CHARS[x % NOTE_CHARS.length];
  }
  data.note = note;
  return {
    stream: `cart:${i % 1000}`,
    type: i % 7 === 0 ? "ItemRemoved" : "ItemAdded",
    key: sku,
    data,
  };
}

/** `n` events starting at number `from`. Built before any timer starts. */
export function makeEvents(n, origin = "a", from = 0) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = makeEvent(from + i, origin);
  return out;
}

/** Splits `events` into arrays of `size`. */
export function batches(events, size) {
  const out = [];
  for (let i = 0; i < events.length; i += size) out.push(events.slice(i, i + size));
  return out;
}

/** The fold every contender runs: quantity per SKU (what a cart or stock view needs). */
export function reducer(state, event) {
  const d = event.data;
  state[d.sku] = (state[d.sku] || 0) + d.qty;
  return state;
}

/** A number that identifies a fold result, so the harness can check contenders agree. */
export function checksum(state) {
  let total = 0;
  let keys = 0;
  const entries = state instanceof Map ? state.entries() : Object.entries(state);
  for (const [, v] of entries) {
    total += Number(v);
    keys++;
  }
  return `${keys}:${total}`;
}

let memoKey = null;
let memoValue = null;
/** Keeps one built input (a 1M-event document…) across the runs of one workload in a page,
 *  so that only the first run pays for building it. Only for inputs the timed code does
 *  not change. */
export async function memo(key, build) {
  if (memoKey !== key) {
    memoValue = null;
    memoValue = await build();
    memoKey = key;
  }
  return memoValue;
}
