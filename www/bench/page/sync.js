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
