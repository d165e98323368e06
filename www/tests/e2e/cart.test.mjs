// Two devices edit the same cart offline, reconnect, converge, see the same conflicts
// with both sides, and one click on one device resolves them on both. Then a reload
// shows that everything was kept in IndexedDB.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { freshRoom, launchBrowser, openDevice, shot, startRelay, waitConverged } from "./harness.mjs";

describe("offline cart on two devices", () => {
  let relay, browser, alice, bob;
  const room = freshRoom("cart");

  before(async () => {
    relay = await startRelay();
    browser = await launchBrowser();
    alice = await openDevice(browser, relay.url, { name: "Alice", room });
    bob = await openDevice(browser, relay.url, { name: "Bob", room });
  });

  after(async () => {
    await browser?.close();
    await relay?.stop();
  });

  const item = (d, sku) => d.page.locator(`.item[data-sku="${sku}"]`);
  const qty = (d, sku) => item(d, sku).getAttribute("data-qty");

  async function setAddress(d, a) {
    const form = d.page.locator(".address-form");
    for (const [k, v] of Object.entries(a)) await form.locator(`[name=${k}]`).fill(v);
    await form.locator("button[type=submit]").click();
    await d.page.locator(".address-now", { hasText: a.street }).waitFor();
  }

  async function clickTimes(d, selector, n) {
    for (let i = 0; i < n; i++) {
      const before = await item(d, "socks").getAttribute("data-qty");
      await d.page.click(selector);
      await d.page.waitForFunction(
        ([sel, q]) => document.querySelector(sel)?.dataset.qty !== q,
        [`.item[data-sku="socks"]`, before],
      );
    }
  }

  test("both devices see an item added online", async () => {
    await alice.page.click('.product[data-sku="socks"] button.add');
    await item(alice, "socks").waitFor();
    await item(bob, "socks").waitFor();
    await waitConverged([alice.page, bob.page]);
    assert.equal(await qty(bob, "socks"), "1");
    await bob.page.locator('.status[data-state="online"]').waitFor();
    await shot(alice.page, "01-cart-online");
  });

  test("conflicting offline edits converge and show the conflict with both sides on both devices", async () => {
    await alice.context.setOffline(true);
    await bob.context.setOffline(true);
    await alice.page.locator("#offline-banner:not([hidden])").waitFor();
    await alice.page.locator('.status[data-state="offline"]').waitFor();

    // Alice makes it 3, Bob makes it 5; both set a different address.
    await clickTimes(alice, '.item[data-sku="socks"] button.inc', 2);
    await clickTimes(bob, '.item[data-sku="socks"] button.inc', 4);
    await setAddress(alice, { name: "Alice Liddell", street: "1 Rabbit Hole", postcode: "OX1 1AA", city: "Oxford" });
    await setAddress(bob, { name: "Bob Dylan", street: "61 Highway", postcode: "55811", city: "Duluth" });
    await bob.page.click('.product[data-sku="mug"] button.add');
    await item(bob, "mug").waitFor();
    assert.equal(await qty(alice, "socks"), "3");
    assert.equal(await qty(bob, "socks"), "5");
    await shot(alice.page, "02-cart-offline");

    await alice.context.setOffline(false);
    await bob.context.setOffline(false);
    await waitConverged([alice.page, bob.page]);

    for (const d of [alice, bob]) {
      const sock = d.page.locator('.item[data-sku="socks"] .conflict');
      await sock.waitFor();
      const sides = await sock.locator(".side").allInnerTexts();
      assert.equal(sides.length, 2, `${d.name} sees both sides`);
      assert.ok(sides.some((s) => s.includes("quantity 3") && s.includes("Alice")), sides.join(" | "));
      assert.ok(sides.some((s) => s.includes("quantity 5") && s.includes("Bob")), sides.join(" | "));
      const addr = await d.page.locator('.conflict[data-key="address"] .side').allInnerTexts();
      assert.equal(addr.length, 2);
      assert.ok(addr.some((s) => s.includes("Rabbit Hole") && s.includes("Alice")));
      assert.ok(addr.some((s) => s.includes("61 Highway") && s.includes("Bob")));
      await item(d, "mug").waitFor();
    }
    // Both show the same cart: the fold is deterministic over the same events.
    assert.equal(await qty(alice, "socks"), await qty(bob, "socks"));
    assert.equal(
      await alice.page.locator("[data-total]").innerText(),
      await bob.page.locator("[data-total]").innerText(),
    );
    await alice.page.locator('.status[data-state="online"]').waitFor();
    await shot(alice.page, "03-cart-conflict-alice");
    await bob.page.setViewportSize({ width: 390, height: 844 });
    await shot(bob.page, "04-cart-conflict-bob-phone");
    await bob.page.setViewportSize({ width: 1200, height: 860 });
  });

  test("resolving on one device clears the conflict on both, and the resolution is an event", async () => {
    const eventsBefore = await bob.page.evaluate(() => window.everlogDemo.log.events({}).length);
    await alice.page.locator('.item[data-sku="socks"] .conflict .side', { hasText: "quantity 5" }).locator("button.pick").click();
    await alice.page.locator('.conflict[data-key="address"] .side', { hasText: "Rabbit Hole" }).locator("button.pick").click();
    for (const d of [alice, bob]) {
      await d.page.waitForFunction(() => document.querySelectorAll("div.conflict").length === 0);
      assert.equal(await qty(d, "socks"), "5");
      assert.match(await d.page.locator(".address-now").innerText(), /Rabbit Hole/);
    }
    await waitConverged([alice.page, bob.page]);
    const resolutions = await bob.page.evaluate(() =>
      window.everlogDemo.log.events({}).filter((e) => e.meta?.resolves).map((e) => e.meta.by),
    );
    assert.deepEqual(resolutions, ["Alice", "Alice"]);
    assert.equal(await bob.page.evaluate(() => window.everlogDemo.log.events({}).length), eventsBefore + 2);
    await shot(bob.page, "05-cart-resolved-bob");
  });

  test("a reload keeps everything (IndexedDB)", async () => {
    const version = await waitConverged([alice.page, bob.page]);
    await bob.page.reload();
    await bob.page.waitForSelector("body[data-ready=true]");
    assert.equal(await qty(bob, "socks"), "5");
    await item(bob, "mug").waitFor();
    assert.match(await bob.page.locator(".address-now").innerText(), /Rabbit Hole/);
    assert.equal(await waitConverged([alice.page, bob.page]), version);
  });

  test("the page opens with the network off (app shell kept by the service worker)", async () => {
    await bob.page.evaluate(() => navigator.serviceWorker.ready);
    await bob.context.setOffline(true);
    await bob.page.reload();
    await bob.page.waitForSelector("body[data-ready=true]");
    await bob.page.locator('.status[data-state="offline"]').waitFor();
    assert.equal(await qty(bob, "socks"), "5");
    await bob.page.click('.product[data-sku="notebook"] button.add');
    await item(bob, "notebook").waitFor();
    await bob.context.setOffline(false);
    await item(alice, "notebook").waitFor();
    await waitConverged([alice.page, bob.page]);
    await alice.page.goto(alice.page.url().replace(/#.*$/, "#timeline"));
    await alice.page.locator(".lanes-svg .ev").first().waitFor();
    await shot(alice.page, "11-timeline-cart");
  });

  test("no console errors", () => {
    assert.deepEqual([...alice.errors, ...bob.errors], []);
  });
});
