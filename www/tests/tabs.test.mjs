// Tabs that know of each other (src/wasm/tabs/presence.rs): a tab alone posts no batch on
// the BroadcastChannel, tabs that come and go still see every event exactly once.
// Run: node --test www/tests/tabs.test.mjs (after pkg-scripts/build.sh).
import { test } from "node:test";
import assert from "node:assert/strict";

import { openPage } from "./browser.mjs";
import { serveAndLaunch } from "./fixture.mjs";

const env = serveAndLaunch();

/** Opens a page that counts the batch messages it posts (`window.posted`). */
async function spiedPage(context) {
  const page = await openPage(context, env.server.url);
  await page.evaluate(() => {
    window.posted = 0;
    const post = BroadcastChannel.prototype.postMessage;
    BroadcastChannel.prototype.postMessage = function (msg) {
      if (msg && "key" in msg) window.posted++;
      return post.call(this, msg);
    };
  });
  return page;
}

/** Opens `name` in the page: what the open loaded (`window.loaded`) and what its subscriber
 * sees from then on (`window.seen`). */
const openLog = (page, name) =>
  page.evaluate(async (name) => {
    window.log = await window.everlog.EventLog.open(name);
    window.loaded = window.log.events().map((e) => e.id);
    window.seen = [];
    window.log.subscribe((evs) => window.seen.push(...evs.map((e) => e.id)));
  }, name);

const append = (page, n, tag) =>
  page.evaluate(
    async ([n, tag]) => {
      for (let i = 0; i < n; i++) await window.log.append({ stream: "s", type: tag, data: i });
    },
    [n, tag],
  );

/** Waits until the page's log has `n` events (a missed event fails the test after 10 s
 * instead of hanging it); its ids, what it loaded and what its subscriber saw. */
const settled = (page, n) =>
  page.evaluate(async (n) => {
    const end = Date.now() + 10_000;
    while (window.log.streamVersion("s") < n && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    return { ids: window.log.events().map((e) => e.id).sort(), loaded: window.loaded, seen: window.seen };
  }, n);

/** Every event reached the tab exactly once: loaded by its open or told to its subscriber. */
function exactlyOnce(s, what) {
  assert.equal(new Set(s.seen).size, s.seen.length, `${what}: the subscriber saw no event twice`);
  assert.deepEqual([...s.loaded, ...s.seen].sort(), s.ids, `${what}: loaded + seen = the log, once each`);
}

const posted = (page) => page.evaluate(() => window.posted);

test("a tab alone posts no batch; with a second tab it does, and stops once that one closes", async () => {
  const context = await env.browser.newContext();
  const a = await spiedPage(context);
  await openLog(a, "alone");
  await append(a, 5, "A");
  assert.equal(await posted(a), 0, "nobody listens: nothing posted");

  const b = await spiedPage(context);
  await openLog(b, "alone");
  // B's hello reaches A before A's next commit completes, as a rule; poll for A knowing B.
  await a.evaluate(async () => {
    for (;;) {
      const before = window.posted;
      await window.log.append({ stream: "s", type: "probe", data: 0 });
      if (window.posted > before) return;
    }
  });
  const probes = await a.evaluate(() => window.log.events({ stream: "s" }).filter((e) => e.type === "probe").length);
  await append(a, 3, "A2");
  const total = 5 + probes + 3;
  const sb = await settled(b, total);
  assert.equal(sb.ids.length, total);
  assert.equal(sb.loaded.length, 5);
  exactlyOnce(sb, "B");

  await b.evaluate(() => window.log.close());
  await a.evaluate(async () => {
    // A stops posting once it has B's bye.
    for (;;) {
      const before = window.posted;
      await window.log.append({ stream: "s", type: "after", data: 0 });
      if (window.posted === before) return;
    }
  });
  const after = await posted(a);
  await append(a, 3, "A3");
  assert.equal(await posted(a), after, "alone again: nothing posted");
  assert.deepEqual(a.pageErrors, []);
  assert.deepEqual(b.pageErrors, []);
  await context.close();
});

test("tabs opening while another appends, and appending at once, see every event exactly once", async () => {
  const context = await env.browser.newContext();
  for (let round = 0; round < 4; round++) {
    const name = `race-${round}`;
    const a = await spiedPage(context);
    await openLog(a, name);
    // A appends without pause while B opens and appends right away (before it can know of A).
    const b = await spiedPage(context);
    await Promise.all([append(a, 40, "A"), openLog(b, name).then(() => append(b, 10, "B"))]);
    // C opens late, alone with them for a moment; everybody ends with the same 50 events.
    const c = await spiedPage(context);
    await openLog(c, name);
    const [sa, sb, sc] = [await settled(a, 50), await settled(b, 50), await settled(c, 50)];
    assert.equal(sa.ids.length, 50, `round ${round}`);
    assert.deepEqual(sb.ids, sa.ids, `round ${round}: B has A's events`);
    assert.deepEqual(sc.ids, sa.ids, `round ${round}: C has everything`);
    exactlyOnce(sa, `round ${round}, A`);
    exactlyOnce(sb, `round ${round}, B`);
    exactlyOnce(sc, `round ${round}, C`);
    for (const p of [a, b, c]) {
      assert.deepEqual(p.pageErrors, []);
      await p.evaluate(() => window.log.close());
      await p.close();
    }
  }
  await context.close();
});

/** Delays the delivery of presence messages of one kind (`hello` or `here`) in the page:
 * the windows where a tab does not know of another yet, made wide and certain. */
const delayPresence = (page, kind, ms) =>
  page.evaluate(
    ([kind, ms]) => {
      const d = Object.getOwnPropertyDescriptor(BroadcastChannel.prototype, "onmessage");
      Object.defineProperty(BroadcastChannel.prototype, "onmessage", {
        ...d,
        set(h) {
          const late = (ev) => (ev.data && kind in ev.data ? setTimeout(() => h(ev), ms) : h(ev));
          d.set.call(this, h && late);
        },
      });
    },
    [kind, ms],
  );

test("batches committed before a tab knows of the other reach it from IndexedDB", async () => {
  const context = await env.browser.newContext();
  // A learns of B late: A's appends after B's load are not posted; B reads them on A's `here`.
  const a = await spiedPage(context);
  await delayPresence(a, "hello", 400);
  await openLog(a, "late-hello");
  await append(a, 2, "A");
  const b = await spiedPage(context);
  await openLog(b, "late-hello");
  await append(a, 3, "A-unposted");
  assert.equal(await posted(a), 0, "A did not know of B yet");
  const [sa, sb] = [await settled(a, 5), await settled(b, 5)];
  assert.equal(sa.ids.length, 5);
  assert.deepEqual(sb.ids, sa.ids, "B has A's events");
  exactlyOnce(sb, "B");

  // C learns of D late (D's `here` is delayed in C): C's first appends are not posted; C
  // posts the key of the first one on D's `here`, and D reads them.
  const d = await spiedPage(context);
  await openLog(d, "late-here");
  await append(d, 2, "D");
  const c = await spiedPage(context);
  await delayPresence(c, "here", 400);
  await openLog(c, "late-here");
  await append(c, 3, "C-unposted");
  assert.equal(await posted(c), 0, "C did not know of D yet");
  const [sc, sd] = [await settled(c, 5), await settled(d, 5)];
  assert.equal(sc.ids.length, 5);
  assert.deepEqual(sd.ids, sc.ids, "D has C's events");
  exactlyOnce(sd, "D");
  exactlyOnce(sc, "C");
  for (const p of [a, b, c, d]) assert.deepEqual(p.pageErrors, []);
  await context.close();
});
