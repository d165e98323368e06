// Every call into the everlog package goes through this file, so the views only see
// plain objects: the cart, the document, open conflicts, their history, the events.
//
// One log per room and browser profile (IndexedDB database `everlog-demo-<room>`), opened
// through `everlog/docs` (everything `everlog` has, plus `Document`: one module, one log).
// The cart is a live projection (an incremental fold) of its stream; the document is a
// `Document` on the `doc:<room>` stream of the same log. Conflicts and the timeline are
// re-read from the log when it changes; time travel is a point-in-time fold for the cart
// and `doc.at(version)` for the document.

import init, { EventLog, Document } from "everlog/docs";
import { cartReducer, cartStream, emptyCart } from "./cart-model.js";
import { docStream } from "./doc-model.js";
import { docReader } from "./doc-reader.js";
import { authors } from "./names.js";
import { idString } from "./events.js";

export async function openStore(room) {
  await init();
  const log = await EventLog.open(`everlog-demo-${room}`, { storage: "indexeddb", durability: "strict" });
  const streams = { cart: cartStream(room), doc: docStream(room) };
  const cart = log.project(`cart-${room}`, { reducer: cartReducer, initial: emptyCart(), filter: { stream: streams.cart } });
  const doc = await Document.open(log, streams.doc);
  const names = authors(log, room);

  const byId = (id) => log.get(idString(id));
  const reader = docReader(log, doc);
  log.subscribe(() => {
    reader.forget();
    names.forget();
  });

  return {
    log,
    doc,
    streams,
    actor: log.actor,
    cart,
    author: names.author,
    /** Open conflicts of one stream of plain events: [{ stream, key, events: [event…] }]. */
    conflicts: (stream) => log.conflicts({ stream }),
    /** Every conflict that ever happened in a stream, with its events looked up. */
    history: (stream) =>
      log.conflictHistory({ stream }).map((r) => ({
        key: r.key,
        siblings: r.siblings.map(byId).filter(Boolean),
        resolvedBy: r.resolvedBy ? byId(r.resolvedBy) : null,
      })),
    /** The document's open conflicts, each side as its event with the `value` it holds. */
    docConflicts: reader.conflicts,
    /** Every conflict the document ever had: sides and resolution as events with their `value`. */
    docHistory: reader.history,
    /** What a document change event did, in words ("typed “x” in Notes"). */
    describeDocEvent: reader.describe,
    /** All events, every stream (the log is small in a demo). */
    events: () => log.events({}),
    version: () => log.version(),
    /** The cart and the document as they were at version `at` ({ actor: seq }). */
    at: (at) => ({
      cart: log.fold(cartReducer, emptyCart(), { stream: streams.cart, at: { version: at } }),
      doc: doc.at(at),
    }),
    onChange: (fn) => log.subscribe(fn),
  };
}
