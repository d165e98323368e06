// The shared document keeps a history of every conflict, and the timeline travels back
// to earlier states through point-in-time folds. Screenshots include a phone-sized view.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { freshRoom, launchBrowser, openDevice, shot, startRelay, waitConverged } from "./harness.mjs";

describe("document with conflict history, and the timeline", () => {
  let relay, browser, ana, ben;
  const room = freshRoom("doc");

  before(async () => {
    relay = await startRelay();
    browser = await launchBrowser();
    ana = await openDevice(browser, relay.url, { name: "Ana", room, tab: "doc" });
    ben = await openDevice(browser, relay.url, { name: "Ben", room, tab: "doc", viewport: { width: 390, height: 844 } });
  });

  after(async () => {
    await browser?.close();
    await relay?.stop();
  });

  async function setField(d, key, value) {
    const input = d.page.locator(`[data-field="${key}"] :is(input, textarea)`);
    await input.fill(value);
    await input.blur();
    await d.page.locator(`[data-field="${key}"] .field-note`, { hasText: d.name }).waitFor();
  }

  test("concurrent edits of one field show as a conflict, then in the history once resolved", async () => {
    await setField(ana, "title", "Picnic");
    await setField(ana, "place", "Riverside park");
    await waitConverged([ana.page, ben.page]);
    await ben.page.waitForFunction(() => document.querySelector('[data-field="title"] input').value === "Picnic");

    await ana.context.setOffline(true);
    await ben.context.setOffline(true);
    await setField(ana, "title", "Spring picnic");
    await setField(ben, "title", "Picnic by the river");
    await ana.context.setOffline(false);
    await ben.context.setOffline(false);
    await waitConverged([ana.page, ben.page]);

    for (const d of [ana, ben]) {
      const sides = await d.page.locator('[data-field="title"] .conflict .side').allInnerTexts();
      assert.equal(sides.length, 2);
      assert.ok(sides.some((s) => s.includes("Spring picnic") && s.includes("Ana")));
      assert.ok(sides.some((s) => s.includes("Picnic by the river") && s.includes("Ben")));
      await d.page.locator('.history-item[data-key="title"][data-state="open"]').waitFor();
    }
    await shot(ana.page, "06-doc-conflict");
    await shot(ben.page, "07-doc-conflict-phone");

    await ben.page.locator('[data-field="title"] .side', { hasText: "Picnic by the river" }).locator("button.pick").click();
    for (const d of [ana, ben]) {
      const rec = d.page.locator('.history-item[data-key="title"][data-state="resolved"]');
      await rec.waitFor();
      const text = await rec.innerText();
      assert.match(text, /Ana wrote “Spring picnic”/);
      assert.match(text, /Ben wrote “Picnic by the river”/);
      assert.match(text, /Ben kept “Picnic by the river”/);
      await d.page.waitForFunction(() => document.querySelectorAll("div.conflict").length === 0);
    }
    await shot(ana.page, "08-doc-history");
  });

  test("the timeline shows lanes per device and travels back to an earlier state", async () => {
    const page = ana.page;
    await page.goto(page.url().replace(/#.*$/, "#timeline"));
    await page.locator(".lanes-svg .ev").first().waitFor();
    const lanes = await page.locator(".lane-label").allInnerTexts();
    assert.equal(lanes.length, 2);
    assert.ok(lanes.some((l) => l.includes("Ana")) && lanes.some((l) => l.includes("Ben")));
    assert.match(await page.locator('.snap [data-field="title"]').innerText(), /Picnic by the river/);
    await shot(page, "09-timeline-now");

    // The first event: only the first title existed then.
    await page.locator(".lanes-svg .ev").first().click();
    await page.locator(".point h2", { hasText: "As Ana saw it" }).waitFor();
    assert.equal(await page.locator('.snap [data-field="title"]').innerText(), "Picnic");
    assert.match(await page.locator('.snap [data-field="place"]').innerText(), /—/);

    // Ben's offline edit: Ana's concurrent edit is not in its past, and drawn as concurrent.
    const benEdit = page.locator(".lanes-svg .ev", { has: page.locator("title", { hasText: "Ben set Title" }) }).first();
    await benEdit.click();
    assert.match(await page.locator('.snap [data-field="title"]').innerText(), /Picnic by the river/);
    assert.equal(await page.locator(".lanes-svg .ev.concurrent").count() >= 1, true);
    await shot(page, "10-timeline-travel");

    await page.click("button.now");
    await page.locator(".point h2", { hasText: "Now" }).waitFor();
  });

  test("a revert shows in the timeline: the original dimmed, a dotted arc to its undo", async () => {
    const page = ana.page;
    const ids = await page.evaluate(async () => {
      const { log } = window.everlogDemo;
      const first = log.events({})[0];
      const undo = await log.revert(first.id, { type: first.type, key: first.key, data: first.data, meta: first.meta });
      return { first: first.id, undo: undo.id };
    });
    await page.locator(`.lanes-svg .ev.reverted[data-id="${ids.first}"]`).waitFor();
    await page.locator(`.lanes-svg .ev.revert[data-id="${ids.undo}"]`).waitFor();
    assert.equal(await page.locator(".lanes-svg path.undo").count(), 1);
    assert.match(await page.locator(`.lanes-svg .ev[data-id="${ids.undo}"] title`).textContent(), /undoing event/);
    await shot(page, "10b-timeline-revert");
  });

  test("no console errors", () => {
    assert.deepEqual([...ana.errors, ...ben.errors], []);
  });
});
