// A transport-free sync driver shared by every contender: both sides talk at once, as over a
// WebSocket. Each "flight" delivers the messages both sides had ready; two flights are one
// round trip. Only the time spent inside generate/receive is on the clock.

export async function runSync(a, b, maxFlights = 50) {
  const messages = [];
  let flights = 0;
  let ms = 0;
  for (; flights <= maxFlights; ) {
    let t0 = performance.now();
    const ma = await a.generate();
    const mb = await b.generate();
    ms += performance.now() - t0;
    if (!ma && !mb) break;
    flights++;
    t0 = performance.now();
    if (ma) await b.receive(ma);
    if (mb) await a.receive(mb);
    ms += performance.now() - t0;
    if (ma) messages.push(ma);
    if (mb) messages.push(mb);
  }
  if (flights > maxFlights) throw new Error(`sync did not settle in ${maxFlights} flights`);
  const bytes = messages.reduce((s, m) => s + m.length, 0);
  return { ms, flights, roundTrips: flights / 2, messages: messages.length, bytes, gzipBytes: await gzipSize(messages) };
}

/** Bytes on the wire if each message were gzip-compressed (what an HTTP/WS transport could do). */
export async function gzipSize(messages) {
  let total = 0;
  for (const m of messages) {
    const stream = new Blob([m]).stream().pipeThrough(new CompressionStream("gzip"));
    total += (await new Response(stream).arrayBuffer()).byteLength;
  }
  return total;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export const jsonBytes = (v) => enc.encode(JSON.stringify(v));
export const fromJsonBytes = (b) => JSON.parse(dec.decode(b));

/**
 * The two-step sync of Yjs (y-protocols) and Loro: each side sends its version (step 1) and
 * answers the other's with the update it lacks (step 2). One tag byte stands for the
 * protocol's message header. `lib`: { version() -> bytes, updateSince(bytes) -> bytes, apply(bytes) }.
 */
export function versionPeer(lib) {
  const outbox = [tag(0, lib.version())];
  return {
    generate: () => outbox.shift() || null,
    receive(msg) {
      const body = msg.subarray(1);
      if (msg[0] === 0) outbox.push(tag(1, lib.updateSince(body)));
      else lib.apply(body);
    },
  };
}
function tag(t, body) {
  const out = new Uint8Array(body.length + 1);
  out[0] = t;
  out.set(body, 1);
  return out;
}

/** Automerge's own sync protocol over a document held by the caller (`get`/`set`). */
export function automergePeer(A, get, set) {
  let state = A.initSyncState();
  return {
    generate() {
      const [s, msg] = A.generateSyncMessage(get(), state);
      state = s;
      return msg;
    },
    receive(msg) {
      const [doc, s] = A.receiveSyncMessage(get(), state, msg);
      state = s;
      set(doc);
    },
  };
}
