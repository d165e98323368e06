// The state at one point of the timeline: the cart (a point-in-time fold) and the
// document (`doc.at(version)`), with a badge on what was in conflict at that point.

import { h } from "./dom.js";
import { inVersion } from "./causal.js";
import { formatAddress, money, product, total } from "./cart-model.js";
import { FIELDS, NOTES } from "./doc-model.js";

/** Conflicts open at version `v` (or now): two sides in it, and no resolution in it yet. */
export function openConflicts(histories, v) {
  return histories.filter((r) => {
    const sides = v ? r.siblings.filter((e) => inVersion(v, e.id)) : r.siblings;
    const resolved = r.resolvedBy && (!v || inVersion(v, r.resolvedBy.id));
    return sides.length >= 2 && !resolved;
  });
}

export function snapshot({ cart, doc }, conflicts) {
  const items = Object.values(cart.items);
  const conflictKeys = new Set(conflicts.map((r) => `${r.siblings[0]?.stream}|${r.key}`));
  const flag = (stream, key) => (conflictKeys.has(`${stream}|${key}`) ? h("span.badge.warn", {}, "conflict") : null);
  return h("div.snap-grid", {},
    h("div.snap", { "data-snap": "cart" },
      h("h3", {}, "Cart"),
      items.length
        ? h("ul.snap-list", {}, items.map((it) => h("li", { dataset: { sku: it.sku, qty: it.qty } },
            `${product(it.sku).name} × ${it.qty}`,
            conflicts.some((r) => r.key === `item:${it.sku}`) ? h("span.badge.warn", {}, "conflict") : null)))
        : h("p.muted", {}, "empty"),
      h("p", {}, h("span.muted", {}, "Ship to: "), formatAddress(cart.address),
        conflicts.some((r) => r.key === "address") ? h("span.badge.warn", {}, "conflict") : null),
      h("p", {}, h("span.muted", {}, "Total: "), money(total(cart))),
    ),
    h("div.snap", { "data-snap": "doc" },
      h("h3", {}, "Document"),
      h("dl", {}, [...FIELDS, NOTES].map((f) => [h("dt", {}, f.label),
        h("dd", { dataset: { field: f.key } }, doc[f.key] || h("span.muted", {}, "—"), flag(conflicts.find((r) => r.key === f.key)?.siblings[0]?.stream, f.key))])),
    ),
  );
}
