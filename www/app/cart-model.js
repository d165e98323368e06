// The shopping cart as events, and the fold that turns them into a cart.
//
// Stream `cart:<room>`. Every write names what it writes as the event key, so the log
// can tell when two devices changed the same thing concurrently:
//   key `item:<sku>`  ItemAdded {sku, qty} · QtyChanged {sku, qty} · ItemRemoved {sku}
//   key `address`     AddressSet {name, street, city, postcode}
// The fold takes each key's last event in the log's total order (the same on every
// replica); concurrent writes are not hidden by it: the view lists them from
// `log.conflicts()` until someone picks a side, which appends one more event on the key.

import { dataOf } from "./events.js";

export const CATALOG = [
  { sku: "socks", name: "Wool socks", price: 900, color: "#e11d48" },
  { sku: "mug", name: "Enamel mug", price: 1400, color: "#0284c7" },
  { sku: "notebook", name: "Dot-grid notebook", price: 650, color: "#ca8a04" },
  { sku: "tote", name: "Canvas tote", price: 1900, color: "#65a30d" },
];

export const product = (sku) => CATALOG.find((p) => p.sku === sku) ?? { sku, name: sku, price: 0, color: "#64748b" };

export const cartStream = (room) => `cart:${room}`;
export const itemKey = (sku) => `item:${sku}`;

export const emptyCart = () => ({ items: {}, address: null, events: 0 });

/** The cart reducer: `(state, event) -> state`, pure, used live and for time travel. */
export function cartReducer(state, e) {
  const d = dataOf(e) ?? {};
  const items = { ...state.items };
  switch (e.type) {
    case "ItemAdded":
      items[d.sku] = { sku: d.sku, qty: Number(d.qty ?? 1) };
      break;
    case "QtyChanged":
      if (Number(d.qty) > 0) items[d.sku] = { sku: d.sku, qty: Number(d.qty) };
      else delete items[d.sku];
      break;
    case "ItemRemoved":
      delete items[d.sku];
      break;
    case "AddressSet":
      return { ...state, items, address: d, events: state.events + 1 };
  }
  return { ...state, items, events: state.events + 1 };
}

export function total(cart) {
  return Object.values(cart.items).reduce((s, it) => s + product(it.sku).price * it.qty, 0);
}

export const money = (cents) => new Intl.NumberFormat(undefined, { style: "currency", currency: "EUR" }).format(cents / 100);

/** How one side of a conflict reads to a person. */
export function describeCartEvent(e) {
  const d = dataOf(e) ?? {};
  switch (e.type) {
    case "ItemAdded":
      return `added ${d.qty ?? 1} × ${product(d.sku).name}`;
    case "QtyChanged":
      return Number(d.qty) > 0 ? `quantity ${d.qty}` : "removed it";
    case "ItemRemoved":
      return "removed it";
    case "AddressSet":
      return formatAddress(d);
    default:
      return e.type;
  }
}

export function formatAddress(a) {
  if (!a) return "No address yet";
  return [a.name, a.street, [a.postcode, a.city].filter(Boolean).join(" ")].filter(Boolean).join(", ");
}

/** Commands: each is one append (the promise resolves once it is durable in IndexedDB). */
export function cartCommands(log, room, by) {
  const stream = cartStream(room);
  const put = (type, key, data, extraMeta = {}) =>
    log.append({ stream, type, key, data, meta: { by, ...extraMeta } });
  return {
    add: (sku, current) =>
      current ? put("QtyChanged", itemKey(sku), { sku, qty: current + 1 }) : put("ItemAdded", itemKey(sku), { sku, qty: 1 }),
    setQty: (sku, qty) => (qty > 0 ? put("QtyChanged", itemKey(sku), { sku, qty }) : put("ItemRemoved", itemKey(sku), { sku })),
    remove: (sku) => put("ItemRemoved", itemKey(sku), { sku }),
    setAddress: (address) => put("AddressSet", "address", address),
    /** Picks one side of a conflict: re-appends its content on the same key. */
    resolve: (conflict, chosen) =>
      put(chosen.type, conflict.key, dataOf(chosen), { resolves: conflict.events.map((e) => String(e.id)).join(" ") }),
  };
}
