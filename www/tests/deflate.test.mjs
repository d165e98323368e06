// The documents entry (`everlog/docs`) deflates its chunks (with the zlib-rs code automerge
// links, src/core/codec/compress.rs); the core entry (`everlog`) links no compressor but
// inflates. A core-only peer must read everything a docs peer sends.
// Run: node --test www/tests/ (after pkg-scripts/build.sh).
import { test } from "node:test";
import assert from "node:assert/strict";

import { openPage } from "./browser.mjs";
import { serveAndLaunch } from "./fixture.mjs";

const env = serveAndLaunch();

/** Exchanges sync messages between the `window.peer`s of two pages until both are quiet;
 * returns the bytes each side sent. */
async function sync(a, b) {
  const sent = { a: 0, b: 0 };
  for (let round = 0; round < 40; round++) {
    const ab = await pass(a, b);
    const ba = await pass(b, a);
    sent.a += ab;
    sent.b += ba;
    if (!ab && !ba) return sent;
  }
  throw new Error("sync did not settle");
}

/** One message from `from`'s peer to `to`'s, if it has one; the bytes sent (0: none). */
async function pass(from, to) {
  const m = await from.evaluate(() => {
    const m = window.peer.generateMessage();
    return m && Array.from(m);
  });
  if (!m) return 0;
  await to.evaluate((m) => window.peer.receiveMessage(new Uint8Array(m)), m);
  return m.length;
}

test("a core-only peer reads the deflated chunks of a docs peer", async () => {
  const context = await env.browser.newContext();
  const [docs, core] = [await openPage(context, env.server.url, "index.html?entry=docs"), await openPage(context, env.server.url)];
  const written = await docs.evaluate(async () => {
    window.log = await window.everlog.EventLog.open("docs-peer", { storage: "memory" });
    const doc = await window.log.document("doc");
    await doc.putText(["text"], "");
    for (let i = 0; i < 100; i++) await doc.splice(["text"], i, 0, "ab"[i % 2]);
    const drafts = Array.from({ length: 300 }, (_, i) => ({
      stream: "cart:1",
      type: "ItemAdded",
      data: { sku: `sock-${i % 5}`, qty: i, note: "a payload that repeats, as real ones do" },
    }));
    await window.log.append(drafts);
    window.peer = window.log.peer();
    const events = window.log.events();
    return { events, dataBytes: events.reduce((n, e) => n + JSON.stringify(e.data).length, 0), text: doc.toJSON().text };
  });
  await core.evaluate(async () => {
    window.log = await window.everlog.EventLog.open("core-peer", { storage: "memory" });
    await window.log.append({ stream: "cart:2", type: "ItemAdded", data: { sku: "hat" } });
    window.peer = window.log.peer();
  });
  const sent = await sync(docs, core);
  const [atCore, atDocs] = [
    await core.evaluate(() => window.log.events()),
    await docs.evaluate(() => window.log.events()),
  ];
  assert.equal(written.events.length, 401);
  assert.equal(written.text.length, 100);
  assert.deepEqual(atCore, atDocs, "both peers hold the same events");
  assert.deepEqual(
    atCore.filter((e) => e.stream !== "cart:2"),
    written.events,
    "the core peer read every event of the docs peer",
  );
  // Stored raw, the events' JSON alone would be `dataBytes`; deflated they take a fraction.
  assert.ok(sent.a * 3 < written.dataBytes, `docs peer sent ${sent.a} B for ${written.dataBytes} B of event data`);
  await context.close();
});
