// The Document tab is an `everlog/docs` Document on the room's log: concurrent writes of
// one field keep both values (a conflict listed in the history, also once resolved), two
// offline devices typing in the notes at different places both keep their text, the
// timeline travels back to an earlier document, and a reload keeps everything.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { freshRoom, launchBrowser, openDevice, shot, startRelay, waitConverged } from "./harness.mjs";

describe("collaborative document with conflict history, and the timeline", () => {
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

  const docValue = (d, key) => d.page.evaluate((k) => window.everlogDemo.store.doc.toJSON()[k] ?? null, key);
  const notes = (d) => d.page.locator('[data-field="notes"] textarea');

  async function setField(d, key, value) {
    const input = d.page.locator(`[data-field="${key}"] input`);
    await input.fill(value);
    await input.blur();
    await d.page.waitForFunction(([k, v]) => window.everlogDemo.store.doc.toJSON()[k] === v, [key, value]);
  }

  /** Puts the caret at `at` (or the end) and types `text` key by key: one splice per key. */
  async function typeInNotes(d, at, text) {
    const area = notes(d);
    await area.focus();
    await area.evaluate((el, i) => el.setSelectionRange(i ?? el.value.length, i ?? el.value.length), at);
    await d.page.keyboard.type(text);
    await d.page.waitForFunction((t) => window.everlogDemo.store.doc.toJSON().notes === t, await area.inputValue());
  }

  test("fields and notes written on one device reach the other", async () => {
    await setField(ana, "title", "Picnic");
    await setField(ana, "place", "Riverside park");
    await typeInNotes(ana, null, "Bring:\nbread\nfruit");
    await waitConverged([ana.page, ben.page]);
    await ben.page.waitForFunction(() => document.querySelector('[data-field="title"] input').value === "Picnic");
    assert.equal(await notes(ben).inputValue(), "Bring:\nbread\nfruit");
  });

  test("offline edits: a field conflict with both sides, and notes typed at two places merge", async () => {
    await ana.context.setOffline(true);
    await ben.context.setOffline(true);
    await ana.page.locator('.status[data-state="offline"]').waitFor();
    await ben.page.locator('.status[data-state="offline"]').waitFor();
    await setField(ana, "title", "Spring picnic");
    await setField(ben, "title", "Picnic by the river");
    await typeInNotes(ana, 0, "Sunday! ");
    await typeInNotes(ben, null, "\ncheese");
    await ana.context.setOffline(false);
    await ben.context.setOffline(false);
    await waitConverged([ana.page, ben.page]);

    const merged = "Sunday! Bring:\nbread\nfruit\ncheese";
    for (const d of [ana, ben]) {
      await d.page.waitForFunction((t) => document.querySelector('[data-field="notes"] textarea').value === t, merged);
      assert.equal(await docValue(d, "notes"), merged);
      const sides = d.page.locator('[data-field="title"] .conflict .side');
      await sides.nth(1).waitFor();
      const texts = await sides.allInnerTexts();
      assert.equal(texts.length, 2);
      assert.ok(texts.some((s) => s.includes("Spring picnic") && s.includes("Ana")), texts.join(" | "));
      assert.ok(texts.some((s) => s.includes("Picnic by the river") && s.includes("Ben")), texts.join(" | "));
      await d.page.locator('.history-item[data-key="title"][data-state="open"]').waitFor();
    }
    await shot(ana.page, "06-doc-conflict");
    await shot(ben.page, "07-doc-conflict-phone");
  });

  test("keeping one side resolves it on both devices; the history keeps it", async () => {
    await ben.page.locator('[data-field="title"] .side', { hasText: "Picnic by the river" }).locator("button.pick").click();
    for (const d of [ana, ben]) {
      const rec = d.page.locator('.history-item[data-key="title"][data-state="resolved"]');
      await rec.waitFor();
      const text = await rec.innerText();
      assert.match(text, /Ana wrote “Spring picnic”/);
      assert.match(text, /Ben wrote “Picnic by the river”/);
      assert.match(text, /Ben kept “Picnic by the river”/);
      await d.page.waitForFunction(() => document.querySelectorAll("div.conflict").length === 0);
      assert.equal(await docValue(d, "title"), "Picnic by the river");
    }
    await shot(ana.page, "08-doc-history");
  });

  test("remote typing before the caret moves the caret with the text", async () => {
    const area = notes(ana);
    await area.focus();
    // A selection in the middle ("Bring"): text typed before it shifts it, after it does not.
    const at = (await area.inputValue()).indexOf("Bring");
    await area.evaluate((el, i) => el.setSelectionRange(i, i + 5), at);
    await typeInNotes(ben, 0, "Hi. ");
    await typeInNotes(ben, null, "!");
    await ana.page.waitForFunction(() => document.querySelector('[data-field="notes"] textarea').value.endsWith("cheese!"));
    assert.ok((await area.inputValue()).startsWith("Hi. "));
    assert.equal(await area.evaluate((el) => [el.selectionStart, el.selectionEnd].join()), `${at + 4},${at + 9}`);
    assert.equal(await area.evaluate((el) => document.activeElement === el), true);
  });

  test("the timeline shows lanes per device and travels back to an earlier document", async () => {
    const page = ana.page;
    await page.goto(page.url().replace(/#.*$/, "#timeline"));
    await page.locator(".lanes-svg .ev").first().waitFor();
    const lanes = await page.locator(".lane-label").allInnerTexts();
    assert.equal(lanes.length, 2);
    assert.ok(lanes.some((l) => l.includes("Ana")) && lanes.some((l) => l.includes("Ben")));
    assert.match(await page.locator('.snap [data-field="title"]').innerText(), /Picnic by the river/);
    await shot(page, "09-timeline-now");

    // A document change event, by what it did (the log's order: the first such one).
    const pick = async (text) => {
      const id = await page.evaluate((t) => {
        const { store, log } = window.everlogDemo;
        return log.events({ stream: store.streams.doc }).find((e) => `${store.author(e)} ${store.describeDocEvent(e)}` === t)?.id;
      }, text);
      assert.ok(id, `no event: ${text}`);
      await page.locator(`.lanes-svg .ev[data-id="${id}"]`).click();
      await page.locator(".point p", { hasText: text }).waitFor();
      return id;
    };
    // Ana's first title: nothing else in the document yet.
    const first = await pick("Ana set Title to “Picnic”");
    await page.locator(".point h2", { hasText: "As Ana saw it" }).waitFor();
    assert.equal(await page.locator('.snap [data-field="title"]').innerText(), "Picnic");
    assert.match(await page.locator('.snap [data-field="place"]').innerText(), /—/);
    assert.match(await page.locator('.snap [data-field="notes"]').innerText(), /—/);
    // Hovering a document event says what it did.
    await page.hover(`.lanes-svg .ev[data-id="${first}"]`);
    assert.match(await page.locator(`.lanes-svg .ev[data-id="${first}"] title`).textContent(), /^Ana set Title to “Picnic” — /);

    // Ben's offline title: Ana's concurrent edits (her typing too) are not in its past.
    await pick("Ben set Title to “Picnic by the river”");
    assert.match(await page.locator('.snap [data-field="title"]').innerText(), /Picnic by the river/);
    assert.equal(await page.locator('.snap [data-field="notes"]').innerText(), "Bring:\nbread\nfruit");
    assert.ok((await page.locator(".lanes-svg .ev.doc.concurrent").count()) >= "Sunday! ".length);

    // Ana's first offline keystroke: her text, not yet Ben's.
    await pick("Ana typed “S” in Notes");
    assert.equal(await page.locator('.snap [data-field="notes"]').innerText(), "SBring:\nbread\nfruit");
    assert.equal(await page.locator('.snap [data-field="title"]').innerText(), "Spring picnic");
    await shot(page, "10-timeline-travel");

    await page.click("button.now");
    await page.locator(".point h2", { hasText: "Now" }).waitFor();
  });

  test("a revert shows in the timeline: the original dimmed, a dotted arc to its undo", async () => {
    const page = ana.page;
    const ids = await page.evaluate(async () => {
      const { log } = window.everlogDemo;
      const first = log.events({ type: "DeviceNamed" })[0];
      const undo = await log.revert(first.id, { type: first.type, key: first.key, data: first.data, meta: first.meta });
      return { first: first.id, undo: undo.id };
    });
    await page.locator(`.lanes-svg .ev.reverted[data-id="${ids.first}"]`).waitFor();
    await page.locator(`.lanes-svg .ev.revert[data-id="${ids.undo}"]`).waitFor();
    assert.equal(await page.locator(".lanes-svg path.undo").count(), 1);
    assert.match(await page.locator(`.lanes-svg .ev[data-id="${ids.undo}"] title`).textContent(), /undoing event/);
    await shot(page, "10b-timeline-revert");
  });

  test("a reload keeps the document, the notes and the history", async () => {
    const page = ana.page;
    await page.goto(page.url().replace(/#.*$/, "#doc"));
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    await page.waitForFunction(() => document.querySelector('[data-field="title"] input').value === "Picnic by the river");
    assert.equal(await notes(ana).inputValue(), "Hi. Sunday! Bring:\nbread\nfruit\ncheese!");
    await page.locator('.history-item[data-key="title"][data-state="resolved"]').waitFor();
  });

  test("no console errors", () => {
    assert.deepEqual([...ana.errors, ...ben.errors], []);
  });
});
