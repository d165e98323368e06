// Reading the document's conflicts, their history and its change events as events of
// the log, for the views: each side and each resolution is the event that wrote it (for
// its author and time), with the `value` it held.
//
// `doc.conflictHistory()` names events only. The value a side held is the document, at
// that key, as its author saw it up to the moment it met another side: the latest version
// that holds the side but no other side and not the resolution (for a text that is all
// the typing done in it before the sync, not just its first keystroke). What a change
// event did is the diff of its author's view before and after it. Both are worked out
// from the causal past of events, which never changes, so they are kept by event id.

import { causalIndex, inVersion } from "./causal.js";
import { describePatches, keyOfPath } from "./doc-model.js";
import { idString, parseId, totalOrder } from "./events.js";

export function docReader(log, doc) {
  let order = null;
  let causal = null;
  const kept = new Map();
  const memo = (k, f) => (kept.has(k) ? kept.get(k) : (kept.set(k, f()), kept.get(k)));
  const index = () => {
    order ??= totalOrder(log.events({}));
    return (causal ??= causalIndex(order));
  };
  const byId = (id) => log.get(idString(id));

  /** Its author's view just before event `id`: its causal past without it. */
  function before(id) {
    const v = { ...index().versionAt(id) };
    const { actor, seq } = parseId(id);
    if (seq > 1) v[actor] = seq - 1;
    else delete v[actor];
    return v;
  }

  /** What side `id` held at `key` before it met any of `others`. */
  function sideValue(id, key, others, open) {
    const c = index();
    // An open conflict's side can still grow (its author may still be apart): keyed by log size.
    return memo(`${id}|${key}|${others.join()}|${open ? order.length : ""}`, () => {
      let at = c.versionAt(id);
      for (const e of order) {
        const v = c.versionAt(e.id);
        if (inVersion(v, id) && !others.some((o) => inVersion(v, o))) at = v;
      }
      return doc.at(at)?.[key];
    });
  }

  return {
    /** Call when the log changed. */
    forget: () => (order = causal = null),
    /** Open conflicts: [{ key, events: [event + { value }] }]. */
    conflicts: () =>
      doc.conflicts().map((c) => ({
        key: String(c.path[0]),
        events: c.values.map((v) => ({ ...(byId(v.event) ?? { id: v.event, time: v.time }), value: v.value })),
      })),
    /** Every conflict the document ever had: [{ key, siblings: [event + { value }], resolvedBy }]. */
    history: () =>
      doc.conflictHistory().map((r) => {
        const key = keyOfPath(r.path);
        const open = !r.resolvedBy;
        const sides = r.siblings.map((id) => {
          const e = byId(id);
          const others = [...r.siblings.filter((o) => o !== id), ...(open ? [] : [r.resolvedBy])];
          return e && { ...e, value: sideValue(idString(id), key, others, open) };
        });
        const res = open ? null : byId(r.resolvedBy);
        const resolvedBy = res && { ...res, value: memo(`${res.id}|${key}`, () => doc.at(index().versionAt(res.id))?.[key]) };
        return { key, siblings: sides.filter(Boolean), resolvedBy };
      }),
    /** What a change event did, in words ("typed “x” in Notes"). */
    describe: (e) => memo(idString(e.id), () => describePatches(doc.diff(before(e.id), index().versionAt(e.id)))),
  };
}
