// Starts the demo: opens this device's log, connects to the relay, wires the three
// screens, and re-renders the visible one whenever the log changes (a local append, or
// events that arrived from another device).

import { openStore } from "./store.js";
import { connect } from "./connection.js";
import { deviceName, roomName, setDeviceName } from "./session.js";
import { cartView } from "./cart-view.js";
import { docView } from "./doc-view.js";
import { timelineView } from "./timeline-view.js";
import { h, mount } from "./dom.js";
import { announceName } from "./names.js";

async function start() {
  const room = roomName();
  let name = deviceName();
  const session = { room, name: () => name };
  const store = await openStore(room);

  const nameInput = document.getElementById("device-name");
  nameInput.value = name;
  // Document edits carry no meta: the name they show comes from this announcement.
  const announce = () => announceName(store.log, room, name).catch((err) => console.error("could not save the name:", err));
  nameInput.addEventListener("change", () => {
    nameInput.value = name = setDeviceName(nameInput.value);
    announce();
  });
  await announce();
  document.getElementById("room-name").textContent = room;
  document.getElementById("actor-id").textContent = String(store.actor).slice(0, 8);

  const views = {
    cart: cartView(document.getElementById("cart"), store, session),
    doc: docView(document.getElementById("doc"), store),
    timeline: timelineView(document.getElementById("timeline"), store),
  };

  let current = null;
  let queued = false;
  const renderSoon = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      views[current]?.render();
    });
  };
  function show() {
    const tab = (location.hash.slice(1) || "cart").split("?")[0];
    current = tab in views ? tab : "cart";
    for (const el of document.querySelectorAll(".view")) el.hidden = el.dataset.view !== current;
    for (const a of document.querySelectorAll(".tabs a")) a.setAttribute("aria-selected", String(a.dataset.tab === current));
    views[current].render();
  }
  addEventListener("hashchange", show);
  store.onChange(renderSoon);
  store.cart.subscribe(renderSoon);
  store.doc.subscribe(renderSoon);
  show();

  const conn = await connect(store);
  // A handle for the browser console and the end-to-end tests.
  window.everlogDemo = { log: store.log, store, conn, ready: true };
  document.body.dataset.ready = "true";
}

// The app shell works offline too (sw.js): a reload with the network off still opens.
navigator.serviceWorker?.register("sw.js").catch((err) => console.warn("no offline app shell:", err));

start().catch((err) => {
  console.error(err);
  const el = document.getElementById("fatal");
  el.hidden = false;
  mount(el, h("h2", {}, "The demo could not start"), h("pre", {}, String(err?.stack ?? err)));
});
