// One line per event for the timeline: who did what, whatever the stream.
//
// Cart events say it with their type and data; a document change event's data is an
// automerge change, so what it did comes from the document itself (`store.describeDocEvent`:
// the patches between its author's view before and after it); `DeviceNamed` says who
// joined. Links set by log.revert (`reverts`, `revertedBy`) and resolutions are appended.

import { dataOf } from "./events.js";
import { formatAddress, product } from "./cart-model.js";

/** `brief`: a document change only says "edited the document" (no diff to work out). */
export function describeEvent(e, store, { brief = false } = {}) {
  const who = store.author(e);
  const kept = (e.meta?.resolves ? " (resolving a conflict)" : "") +
    (e.reverts ? ` (undoing event ${e.reverts})` : "") + (e.revertedBy?.length ? " (reverted)" : "");
  if (e.stream === store.streams.doc) return `${who} ${brief ? "edited the document" : store.describeDocEvent(e)}${kept}`;
  const d = dataOf(e) ?? {};
  const name = product(d.sku ?? String(e.key ?? "").slice(5)).name;
  switch (e.type) {
    case "DeviceNamed":
      return `${d.name} joined on this device${kept}`;
    case "ItemAdded":
      return `${who} added ${name}${kept}`;
    case "QtyChanged":
      return `${who} changed ${name} to ${d.qty}${kept}`;
    case "ItemRemoved":
      return `${who} removed ${name}${kept}`;
    case "AddressSet":
      return `${who} set the address to ${formatAddress(d)}${kept}`;
    default:
      return `${who}: ${e.type}${kept}`;
  }
}

/** The timeline's colour class of an event: cart, document, or device name. */
export function kindOf(e, store) {
  if (e.stream === store.streams.doc) return "doc";
  return e.type === "DeviceNamed" ? "dev" : "cart";
}
