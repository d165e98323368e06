// Every call into the everlog package goes through this file, so the views only see
// plain objects: the cart, the document, open conflicts, their history, the events.
//
// One log per room and browser profile (IndexedDB database `everlog-demo-<room>`). The
// cart and the document are live projections (incremental folds); conflicts and the
// timeline are re-read from the log when it changes; time travel is a point-in-time fold.

import init, { EventLog } from "everlog";
import { cartReducer, cartStream, emptyCart } from "./cart-model.js";
import { docReducer, docStream, emptyDoc } from "./doc-model.js";
import { idString } from "./events.js";

export async function openStore(room) {
  await init();
  const log = await EventLog.open(`everlog-demo-${room}`, { storage: "indexeddb", durability: "strict" });
  const streams = { cart: cartStream(room), doc: docStream(room) };
  const cart = log.project(`cart-${room}`, { reducer: cartReducer, initial: emptyCart(), filter: { stream: streams.cart } });
  const doc = log.project(`doc-${room}`, { reducer: docReducer, initial: emptyDoc(), filter: { stream: streams.doc } });

  const byId = (id) => log.get(idString(id));

  return {
    log,
    streams,
    actor: log.actor,
    cart,
    doc,
    /** Open conflicts of one stream: [{ stream, key, events: [event…] }]. */
    conflicts: (stream) => log.conflicts({ stream }),
    /** Every conflict that ever happened in a stream, with its events looked up. */
    history: (stream) =>
      log.conflictHistory({ stream }).map((r) => ({
        key: r.key,
        siblings: r.siblings.map(byId).filter(Boolean),
        resolvedBy: r.resolvedBy ? byId(r.resolvedBy) : null,
      })),
    /** All events, every stream (the log is small in a demo). */
    events: () => log.events({}),
    version: () => log.version(),
    /** The cart and the document as they were at version `at` ({ actor: seq }). */
    at: (at) => ({
      cart: log.fold(cartReducer, emptyCart(), { stream: streams.cart, at: { version: at } }),
      doc: log.fold(docReducer, emptyDoc(), { stream: streams.doc, at: { version: at } }),
    }),
    onChange: (fn) => log.subscribe(fn),
  };
}
