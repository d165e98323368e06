// The notes' first write: two devices that never synced each create the notes text while
// offline. Those are two texts on one property (keep-both, not a merge): the conflict
// shows both, keeping one makes it the notes on both devices, and typing goes on in it.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { freshRoom, launchBrowser, openDevice, startRelay, waitConverged } from "./harness.mjs";

describe("notes created on two offline devices", () => {
  let relay, browser, cy, dan;
  const room = freshRoom("notes");

  before(async () => {
    relay = await startRelay();
    browser = await launchBrowser();
    cy = await openDevice(browser, relay.url, { name: "Cy", room, tab: "doc" });
    dan = await openDevice(browser, relay.url, { name: "Dan", room, tab: "doc" });
  });

  after(async () => {
    await browser?.close();
    await relay?.stop();
  });

  const area = (d) => d.page.locator('[data-field="notes"] textarea');
  const shows = (d, text) => d.page.waitForFunction((t) => document.querySelector('[data-field="notes"] textarea').value === t, text);

  async function type(d, text) {
    await area(d).focus();
    await d.page.keyboard.type(text);
    await d.page.waitForFunction((t) => window.everlogDemo.store.doc.toJSON().notes === t, await area(d).inputValue());
  }

  test("both texts show as a conflict; keeping one makes it the notes everywhere", async () => {
    await cy.context.setOffline(true);
    await dan.context.setOffline(true);
    await type(cy, "cy's list");
    await type(dan, "dan's list");
    await cy.context.setOffline(false);
    await dan.context.setOffline(false);
    await waitConverged([cy.page, dan.page]);

    for (const d of [cy, dan]) {
      const sides = d.page.locator('[data-field="notes"] .conflict .side');
      await sides.nth(1).waitFor();
      const texts = await sides.allInnerTexts();
      assert.ok(texts.some((s) => s.includes("cy's list") && s.includes("Cy")), texts.join(" | "));
      assert.ok(texts.some((s) => s.includes("dan's list") && s.includes("Dan")), texts.join(" | "));
    }
    await cy.page.locator('[data-field="notes"] .side', { hasText: "dan's list" }).locator("button.pick").click();
    for (const d of [cy, dan]) {
      await shows(d, "dan's list");
      await d.page.locator('.history-item[data-key="notes"][data-state="resolved"]').waitFor();
      assert.match(await d.page.locator('.history-item[data-key="notes"]').innerText(), /Cy kept “dan's list”/);
      await d.page.waitForFunction(() => document.querySelectorAll("div.conflict").length === 0);
    }

    await area(dan).evaluate((el) => el.setSelectionRange(el.value.length, el.value.length));
    await type(dan, ": bread");
    await shows(cy, "dan's list: bread");
  });

  test("no console errors", () => {
    assert.deepEqual([...cy.errors, ...dan.errors], []);
  });
});
