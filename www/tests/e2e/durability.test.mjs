// Closing a page in the middle of a burst of appends loses nothing that was acknowledged:
// every append whose promise resolved before the close is there when the page reopens
// (and reaches the other device through the relay).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { freshRoom, launchBrowser, openDevice, startRelay, waitConverged } from "./harness.mjs";

describe("durability across a page closed mid-burst", () => {
  let relay, browser, dev, other;
  const room = freshRoom("burst");

  before(async () => {
    relay = await startRelay();
    browser = await launchBrowser();
    dev = await openDevice(browser, relay.url, { name: "Dora", room });
    other = await openDevice(browser, relay.url, { name: "Otto", room });
  });

  after(async () => {
    await browser?.close();
    await relay?.stop();
  });

  test("every acknowledged append survives the close", async () => {
    const acked = [];
    let enough;
    const reached = new Promise((r) => (enough = r));
    await dev.page.exposeFunction("ack", (id) => {
      acked.push(id);
      if (acked.length === 40) enough();
    });
    // Not awaited: the page is closed while this loop is still appending.
    dev.page
      .evaluate(async (room) => {
        const log = window.everlogDemo.log;
        for (let i = 0; i < 2000; i++) {
          const e = await log.append({ stream: `burst:${room}`, type: "Tick", data: { i }, meta: { by: "Dora" } });
          window.ack(String(e.id));
        }
      }, room)
      .catch(() => {});
    await reached;
    await dev.page.close({ runBeforeUnload: false });
    const count = acked.length;
    assert.ok(count >= 40);

    const page = await dev.open();
    const missing = await page.evaluate((ids) => ids.filter((id) => !window.everlogDemo.log.get(id)), acked.slice(0, count));
    assert.deepEqual(missing, []);
    const stored = await page.evaluate((room) => window.everlogDemo.log.events({ stream: `burst:${room}` }).length, room);
    assert.ok(stored >= count, `${stored} stored, ${count} acknowledged`);

    // And the other device gets all of them through the relay.
    await waitConverged([page, other.page]);
    const there = await other.page.evaluate((ids) => ids.filter((id) => !window.everlogDemo.log.get(id)).length, acked.slice(0, count));
    assert.equal(there, 0);
  });

  test("no console errors", () => {
    assert.deepEqual([...dev.errors, ...other.errors], []);
  });
});
