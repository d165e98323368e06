// The log drawn as one lane per device, in the log's total order from left to right.
// A line joins each device's events; a curve joins an event to what it had just received
// from another device. Pick any event (click it, or slide) to see the cart and document
// as its author saw them when writing it: a point-in-time fold at that event's version.
// Events its author had not seen yet are concurrent with it, and drawn dashed.

import { h, mount, svg, when } from "./dom.js";
import { idString, parseId, shortActor, totalOrder } from "./events.js";
import { causalIndex, inVersion } from "./causal.js";
import { describeEvent, kindOf } from "./describe.js";
import { openConflicts, snapshot } from "./snapshot-view.js";

const COL = 42;
const LANE = 60;
const LABEL_W = 108;

export function timelineView(root, store) {
  let selected = null; // event id string, or null for "now"
  const lanesEl = h("div.lanes");
  const slider = h("input.scrub", { type: "range", min: 0, max: 0, value: 0, "aria-label": "Point in time" });
  const pointEl = h("div.point");
  const snapshotEl = h("div.snapshot");
  slider.addEventListener("input", () => select(order[Number(slider.value)]?.id ?? null));

  mount(
    root,
    h("article.card.timeline-card", { "aria-label": "Timeline" },
      h("h2", {}, "Timeline"),
      h("p.muted", {}, "One lane per device, in causal order. Pick an event to travel back to it: you see what its author saw. Dashed events happened concurrently, on a device that had not synced yet."),
      legend(),
      lanesEl,
      h("div.scrub-row", {},
        h("button.ghost", { type: "button", "aria-label": "Earlier", onclick: () => step(-1) }, "◀"),
        slider,
        h("button.ghost", { type: "button", "aria-label": "Later", onclick: () => step(1) }, "▶"),
        h("button.now", { type: "button", onclick: () => select(null) }, "Now"),
      ),
    ),
    h("article.card", { "aria-label": "State at the selected point" }, pointEl, snapshotEl),
  );

  let order = [];
  function step(d) {
    const i = selected === null ? order.length - 1 : order.findIndex((e) => idString(e.id) === selected);
    const j = Math.max(0, Math.min(order.length - 1, i + d));
    select(order[j]?.id ?? null);
  }
  function select(id) {
    selected = id === null || id === undefined ? null : idString(id);
    render();
  }

  function render() {
    order = totalOrder(store.events());
    const causal = causalIndex(order);
    if (selected && !order.some((e) => idString(e.id) === selected)) selected = null;
    const sel = selected ?? (order.length ? idString(order[order.length - 1].id) : null);
    const idx = sel ? order.findIndex((e) => idString(e.id) === sel) : 0;
    slider.max = String(Math.max(0, order.length - 1));
    slider.value = String(selected === null ? order.length - 1 : idx);
    slider.disabled = order.length === 0;

    const conflictIds = new Set();
    const histories = [...store.history(store.streams.cart), ...store.docHistory()];
    for (const r of histories) for (const e of r.siblings) conflictIds.add(idString(e.id));
    const resolveIds = new Set(histories.filter((r) => r.resolvedBy).map((r) => idString(r.resolvedBy.id)));

    mount(lanesEl, drawLanes(order, causal, sel, selected !== null, { conflictIds, resolveIds }, store, select));
    const selEl = lanesEl.querySelector(".ev.selected");
    if (selEl && selected !== null) selEl.scrollIntoView?.({ block: "nearest", inline: "nearest" });
    else lanesEl.querySelector(".lanes-scroll")?.scrollTo?.({ left: 1e9 });

    if (selected === null) {
      mount(pointEl, h("h2", {}, "Now"), h("p.muted", {}, `${order.length} events in the log.`));
      mount(snapshotEl, snapshot({ cart: store.cart.value, doc: store.doc.toJSON() }, openConflicts(histories, null)));
      return;
    }
    const e = order[idx];
    const version = causal.versionAt(e.id);
    const seen = order.filter((x) => inVersion(version, x.id)).length;
    mount(
      pointEl,
      h("h2", {}, `As ${store.author(e)} saw it at ${when(e.time)}`),
      h("p.muted", {}, `Event ${idx + 1} of ${order.length}: ${describeEvent(e, store)}. ${seen} events in its past; the fold below runs over exactly those.`),
    );
    mount(snapshotEl, snapshot(store.at(version), openConflicts(histories, version)));
  }

  return { render };
}

function legend() {
  return h("div.legend", {},
    h("span", {}, h("i.sw.sw-cart"), "cart"),
    h("span", {}, h("i.sw.sw-doc"), "document"),
    h("span", {}, h("i.sw.sw-dev"), "device name"),
    h("span", {}, h("i.sw.sw-conflict"), "conflicting side"),
    h("span", {}, h("i.sw.sw-resolve"), "resolution"),
    h("span", {}, h("i.sw.sw-concurrent"), "concurrent with the selected event"),
    h("span", {}, h("i.sw.sw-reverted"), "reverted (dotted arc: its undo)"),
  );
}

function drawLanes(order, causal, sel, picked, { conflictIds, resolveIds }, store, select) {
  const me = store.actor;
  const actors = [];
  const names = new Map();
  for (const e of order) {
    const a = parseId(e.id).actor;
    if (!actors.includes(a)) actors.push(a);
    names.set(a, store.author(e));
  }
  if (!order.length) return h("p.muted.empty", {}, "No events yet. Add something to the cart.");
  const width = order.length * COL + 16;
  const height = actors.length * LANE;
  const x = (i) => 8 + i * COL + COL / 2;
  const y = (a) => actors.indexOf(a) * LANE + LANE / 2;
  const pos = new Map(order.map((e, i) => [idString(e.id), [x(i), y(parseId(e.id).actor)]]));

  const bg = actors.map((a) => svg("line", { class: "lane", x1: 0, x2: width, y1: y(a), y2: y(a) }));
  const edges = [];
  for (const e of order) {
    const { actor, seq } = parseId(e.id);
    const [x2, y2] = pos.get(idString(e.id));
    const prev = pos.get(`${seq - 1}@${actor}`);
    if (prev) edges.push(svg("line", { class: "own", x1: prev[0], y1: prev[1], x2, y2 }));
    const undone = e.reverts && pos.get(e.reverts);
    if (undone) {
      const mx = (undone[0] + x2) / 2;
      edges.push(svg("path", { class: "undo", d: `M${undone[0]},${undone[1]} Q${mx},${Math.min(undone[1], y2) - LANE / 2} ${x2},${y2}` }));
    }
    for (const d of e.deps ?? []) {
      const from = pos.get(idString(d));
      if (from && from[1] !== y2) {
        const mx = (from[0] + x2) / 2;
        edges.push(svg("path", { class: "dep", d: `M${from[0]},${from[1]} C${mx},${from[1]} ${mx},${y2} ${x2},${y2}` }));
      }
    }
  }
  const resolves = (e) => e.meta?.resolves || resolveIds.has(idString(e.id));
  const dots = order.map((e) => {
    const id = idString(e.id);
    const [cx, cy] = pos.get(id);
    const rel = !picked ? "" : id === sel ? "selected" : causal.knows(sel, id) ? "past" : causal.knows(id, sel) ? "future" : "concurrent";
    const cls = ["ev", kindOf(e, store), rel,
      id === sel && !picked ? "latest" : "",
      conflictIds.has(id) ? "conflict" : "", resolves(e) ? "resolve" : "",
      e.reverts ? "revert" : "", e.revertedBy?.length ? "reverted" : ""].filter(Boolean).join(" ");
    // What a document change did costs a diff: worked out when the pointer or focus gets there.
    const title = svg("title", {}, `${describeEvent(e, store, { brief: true })} — ${when(e.time)}`);
    const full = () => (title.textContent = `${describeEvent(e, store)} — ${when(e.time)}`);
    return svg("g", { class: cls, "data-id": id, tabindex: 0, role: "button", onclick: () => select(id),
      onmouseenter: full, onfocus: full,
      onkeydown: (ev) => (ev.key === "Enter" || ev.key === " ") && (ev.preventDefault(), select(id)) },
      title,
      svg("circle", { cx, cy, r: 15, class: "hit" }),
      resolves(e)
        ? svg("rect", { x: cx - 8, y: cy - 8, width: 16, height: 16, transform: `rotate(45 ${cx} ${cy})`, class: "dot" })
        : svg("circle", { cx, cy, r: 9, class: "dot" }));
  });

  return h("div.lanes-inner", {},
    h("div.lane-labels", { style: `height:${height}px;width:${LABEL_W}px` },
      actors.map((a) => h("div.lane-label", { style: `height:${LANE}px` },
        h("strong", {}, names.get(a)), h("span.muted", {}, a === me ? " you" : ` ${shortActor(a)}`)))),
    h("div.lanes-scroll", {},
      svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "lanes-svg", role: "img", "aria-label": "Event lanes" },
        bg, edges, dots)),
  );
}
